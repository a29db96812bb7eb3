"""Stock signal handlers: metrics for the runner's summary, and log lines.

A handler is a class built without arguments with ``connect()`` and
``disconnect()``; the runner builds those named in the config's
``[handlers]`` section by dotted path and connects them for the life of
the fleet. Handlers hold strong references to their receivers, so they
stay connected as long as the handler object lives.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from typing import Any, Callable, Optional, Sequence

from blinker import NamedSignal

from swf_gevent import signals

__all__ = ["LoggingHandler", "MetricsHandler", "SignalHandler", "percentile"]

log = logging.getLogger(__name__)

_ALL_SIGNALS: tuple[NamedSignal, ...] = (
    signals.actor_started,
    signals.actor_stopped,
    signals.poll_failed,
    signals.decision_task_received,
    signals.decision_task_completed,
    signals.decision_task_failed,
    signals.activity_task_received,
    signals.activity_task_completed,
    signals.activity_task_failed,
    signals.activity_task_canceled,
    signals.heartbeat_sent,
)


def percentile(values: Sequence[float], fraction: float) -> Optional[float]:
    """The nearest-rank percentile of ``values`` (``fraction`` 0.5 for p50); ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


class SignalHandler:
    """Base of handlers: connects :meth:`receive` to every signal it lists.

    Subclasses set :attr:`signals` and override :meth:`receive`.
    """

    #: The signals this handler receives.
    signals: tuple[NamedSignal, ...] = _ALL_SIGNALS

    def __init__(self) -> None:
        self._receivers: list[tuple[NamedSignal, Callable[..., None]]] = []

    def connect(self) -> None:
        """Start receiving; connecting twice is harmless."""
        if self._receivers:
            return
        for signal in self.signals:
            receiver = self._receiver_for(signal.name)
            signal.connect(receiver, weak=False)
            self._receivers.append((signal, receiver))

    def disconnect(self) -> None:
        """Stop receiving."""
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


class MetricsHandler(SignalHandler):
    """Counts every signal and keeps activity task latencies.

    Latency is the time from receiving an activity task to SWF accepting its
    answer (the ``duration`` payload), in seconds.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.activity_latencies: list[float] = []

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        with self._lock:
            self.counts[name] += 1
            if name in ("activity-task-completed", "activity-task-failed", "activity-task-canceled"):
                self.activity_latencies.append(float(payload.get("duration", 0.0)))

    @property
    def activity_tasks(self) -> int:
        """Activity tasks answered (completed, failed or canceled)."""
        return len(self.activity_latencies)

    def latency(self, fraction: float) -> Optional[float]:
        """The activity task latency percentile in seconds (``0.95`` for p95), ``None`` before any."""
        with self._lock:
            return percentile(self.activity_latencies, fraction)

    def histogram(self, bounds: Sequence[float] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)) -> list[tuple[float, int]]:
        """Activity task latencies bucketed: ``[(upper bound in s, count), ..., (inf, count)]``."""
        edges = list(bounds) + [math.inf]
        counts = [0] * len(edges)
        with self._lock:
            for value in self.activity_latencies:
                for i, edge in enumerate(edges):
                    if value <= edge:
                        counts[i] += 1
                        break
        return list(zip(edges, counts))


class LoggingHandler(SignalHandler):
    """Logs each signal on ``swf_gevent.handlers`` with SWF ids.

    Task receipts, heartbeats and actor lifecycle at DEBUG; answers at INFO;
    failures at WARNING. Never logs task tokens, inputs or results.
    """

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        task = payload.get("task")
        ids = _task_ids(task) if task is not None else repr(sender)
        if name in ("activity-task-failed", "decision-task-failed", "poll-failed"):
            cause = payload.get("reason") or payload.get("error")
            log.warning("%s %s: %s", name, ids, str(cause)[:256])
        elif name in ("activity-task-completed", "activity-task-canceled", "decision-task-completed"):
            log.info("%s %s in %.3f s", name, ids, payload.get("duration", 0.0))
        else:
            log.debug("%s %s", name, ids)


def _task_ids(task: Any) -> str:
    """``workflow <id> run <id> activity <id>`` for a task value, without secrets."""
    execution = task.workflow_execution
    text = f"workflow {execution.workflow_id} run {execution.run_id}"
    activity_id = getattr(task, "activity_id", None)
    if activity_id is not None:
        text += f" activity {activity_id}"
    return text
