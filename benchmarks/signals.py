"""Cost of sending a signal: :func:`swf_gevent.signals.emit` against a bare function call.

Each row times one call shape, the same keyword payload every time (an
activity task and a duration, as a worker sends ``activity-task-completed``),
best of several rounds, and prints nanoseconds per call and the ratio to the
baseline measured in the same run: a call of an empty Python function with
that payload. Rows:

- bare function call (the baseline);
- ``emit`` with no receiver connected (the fast path: the target is under
  1 µs per call);
- ``emit`` with one no-op receiver (ids filled in from the task, receiver
  called under a ``try``);
- ``emit`` with the :class:`~swf_gevent.handlers.MetricsHandler` connected
  (counter and latency histogram updated);
- blinker's own ``Signal.send`` with one no-op receiver, for comparison.

Run by hand from the repository root: ``python benchmarks/signals.py [--calls N]``.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swf.actors import ActivityTask
from swf.models.events import ExecutionRef, TypeRef
from swf_gevent import signals
from swf_gevent.handlers import MetricsHandler

TASK = ActivityTask(
    task_token="token",
    activity_id="a-1",
    started_event_id=5,
    workflow_execution=ExecutionRef("wf-1", "run-1"),
    activity_type=TypeRef("resize", "1"),
)


class _Sender:
    """Stands in for a worker: the domain and task list emit() reads."""

    domain = "bench"
    task_list = "work"


SENDER = _Sender()


def _bare(sender: Any, **payload: Any) -> None:
    return None


def _noop(sender: Any, **payload: Any) -> None:
    return None


def _time(call: Callable[[], object], calls: int, rounds: int) -> float:
    """Nanoseconds per call, best of ``rounds`` runs of ``calls`` calls."""
    return min(timeit.repeat(call, number=calls, repeat=rounds)) / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls per round (default 200,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, the best is kept (default 5)")
    args = parser.parse_args()
    signal = signals.activity_task_completed
    emit = signals.emit
    rows: list[tuple[str, float]] = []

    rows.append(
        (
            "bare function call (baseline)",
            _time(lambda: _bare(SENDER, task=TASK, result=None, duration=0.01), args.calls, args.rounds),
        )
    )

    assert not signal.receivers
    rows.append(
        (
            "emit, no receiver",
            _time(lambda: emit(signal, SENDER, task=TASK, result=None, duration=0.01), args.calls, args.rounds),
        )
    )

    signal.connect(_noop)
    try:
        rows.append(
            (
                "emit, 1 no-op receiver",
                _time(lambda: emit(signal, SENDER, task=TASK, result=None, duration=0.01), args.calls, args.rounds),
            )
        )
        rows.append(
            (
                "blinker send, 1 no-op receiver",
                _time(lambda: signal.send(SENDER, task=TASK, result=None, duration=0.01), args.calls, args.rounds),
            )
        )
    finally:
        signal.disconnect(_noop)

    metrics = MetricsHandler()
    metrics.connect()
    try:
        rows.append(
            (
                "emit, MetricsHandler connected",
                _time(lambda: emit(signal, SENDER, task=TASK, result=None, duration=0.01), args.calls, args.rounds),
            )
        )
    finally:
        metrics.disconnect()

    baseline = rows[0][1]
    print(f"signal emission, {args.calls:,} calls x {args.rounds} rounds (best), Python {sys.version.split()[0]}")
    print(f"{'call':<34} {'ns/call':>9} {'x baseline':>11}")
    for name, ns in rows:
        print(f"{name:<34} {ns:>9.1f} {ns / baseline:>11.2f}")
    fast = rows[1][1]
    print(f"fast path under 1 µs: {'yes' if fast < 1000 else 'NO'} ({fast:.0f} ns)")


if __name__ == "__main__":
    main()
