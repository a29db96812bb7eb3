"""Run a fleet of greenlet deciders and activity workers from an ini file.

Usage: ``python -m swf_gevent.run config.ini``. Example (``examples/demo.ini``)::

    [swf]
    domain = demo
    region = us-east-1              ; optional: else swf.credentials (environment, ~/.swf), boto3
    endpoint_url = local            ; optional: an http(s) URL, or "local" for the embedded endpoint
    poll_timeout = 1                ; optional, seconds the embedded endpoint holds an empty poll (<= 60)
    log_level = WARNING             ; optional
    processes = 1                   ; optional: worker processes (or --processes N), <= 256
    stop_timeout = 10               ; optional, seconds running tasks get at a stop
    hub_block_threshold = 1         ; optional, seconds a greenlet may hold the hub

    [activities:text]               ; one section per activity worker group
    task_list = text
    greenlets = 200                 ; optional, default 1, <= 10,000 per group
    modules = text_pipeline         ; modules whose @activity functions this group performs (each has one)

    [decider:pipeline]              ; one section per decider group
    task_list = pipeline
    greenlets = 20
    class = text_pipeline.TextPipeline
    workflow_type = text-pipeline
    workflow_version = 1
    execution_timeout = 3600        ; optional, seconds (registered default, and sent with each start)
    decision_timeout = 60           ; optional, seconds (registered default, and sent with each start)

    [executions]                    ; optional: start executions, exit once all closed
    workflow = pipeline             ; the [decider:<name>] whose workflow type to start
    count = 500                     ; <= 1,000,000
    input_factory = text_pipeline.execution_input   ; or: input = {"json": "value"}
    timeout = 600                   ; optional, seconds to wait for them (then left open)

    [handlers]                      ; optional: signal handlers
    logging = INFO                  ; log each signal, lines at this level and above
    prometheus = 9100               ; serve metrics on 127.0.0.1:9100 (or host:port); extra [prometheus]
    statsd = 127.0.0.1:8125         ; send metrics to a statsd daemon; extra [statsd]
    statsd_prefix = swf             ; optional, default swf
    mine = mypackage.MyHandler      ; any other key: a handler class by dotted path

The file is UTF-8; ``;`` or ``#`` after whitespace starts a comment, one
with no whitespace before it is part of the value. Names (domain, task
lists, types, versions) follow SWF's rules: no ``:``, ``/``, ``|`` nor
control character, not ``arn``. The region, endpoint URL and key pair the
file leaves unset are resolved by :func:`swf.credentials.resolve_settings`
(``set_aws_credentials``, environment, ``~/.swf``), then boto3's chain; a
region or endpoint URL found there is checked by the file's own rules, the
one line naming where it came from (``AWS_ENDPOINT_URL_SWF``,
``AWS_DEFAULT_REGION``, ``~/.swf [defaults] endpoint_url``...).

Dotted paths import from the config file's directory first. The domain and
the workflow and activity types are registered when missing (a domain
that exists but is deprecated ends the run, naming ``[swf] domain``). Each
StartWorkflowExecution sends the decider group's task list, timeouts and
child policy, so an earlier registration of the type cannot change them;
a fault refusing every start (default undefined, type deprecated, unknown
type, an input over SWF's 32,768 characters) ends the run at the first,
with one line and status 2. The process
has one boto3 SWF client, its pool as large as the number of pollers.
SIGINT and SIGTERM stop the fleet warmly: no new poll, polls under way
end and their tasks run, running tasks get ``stop_timeout`` seconds to
finish and are then failed back (so SWF can hand them out again at
once), and the summary is printed. A second signal stops at once: every
actor is killed, running tasks are left to their SWF timeouts, and the
summary is still printed. A signal before the actors run (while
registration retries an unreachable endpoint, say) ends the run with one
line, status 1. Starting executions stops at the first signal.

With ``[executions]``, once every execution the run started has closed
the actors stop without waiting out their parked polls: those running no
task are killed. A task such a poll was about to bring is not answered:
SWF hands it out again once its timeout passes. Rates in the summary
count from the first start to the last close, as the progress lines do.
Executions still open at ``[executions] timeout`` stay open.

With ``processes`` above 1 the process is a parent running no actor: it
registers the types, starts that many children, each running every group
of the file with its own hub and client (and, with ``endpoint_url =
local``, all using the parent's one embedded endpoint), starts the
executions and adds up the counts the children report. A crashed child
is restarted with a backoff; a signal to the parent stops every child
warmly. See :mod:`swf_gevent._processes`.

A greenlet that holds the gevent hub (CPU-bound or blocking code in an
activity run in the hub) for ``hub_block_threshold`` seconds or more is
reported: a warning naming it, and the ``hub_blocked`` signal
(:class:`swf_gevent.actors.HubMonitor`).

Exit status: 0 when every execution started completed (or, without
``[executions]``, after a clean stop); 1 when some did not, a signal came
before the fleet ran, or SWF could not be used (one line: unreachable, no
credentials...); 2 for a bad config file, or code or settings it names
failing at startup (a module raising on import, a handler class that
cannot be built, an input factory that raises or returns what JSON cannot
hold or is over SWF's 32,768 characters, no region anywhere, a region or
endpoint URL from the environment or ``~/.swf`` the file would refuse, a
deprecated domain), with one line naming the file, section and key.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from typing import TYPE_CHECKING, Any, TextIO  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402
from gevent.pool import Pool  # noqa: E402

from swf_gevent._config import MAX_PROCESSES  # noqa: E402

if TYPE_CHECKING:
    from swf_gevent._config import Config, Executions
    from swf_gevent._processes import ChildReporter, ProcessSupervisor
    from swf_gevent.actors import GreenletActor, HubMonitor

__all__ = ["Fleet", "Interrupted", "main"]

log = logging.getLogger(__name__)

_START_CONCURRENCY = 20
_CHECK_INTERVAL = 0.5  # seconds between checks that the started executions closed
_PROGRESS_INTERVAL = 5.0  # seconds between progress lines


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Run the fleet a config file describes; the process exit status.

    :param argv: the arguments after the program name (``["config.ini"]``).
    :param stdout: where the summary goes.
    :param stderr: where a config error goes (one line).
    :returns: 0, 1 or 2, as the module docstring says.
    """
    parser = argparse.ArgumentParser(prog="python -m swf_gevent.run", description="Run SWF deciders and workers.")
    parser.add_argument("config", help="the ini file describing the fleet")
    parser.add_argument(
        "--processes",
        type=_positive_int,
        metavar="N",
        help="worker processes, each its own hub and client (overrides [swf] processes)",
    )
    # A worker process started by a parent runner (swf_gevent._processes): no executions,
    # no registration, reports its counts on stdout; with endpoint_url = local, the
    # parent's endpoint URL.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--local-endpoint", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from swf_gevent._config import ConfigError, load

    try:
        config = load(args.config)
    except ConfigError as err:
        print(err, file=stderr)
        return 2
    if args.processes is not None:
        config = dataclasses.replace(config, processes=args.processes)
    if args.child:
        config = dataclasses.replace(config, processes=1)
        if config.local and not args.local_endpoint:
            parser.error("--child with endpoint_url = local needs --local-endpoint URL")
    where = " [%(process)d]" if args.child or config.processes > 1 else ""
    logging.basicConfig(level=config.log_level, format=f"%(asctime)s %(levelname)s{where} %(name)s: %(message)s")
    from swf.exceptions import SWFError

    try:
        return Fleet(config, child=args.child, local_endpoint=args.local_endpoint).run(stdout)
    except ConfigError as err:  # found at startup: the client, a handler, the input factory, the workflow type
        print(err, file=stderr)
        return 2
    except SWFError as err:  # unreachable endpoint, no credentials, refused registration...
        print(f"{args.config}: {err}", file=stderr)
        return 1
    except Interrupted as err:
        print(f"{args.config}: {err}", file=stderr)
        return 1


class Interrupted(Exception):
    """A signal came before the fleet was running: it stopped without running anything."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    if value > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_PROCESSES}, got {text!r}")
    return value


class Fleet:
    """Everything one config runs: endpoint, client, actors, handlers, executions.

    With ``config.processes`` above 1 the fleet is a parent: its actors run
    in that many child processes (:mod:`swf_gevent._processes`) and it
    starts the executions, waits for them and adds the children's counts up.

    :param config: the checked config (:func:`swf_gevent._config.load`).
    :param child: run as a parent's worker process: actors only, no
        registration nor executions, counts reported on ``stdout`` as JSON
        lines, until a signal (or the parent's end).
    :param local_endpoint: with ``endpoint_url = local`` in a child, the URL
        of the parent's embedded endpoint.
    """

    def __init__(self, config: Config, child: bool = False, local_endpoint: str | None = None) -> None:
        self.config = config
        self.child = child
        self.local_endpoint = local_endpoint
        self._parent = os.getppid()  # a child stops once this process is gone
        self.supervisor: ProcessSupervisor | None = None
        self._reporter: ChildReporter | None = None
        self.hub_monitor: HubMonitor | None = None
        self.local: Any = None
        self.client: Any = None
        self.actors: list[GreenletActor] = []
        self.handlers: list[Any] = []
        self.metrics: Any = None
        self.started: dict[str, str] = {}  # workflowId -> runId
        self.closed: dict[str, str] = {}  # workflowId -> closeStatus
        self.interrupted = False
        self.signals = 0  # SIGINT and SIGTERM received
        self._phase = "new"  # new, starting, running, stopping
        self._main: Any = None  # the greenlet running run(), interrupted by a signal while starting
        self._stop = Event()
        self._cold = False  # a second signal: kill what runs, answer nothing more
        self._work_done = False  # every execution started has closed
        self._work_began: float | None = None  # monotonic time of the first start (or the actors' start)
        self._work_ended: float | None = None  # monotonic time the last execution was seen closed
        self._fatal: BaseException | None = None  # why starting executions stopped for good
        self._start_pool: Pool | None = None
        self._examples: dict[str, str] = {}  # closeStatus -> one execution closed so, and why
        self._tag = f"swf_gevent.run:{uuid.uuid4().hex[:12]}"
        self._since = datetime.now(timezone.utc) - timedelta(minutes=5)  # clock skew allowance

    def run(self, stdout: TextIO) -> int:
        """Start everything, wait for the executions (or a signal), stop, print the summary.

        :returns: the exit status.
        :raises swf_gevent._config.ConfigError: the config fails at startup: no
            region anywhere, a client that cannot be built, a handler that
            cannot be built or connected, an input factory that fails, or a
            workflow type no execution can start with.
        :raises swf.exceptions.SWFError: SWF cannot be used (unreachable, no credentials...).
        :raises Interrupted: a signal came before the actors were running.
        """
        config = self.config
        signal_handles = []
        self._main = gevent.getcurrent()
        self._phase = "starting"
        try:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal_handles.append(gevent.signal_handler(signum, self._on_signal, signum))
            if self.child:  # the parent's "work done: stop without waiting out parked polls"
                signal_handles.append(gevent.signal_handler(signal.SIGUSR1, self._on_work_done))
            try:
                self._start()
                self._phase = "running"
                if self.child:
                    self._report_until_stopped(stdout)
                elif config.executions is not None:
                    self._start_executions(config.executions)
                    if self._fatal is not None:
                        return self._end_with_fatal()
                    pollers = f"{config.pollers} greenlets"
                    if config.processes > 1:
                        pollers = f"{config.processes} processes of {pollers}"
                    print(
                        f"{pollers} polling domain {config.domain!r} at {self._endpoint()}; "
                        f"{len(self.started)} executions of {config.executions.workflow.workflow_type!r} started",
                        file=stdout,
                        flush=True,
                    )
                    self._wait_closed(config.executions.timeout, stdout)
                    self._examples = {
                        status: self._example(status) for status in set(self.closed.values()) - {"COMPLETED"}
                    }
                else:
                    print(
                        f"{config.pollers} greenlets polling domain {config.domain!r} at {self._endpoint()}"
                        + (f" in {config.processes} processes" if config.processes > 1 else "")
                        + "; SIGINT or SIGTERM stops them",
                        file=stdout,
                        flush=True,
                    )
                    self._stop.wait()
            except Interrupted:
                self._phase = "stopping"
                raise
            finally:
                self._phase = "stopping"
                self._shut_down()
        finally:
            for handle in signal_handles:  # kept through the stop: a second signal hurries it
                handle.cancel()
        if self.child:
            line = self._reporter.line() if self._reporter is not None else None
            if line is not None:  # what happened during the stop
                _report(line, stdout)
            return 0
        return self._summary(stdout)

    def _start(self) -> None:
        """Build the client, register the types, start the actors (or the child processes)."""
        from swf_gevent._config import ConfigError, describe
        from swf_gevent.actors import HubMonitor
        from swf_gevent.handlers import MetricsHandler

        config = self.config
        self.client = self._make_client()
        if not self.child:
            _register(self.client, config)
        if config.processes > 1:
            self._start_processes()
        else:
            self.metrics = MetricsHandler()
            self.metrics.connect()
            self.handlers = [self.metrics]
            for key, factory in config.handlers:
                try:
                    handler = factory()
                    handler.connect()
                except Exception as err:  # user code
                    raise ConfigError(
                        config.path, "handlers", key, f"cannot start the handler: {describe(err)}"
                    ) from None
                self.handlers.append(handler)
            self.hub_monitor = HubMonitor(config.hub_block_threshold)
            self.hub_monitor.start()
            self.actors = self._build_actors()
            for actor in self.actors:
                actor.start()
            log.info("%d actors polling domain %s", len(self.actors), config.domain)
        self._work_began = time.monotonic()

    def _shut_down(self) -> None:
        """Stop the actors, the hub monitor, the handlers and the endpoint; each step runs whatever the others did."""
        steps: list[tuple[str, Any]] = [("stopping the actors", self._stop_actors)]
        if self.hub_monitor is not None:
            steps.append(("stopping the hub monitor", self.hub_monitor.stop))
        steps += [(f"disconnecting {handler!r}", handler.disconnect) for handler in self.handlers]
        if self.local is not None:
            steps.append(("stopping the local endpoint", self.local.stop))
        for what, step in steps:
            try:
                step()
            except Exception:  # one failing step must not keep the others from running
                log.exception("error while %s", what)

    def _start_processes(self) -> None:
        """Start the child processes that run the actors; the fleet stops once they all ended."""
        from swf_gevent._processes import ProcessSupervisor, add_report
        from swf_gevent.handlers import MetricsHandler

        command = [sys.executable, "-m", "swf_gevent.run", os.path.abspath(self.config.path), "--child"]
        if self.local is not None:
            command += ["--local-endpoint", self.local.endpoint_url]
        metrics = self.metrics = MetricsHandler()  # fed by the children's reports, not by signals
        for key, factory in self.config.handlers:
            if key == "prometheus":  # served here, summed over the children (they inherit its directory)
                handler = factory()
                self.handlers.append(handler)
                handler.serve_children()
        self.supervisor = ProcessSupervisor(
            command, self.config.processes, on_line=lambda line: add_report(metrics, line)
        )
        self.supervisor.start()
        log.info("%d processes starting, domain %s", self.config.processes, self.config.domain)

        def stop_when_done(supervisor: ProcessSupervisor) -> None:
            supervisor.done.wait()
            if not supervisor.stopping and not self._stop.is_set():
                log.warning("every process ended: stopping")
                self._stop.set()

        gevent.spawn(stop_when_done, self.supervisor)

    def _report_until_stopped(self, stdout: TextIO) -> None:
        """As a child: print a report line when the counts changed, until a stop or the parent's end."""
        from swf_gevent._processes import REPORT_INTERVAL, ChildReporter, parent_gone

        reporter = ChildReporter()
        self.handlers.append(reporter)  # disconnected with the others
        reporter.connect()

        self._reporter = reporter
        while not self._stop.wait(REPORT_INTERVAL):
            if parent_gone(self._parent):
                log.warning("the parent process %d is gone: stopping", self._parent)
                return
            line = reporter.line()
            if line is not None:
                _report(line, stdout)

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        self.signals += 1
        self.interrupted = True
        self._stop.set()
        if self._phase == "starting":
            log.warning("%s received while starting: stopping", name)
            self._phase = "stopping"
            gevent.kill(self._main, Interrupted(f"interrupted by {name} before the fleet was running"))
        elif self.signals == 1:
            log.warning("%s received: stopping the fleet (again to stop at once)", name)
        elif not self._cold:
            log.warning("%s received again: stopping at once; running tasks are left to their SWF timeouts", name)
            self._hurry()

    def _on_work_done(self) -> None:
        log.info("the parent's executions all closed: stopping")
        self._work_done = True
        self._stop.set()

    def _hurry(self) -> None:
        """The cold path: kill every actor and start call now; the tasks they hold are left to SWF's timeouts."""
        self._cold = True
        if self._start_pool is not None:
            self._start_pool.kill(block=False)
        if self.supervisor is not None:
            self.supervisor.hurry()
        for actor in self.actors:
            actor.kill(block=False)

    def _endpoint(self) -> str:
        """The endpoint URL the client talks to, for the start line and the summary."""
        if self.local is not None:
            return f"the local endpoint {self.local.endpoint_url}"
        if self.client is not None:
            return str(self.client.meta.endpoint_url)
        return str(self.config.endpoint_url or "SWF")

    def _make_client(self) -> Any:
        from swf.connection import DEFAULT_READ_TIMEOUT, make_client
        from swf.credentials import resolve_settings
        from swf.exceptions import SWFError
        from swf_gevent._config import ConfigError
        from swf_gevent.signals import retry_policy

        config = self.config
        key_id: str | None = None
        secret: str | None = None
        endpoint_url = config.endpoint_url
        region = config.region
        if config.local and self.local_endpoint is not None:  # a child: the parent's endpoint
            endpoint_url = self.local_endpoint
            region = region or "us-east-1"
            key_id = secret = "local"
        elif config.local:
            from swf_gevent.local import LocalSWF

            self.local = LocalSWF(
                "127.0.0.1", port=0, poll_timeout=config.poll_timeout, region=region or "us-east-1", ui=True
            )
            self.local.start()
            print(f"web UI of the local endpoint: {self.local.ui_url}", file=sys.stderr, flush=True)
            endpoint_url = self.local.endpoint_url
            region = region or "us-east-1"
            key_id = secret = "local"  # the embedded endpoint checks no signature
        else:  # what the config leaves unset comes from swf.credentials, then boto3's chain
            settings = resolve_settings()
            _check_resolved(config.path, region, endpoint_url, settings)
        pool = config.pollers + _START_CONCURRENCY + 4
        try:
            return make_client(
                retry=retry_policy(sender=self),  # each retry sends call_retried
                region_name=region,
                endpoint_url=endpoint_url,
                max_pool_connections=pool,
                read_timeout=max(DEFAULT_READ_TIMEOUT, config.poll_timeout + 10),
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
            )
        except SWFError:  # no credentials, a malformed ~/.swf: said as is
            raise
        except Exception as err:  # botocore refusing a region or an endpoint from elsewhere
            raise ConfigError(config.path, "swf", None, f"cannot build the SWF client: {err}") from None

    def _build_actors(self) -> list[GreenletActor]:
        from swf_gevent.actors import GreenletActivityWorker, GreenletDecider

        config = self.config
        host = f"{socket.gethostname()}:{os.getpid()}"
        actors: list[GreenletActor] = []
        for group in config.deciders:
            actors += [
                GreenletDecider(
                    config.domain,
                    group.task_list,
                    group.decider,
                    client=self.client,
                    identity=f"{host}:decider:{group.name}:{i}"[:256],
                )
                for i in range(group.greenlets)
            ]
        for workers in config.activities:
            actors += [
                GreenletActivityWorker(
                    config.domain,
                    workers.task_list,
                    workers.registry,
                    client=self.client,
                    identity=f"{host}:activities:{workers.name}:{i}"[:256],
                )
                for i in range(workers.greenlets)
            ]
        return actors

    def _start_executions(self, executions: Executions) -> None:
        """Start ``executions.count`` executions, :data:`_START_CONCURRENCY` calls at a time, until a stop.

        Each StartWorkflowExecution carries the config's task list, timeouts
        and child policy, so a type registered earlier with other defaults
        (or none) does not change them. A fault that would refuse every start
        (default undefined, type or domain deprecated, unknown type) stops the
        starts at the first one: :attr:`_fatal` holds the config error to raise.
        """
        from swf.connection import call
        from swf.exceptions import (
            DefaultUndefinedError,
            DeprecatedError,
            DoesNotExistError,
            OperationNotPermittedError,
            SWFError,
        )
        from swf_gevent._config import ConfigError

        group = executions.workflow
        prefix = f"{group.workflow_type}-{self._tag.rsplit(':', 1)[1]}"
        fatal = (DefaultUndefinedError, DeprecatedError, DoesNotExistError, OperationNotPermittedError)

        def start(index: int) -> None:
            if self._stop.is_set():
                return
            workflow_id = f"{prefix}-{index}"
            params: dict[str, Any] = {
                "domain": self.config.domain,
                "workflowId": workflow_id,
                "workflowType": {"name": group.workflow_type, "version": group.workflow_version},
                "taskList": {"name": group.task_list},
                "executionStartToCloseTimeout": str(group.execution_timeout),
                "taskStartToCloseTimeout": str(group.decision_timeout),
                "childPolicy": "TERMINATE",
                "tagList": [self._tag],
            }
            try:
                payload = executions.input(index)  # once per execution; a failure is a ConfigError
            except ConfigError as err:
                self._give_up(err)
                return
            if payload is not None:
                params["input"] = payload
            try:
                response = call(self.client, "StartWorkflowExecution", **params)
            except fatal as err:
                self._give_up(
                    ConfigError(
                        self.config.path,
                        "executions",
                        "workflow",
                        f"cannot start {group.workflow_type!r} version {group.workflow_version!r} "
                        f"in domain {self.config.domain!r}: {err}",
                    )
                )
                return
            except SWFError as err:
                log.error("cannot start execution %s: %s", workflow_id, err)
                return
            self.started[workflow_id] = response["runId"]

        pool = self._start_pool = Pool(_START_CONCURRENCY)
        for index in range(executions.count):
            pool.wait_available()
            if self._stop.is_set():  # a signal, or a fault that refuses every start
                break
            pool.spawn(start, index)
        pool.join()
        self._start_pool = None
        log.info("%d executions of %s started (tag %s)", len(self.started), group.workflow_type, self._tag)

    def _end_with_fatal(self) -> int:
        """Raise the error that stopped the starts, saying how many executions it leaves open (after the stop)."""
        from swf_gevent._config import ConfigError

        error = self._fatal
        if isinstance(error, ConfigError) and self.started:
            n = len(self.started)
            error = ConfigError(
                error.path,
                error.section,
                error.key,
                f"{error.problem} ({n} execution{'' if n == 1 else 's'} started before it left open)",
            )
        assert error is not None
        raise error

    def _give_up(self, error: BaseException) -> None:
        """Stop starting executions and stop the fleet; the run ends with ``error``."""
        if self._fatal is None:
            self._fatal = error
        self._stop.set()

    def _wait_closed(self, timeout: float | None, stdout: TextIO) -> None:
        """Return once every started execution closed, on a signal, or after ``timeout`` seconds.

        Prints a progress line every :data:`_PROGRESS_INTERVAL` seconds, its
        clock counting from the first start, as the summary's does.
        """
        from swf.exceptions import SWFError

        began = time.monotonic()
        origin = self._work_began if self._work_began is not None else began
        deadline = None if timeout is None else began + timeout
        next_report = began + _PROGRESS_INTERVAL
        while not self._stop.is_set():
            try:
                open_count = self._open_count()
                if open_count == 0:
                    self.closed = self._close_statuses()
                    if set(self.started) <= set(self.closed):
                        self._work_done = True
                        self._work_ended = time.monotonic()
                        return
            except SWFError as err:
                log.warning("cannot check the executions: %s", err)
                open_count = None
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                log.error("executions still open after %s s; stopping (they stay open)", timeout)
                self.closed = self._close_statuses()
                self._work_ended = now
                return
            if now >= next_report and open_count is not None:
                status = self.metrics.status() if self.metrics is not None else ""
                print(
                    f"  {now - origin:6.1f} s   {len(self.started) - open_count}/{len(self.started)} executions closed; "
                    f"{status}",
                    file=stdout,
                    flush=True,
                )
                next_report = now + _PROGRESS_INTERVAL
            self._stop.wait(_CHECK_INTERVAL)
        self.closed = self._close_statuses()
        self._work_ended = time.monotonic()

    def _open_count(self) -> int:
        from swf.connection import call

        response = call(
            self.client,
            "CountOpenWorkflowExecutions",
            domain=self.config.domain,
            startTimeFilter={"oldestDate": self._since},
            tagFilter={"tag": self._tag},
        )
        return int(response["count"])

    def _close_statuses(self) -> dict[str, str]:
        """``{workflowId: closeStatus}`` of the closed executions this run started."""
        from swf.connection import call_pages
        from swf.exceptions import SWFError

        statuses: dict[str, str] = {}
        try:
            for page in call_pages(
                self.client,
                "ListClosedWorkflowExecutions",
                domain=self.config.domain,
                startTimeFilter={"oldestDate": self._since},
                tagFilter={"tag": self._tag},
            ):
                for info in page.get("executionInfos", ()):
                    execution = info["execution"]
                    if self.started.get(execution["workflowId"]) == execution["runId"]:
                        statuses[execution["workflowId"]] = info["closeStatus"]
        except SWFError as err:
            log.warning("cannot list the closed executions: %s", err)
        return statuses

    def _stop_actors(self) -> None:
        """Stop every actor (or child process) at once.

        Warmly: running tasks get ``stop_timeout`` seconds, then are failed
        back. Once every execution started has closed, an actor running no
        task is killed in its parked poll rather than waited for (up to
        ``poll_timeout``): a task that poll would have brought is left to its
        SWF timeout, after which SWF hands it out again. After a second
        signal, every actor is killed (:meth:`_hurry`).
        """
        if self.supervisor is not None:
            done = self._work_done and not self.interrupted
            self.supervisor.stop(
                self.config.poll_timeout + self.config.stop_timeout + 30, signal.SIGUSR1 if done else signal.SIGTERM
            )
            return
        timeout = self.config.stop_timeout

        def stop(actor: GreenletActor) -> None:
            if self._cold or (self._work_done and actor.running_tasks == 0):
                actor.kill()
            else:
                actor.stop(timeout)

        gevent.joinall([gevent.spawn(stop, actor) for actor in self.actors])

    def _summary(self, stdout: TextIO) -> int:
        """Print the summary; the exit status.

        Rates count over the time the work took: from the first start to
        the last execution seen closed (without ``[executions]``, from the
        actors' start to the stop).
        """
        metrics = self.metrics
        statuses = Counter(self.closed.values())
        started = len(self.started)
        lines = [f"simple-workflow run: {self.config.path} on {self._endpoint()}"]
        if self.config.executions is not None:
            requested = self.config.executions.count
            others = ", ".join(
                f"{n} {s.lower()}" for s, n in sorted(statuses.items()) if s not in ("COMPLETED", "FAILED")
            )
            lines.append(
                f"  executions     {started}/{requested} started, {statuses['COMPLETED']} completed, "
                f"{statuses['FAILED']} failed, {started - len(self.closed)} still open"
                + (f", {others}" if others else "")
            )
            for status in sorted(statuses):
                if status != "COMPLETED":
                    lines.append(f"  e.g. {status.lower():9} {self._examples.get(status, '')}")
        if metrics is not None:
            began = self._work_began
            ended = self._work_ended if self._work_ended is not None else time.monotonic()
            elapsed = ended - began if began is not None else 0.0
            tasks = metrics.activity_tasks
            rate = tasks / elapsed if elapsed > 0 else 0.0
            lines.append(f"  activity tasks {tasks} in {elapsed:.1f} s: {rate:.1f} tasks/s")
            p50, p95 = metrics.latency(0.50), metrics.latency(0.95)
            if p50 is not None and p95 is not None:
                lines.append(
                    f"  latency        p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (activity task received to answered)"
                )
            lines.append(
                f"  decision tasks {metrics.counts['decision-task-completed']} completed, "
                f"{metrics.counts['decision-task-failed']} failed"
            )
        if self.supervisor is not None:
            restarts = self.supervisor.restarts
            lines.append(f"  processes      {self.supervisor.count}, {restarts} restart{'' if restarts == 1 else 's'}")
        if self.interrupted:
            lines.append(
                "  interrupted by a signal"
                + (" (twice: running tasks left to their SWF timeouts)" if self._cold else "")
            )
        print("\n".join(lines), file=stdout, flush=True)
        if self.config.executions is None:
            return 0
        ok = started == self.config.executions.count and statuses["COMPLETED"] == started
        return 0 if ok else 1

    def _example(self, status: str) -> str:
        """One execution closed with ``status``, and the reason its history's last event gives."""
        from swf.connection import call
        from swf.exceptions import SWFError

        workflow_id = next(w for w, s in sorted(self.closed.items()) if s == status)
        try:
            events = call(
                self.client,
                "GetWorkflowExecutionHistory",
                domain=self.config.domain,
                execution={"workflowId": workflow_id, "runId": self.started[workflow_id]},
                reverseOrder=True,
                maximumPageSize=1,
            )["events"]
        except SWFError as err:
            return f"{workflow_id} (history unavailable: {err})"
        attributes: dict[str, Any] = (
            next((value for key, value in events[0].items() if key.endswith("EventAttributes")), {}) if events else {}
        )
        reason = attributes.get("reason") or attributes.get("timeoutType") or attributes.get("cause")
        details = attributes.get("details")
        text = f"{reason}" if reason else "no reason given"
        if details:
            text += f": {' '.join(str(details).split())[:200]}"
        return f"{workflow_id}: {text}"


def _report(line: str, stdout: TextIO) -> None:
    """As a child: send one report line to the parent; once the parent is gone, send nothing more."""
    try:
        print(line, file=stdout, flush=True)
    except BrokenPipeError:  # the parent died: what is left to write goes nowhere
        log.debug("the parent no longer reads reports")
        if stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _check_resolved(path: str, region: str | None, endpoint_url: str | None, settings: Any) -> None:
    """Check a region and endpoint URL the config leaves to the environment, ``~/.swf`` or boto3 as the file's own.

    :param settings: what :func:`swf.credentials.resolve_settings` resolved.
    :raises swf_gevent._config.ConfigError: no region anywhere, or one from
        elsewhere that botocore would refuse; an endpoint URL from elsewhere
        that is not an http(s) URL with a host. The line names where it came from.
    """
    from swf_gevent._config import ENDPOINT_URL_RULE, ConfigError, endpoint_url_problem, region_is_valid

    if endpoint_url is None and settings.endpoint_url is not None:
        problem = endpoint_url_problem(settings.endpoint_url)
        if problem is not None:
            raise ConfigError(
                path,
                "swf",
                "endpoint_url",
                f"not set here, and {settings.endpoint_url_source} = {settings.endpoint_url!r} "
                f"is not {ENDPOINT_URL_RULE}{problem}",
            )
    if region is not None:
        return
    found, source = settings.region_name, settings.region_source
    if found is None:
        found, source = _boto3_region(), "boto3's configuration (AWS_REGION, ~/.aws/config)"
    if found is None:
        raise ConfigError(
            path,
            "swf",
            "region",
            "no AWS region: set it here, in AWS_DEFAULT_REGION, in [defaults] of ~/.swf, or in ~/.aws/config",
        )
    if not region_is_valid(found):
        raise ConfigError(
            path, "swf", "region", f"not set here, and {source} = {found!r} is not an AWS region such as 'us-east-1'"
        )


def _boto3_region() -> str | None:
    """The region boto3's own chain finds (``AWS_REGION``, ``~/.aws/config``...), or ``None``."""
    import boto3

    region = boto3.session.Session().region_name
    return str(region) if region else None


def _register(client: Any, config: Any) -> None:
    """Register the domain and every workflow and activity type the config names, when missing.

    Each is saved through its model (one ``Register*`` call); "already
    exists" (registered earlier, or by another process winning the race)
    leaves the existing one untouched. An activity's unlimited timeout is
    registered as SWF's ``"NONE"`` (:data:`swf.models.NO_LIMIT`).

    :raises swf_gevent._config.ConfigError: the domain exists but is
        deprecated (``DescribeDomain``), naming ``[swf] domain``.
    """
    from datetime import timedelta

    from swf._convert import Limit
    from swf.exceptions import AlreadyExistsError, DomainAlreadyExistsError
    from swf.models import NO_LIMIT, ActivityType, Domain, WorkflowType
    from swf.models.base import DEPRECATED
    from swf_gevent._config import ConfigError

    def register(model: Domain | WorkflowType | ActivityType) -> None:
        try:
            model.save()
        except AlreadyExistsError:
            log.debug("%r: already registered", model)

    def limit(value: timedelta | None) -> Limit:
        return NO_LIMIT if value is None else value

    domain = Domain(
        config.domain,
        retention_period=timedelta(days=1),
        description="registered by swf_gevent.run",
        client=client,
    )
    try:
        domain.save()
    except DomainAlreadyExistsError:
        if domain.upstream().status == DEPRECATED:
            raise ConfigError(
                config.path,
                "swf",
                "domain",
                f"domain {config.domain!r} is deprecated in SWF: it takes no new types, executions or tasks; "
                "name another domain",
            ) from None
        log.debug("%r: already registered", domain)
    for group in config.deciders:
        register(
            WorkflowType(
                domain,
                group.workflow_type,
                group.workflow_version,
                default_task_list=group.task_list,
                default_execution_start_to_close_timeout=timedelta(seconds=group.execution_timeout),
                default_task_start_to_close_timeout=timedelta(seconds=group.decision_timeout),
                default_child_policy="TERMINATE",
            )
        )
    for activity_group in config.activities:
        for definition in activity_group.registry:
            register(
                ActivityType(
                    domain,
                    definition.name,
                    definition.version,
                    description=definition.description or None,
                    default_task_list=activity_group.task_list,
                    default_task_heartbeat_timeout=limit(definition.heartbeat_timeout),
                    default_task_schedule_to_start_timeout=limit(definition.schedule_to_start_timeout),
                    default_task_start_to_close_timeout=limit(definition.start_to_close_timeout),
                    default_task_schedule_to_close_timeout=limit(definition.schedule_to_close_timeout),
                )
            )


if __name__ == "__main__":
    sys.exit(main())
