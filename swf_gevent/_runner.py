"""One run of the runner: endpoint, connection, registration, fleet, executions, stop, summary.

:func:`run` composes the parts in that order; each is a public piece of
``swf`` or a small runner module (:mod:`swf_gevent._connect`,
:func:`swf.querysets.register`, :mod:`swf_gevent._fleet`,
:mod:`swf_gevent._processes`, :mod:`swf_gevent._batch`,
:mod:`swf_gevent._report`). See :mod:`swf_gevent.run` for what a run does.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta
from typing import Any, TextIO

import gevent
from gevent.event import Event

from swf.models import TERMINATE, ActivityType, Domain, WorkflowType
from swf.querysets import register
from swf_gevent._batch import REFUSING_EVERY_START, ExecutionBatch
from swf_gevent._config import Config, ConfigError
from swf_gevent._connect import connect
from swf_gevent._fleet import Fleet, FleetLike, StopRequests
from swf_gevent._report import Stopping, progress_line, start_line, summary

__all__ = ["Interrupted", "Run", "run"]

log = logging.getLogger(__name__)

_CHECK_INTERVAL = 0.5  # seconds between checks that the started executions closed
_PROGRESS_INTERVAL = 5.0  # seconds between progress lines


class Interrupted(BaseException):
    """A stop request came before the fleet was running: it stopped without running anything.

    A ``BaseException``, as gevent's ``GreenletExit``: raised into a call in
    flight, no ``except Exception`` of botocore or urllib3 takes it for a
    connection error to retry.
    """


def run(config: Config, stdout: TextIO) -> int:
    """Run what ``config`` describes; the exit status (0, or 1 when executions did not all complete).

    :param stdout: where the start line, progress lines and summary go.
    :raises swf_gevent._config.ConfigError: the config fails at start-up:
        no region anywhere, a client that cannot be built, a deprecated
        domain or activity type, a handler that cannot be built, an input
        factory that fails, a workflow type no execution can start with.
    :raises swf.exceptions.SWFError: SWF cannot be used (unreachable, no credentials...).
    :raises Interrupted: a stop request came before the actors were running.
    :raises swf_gevent._fleet.EndpointLost: the endpoint no longer knows the domain.
    """
    return Run(config, stdout).run()


class Run:
    """One run of a config, and the state it shares with its stop requests.

    :param config: the checked config.
    :param stdout: where the start line, progress lines and summary go.
    """

    def __init__(self, config: Config, stdout: TextIO) -> None:
        self.config = config
        self.stdout = stdout
        #: The embedded endpoint (``endpoint_url = local``) while the run runs, else ``None``.
        self.local: Any = None
        #: The fleet, once built: its ``metrics`` and ``handlers``.
        self.fleet: FleetLike | None = None
        #: The executions of ``[executions]``, once starting.
        self.batch: ExecutionBatch | None = None
        self.stop_asked = Event()
        self.starting = True
        self.requests = StopRequests(self.on_stop, self.on_kill)
        self._main: Any = None

    def on_stop(self, name: str) -> None:
        self.stop_asked.set()
        if self.starting:
            gevent.kill(self._main, Interrupted(f"interrupted by {name} before the fleet was running"))
            return
        if self.batch is not None:
            self.batch.stop()

    def on_kill(self, name: str) -> None:
        if self.batch is not None:
            self.batch.kill()
        if self.fleet is not None:
            self.fleet.kill()

    def endpoint(self, client: Any) -> str:
        """The endpoint, as the start line and the summary name it."""
        if self.local is not None:
            return f"the local endpoint {self.local.endpoint_url}"
        return str(client.meta.endpoint_url)

    def run(self) -> int:
        """Run it (see :func:`run`); the exit status."""
        config = self.config
        self._main = gevent.getcurrent()
        if config.local:
            from swf_gevent.local import LocalSWF, StoreError

            self.local = LocalSWF(
                "127.0.0.1",
                port=0,
                poll_timeout=config.poll_timeout,
                region=config.region or "us-east-1",
                ui=True,
                db=config.local_db,
            )
            try:
                self.local.start()
            except StoreError as err:
                raise ConfigError(config.path, "swf", "local_db", str(err)) from None
            print(f"web UI of the local endpoint: {self.local.ui_url}", file=sys.stderr, flush=True)
        try:
            return self._run()
        finally:
            if self.local is not None:
                self.local.stop()

    def _run(self) -> int:
        config = self.config
        with self.requests:
            try:
                client = connect(config, self.local.endpoint_url if self.local is not None else None, sender=self)
                domain = _register(client, config)
                if config.processes > 1:
                    from swf_gevent._processes import ProcessFleet

                    self.fleet = ProcessFleet(config, self.local.endpoint_url if self.local is not None else None)
                else:
                    self.fleet = Fleet(config, client)
                self.fleet.start()
                self.starting = False
                began = time.monotonic()
                batch = self.start_executions(domain, client)
                line = start_line(
                    config.slots,
                    config.pollers,
                    config.processes,
                    config.domain,
                    self.endpoint(client),
                    None if batch is None else (len(batch.started), batch.workflow_type.name),
                )
                print(line, file=self.stdout, flush=True)
                done = self.wait(began, batch)
                ended = time.monotonic()  # with [executions], the work ended with the last close
            except BaseException:
                self.stop_fleet(idle=False)
                raise
            self.stop_fleet(idle=done)
        if batch is None:  # without [executions], the work ends with the stop
            ended = time.monotonic()
        fleet = self.fleet
        outcome = None if batch is None else batch.outcome()
        text = summary(
            config.path,
            self.endpoint(client),
            ended - began,
            fleet.metrics,
            outcome,
            fleet.processes,
            Stopping(self.requests.received),
        )
        print(text, file=self.stdout, flush=True)
        return 0 if outcome is None or outcome.ok else 1

    def stop_fleet(self, idle: bool) -> None:
        if self.fleet is not None:
            self.fleet.stop(self.config.stop_timeout, idle=idle and not self.stop_asked.is_set())

    def start_executions(self, domain: Domain, client: Any) -> ExecutionBatch | None:
        """Start ``[executions]``; ``None`` without it.

        :raises swf_gevent._config.ConfigError: the input factory failed, or
            SWF refuses every start (naming ``[executions] workflow``).
        """
        executions = self.config.executions
        if executions is None:
            return None
        group = executions.workflow
        batch = self.batch = ExecutionBatch(
            WorkflowType(domain, group.workflow_type, group.workflow_version, client=client),
            executions.count,
            executions.input,
            task_list=group.task_list,
            execution_start_to_close_timeout=timedelta(seconds=group.execution_timeout),
            task_start_to_close_timeout=timedelta(seconds=group.decision_timeout),
            child_policy=group.child_policy,
            payloads=self.config.payloads,
        )
        batch.start()
        error = batch.error
        if error is None:
            return batch
        if isinstance(error, REFUSING_EVERY_START):
            error = ConfigError(
                self.config.path,
                "executions",
                "workflow",
                f"cannot start {group.workflow_type!r} version {group.workflow_version!r} "
                f"in domain {self.config.domain!r}: {error}",
            )
        if isinstance(error, ConfigError) and batch.started:
            n = len(batch.started)
            error = ConfigError(
                error.path,
                error.section,
                error.key,
                f"{error.problem} ({n} execution{'' if n == 1 else 's'} started before it left open)",
            )
        raise error

    def wait(self, began: float, batch: ExecutionBatch | None) -> bool:
        """Wait for the executions to close (with progress lines), a stop request, or the fleet's end.

        :returns: whether every execution started closed.
        :raises swf_gevent._fleet.EndpointLost: the endpoint forgot the domain for ``unknown_domain_timeout`` seconds.
        """
        assert self.fleet is not None
        fleet = self.fleet
        next_line = time.monotonic() + _PROGRESS_INTERVAL

        def tick(open_count: int | None) -> None:
            nonlocal next_line
            fleet.check()
            if fleet.wait(0):  # every worker process ended
                log.warning("every process ended: stopping")
                self.stop_asked.set()
            now = time.monotonic()
            if batch is not None and open_count is not None and now >= next_line:
                closed = len(batch.started) - open_count
                print(
                    progress_line(now - began, closed, len(batch.started), fleet.metrics), file=self.stdout, flush=True
                )
                next_line = now + _PROGRESS_INTERVAL

        if batch is not None:
            assert self.config.executions is not None
            return batch.wait(self.stop_asked, self.config.executions.timeout, _CHECK_INTERVAL, tick)
        while not self.stop_asked.wait(_CHECK_INTERVAL):
            tick(None)
        return False


def _register(client: Any, config: Config) -> Domain:
    """Register the domain and every workflow and activity type the config names, when missing.

    A ``workflow =`` group registers its definitions' workflow types
    (:meth:`~swf_gevent.workflow.WorkflowDefinition.workflow_type`) and the
    activity types they schedule that no ``[activities:*]`` group performs
    (:meth:`~swf_gevent.workflow.WorkflowDefinition.activities`, those whose
    ``@activity`` names a task list).

    An activity's unlimited timeout is registered as SWF's ``"NONE"``
    (:data:`swf.models.NO_LIMIT`).

    :returns: the domain.
    :raises swf_gevent._config.ConfigError: the domain, or an activity type of
        a group, is deprecated in SWF (naming ``[swf] domain``, or the group's
        ``modules``).
    """
    domain = Domain(
        config.domain, retention_period=timedelta(days=1), description="registered by swf_gevent.run", client=client
    )
    types: list[WorkflowType | ActivityType] = []
    for group in config.deciders:
        if group.workflows:
            types += [w.workflow_type(domain, group.task_list) for w in group.workflows]
            continue
        types.append(
            WorkflowType(
                domain,
                group.workflow_type,
                group.workflow_version,
                default_task_list=group.task_list,
                default_execution_start_to_close_timeout=timedelta(seconds=group.execution_timeout),
                default_task_start_to_close_timeout=timedelta(seconds=group.decision_timeout),
                default_child_policy=TERMINATE,
            )
        )
    sections: dict[ActivityType, str] = {}
    performed: set[tuple[str, str]] = set()
    for activity_group in config.activities:
        for definition in activity_group.registry:
            model = definition.activity_type(domain, activity_group.task_list)
            types.append(model)
            performed.add(definition.key)
            sections.setdefault(model, f"activities:{activity_group.name}")
    # Activity types the workflows schedule that no group here performs (another fleet may): registered
    # too, when their @activity names a task list, so the schedule is not refused as an unknown type.
    for group in config.deciders:
        for workflow in group.workflows:
            for definition in workflow.activities():
                if definition.key not in performed and definition.task_list is not None:
                    performed.add(definition.key)
                    types.append(definition.activity_type(domain, definition.task_list))
    registered = register(domain, types)
    for deprecated in registered.deprecated():
        if isinstance(deprecated, Domain):
            raise ConfigError(
                config.path,
                "swf",
                "domain",
                f"domain {config.domain!r} is deprecated in SWF: it takes no new types, executions or tasks; "
                "name another domain",
            )
        if isinstance(deprecated, ActivityType):
            raise ConfigError(
                config.path,
                sections[deprecated],
                "modules",
                f"activity type {deprecated.name!r} version {deprecated.version!r} is deprecated in domain "
                f"{config.domain!r}: SWF schedules no task of it; give the @activity a new version",
            )
    return registered.domain
