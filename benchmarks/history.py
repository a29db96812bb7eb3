"""Cost of reading a history: typed events and correlated state, in µs per event.

Builds synthetic histories of 1,000 and 25,000 events (SWF's largest) made of
decision rounds that schedule activities, start them and close them, plus
timers, markers and signals. For each size it times, best of N runs:

* ``json.loads`` of the exported document -- the baseline, the cost no reader
  can avoid;
* ``History.from_document`` -- typed events with converted attributes;
* ``history.state`` -- correlation of every activity, timer and marker;
* ``History.to_json`` -- export back to JSON.

Run by hand: ``python benchmarks/history.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from swf.models import History

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _history(size: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(event_type: str, **attrs: Any) -> int:
        event_id = len(events) + 1
        events.append(
            {
                "eventId": event_id,
                "eventType": event_type,
                "eventTimestamp": (T0 + timedelta(seconds=event_id)).timestamp(),
                event_type[0].lower() + event_type[1:] + "EventAttributes": attrs,
            }
        )
        return event_id

    add(
        "WorkflowExecutionStarted",
        childPolicy="TERMINATE",
        taskList={"name": "d"},
        workflowType={"name": "flow", "version": "1"},
        input="x" * 200,
    )
    n = 0
    while len(events) < size:
        scheduled = add("DecisionTaskScheduled", taskList={"name": "d"}, startToCloseTimeout="30")
        started = add("DecisionTaskStarted", scheduledEventId=scheduled)
        completed = add("DecisionTaskCompleted", scheduledEventId=scheduled, startedEventId=started)
        ids = []
        for _ in range(5):
            n += 1
            ids.append(
                add(
                    "ActivityTaskScheduled",
                    activityType={"name": "w", "version": "1"},
                    activityId=f"a{n}",
                    taskList={"name": "w"},
                    decisionTaskCompletedEventId=completed,
                    input="y" * 100,
                    startToCloseTimeout="300",
                    heartbeatTimeout="NONE",
                )
            )
        timer = add("TimerStarted", timerId=f"t{n}", startToFireTimeout="5", decisionTaskCompletedEventId=completed)
        add("MarkerRecorded", markerName="progress", details=str(n), decisionTaskCompletedEventId=completed)
        for s in ids:
            st = add("ActivityTaskStarted", scheduledEventId=s, identity="worker")
            add("ActivityTaskCompleted", scheduledEventId=s, startedEventId=st, result="z" * 100)
        add("TimerFired", timerId=f"t{n}", startedEventId=timer)
        add("WorkflowExecutionSignaled", signalName="tick", input=str(n))
    return events[:size]


def _best(repeat: int, fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure; the best is kept")
    args = parser.parse_args()
    print(f"{'events':>8} {'step':<24} {'µs/event':>10} {'x baseline':>11}")
    for size in (1_000, 25_000):
        text = json.dumps({"events": _history(size)})
        document = json.loads(text)
        history = History.from_document(document)
        baseline = _best(args.repeat, lambda text=text: json.loads(text))
        rows = [
            ("json.loads (baseline)", baseline),
            ("History.from_document", _best(args.repeat, lambda document=document: History.from_document(document))),
            ("history.state", _best(args.repeat, lambda history=history: History(history).state)),
            ("History.to_json", _best(args.repeat, lambda history=history: history.to_json(indent=None))),
        ]
        for name, seconds in rows:
            print(f"{size:>8} {name:<24} {seconds / size * 1e6:>10.2f} {seconds / baseline:>11.1f}")


if __name__ == "__main__":
    main()
