"""The demo decider decides from correlated history, whatever order activities finish in."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from swf.models import DecisionTask, History
from swf.models.events import ExecutionRef, TypeRef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    import text_pipeline

    yield text_pipeline


class _History:
    """Builds a history event by event, ids in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.scheduled: dict[str, int] = {}
        self.add(
            "WorkflowExecutionStarted",
            input='{"file": "mill.txt"}',
            childPolicy="TERMINATE",
            taskList={"name": "pipeline"},
            workflowType={"name": "text-pipeline", "version": "1"},
        )

    def add(self, event_type: str, **attributes: Any) -> int:
        event_id = len(self.events) + 1
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        self.events.append(
            {
                "eventId": event_id,
                "eventType": event_type,
                "eventTimestamp": datetime.now(timezone.utc),
                key: attributes,
            }
        )
        return event_id

    def schedule(self, activity_id: str, name: str, payload: str) -> None:
        self.scheduled[activity_id] = self.add(
            "ActivityTaskScheduled",
            activityType={"name": name, "version": "1"},
            activityId=activity_id,
            input=payload,
            taskList={"name": "text"},
            decisionTaskCompletedEventId=1,
        )

    def complete(self, activity_id: str, result: Any) -> None:
        scheduled = self.scheduled[activity_id]
        started = self.add("ActivityTaskStarted", scheduledEventId=scheduled)
        self.add("ActivityTaskCompleted", scheduledEventId=scheduled, startedEventId=started, result=json.dumps(result))

    def task(self) -> DecisionTask:
        return DecisionTask(
            task_token="token",
            workflow_execution=ExecutionRef("wf", "run"),
            workflow_type=TypeRef("text-pipeline", "1"),
            started_event_id=len(self.events),
            previous_started_event_id=0,
            history=History.from_events(self.events),
        )


def _scheduled(decisions: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    out = []
    for decision in decisions:
        attributes = decision["scheduleActivityTaskDecisionAttributes"]
        out.append((attributes["activityId"], attributes["activityType"]["name"], json.loads(attributes["input"])))
    return out


def test_fan_out_then_merge_in_chunk_order(pipeline: Any) -> None:
    """Counts finishing out of order are merged in chunk order, then the result completes the execution."""
    decider = pipeline.TextPipeline()
    history = _History()
    assert _scheduled(decider.decide(history.task())) == [("split", "split", {"file": "mill.txt"})]

    history.schedule("split", "split", '{"file": "mill.txt"}')
    history.complete("split", {"file": "mill.txt", "chunks": ["a b", "b c", "c d"]})
    fan_out = _scheduled(decider.decide(history.task()))
    assert fan_out == [("count-0", "count", "a b"), ("count-1", "count", "b c"), ("count-2", "count", "c d")]

    for activity_id, _, chunk in fan_out:
        history.schedule(activity_id, "count", json.dumps(chunk))
    history.complete("count-2", {"c": 1, "d": 1})
    assert decider.decide(history.task()) == []  # still waiting for count-0 and count-1
    history.complete("count-0", {"a": 1, "b": 1})
    history.complete("count-1", {"b": 1, "c": 1})
    merge = _scheduled(decider.decide(history.task()))
    assert merge == [
        ("merge", "merge", {"file": "mill.txt", "counts": [{"a": 1, "b": 1}, {"b": 1, "c": 1}, {"c": 1, "d": 1}]})
    ]

    history.schedule("merge", "merge", "{}")
    result = pipeline.merge(merge[0][2])
    assert result == {"file": "mill.txt", "words": 6, "counts": {"a": 1, "b": 2, "c": 2, "d": 1}}
    history.complete("merge", result)
    [complete] = decider.decide(history.task())
    assert complete["decisionType"] == "CompleteWorkflowExecution"
    assert json.loads(complete["completeWorkflowExecutionDecisionAttributes"]["result"]) == result


def test_failed_activity_fails_the_execution(pipeline: Any) -> None:
    """A failed activity fails the execution with the activity id and the reason."""
    history = _History()
    history.schedule("split", "split", "{}")
    started = history.add("ActivityTaskStarted", scheduledEventId=history.scheduled["split"])
    history.add(
        "ActivityTaskFailed",
        scheduledEventId=history.scheduled["split"],
        startedEventId=started,
        reason="FileNotFoundError: gone.txt",
        details="Traceback...",
    )
    [fail] = pipeline.TextPipeline().decide(history.task())
    assert fail["decisionType"] == "FailWorkflowExecution"
    assert fail["failWorkflowExecutionDecisionAttributes"] == {
        "reason": "split: FileNotFoundError: gone.txt",
        "details": "Traceback...",
    }
