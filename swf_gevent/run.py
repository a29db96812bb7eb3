"""Run a fleet of greenlet deciders and activity workers from an ini file.

Usage: ``python -m swf_gevent.run config.ini``. Example (``examples/demo.ini``)::

    [swf]
    domain = demo
    region = us-east-1              ; optional: else boto3's chain
    endpoint_url = local            ; optional: a URL, or "local" for the embedded endpoint
    poll_timeout = 1                ; optional, seconds the embedded endpoint holds an empty poll
    log_level = WARNING             ; optional
    processes = 1                   ; optional: worker processes (or --processes N)
    stop_timeout = 10               ; optional, seconds running tasks get at a stop
    hub_block_threshold = 1         ; optional, seconds a greenlet may hold the hub

    [activities:text]               ; one section per activity worker group
    task_list = text
    greenlets = 200                 ; optional, default 1
    modules = text_pipeline         ; modules whose @activity functions this group performs

    [decider:pipeline]              ; one section per decider group
    task_list = pipeline
    greenlets = 20
    class = text_pipeline.TextPipeline
    workflow_type = text-pipeline
    workflow_version = 1
    execution_timeout = 3600        ; optional, seconds (registered default)
    decision_timeout = 60           ; optional, seconds (registered default)

    [executions]                    ; optional: start executions, exit once all closed
    workflow = pipeline             ; the [decider:<name>] whose workflow type to start
    count = 500
    input_factory = text_pipeline.execution_input   ; or: input = {"json": "value"}
    timeout = 600                   ; optional, seconds to wait for them

    [handlers]                      ; optional: signal handlers
    logging = INFO                  ; log each signal, lines at this level and above
    prometheus = 9100               ; serve metrics on 127.0.0.1:9100 (or host:port); extra [prometheus]
    statsd = 127.0.0.1:8125         ; send metrics to a statsd daemon; extra [statsd]
    statsd_prefix = swf             ; optional, default swf
    mine = mypackage.MyHandler      ; any other key: a handler class by dotted path

Dotted paths import from the config file's directory first. The domain and
the workflow and activity types are registered when missing. The process
has one boto3 SWF client, its pool as large as the number of pollers.
SIGINT and SIGTERM stop the fleet warmly: no new poll, polls under way
end and their tasks run, running tasks get ``stop_timeout`` seconds to
finish and are then failed back (so SWF can hand them out again at
once), and the summary is printed.

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
``[executions]``, after a clean stop); 1 when some did not, or SWF could
not be used (one line: unreachable, no credentials...); 2 for a bad config
file, with one line naming the file, section and key.
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
from datetime import datetime, timedelta, timezone  # noqa: E402
from typing import TYPE_CHECKING, Any, Optional, Sequence, TextIO  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402
from gevent.pool import Pool  # noqa: E402

if TYPE_CHECKING:
    from swf_gevent._config import Config, Executions
    from swf_gevent._processes import ChildReporter, ProcessSupervisor
    from swf_gevent.actors import GreenletActor, HubMonitor

__all__ = ["Fleet", "main"]

log = logging.getLogger(__name__)

_START_CONCURRENCY = 20
_CHECK_INTERVAL = 0.5  # seconds between checks that the started executions closed
_PROGRESS_INTERVAL = 5.0  # seconds between progress lines


def main(argv: Optional[Sequence[str]] = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
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
    except SWFError as err:  # unreachable endpoint, no credentials, refused registration...
        print(f"{args.config}: {err}", file=stderr)
        return 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
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

    def __init__(self, config: Config, child: bool = False, local_endpoint: Optional[str] = None) -> None:
        self.config = config
        self.child = child
        self.local_endpoint = local_endpoint
        self._parent = os.getppid()  # a child stops once this process is gone
        self.supervisor: Optional[ProcessSupervisor] = None
        self._reporter: Optional[ChildReporter] = None
        self.hub_monitor: Optional[HubMonitor] = None
        self.local: Any = None
        self.client: Any = None
        self.actors: list[GreenletActor] = []
        self.handlers: list[Any] = []
        self.metrics: Any = None
        self.started: dict[str, str] = {}  # workflowId -> runId
        self.closed: dict[str, str] = {}  # workflowId -> closeStatus
        self.interrupted = False
        self._stop = Event()
        self._tag = f"swf_gevent.run:{uuid.uuid4().hex[:12]}"
        self._since = datetime.now(timezone.utc) - timedelta(minutes=5)  # clock skew allowance

    def run(self, stdout: TextIO) -> int:
        """Start everything, wait for the executions (or a signal), stop, print the summary.

        :returns: the exit status.
        """
        from swf_gevent.actors import HubMonitor
        from swf_gevent.handlers import MetricsHandler

        config = self.config
        signal_handles = []
        began = time.monotonic()
        try:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal_handles.append(gevent.signal_handler(signum, self._on_signal, signum))
            self.client = self._make_client()
            if not self.child:
                _register(self.client, config)
            if config.processes > 1:
                self._start_processes()
            else:
                self.metrics = MetricsHandler()
                self.handlers = [self.metrics] + [cls() for _, cls in config.handlers]
                for handler in self.handlers:
                    handler.connect()
                self.hub_monitor = HubMonitor(config.hub_block_threshold)
                self.hub_monitor.start()
                self.actors = self._build_actors()
                for actor in self.actors:
                    actor.start()
                log.info("%d actors polling domain %s", len(self.actors), config.domain)
            if self.child:
                self._report_until_stopped(stdout)
            elif config.executions is not None:
                self._start_executions(config.executions)
                pollers = f"{config.pollers} greenlets"
                if config.processes > 1:
                    pollers = f"{config.processes} processes of {pollers}"
                print(
                    f"{pollers} polling domain {config.domain!r}; "
                    f"{len(self.started)} executions of {config.executions.workflow.workflow_type!r} started",
                    file=stdout,
                    flush=True,
                )
                self._wait_closed(config.executions.timeout, stdout)
            else:
                self._stop.wait()
        finally:
            for handle in signal_handles:
                handle.cancel()
            self._stop_actors()
            if self.hub_monitor is not None:
                self.hub_monitor.stop()
            for handler in self.handlers:
                handler.disconnect()
            if self.local is not None:
                self.local.stop()
        if self.child:
            line = self._reporter.line() if self._reporter is not None else None
            if line is not None:  # what happened during the stop
                _report(line, stdout)
            return 0
        return self._summary(stdout, time.monotonic() - began)

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
        self.supervisor = ProcessSupervisor(command, self.config.processes, on_line=lambda line: add_report(metrics, line))
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
        log.warning("%s received: stopping the fleet", signal.Signals(signum).name)
        self.interrupted = True
        self._stop.set()

    def _make_client(self) -> Any:
        from swf.connection import DEFAULT_READ_TIMEOUT, make_client
        from swf_gevent.signals import retry_policy

        config = self.config
        key_id: Optional[str] = None
        secret: Optional[str] = None
        endpoint_url = config.endpoint_url
        region = config.region
        if config.local and self.local_endpoint is not None:  # a child: the parent's endpoint
            endpoint_url = self.local_endpoint
            region = region or "us-east-1"
            key_id = secret = "local"
        elif config.local:
            from swf_gevent.local import LocalSWF

            self.local = LocalSWF("127.0.0.1", port=0, poll_timeout=config.poll_timeout, region=region or "us-east-1")
            self.local.start()
            endpoint_url = self.local.endpoint_url
            region = region or "us-east-1"
            key_id = secret = "local"  # the embedded endpoint checks no signature
        pool = config.pollers + _START_CONCURRENCY + 4
        return make_client(
            retry=retry_policy(sender=self),  # each retry sends call_retried
            region_name=region,
            endpoint_url=endpoint_url,
            max_pool_connections=pool,
            read_timeout=max(DEFAULT_READ_TIMEOUT, config.poll_timeout + 10),
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )

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
        from swf.connection import call
        from swf.exceptions import SWFError

        group = executions.workflow
        prefix = f"{group.workflow_type}-{self._tag.rsplit(':', 1)[1]}"

        def start(index: int) -> None:
            if self._stop.is_set():
                return
            workflow_id = f"{prefix}-{index}"
            params: dict[str, Any] = {
                "domain": self.config.domain,
                "workflowId": workflow_id,
                "workflowType": {"name": group.workflow_type, "version": group.workflow_version},
                "taskList": {"name": group.task_list},
                "tagList": [self._tag],
            }
            payload = executions.input(index)
            if payload is not None:
                params["input"] = payload
            try:
                response = call(self.client, "StartWorkflowExecution", **params)
            except SWFError as err:
                log.error("cannot start execution %s: %s", workflow_id, err)
                return
            self.started[workflow_id] = response["runId"]

        Pool(_START_CONCURRENCY).map(start, range(executions.count))
        log.info("%d executions of %s started (tag %s)", len(self.started), group.workflow_type, self._tag)

    def _wait_closed(self, timeout: Optional[float], stdout: TextIO) -> None:
        """Return once every started execution closed, on a signal, or after ``timeout`` seconds.

        Prints a progress line every :data:`_PROGRESS_INTERVAL` seconds.
        """
        from swf.exceptions import SWFError

        began = time.monotonic()
        deadline = None if timeout is None else began + timeout
        next_report = began + _PROGRESS_INTERVAL
        while not self._stop.is_set():
            try:
                open_count = self._open_count()
                if open_count == 0:
                    self.closed = self._close_statuses()
                    if set(self.started) <= set(self.closed):
                        return
            except SWFError as err:
                log.warning("cannot check the executions: %s", err)
                open_count = None
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                log.error("executions still open after %s s; stopping", timeout)
                self.closed = self._close_statuses()
                return
            if now >= next_report and open_count is not None:
                status = self.metrics.status() if self.metrics is not None else ""
                print(
                    f"  {now - began:6.1f} s   {len(self.started) - open_count}/{len(self.started)} executions closed; "
                    f"{status}",
                    file=stdout,
                    flush=True,
                )
                next_report = now + _PROGRESS_INTERVAL
            self._stop.wait(_CHECK_INTERVAL)
        self.closed = self._close_statuses()

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
        """Stop warmly: every actor (or child process) at once, running tasks get ``stop_timeout`` seconds."""
        if self.supervisor is not None:
            self.supervisor.stop(self.config.poll_timeout + self.config.stop_timeout + 30)
            return
        timeout = self.config.stop_timeout
        stoppers = [gevent.spawn(actor.stop, timeout) for actor in self.actors]
        gevent.joinall(stoppers)

    def _summary(self, stdout: TextIO, elapsed: float) -> int:
        metrics = self.metrics
        statuses = Counter(self.closed.values())
        started = len(self.started)
        lines = [f"simple-workflow run: {self.config.path} on {'the local endpoint' if self.config.local else 'SWF'}"]
        if self.config.executions is not None:
            requested = self.config.executions.count
            others = ", ".join(f"{n} {s.lower()}" for s, n in sorted(statuses.items()) if s not in ("COMPLETED", "FAILED"))
            lines.append(
                f"  executions     {started}/{requested} started, {statuses['COMPLETED']} completed, "
                f"{statuses['FAILED']} failed, {started - len(self.closed)} still open"
                + (f", {others}" if others else "")
            )
        if metrics is not None:
            tasks = metrics.activity_tasks
            rate = tasks / elapsed if elapsed > 0 else 0.0
            lines.append(f"  activity tasks {tasks} in {elapsed:.1f} s: {rate:.1f} tasks/s")
            p50, p95 = metrics.latency(0.50), metrics.latency(0.95)
            if p50 is not None and p95 is not None:
                lines.append(f"  latency        p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (activity task received to answered)")
            lines.append(
                f"  decision tasks {metrics.counts['decision-task-completed']} completed, "
                f"{metrics.counts['decision-task-failed']} failed"
            )
        if self.supervisor is not None:
            restarts = self.supervisor.restarts
            lines.append(f"  processes      {self.supervisor.count}, {restarts} restart{'' if restarts == 1 else 's'}")
        if self.interrupted:
            lines.append("  interrupted by a signal")
        print("\n".join(lines), file=stdout, flush=True)
        if self.config.executions is None:
            return 0
        ok = started == self.config.executions.count and statuses["COMPLETED"] == started
        return 0 if ok else 1


def _report(line: str, stdout: TextIO) -> None:
    """As a child: send one report line to the parent; once the parent is gone, send nothing more."""
    try:
        print(line, file=stdout, flush=True)
    except BrokenPipeError:  # the parent died: what is left to write goes nowhere
        log.debug("the parent no longer reads reports")
        if stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _register(client: Any, config: Any) -> None:
    """Register the domain and every workflow and activity type the config names, when missing.

    Each registration is sent as is; "already exists" (another process may
    have won the race) leaves the existing one untouched. Sent directly
    rather than through the type models, because an activity's unlimited
    timeout must be registered as SWF's ``"NONE"``, not left unset.
    """
    from swf._convert import duration_to_wire
    from swf.connection import call
    from swf.exceptions import AlreadyExistsError

    def register(operation: str, **params: Any) -> None:
        try:
            call(client, operation, **params)
        except AlreadyExistsError:
            log.debug("%s %s: already registered", operation, params["name"])
        else:
            log.info("%s %s", operation, params["name"])

    register(
        "RegisterDomain",
        name=config.domain,
        workflowExecutionRetentionPeriodInDays="1",
        description="registered by swf_gevent.run",
    )
    for group in config.deciders:
        register(
            "RegisterWorkflowType",
            domain=config.domain,
            name=group.workflow_type,
            version=group.workflow_version,
            defaultTaskList={"name": group.task_list},
            defaultExecutionStartToCloseTimeout=str(group.execution_timeout),
            defaultTaskStartToCloseTimeout=str(group.decision_timeout),
            defaultChildPolicy="TERMINATE",
        )
    for activity_group in config.activities:
        for definition in activity_group.registry:
            params: dict[str, Any] = {
                "domain": config.domain,
                "name": definition.name,
                "version": definition.version,
                "defaultTaskList": {"name": activity_group.task_list},
                "defaultTaskHeartbeatTimeout": duration_to_wire(definition.heartbeat_timeout),
                "defaultTaskScheduleToStartTimeout": duration_to_wire(definition.schedule_to_start_timeout),
                "defaultTaskStartToCloseTimeout": duration_to_wire(definition.start_to_close_timeout),
                "defaultTaskScheduleToCloseTimeout": duration_to_wire(definition.schedule_to_close_timeout),
            }
            if definition.description:
                params["description"] = definition.description
            register("RegisterActivityType", **params)


if __name__ == "__main__":
    sys.exit(main())
