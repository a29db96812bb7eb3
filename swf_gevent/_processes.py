"""The runner's worker processes: started, supervised, stopped, their counts added up.

With ``[swf] processes = N`` (or ``--processes N``), ``python -m
swf_gevent.run`` becomes a parent that polls nothing itself. It starts N
children, each ``python -m swf_gevent.run config.ini --child``: its own
process, gevent hub, boto3 client and greenlet actors, all talking to the
same endpoint (with ``endpoint_url = local``, the parent's one embedded
endpoint, whose URL the child gets with ``--local-endpoint``).

The parent's side is :class:`ProcessFleet`, with the interface of
:class:`swf_gevent._fleet.Fleet`; the child's is :func:`run_child`.

Protocol between the two, one way, on the child's standard output: one
JSON object per line, at most one per :data:`REPORT_INTERVAL` and only
when something happened, and a last one when the child stops. Each holds
what happened since the previous line (:class:`ChildReporter`):
``{"counts": {signal name: n}, "activity": [s, ...], "decision": [s, ...]}``,
the latencies in seconds of the activity and decision tasks answered. The
parent feeds every line into one :class:`swf_gevent.handlers.MetricsHandler`
(:func:`add_report`), so its progress lines and summary read the same
metrics as a single process's. The child's standard error is the parent's:
its logs go there.

Supervision (:class:`ProcessSupervisor`): a child that exits with status 0
stopped cleanly and is not restarted; any other end (a crash, a signal
such as SIGKILL) restarts it after a backoff of 1 s doubling up to 30 s,
back to 1 s once a child ran for a minute. When every child ended cleanly
the supervisor is done, and so is the parent. :meth:`ProcessSupervisor.stop`
sends SIGTERM to every child (each stops warmly: polls under way return,
running tasks get ``stop_timeout`` seconds, then are failed back), waits,
and SIGKILLs what is still alive after its ``timeout``. Once every
execution the parent started has closed, it sends SIGUSR1 instead: the
child stops as on SIGTERM, but kills its actors running no task in their
parked polls rather than waiting them out;
:meth:`ProcessSupervisor.hurry` sends a second SIGTERM, which stops a child
at once. Each child runs in its own session, so a Ctrl-C at the terminal
reaches the parent only. A child whose parent died stops itself.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import gevent
from gevent import monkey
from gevent.event import Event

from swf_gevent._config import Config
from swf_gevent._connect import connect
from swf_gevent._fleet import EndpointLost, Fleet, FleetState, StopRequests
from swf_gevent.handlers import ACTIVITY_ANSWERS, DECISION_ANSWERS, MetricsHandler, SignalHandler

__all__ = [
    "REPORT_INTERVAL",
    "ChildReporter",
    "ENDPOINT_LOST",
    "ProcessFleet",
    "ProcessSupervisor",
    "add_report",
    "parent_gone",
    "run_child",
]

log = logging.getLogger(__name__)

#: Seconds between a child's report lines (sent only when something happened).
REPORT_INTERVAL = 1.0
#: A child's exit status once its endpoint no longer knows the domain: the parent ends the run.
ENDPOINT_LOST = 3
#: Seconds a child gets to stop beyond its poll's hold and its tasks' ``stop_timeout``, before SIGKILL.
_CHILD_STOP_MARGIN = 30.0
_BACKOFF_FIRST = 1.0  # seconds before the first restart
_BACKOFF_MAX = 30.0  # seconds, the longest pause before a restart
_BACKOFF_RESET = 60.0  # seconds a child must run for the backoff to start over
# A lock of the OS, not gevent's: nothing yields while it is held.
_allocate_lock: Callable[[], Any] = monkey.get_original("_thread", "allocate_lock")


class ChildReporter(SignalHandler):
    """In a child: gathers every signal's count and the task latencies until the next report line."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = _allocate_lock()  # receivers may run in a thread of gevent's pool
        self._counts: Counter[str] = Counter()
        self._activity: list[float] = []
        self._decision: list[float] = []

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        with self._lock:
            self._counts[name] += 1
            if name in ACTIVITY_ANSWERS:
                self._activity.append(float(payload.get("duration", 0.0)))
            elif name in DECISION_ANSWERS:
                self._decision.append(float(payload.get("duration", 0.0)))

    def line(self) -> str | None:
        """What happened since the last call, as one JSON line (no newline); ``None`` when nothing did."""
        with self._lock:
            if not self._counts:
                return None
            counts, self._counts = self._counts, Counter()
            activity, self._activity = self._activity, []
            decision, self._decision = self._decision, []
        report = {
            "counts": dict(counts),
            "activity": [round(value, 6) for value in activity],
            "decision": [round(value, 6) for value in decision],
        }
        return json.dumps(report, separators=(",", ":"))


def add_report(metrics: MetricsHandler, line: str) -> None:
    """Add one report line of a child to ``metrics``; a line that is not a report is logged and dropped.

    :param metrics: the parent's metrics, connected to no signal.
    :param line: one line of a child's standard output.
    """
    try:
        report = json.loads(line)
        counts = {str(name): int(n) for name, n in report["counts"].items()}
        activity = [float(value) for value in report.get("activity", ())]
        decision = [float(value) for value in report.get("decision", ())]
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("a child printed something that is not a report: %.200s", line)
        return
    metrics.counts.update(counts)
    for value in activity:
        metrics.activity_latency.observe(value)
    for value in decision:
        metrics.decision_latency.observe(value)


class ProcessSupervisor:
    """Runs ``count`` copies of a command, restarts those that fail, stops them all on demand.

    :param command: the child's argv (``[sys.executable, "-m", ...]``).
    :param count: how many children (at least 1).
    :param on_line: called with each line a child prints.
    """

    def __init__(
        self,
        command: Sequence[str],
        count: int,
        on_line: Callable[[str], None],
    ) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        self.command = list(command)
        self.count = count
        self.restarts = 0
        #: Why the last child that exited :data:`ENDPOINT_LOST` did so, or ``None``.
        self.endpoint_lost: str | None = None
        self.done = Event()  # set once every child ended cleanly, or after stop()
        self._on_line = on_line
        self._stopping = Event()
        self._stop_signal: int = signal.SIGTERM  # what stop() sends, also to a child started as it ran
        self._children: dict[int, subprocess.Popen[str]] = {}  # slot -> running child
        self._watchers: list[gevent.Greenlet] = []

    def start(self) -> None:
        """Start every child (returns at once; each is watched by a greenlet)."""
        self._watchers = [gevent.spawn(self._watch, slot) for slot in range(self.count)]
        gevent.spawn(self._all_ended)

    def stop(self, timeout: float, signum: int = signal.SIGTERM) -> None:
        """Signal every child, wait for them, SIGKILL those alive after ``timeout`` seconds.

        :param timeout: seconds the children get to stop warmly, all together.
        :param signum: the signal asking them to stop: SIGTERM, or SIGUSR1
            once the work is done (a child then kills its idle actors in their
            parked polls instead of waiting them out).
        """
        self._stop_signal = signum
        self._stopping.set()
        for slot, child in list(self._children.items()):
            _send(child, signum, slot)
        gevent.joinall(self._watchers, timeout=timeout)
        for slot, child in list(self._children.items()):
            log.error("process %d (pid %d) still running after %.0f s: killing it", slot + 1, child.pid, timeout)
            _send(child, signal.SIGKILL, slot)
        gevent.joinall(self._watchers)
        self.done.set()

    def hurry(self) -> None:
        """During :meth:`stop`: SIGTERM every child again, so each stops at once (its cold path)."""
        for slot, child in list(self._children.items()):
            _send(child, signal.SIGTERM, slot)

    def _all_ended(self) -> None:
        gevent.joinall(self._watchers)
        self.done.set()

    def _watch(self, slot: int) -> None:
        """Run slot ``slot``'s child until it ends cleanly or a stop, restarting it after failures."""
        backoff = _BACKOFF_FIRST
        while not self._stopping.is_set():
            began = time.monotonic()
            try:
                # Its own session: a Ctrl-C at the terminal reaches the parent only,
                # which stops the children with one SIGTERM each (a second is the cold path).
                child = subprocess.Popen(
                    self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, start_new_session=True
                )
            except OSError as err:
                log.error("cannot start process %d: %s", slot + 1, err)
                status: int | None = None
            else:
                self._children[slot] = child
                log.info("process %d started (pid %d)", slot + 1, child.pid)
                if self._stopping.is_set():  # stop() ran while this child was being started: it missed the signal
                    _send(child, self._stop_signal, slot)
                try:
                    assert child.stdout is not None
                    for line in child.stdout:
                        if line.strip():
                            self._on_line(line)
                    status = child.wait()
                finally:
                    self._children.pop(slot, None)
                if status == 0:
                    log.info("process %d (pid %d) stopped", slot + 1, child.pid)
                    return
                if status == ENDPOINT_LOST:
                    log.error("process %d (pid %d): the endpoint no longer knows the domain", slot + 1, child.pid)
                    self.endpoint_lost = "every poll of a worker process was answered UnknownResourceFault"
                    return
            if self._stopping.is_set():
                log.warning("process %d ended with status %s while stopping", slot + 1, status)
                return
            if time.monotonic() - began >= _BACKOFF_RESET:
                backoff = _BACKOFF_FIRST
            log.warning("process %d ended with status %s; restarting it in %.1f s", slot + 1, status, backoff)
            self.restarts += 1
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, _BACKOFF_MAX)


def _send(child: subprocess.Popen[str], signum: int, slot: int) -> None:
    try:
        child.send_signal(signum)
    except ProcessLookupError:
        pass
    else:
        log.debug("sent %s to process %d (pid %d)", signal.Signals(signum).name, slot + 1, child.pid)


def parent_gone(parent_pid: int) -> bool:
    """Whether the process that started this one has ended (this one was re-parented)."""
    return os.getppid() != parent_pid


class ProcessFleet:
    """The parent's fleet: ``config.processes`` children, each running every group of the config.

    The interface of :class:`swf_gevent._fleet.Fleet`: :attr:`metrics` adds
    up the children's reports; :meth:`wait` returns once every child ended.

    :param config: the checked config.
    :param local_endpoint: with ``endpoint_url = local``, the URL of the
        parent's embedded endpoint, which the children share.
    """

    def __init__(self, config: Config, local_endpoint: str | None = None) -> None:
        self.config = config
        command = [sys.executable, "-m", "swf_gevent.run", os.path.abspath(config.path), "--child"]
        if local_endpoint is not None:
            command += ["--local-endpoint", local_endpoint]
        #: The children's counts and latencies, fed by their reports (connected to no signal).
        self.metrics = MetricsHandler()
        self.supervisor = ProcessSupervisor(
            command, config.processes, on_line=functools.partial(add_report, self.metrics)
        )
        #: The handlers served here: ``[handlers] prometheus``, summed over the children.
        self.handlers: list[Any] = []
        self._state = FleetState.NEW

    @property
    def state(self) -> FleetState:
        """The lifecycle state."""
        return self._state

    @property
    def processes(self) -> tuple[int, int]:
        """``(worker processes, restarts so far)``."""
        return self.supervisor.count, self.supervisor.restarts

    def start(self) -> None:
        """Serve ``[handlers] prometheus`` here (summed over the children), start the children.

        :raises RuntimeError: started or stopped already.
        """
        if self._state is not FleetState.NEW:
            raise RuntimeError(f"the process fleet cannot start: it is {self._state.value}")
        self._state = FleetState.STARTED
        for key, factory in self.config.handlers:
            if key == "prometheus":  # the children inherit its directory
                handler = factory()
                self.handlers.append(handler)
                handler.serve_children()
        self.supervisor.start()
        log.info("%d processes starting, domain %s", self.config.processes, self.config.domain)

    def stop(self, timeout: float | None = None, *, idle: bool = False) -> None:
        """Stop every child warmly (SIGTERM; SIGUSR1 when ``idle``), SIGKILL those still alive after a while.

        :param timeout: seconds each child's running tasks get (its
            ``stop_timeout``); a child still alive after its poll's hold,
            that and 30 s more is killed.
        :param idle: the work is done: the children kill their actors that
            run no task in their parked polls.
        """
        if self._state is FleetState.NEW:
            self._state = FleetState.STOPPED
            return
        if self._state is not FleetState.STARTED:
            self.supervisor.done.wait()
            return
        self._state = FleetState.STOPPING
        grace = self.config.poll_timeout + (timeout or 0.0) + _CHILD_STOP_MARGIN
        self.supervisor.stop(grace, signal.SIGUSR1 if idle else signal.SIGTERM)
        for handler in self.handlers:
            try:
                handler.disconnect()
            except Exception:  # one failing handler must not keep the others from stopping
                log.exception("error while disconnecting %r", handler)
        self._state = FleetState.STOPPED

    def kill(self) -> None:
        """Ask every child to stop at once (a second SIGTERM: its cold path)."""
        self.supervisor.hurry()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every child ended, or ``timeout`` seconds; whether they all ended."""
        return bool(self.supervisor.done.wait(timeout))

    def check(self) -> None:
        """Raise once a child ended because its endpoint no longer knows the domain.

        :raises swf_gevent._fleet.EndpointLost: naming the domain.
        """
        if self.supervisor.endpoint_lost is not None:
            raise EndpointLost(
                f"domain {self.config.domain!r} unknown to the endpoint: {self.supervisor.endpoint_lost} for "
                f"{self.config.unknown_domain_timeout:g} s (an endpoint restarted empty?); stopping"
            )


def run_child(config: Config, local_endpoint: str | None, stdout: TextIO) -> int:
    """Run as a parent's worker process: every group's actors, reporting counts on ``stdout``, until a stop.

    Stops warmly on SIGTERM or SIGINT (a second stops at once), on SIGUSR1
    (the work is done: idle actors are killed in their parked polls), or
    once the parent is gone. Writes a last report of the stop.

    :param local_endpoint: with ``endpoint_url = local``, the parent's endpoint URL.
    :returns: 0, or :data:`ENDPOINT_LOST` once every poll was answered
        ``UnknownResourceFault`` for ``unknown_domain_timeout`` seconds.
    """
    client = connect(config, local_endpoint)
    reporter = ChildReporter()
    fleet = Fleet(config, client, [reporter])
    stop = Event()
    idle = False
    parent = os.getppid()
    status = 0

    def on_done() -> None:
        nonlocal idle
        log.info("the parent's executions all closed: stopping")
        idle = True
        stop.set()

    done_handle = gevent.signal_handler(signal.SIGUSR1, on_done)
    try:
        with StopRequests(lambda name: stop.set(), lambda name: fleet.kill()):
            try:
                fleet.start()
                while not stop.wait(REPORT_INTERVAL):
                    if parent_gone(parent):
                        log.warning("the parent process %d is gone: stopping", parent)
                        break
                    _report(reporter.line(), stdout)
                    fleet.check()
            except EndpointLost as err:
                log.error("%s", err)
                status = ENDPOINT_LOST
            finally:
                fleet.stop(config.stop_timeout, idle=idle)
    finally:
        done_handle.cancel()
    _report(reporter.line(), stdout)  # what happened during the stop
    return status


def _report(line: str | None, stdout: TextIO) -> None:
    """Send one report line to the parent; once the parent is gone, send nothing more."""
    if line is None:
        return
    try:
        print(line, file=stdout, flush=True)
    except BrokenPipeError:  # the parent died: what is left to write goes nowhere
        log.debug("the parent no longer reads reports")
        if stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
