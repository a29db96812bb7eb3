"""Stock signal handlers: in-memory metrics for the runner, and log lines.

A handler is an object with ``connect()`` and ``disconnect()``; the runner
builds those its config's ``[handlers]`` section names (each a factory
called without arguments: a class, or a class with its settings bound) and
connects them for the life of the fleet. Handlers hold strong references to
their receivers, so they stay connected as long as the handler object
lives. Receivers run in the greenlet that sends the signal: they only count
and format, never block.

Two more handlers export the same signals to monitoring systems, each an
optional extra: :class:`swf_gevent.prometheus.PrometheusHandler`
(``pip install 'simple-workflow[prometheus]'``) and
:class:`swf_gevent.statsd.StatsdHandler` (``[statsd]``).
"""

from __future__ import annotations

import bisect
import logging
import math
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

from blinker import NamedSignal
from gevent import monkey

from swf_gevent import signals

__all__ = [
    "ACTIVITY_ANSWERS",
    "COUNTER_NAMES",
    "DECISION_ANSWERS",
    "DEFAULT_BUCKETS",
    "DURATIONS",
    "LatencyHistogram",
    "LoggingHandler",
    "MetricsHandler",
    "SignalCounts",
    "SignalHandler",
    "catalogue",
    "counter_name",
    "percentile",
]

log = logging.getLogger(__name__)

#: Upper bounds (seconds) of the latency buckets, shared by the stock handlers.
DEFAULT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

#: The name of each signal's counter in the exporting handlers, without
#: prefix or suffix: Prometheus' ``swf_activity_tasks_completed_total``,
#: statsd's ``swf.activity_tasks_completed`` (from :data:`swf_gevent.signals.CATALOGUE`).
COUNTER_NAMES: dict[str, str] = {spec.name: spec.counter for spec in signals.CATALOGUE.values()}

#: Signals carrying a ``duration`` the exporting handlers observe: (histogram
#: or timer name without prefix or unit, outcome or ``None``).
DURATIONS: dict[str, tuple[str, str | None]] = {
    spec.name: (spec.duration, spec.outcome) for spec in signals.CATALOGUE.values() if spec.duration is not None
}


def counter_name(signal_name: str) -> str:
    """The counter name of a signal, without prefix or suffix (see :data:`COUNTER_NAMES`).

    A signal outside the catalogue is named after itself (``"my-signal"`` -> ``"my_signal"``).
    """
    return COUNTER_NAMES.get(signal_name) or signal_name.replace("-", "_")


#: Signals whose ``duration`` payload is the latency of an answered activity task.
ACTIVITY_ANSWERS = tuple(spec.name for spec in signals.CATALOGUE.values() if spec.answers == "activity")
#: Signals whose ``duration`` payload is the latency of a handled decision task.
DECISION_ANSWERS = tuple(spec.name for spec in signals.CATALOGUE.values() if spec.answers == "decision")

# A lock of the OS, not gevent's: receivers may run in a thread of gevent's
# pool, and nothing yields while it is held.
_allocate_lock: Callable[[], Any] = monkey.get_original("_thread", "allocate_lock")


def catalogue() -> tuple[NamedSignal, ...]:
    """Every signal of :mod:`swf_gevent.signals`, in the order declared."""
    return tuple(signals.signals.values())


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``values`` (``fraction`` 0.5 for p50); ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


class SignalHandler:
    """Base of handlers: connects :meth:`receive` to every signal it lists.

    Subclasses set :attr:`signals` (default: the whole catalogue) and
    override :meth:`receive`.
    """

    #: The signals this handler receives; ``None`` for every signal of the catalogue.
    signals: tuple[NamedSignal, ...] | None = None

    def __init__(self) -> None:
        self._receivers: list[tuple[NamedSignal, Callable[..., None]]] = []

    def connect(self) -> None:
        """Start receiving; connecting twice is harmless."""
        if self._receivers:
            return
        for signal in self.signals if self.signals is not None else catalogue():
            receiver = self._receiver_for(signal.name)
            signal.connect(receiver, weak=False)
            self._receivers.append((signal, receiver))

    def disconnect(self) -> None:
        """Stop receiving; harmless when not connected."""
        for signal, receiver in self._receivers:
            signal.disconnect(receiver)
        self._receivers.clear()

    def _receiver_for(self, name: str) -> Callable[..., None]:
        def receiver(sender: Any, **payload: Any) -> None:
            self.receive(name, sender, payload)

        return receiver

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        """Called for each signal: its name (``"activity-task-completed"``), sender and payload."""
        raise NotImplementedError


class LatencyHistogram:
    """Durations in seconds: their count and sum, counts per bucket, and the latest for percentiles.

    :param bounds: the buckets' upper bounds in seconds, increasing; a last
        bucket with no bound catches the rest.
    :param window: how many of the latest durations :meth:`percentile` looks at.
    :raises ValueError: ``bounds`` empty or not increasing, ``window`` below 1.
    """

    def __init__(self, bounds: Sequence[float] = DEFAULT_BUCKETS, window: int = 10_000) -> None:
        bounds = tuple(float(b) for b in bounds)
        if not bounds or any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(f"bounds must be increasing numbers of seconds, got {bounds!r}")
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window!r}")
        self.bounds = bounds
        self.count = 0
        self.sum = 0.0
        self._buckets = [0] * (len(bounds) + 1)
        self._latest: deque[float] = deque(maxlen=window)
        self._lock = _allocate_lock()

    def observe(self, seconds: float) -> None:
        """Add one duration, in seconds."""
        with self._lock:
            self.count += 1
            self.sum += seconds
            self._buckets[bisect.bisect_left(self.bounds, seconds)] += 1
            self._latest.append(seconds)

    def buckets(self) -> list[tuple[float, int]]:
        """``[(upper bound in s, durations in that bucket), ..., (inf, the rest)]``, not cumulative."""
        with self._lock:
            return list(zip(self.bounds + (math.inf,), self._buckets, strict=True))

    def percentile(self, fraction: float) -> float | None:
        """The nearest-rank percentile in seconds of the latest ``window`` durations; ``None`` before any."""
        with self._lock:
            latest = list(self._latest)
        return percentile(latest, fraction)


class SignalCounts(Counter[str]):
    """How many times each signal was received: ``counts.decision_task_failed``.

    An attribute is a signal of :data:`swf_gevent.signals.CATALOGUE` by its
    module name (``decision_task_failed`` for ``"decision-task-failed"``);
    a name that is no signal raises :class:`AttributeError`. It is also a
    :class:`collections.Counter` by signal name (``counts["decision-task-failed"]``),
    0 for a signal not received.
    """

    def __getattr__(self, attribute: str) -> int:
        name = attribute.replace("_", "-")
        if attribute.startswith("_") or name not in signals.CATALOGUE:
            raise AttributeError(f"{type(self).__name__} has no signal {attribute!r}")
        return self[name]


class MetricsHandler(SignalHandler):
    """Counts every signal and keeps activity and decision task latencies.

    An activity task's latency is the time from receiving it to SWF accepting
    its answer (the ``duration`` of ``activity-task-completed``, ``-failed``
    and ``-canceled``); a decision task's, from receiving it to answering or
    giving up (``decision-task-completed`` and ``-failed``). The runner's
    summary and its status line read this handler.

    :param bounds: the latency buckets' upper bounds in seconds.
    :param window: how many of the latest latencies the percentiles look at.
    """

    def __init__(self, bounds: Sequence[float] = DEFAULT_BUCKETS, window: int = 10_000) -> None:
        super().__init__()
        self._lock = _allocate_lock()
        #: Signals received: ``counts.activity_task_completed`` (also
        #: ``counts["activity-task-completed"]``, the signal's name).
        self.counts = SignalCounts()
        #: Activity task latencies.
        self.activity_latency = LatencyHistogram(bounds, window)
        #: Decision task latencies.
        self.decision_latency = LatencyHistogram(bounds, window)
        self._pollers: dict[int, int] = {}  # id of the sending actor -> its pollers, from pollers-changed

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        with self._lock:
            self.counts[name] += 1
            if name == signals.pollers_changed.name:
                self._pollers[id(sender)] = int(payload.get("pollers", 0))
            elif name == signals.actor_stopped.name:
                self._pollers.pop(id(sender), None)
        if name in ACTIVITY_ANSWERS:
            self.activity_latency.observe(float(payload.get("duration", 0.0)))
        elif name in DECISION_ANSWERS:
            self.decision_latency.observe(float(payload.get("duration", 0.0)))

    def count(self, signal: NamedSignal) -> int:
        """How many times ``signal`` was received (``count(signals.decision_task_failed)``)."""
        with self._lock:
            return self.counts[signal.name]

    def snapshot(self) -> SignalCounts:
        """A copy of :attr:`counts` taken at once, which later signals do not change."""
        with self._lock:
            return SignalCounts(self.counts)

    @property
    def pollers(self) -> int:
        """The pollers of the actors not stopped, summed (from the latest ``pollers-changed`` of each)."""
        with self._lock:
            return sum(self._pollers.values())

    @property
    def activity_tasks(self) -> int:
        """Activity tasks answered (completed, failed or canceled)."""
        return self.activity_latency.count

    @property
    def decision_tasks(self) -> int:
        """Decision tasks handled (answered, or failed and left to time out)."""
        return self.decision_latency.count

    def latency(self, fraction: float) -> float | None:
        """The activity task latency percentile in seconds (``0.95`` for p95), ``None`` before any."""
        return self.activity_latency.percentile(fraction)

    def histogram(self) -> list[tuple[float, int]]:
        """Activity task latencies bucketed: ``[(upper bound in s, count), ..., (inf, count)]``."""
        return self.activity_latency.buckets()

    def status(self) -> str:
        """One line for a live display: tasks answered, failures, latencies, pollers, retries, crashes.

        ``"activity tasks 120 (3 failed, 0 canceled, p50 12.0 ms, p95 40.1 ms);
        decision tasks 60 (0 failed); 4 pollers; 2 calls retried; 0 actors crashed"``
        """
        counts = self.snapshot()
        text = (
            f"activity tasks {self.activity_tasks} ({counts.activity_task_failed} failed, "
            f"{counts.activity_task_canceled} canceled"
        )
        p50, p95 = self.latency(0.5), self.latency(0.95)
        if p50 is not None and p95 is not None:
            text += f", p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        return (
            f"{text}); decision tasks {self.decision_tasks} ({counts.decision_task_failed} failed); "
            f"{self.pollers} pollers; {counts.call_retried} calls retried; {counts.actor_crashed} actors crashed"
        )


class LoggingHandler(SignalHandler):
    """Logs each signal on ``swf_gevent.handlers`` with its SWF ids.

    Each signal at its catalogue level (:attr:`swf_gevent.signals.SignalSpec.level`):
    failures, crashes and a blocked hub at WARNING; answers and retries at
    INFO; task receipts, heartbeats, empty polls and the rest of the
    lifecycle at DEBUG. Never logs task tokens, inputs or results.

    :param level: when given (``"INFO"`` or ``logging.INFO``), the least
        level of the lines written: :meth:`connect` sets the
        ``swf_gevent.handlers`` logger to it, :meth:`disconnect` restores it.
        ``None`` leaves the logger as the application configured it.
    :raises ValueError: an unknown level name.
    """

    def __init__(self, level: int | str | None = None) -> None:
        super().__init__()
        if isinstance(level, str):
            number = logging.getLevelName(level.strip().upper())
            if not isinstance(number, int):
                raise ValueError(f"level must be a logging level name such as 'INFO', got {level!r}")
            level = number
        self.level = level
        self._previous_level: int | None = None

    def connect(self) -> None:
        if self.level is not None and not self._receivers:
            self._previous_level = log.level
            log.setLevel(self.level)
        super().connect()

    def disconnect(self) -> None:
        if self._receivers and self._previous_level is not None:
            log.setLevel(self._previous_level)
            self._previous_level = None
        super().disconnect()

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        spec = signals.CATALOGUE.get(name)
        level = spec.level if spec is not None else logging.DEBUG
        if not log.isEnabledFor(level):
            return
        if name == "hub-blocked":
            log.log(
                level, "%s: %s held the hub for %.3f s", name, payload.get("greenlet"), payload.get("duration", 0.0)
            )
            return
        ids = _ids(sender, payload)
        if level >= logging.WARNING:
            cause = payload.get("reason") or payload.get("error")
            if cause is None and "duration" in payload:
                cause = f"after {payload['duration']:.3f} s"
            log.log(level, "%s %s: %s", name, ids, str(cause)[:256])
        elif name == "call-retried":
            log.log(
                level,
                "%s %s attempt %s: %s; retrying in %.3f s",
                name,
                payload.get("operation"),
                payload.get("attempt"),
                type(payload.get("error")).__name__,
                payload.get("delay", 0.0),
            )
        elif "duration" in payload:
            log.log(level, "%s %s in %.3f s", name, ids, payload["duration"])
        else:
            log.log(level, "%s %s", name, ids)


def _ids(sender: Any, payload: dict[str, Any]) -> str:
    """``workflow <id> run <id> activity <id>`` from a payload, else its task list; no secrets."""
    if "workflow_id" in payload or "task" in payload:
        task = payload.get("task")
        execution = getattr(task, "workflow_execution", None)
        workflow_id = payload.get("workflow_id", getattr(execution, "workflow_id", None))
        run_id = payload.get("run_id", getattr(execution, "run_id", None))
        text = f"workflow {workflow_id} run {run_id}"
        activity_id = payload.get("activity_id", getattr(task, "activity_id", None))
        if activity_id is not None:
            text += f" activity {activity_id}"
        return text
    if "task_list" in payload:
        return f"domain {payload.get('domain')} task list {payload['task_list']}"
    return repr(sender)
