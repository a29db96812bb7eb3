"""History, typed events, decision tasks and correlated state, from event dicts."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.session
import gevent
import pytest

from swf.connection import call
from swf.exceptions import ValidationError
from swf.models import DecisionTask, ExecutionRef, GenericEvent, History, TypeRef
from swf.models import decisions as dec
from swf.models import events as ev
from swf.models.history_state import (
    ChildWorkflowStatus,
    ExecutionStatus,
    RequestStatus,
    TaskStatus,
    TimerStatus,
)
from tests.swf._history_events import T0, HistoryBuilder, LocalFlow

SERVICE = botocore.session.get_session().get_service_model("swf")


# -- typed events -------------------------------------------------------------


def _sample(name: str, shape: Any) -> Any:
    """A plausible wire value for one member of an event's attributes."""
    if name.endswith("EventId"):
        return 7
    if name.endswith("Timeout"):
        return "45"
    if name == "taskPriority":
        return "3"
    if shape.type_name == "structure":
        return {m: _sample(m, s) for m, s in shape.members.items()}
    if shape.type_name == "list":
        return ["t1", "t2"]
    if shape.enum:
        return shape.enum[0]
    return f"{name}-value"


def _every_event_type() -> list[str]:
    return list(SERVICE.shape_for("EventType").enum)


def test_every_service_model_event_type_has_a_class() -> None:
    """Each member of botocore's HistoryEvent shape maps to a typed event class of that name."""
    members = [m for m in SERVICE.shape_for("HistoryEvent").members if m.endswith("EventAttributes")]
    names = {m[0].upper() + m[1 : -len("EventAttributes")] for m in members}
    assert len(names) == 54
    assert set(ev.EVENT_CLASSES) == names
    assert all(cls.__name__ == name for name, cls in ev.EVENT_CLASSES.items())


@pytest.mark.parametrize("event_type", _every_event_type())
def test_each_event_type_converts_its_attributes(event_type: str) -> None:
    """Every event type parses into its class: ids int, durations timedelta, time aware, type on the instance."""
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    shape = SERVICE.shape_for("HistoryEvent").members[key]
    attributes = {m: _sample(m, s) for m, s in shape.members.items()}
    event = ev.event_from_wire(
        {"eventId": "12", "eventType": event_type, "eventTimestamp": 1714564800.25, key: attributes}
    )
    assert type(event) is ev.EVENT_CLASSES[event_type]
    assert event.event_type == event_type
    assert event.event_id == 12
    assert event.timestamp == datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=timezone.utc)
    for member in shape.members:
        value = getattr(event, ev._snake(member))
        if member.endswith("EventId"):
            assert value == 7
        elif member.endswith("Timeout"):
            assert value == timedelta(seconds=45)
        elif member in ("workflowType", "activityType"):
            assert value == TypeRef("name-value", "version-value")
        elif member.endswith("orkflowExecution"):
            assert value == ExecutionRef("workflowId-value", "runId-value")
        elif member == "taskList":
            assert value == "name-value"
        elif member == "taskPriority":
            assert value == 3
        elif member == "tagList":
            assert value == ("t1", "t2")
        else:
            assert value == attributes[member]
    assert event.to_wire()[key] == attributes


def test_none_duration_and_absent_members() -> None:
    """ "NONE" and an absent optional duration both read as None; optional strings default to None."""
    builder = HistoryBuilder(workflow_input=None)
    builder.complete_decision()
    builder.schedule_activity("a")
    event = History.from_events(builder.events)[-1]
    assert isinstance(event, ev.ActivityTaskScheduled)
    assert event.schedule_to_close_timeout is None
    assert event.heartbeat_timeout is None
    assert event.schedule_to_start_timeout == timedelta(seconds=60)
    assert event.input is None and event.control is None


@pytest.mark.parametrize(
    "stamp",
    [
        datetime(2024, 5, 1, 12, 0),
        datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        1714564800,
        "1714564800.0",
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00+00:00",
    ],
)
def test_timestamps_become_aware_utc(stamp: Any) -> None:
    """Naive datetimes, offsets, epoch seconds and ISO strings all read as the same aware UTC time."""
    event = ev.event_from_wire(
        {
            "eventId": 1,
            "eventType": "TimerFired",
            "eventTimestamp": stamp,
            "timerFiredEventAttributes": {"timerId": "t", "startedEventId": 0},
        }
    )
    assert event.timestamp == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert event.timestamp.tzinfo is timezone.utc


def test_unknown_event_type_is_kept_as_generic_event() -> None:
    """An event type SWF may add later is kept, with its type name and raw attributes, not a crash."""
    builder = HistoryBuilder()
    builder.add("WorkflowExecutionTeleported", destination="mars", decisionTaskCompletedEventId=3)
    history = History.from_events(builder.events)
    event = history[-1]
    assert isinstance(event, GenericEvent)
    assert event.event_type == "WorkflowExecutionTeleported"
    assert event.attributes == {"destination": "mars", "decisionTaskCompletedEventId": 3}
    assert history.state.unknown_events == [event]
    assert history.filter("WorkflowExecutionTeleported") == [event]
    assert (
        json.loads(history.to_json())["events"][-1]["workflowExecutionTeleportedEventAttributes"]["destination"]
        == "mars"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not an event", "events[0]: an event must be an object"),
        ({"eventId": 1, "eventTimestamp": 0}, "events[0]: missing eventType"),
        ({"eventType": "TimerFired", "eventTimestamp": 0}, "events[0] (TimerFired): missing eventId"),
        ({"eventId": "x", "eventType": "TimerFired", "eventTimestamp": 0}, "eventId must be an integer"),
        ({"eventId": 4, "eventType": "TimerFired"}, "events[0] (eventId 4, TimerFired): missing eventTimestamp"),
        ({"eventId": 4, "eventType": "TimerFired", "eventTimestamp": "yesterday"}, "eventTimestamp is not a time"),
        (
            {
                "eventId": 4,
                "eventType": "TimerFired",
                "eventTimestamp": 0,
                "timerFiredEventAttributes": {"timerId": "t"},
            },
            "missing timerFiredEventAttributes.startedEventId",
        ),
        (
            {
                "eventId": 4,
                "eventType": "TimerStarted",
                "eventTimestamp": 0,
                "timerStartedEventAttributes": {
                    "timerId": "t",
                    "startToFireTimeout": "soon",
                    "decisionTaskCompletedEventId": 3,
                },
            },
            "startToFireTimeout must be whole seconds or NONE",
        ),
    ],
)
def test_malformed_event_names_position_and_field(raw: Any, message: str) -> None:
    """A malformed event dict is refused with its position, id and the member at fault."""
    with pytest.raises(ValidationError) as info:
        History.from_events([raw])
    assert message in str(info.value)


# -- the History sequence ----------------------------------------------------


def _small_history() -> HistoryBuilder:
    b = HistoryBuilder()
    b.complete_decision()
    s1 = b.schedule_activity("a1")
    b.timer("t1")
    b.start_activity(s1)
    b.add("ActivityTaskCompleted", scheduledEventId=s1, startedEventId=s1 + 2, result="r1")
    b.start_decision()
    return b


def test_sequence_protocol() -> None:
    """A history indexes, slices, iterates, measures and finds events by id."""
    b = _small_history()
    history = History.from_events(b.events)
    assert len(history) == 10
    assert [e.event_id for e in history] == list(range(1, 11))
    assert isinstance(history[0], ev.WorkflowExecutionStarted)
    assert history[-1].event_type == "DecisionTaskStarted"
    tail = history[-3:]
    assert isinstance(tail, History) and [e.event_id for e in tail] == [8, 9, 10]
    assert history.get(5) is history[4] and history.get(99) is None
    assert history.last_event_id == 10
    assert repr(history) == "<History: 10 events, 1..10>"


def test_filter_by_name_and_class() -> None:
    """filter takes SWF type names or event classes and keeps history order."""
    history = History.from_events(_small_history().events)
    by_name = history.filter("DecisionTaskStarted", "TimerStarted")
    by_class = history.filter(ev.DecisionTaskStarted, ev.TimerStarted)
    assert [e.event_id for e in by_name] == [3, 6, 10]
    assert by_class == by_name
    assert history.filter("ActivityTaskFailed") == []


def test_since_previous_started_event() -> None:
    """since(previousStartedEventId) gives only the events after it; 0 or None gives them all."""
    history = History.from_events(_small_history().events)
    assert [e.event_id for e in history.since(3)] == [4, 5, 6, 7, 8, 9, 10]
    assert history.since(0) is history and history.since(None) is history
    assert len(history.since(10)) == 0


def test_reverse_order_pages_are_put_back_in_order() -> None:
    """Pages fetched with reverseOrder give the same ascending history."""
    events = _small_history().events
    reversed_events = list(reversed(events))
    pages = [{"events": reversed_events[:4]}, {"events": reversed_events[4:]}]
    assert History.from_pages(pages) == History.from_events(events)


def test_repeated_event_is_refused() -> None:
    """A page that repeats an event is an error naming the event, not a silent duplicate."""
    events = _small_history().events
    with pytest.raises(ValidationError, match="event 5 appears twice"):
        History.from_pages([{"events": events[:5]}, {"events": events[4:]}])


def test_lost_page_is_refused() -> None:
    """A gap between pages is an error naming the missing ids."""
    events = _small_history().events
    with pytest.raises(ValidationError, match=r"events 4\.\.6 are missing"):
        History.from_pages([{"events": events[:3]}, {"events": events[6:]}])


# -- JSON --------------------------------------------------------------------


def _json_history() -> History:
    return History.from_events(_small_history().events)


@pytest.mark.parametrize("shape", ["cli", "boto3", "bare", "pages"])
def test_from_json_accepts_exported_shapes(shape: str) -> None:
    """aws-cli output, a boto3 response, a bare list and a list of pages all read the same."""
    history = _json_history()
    document = history.to_document()
    events = document["events"]
    text = {
        "cli": json.dumps({"events": events}),
        "boto3": json.dumps({"events": events, "ResponseMetadata": {"HTTPStatusCode": 200}}),
        "bare": json.dumps(events),
        "pages": json.dumps([{"events": events[:4], "nextPageToken": "x"}, {"events": events[4:]}]),
    }[shape]
    assert History.from_json(text) == history


def test_json_round_trip_through_a_file(tmp_path: Path) -> None:
    """to_json then load gives an equal history with the same times and attributes."""
    history = _json_history()
    path = tmp_path / "history.json"
    path.write_text(history.to_json())
    loaded = History.load(path)
    assert loaded == history
    assert loaded[0].timestamp == T0 + timedelta(seconds=1)


def test_truncated_json_names_the_position(tmp_path: Path) -> None:
    """A truncated file is refused with the file name, line, column and offset."""
    text = _json_history().to_json()
    path = tmp_path / "cut.json"
    cut = text[: text.index(",", 200) + 1]  # ends after a comma: the error is at the very end
    path.write_text(cut)
    with pytest.raises(ValidationError) as info:
        History.load(path)
    message = str(info.value)
    line = cut.count("\n") + 1
    assert str(path) in message
    assert f"invalid JSON at line {line} column" in message and f"(char {len(cut)})" in message


def test_json_of_wrong_shape_is_refused() -> None:
    """A document that holds no events says so."""
    with pytest.raises(ValidationError, match="no 'events' member"):
        History.from_json('{"executionInfo": {}}')
    with pytest.raises(ValidationError, match="expected an object"):
        History.from_json("42")


# -- DecisionTask ------------------------------------------------------------


def _poll_pages(builder: HistoryBuilder, page_size: int, previous: int = 0) -> list[dict[str, Any]]:
    events = builder.events
    chunks = [events[i : i + page_size] for i in range(0, len(events), page_size)]
    pages = []
    for i, chunk in enumerate(chunks):
        page: dict[str, Any] = {
            "taskToken": "secret-token",
            "startedEventId": builder.decision_started,
            "previousStartedEventId": previous,
            "workflowExecution": {"workflowId": "wf-1", "runId": "run-1"},
            "workflowType": {"name": "flow", "version": "1"},
            "events": chunk,
        }
        if i < len(chunks) - 1:
            page["nextPageToken"] = f"page-{i + 1}"
        pages.append(page)
    return pages


def test_decision_task_from_pages() -> None:
    """from_pages joins every page and keeps the task's ids; new_events starts after previousStartedEventId."""
    builder = _small_history()
    task = DecisionTask.from_pages(_poll_pages(builder, page_size=3, previous=3))
    assert task.task_token == "secret-token"
    assert task.workflow_execution == ExecutionRef("wf-1", "run-1")
    assert task.workflow_type == TypeRef("flow", "1")
    assert task.started_event_id == 10 and task.previous_started_event_id == 3
    assert [e.event_id for e in task.history] == list(range(1, 11))
    assert [e.event_id for e in task.new_events] == [4, 5, 6, 7, 8, 9, 10]
    assert "secret-token" not in repr(task)


def test_decision_task_refuses_empty_poll_and_mixed_pages() -> None:
    """An empty poll, and pages from two different tasks, are errors, not a task."""
    with pytest.raises(ValidationError, match="no task"):
        DecisionTask.from_pages([{"taskToken": "", "events": []}])
    with pytest.raises(ValidationError, match="no pages"):
        DecisionTask.from_pages([])
    pages = _poll_pages(_small_history(), page_size=5)
    pages[1]["taskToken"] = "another"
    with pytest.raises(ValidationError, match=r"pages\[1\] belongs to another task"):
        DecisionTask.from_pages(pages)


def test_decision_task_document_round_trip() -> None:
    """A task saved with to_document reads back equal."""
    task = DecisionTask.from_pages(_poll_pages(_small_history(), page_size=4))
    again = DecisionTask.from_pages([json.loads(json.dumps(task.to_document()))])
    assert again == task and again.history == task.history


# -- correlated state: activities --------------------------------------------


def test_two_concurrent_activities() -> None:
    """Two activities completing in the other order each get their own result."""
    b = HistoryBuilder()
    b.complete_decision()
    s1 = b.schedule_activity("a", input="ia")
    s2 = b.schedule_activity("b", input="ib")
    st2 = b.start_activity(s2)
    st1 = b.start_activity(s1)
    b.add("ActivityTaskCompleted", scheduledEventId=s2, startedEventId=st2, result="rb")
    c1 = b.add("ActivityTaskFailed", scheduledEventId=s1, startedEventId=st1, reason="boom", details="trace")
    state = History.from_events(b.events).state
    a, bb = state.activities["a"], state.activities["b"]
    assert (a.status, a.reason, a.details, a.input, a.closed_event_id) == (TaskStatus.FAILED, "boom", "trace", "ia", c1)
    assert (bb.status, bb.result, bb.input, bb.started_event_id) == (TaskStatus.COMPLETED, "rb", "ib", st2)
    assert a.times_scheduled == 1 and a.identity == "worker-1"
    assert a.activity_type == TypeRef("work", "1") and a.task_list == "workers"
    assert state.open_activities == []


def test_ten_concurrent_activities_every_outcome() -> None:
    """Ten open activities, closed in a shuffled order with every kind of outcome, each correlate by id."""
    b = HistoryBuilder()
    b.complete_decision()
    scheduled = {f"act-{i}": b.schedule_activity(f"act-{i}", input=f"in-{i}") for i in range(10)}
    started = {}
    for name in ["act-3", "act-0", "act-7", "act-1", "act-9", "act-4", "act-2", "act-8"]:
        started[name] = b.start_activity(scheduled[name])
    b.add("ActivityTaskCompleted", scheduledEventId=scheduled["act-7"], startedEventId=started["act-7"], result="seven")
    b.add("ActivityTaskFailed", scheduledEventId=scheduled["act-0"], startedEventId=started["act-0"], reason="zero")
    b.add(
        "ActivityTaskTimedOut",
        scheduledEventId=scheduled["act-3"],
        startedEventId=started["act-3"],
        timeoutType="HEARTBEAT",
        details="last beat",
    )
    b.add(
        "ActivityTaskTimedOut", scheduledEventId=scheduled["act-5"], startedEventId=0, timeoutType="SCHEDULE_TO_START"
    )
    b.start_decision()
    b.complete_decision()
    cr = b.add("ActivityTaskCancelRequested", activityId="act-9", decisionTaskCompletedEventId=b.decision_completed)
    b.add("ActivityTaskCancelRequested", activityId="act-1", decisionTaskCompletedEventId=b.decision_completed)
    b.add(
        "ActivityTaskCanceled",
        scheduledEventId=scheduled["act-1"],
        startedEventId=started["act-1"],
        details="stopped",
        latestCancelRequestedEventId=cr + 1,
    )
    b.add("ActivityTaskCompleted", scheduledEventId=scheduled["act-2"], startedEventId=started["act-2"], result="two")
    state = History.from_events(b.events).state
    acts = state.activities
    assert (acts["act-7"].status, acts["act-7"].result) == (TaskStatus.COMPLETED, "seven")
    assert (acts["act-2"].status, acts["act-2"].result) == (TaskStatus.COMPLETED, "two")
    assert (acts["act-0"].status, acts["act-0"].reason) == (TaskStatus.FAILED, "zero")
    assert (acts["act-3"].status, acts["act-3"].timeout_type, acts["act-3"].details) == (
        TaskStatus.TIMED_OUT,
        "HEARTBEAT",
        "last beat",
    )
    assert (acts["act-5"].status, acts["act-5"].timeout_type) == (TaskStatus.TIMED_OUT, "SCHEDULE_TO_START")
    assert acts["act-9"].status is TaskStatus.CANCEL_REQUESTED
    assert acts["act-9"].cancel_requested and acts["act-9"].cancel_requested_event_id == cr
    assert (acts["act-1"].status, acts["act-1"].details, acts["act-1"].cancel_requested) == (
        TaskStatus.CANCELED,
        "stopped",
        True,
    )
    assert acts["act-4"].status is TaskStatus.STARTED and acts["act-8"].status is TaskStatus.STARTED
    assert acts["act-6"].status is TaskStatus.SCHEDULED and acts["act-6"].started_event_id is None
    assert sorted(a.activity_id for a in state.open_activities) == ["act-4", "act-6", "act-8", "act-9"]
    assert all(acts[f"act-{i}"].input == f"in-{i}" for i in range(10))


def test_hundred_concurrent_activities_correlate_by_id() -> None:
    """A hundred activities started and closed in random order: every result lands on its own id."""
    rng = random.Random(7)
    b = HistoryBuilder()
    b.complete_decision()
    scheduled = {f"a{i}": b.schedule_activity(f"a{i}") for i in range(100)}
    order = list(scheduled)
    rng.shuffle(order)
    started = {name: b.start_activity(scheduled[name]) for name in order}
    rng.shuffle(order)
    expected: dict[str, tuple[TaskStatus, Any]] = {}
    for n, name in enumerate(order):
        if n % 3 == 0:
            b.add(
                "ActivityTaskCompleted",
                scheduledEventId=scheduled[name],
                startedEventId=started[name],
                result=f"r-{name}",
            )
            expected[name] = (TaskStatus.COMPLETED, f"r-{name}")
        elif n % 3 == 1:
            b.add(
                "ActivityTaskFailed", scheduledEventId=scheduled[name], startedEventId=started[name], reason=f"f-{name}"
            )
            expected[name] = (TaskStatus.FAILED, f"f-{name}")
        else:
            b.add(
                "ActivityTaskTimedOut",
                scheduledEventId=scheduled[name],
                startedEventId=started[name],
                timeoutType="START_TO_CLOSE",
            )
            expected[name] = (TaskStatus.TIMED_OUT, "START_TO_CLOSE")
    state = History.from_events(b.events).state
    assert len(state.activities) == 100
    for name, (status, value) in expected.items():
        act = state.activities[name]
        assert act.status is status
        assert {
            TaskStatus.COMPLETED: act.result,
            TaskStatus.FAILED: act.reason,
            TaskStatus.TIMED_OUT: act.timeout_type,
        }[status] == value
        assert act.started_event_id == started[name] and act.scheduled_event_id == scheduled[name]


def test_retries_of_the_same_activity_id() -> None:
    """Rescheduling an id after a failure counts attempts; the latest attempt wins, earlier ones stay."""
    b = HistoryBuilder()
    b.complete_decision()
    s1 = b.schedule_activity("fetch", input="try-1")
    st1 = b.start_activity(s1)
    b.add("ActivityTaskFailed", scheduledEventId=s1, startedEventId=st1, reason="flaky")
    b.start_decision()
    b.complete_decision()
    s2 = b.schedule_activity("fetch", input="try-2")
    b.add("ActivityTaskTimedOut", scheduledEventId=s2, startedEventId=0, timeoutType="SCHEDULE_TO_START")
    b.start_decision()
    b.complete_decision()
    s3 = b.schedule_activity("fetch", input="try-3")
    st3 = b.start_activity(s3)
    # A late answer to the first attempt must not touch the third.
    b.add("ActivityTaskCompleted", scheduledEventId=s3, startedEventId=st3, result="ok")
    state = History.from_events(b.events).state
    latest = state.activities["fetch"]
    assert (latest.status, latest.result, latest.input, latest.times_scheduled) == (
        TaskStatus.COMPLETED,
        "ok",
        "try-3",
        3,
    )
    attempts = state.activity_attempts["fetch"]
    assert [(a.status, a.times_scheduled) for a in attempts] == [
        (TaskStatus.FAILED, 1),
        (TaskStatus.TIMED_OUT, 2),
        (TaskStatus.COMPLETED, 3),
    ]
    assert attempts[0].reason == "flaky" and attempts[1].timeout_type == "SCHEDULE_TO_START"


def test_schedule_failures_and_limits() -> None:
    """A refused schedule shows its cause; ACTIVITY_ID_ALREADY_IN_USE leaves the open attempt alone."""
    b = HistoryBuilder()
    d1 = b.complete_decision()
    s1 = b.schedule_activity("busy")
    b.add(
        "ScheduleActivityTaskFailed",
        activityType={"name": "work", "version": "1"},
        activityId="busy",
        cause="ACTIVITY_ID_ALREADY_IN_USE",
        decisionTaskCompletedEventId=d1,
    )
    b.add(
        "ScheduleActivityTaskFailed",
        activityType={"name": "work", "version": "1"},
        activityId="many",
        cause="OPEN_ACTIVITIES_LIMIT_EXCEEDED",
        decisionTaskCompletedEventId=d1,
    )
    b.add(
        "ScheduleActivityTaskFailed",
        activityType={"name": "work", "version": "1"},
        activityId="fast",
        cause="ACTIVITY_CREATION_RATE_EXCEEDED",
        decisionTaskCompletedEventId=d1,
    )
    state = History.from_events(b.events).state
    assert state.activities["busy"].status is TaskStatus.SCHEDULED
    assert state.activities["busy"].scheduled_event_id == s1
    many = state.activities["many"]
    assert (many.status, many.cause, many.times_scheduled, many.is_open) == (
        TaskStatus.SCHEDULE_FAILED,
        "OPEN_ACTIVITIES_LIMIT_EXCEEDED",
        0,
        False,
    )
    failures = state.decision_failures
    assert [(f.decision_type, f.subject, f.cause) for f in failures] == [
        ("ScheduleActivityTask", "busy", "ACTIVITY_ID_ALREADY_IN_USE"),
        ("ScheduleActivityTask", "many", "OPEN_ACTIVITIES_LIMIT_EXCEEDED"),
        ("ScheduleActivityTask", "fast", "ACTIVITY_CREATION_RATE_EXCEEDED"),
    ]
    assert [f.is_limit_exceeded for f in failures] == [False, True, False]
    assert [f.is_rate_exceeded for f in failures] == [False, False, True]
    assert all(f.decision_task_completed_event_id == d1 for f in failures)


# -- correlated state: the rest ----------------------------------------------


def test_timers() -> None:
    """Timers fire, cancel, fail to start and restart under the same id, matched by startedEventId."""
    b = HistoryBuilder()
    d = b.complete_decision()
    t1 = b.timer("wait", 5)
    t2 = b.timer("deadline", 60)
    t3 = b.timer("poll", 1)
    b.add("TimerFired", timerId="poll", startedEventId=t3)
    b.add("TimerFired", timerId="wait", startedEventId=t1)
    b.start_decision()
    d = b.complete_decision()
    c = b.add("TimerCanceled", timerId="deadline", startedEventId=t2, decisionTaskCompletedEventId=d)
    t4 = b.timer("poll", 2)
    b.add("StartTimerFailed", timerId="poll", cause="TIMER_ID_ALREADY_IN_USE", decisionTaskCompletedEventId=d)
    b.add("StartTimerFailed", timerId="other", cause="OPEN_TIMERS_LIMIT_EXCEEDED", decisionTaskCompletedEventId=d)
    b.add("CancelTimerFailed", timerId="ghost", cause="TIMER_ID_UNKNOWN", decisionTaskCompletedEventId=d)
    state = History.from_events(b.events).state
    timers = state.timers
    assert (timers["wait"].status, timers["wait"].start_to_fire_timeout) == (TimerStatus.FIRED, timedelta(seconds=5))
    assert (timers["deadline"].status, timers["deadline"].closed_event_id) == (TimerStatus.CANCELED, c)
    assert (timers["poll"].status, timers["poll"].started_event_id, timers["poll"].times_started) == (
        TimerStatus.STARTED,
        t4,
        2,
    )
    assert (timers["other"].status, timers["other"].cause) == (TimerStatus.START_FAILED, "OPEN_TIMERS_LIMIT_EXCEEDED")
    assert [t.timer_id for t in state.open_timers] == ["poll"]
    assert [(f.decision_type, f.subject, f.cause) for f in state.decision_failures] == [
        ("StartTimer", "poll", "TIMER_ID_ALREADY_IN_USE"),
        ("StartTimer", "other", "OPEN_TIMERS_LIMIT_EXCEEDED"),
        ("CancelTimer", "ghost", "TIMER_ID_UNKNOWN"),
    ]


def _child_closed(b: HistoryBuilder, event_type: str, wid: str, init: int, start: int, **extra: Any) -> int:
    return b.add(
        event_type,
        workflowExecution={"workflowId": wid, "runId": f"run-{wid}"},
        workflowType={"name": "child", "version": "2"},
        initiatedEventId=init,
        startedEventId=start,
        **extra,
    )


def test_child_workflows() -> None:
    """Each child's outcome is matched by initiatedEventId, whatever order the children close in."""
    b = HistoryBuilder()
    d = b.complete_decision()
    outcomes = ["ok", "bad", "slow", "stop", "kill", "open", "never"]
    init = {}
    for wid in outcomes:
        init[wid] = b.add(
            "StartChildWorkflowExecutionInitiated",
            workflowId=wid,
            workflowType={"name": "child", "version": "2"},
            input=f"in-{wid}",
            control=f"c-{wid}",
            taskList={"name": "kids"},
            childPolicy="TERMINATE",
            decisionTaskCompletedEventId=d,
        )
    b.add(
        "StartChildWorkflowExecutionFailed",
        workflowId="never",
        workflowType={"name": "child", "version": "2"},
        cause="WORKFLOW_ALREADY_RUNNING",
        initiatedEventId=init["never"],
        decisionTaskCompletedEventId=d,
    )
    start = {}
    for wid in reversed(outcomes[:-1]):
        start[wid] = b.add(
            "ChildWorkflowExecutionStarted",
            workflowExecution={"workflowId": wid, "runId": f"run-{wid}"},
            workflowType={"name": "child", "version": "2"},
            initiatedEventId=init[wid],
        )
    _child_closed(b, "ChildWorkflowExecutionTerminated", "kill", init["kill"], start["kill"])
    _child_closed(b, "ChildWorkflowExecutionCompleted", "ok", init["ok"], start["ok"], result="done")
    _child_closed(b, "ChildWorkflowExecutionCanceled", "stop", init["stop"], start["stop"], details="asked")
    _child_closed(b, "ChildWorkflowExecutionFailed", "bad", init["bad"], start["bad"], reason="r", details="d")
    _child_closed(
        b, "ChildWorkflowExecutionTimedOut", "slow", init["slow"], start["slow"], timeoutType="START_TO_CLOSE"
    )
    state = History.from_events(b.events).state
    kids = state.child_workflows
    assert (kids["ok"].status, kids["ok"].result, kids["ok"].run_id) == (
        ChildWorkflowStatus.COMPLETED,
        "done",
        "run-ok",
    )
    assert (kids["bad"].status, kids["bad"].reason, kids["bad"].details) == (ChildWorkflowStatus.FAILED, "r", "d")
    assert (kids["slow"].status, kids["slow"].timeout_type) == (ChildWorkflowStatus.TIMED_OUT, "START_TO_CLOSE")
    assert (kids["stop"].status, kids["stop"].details) == (ChildWorkflowStatus.CANCELED, "asked")
    assert kids["kill"].status is ChildWorkflowStatus.TERMINATED
    assert (kids["open"].status, kids["open"].input, kids["open"].control) == (
        ChildWorkflowStatus.STARTED,
        "in-open",
        "c-open",
    )
    assert (kids["never"].status, kids["never"].cause) == (ChildWorkflowStatus.START_FAILED, "WORKFLOW_ALREADY_RUNNING")
    assert [c.workflow_id for c in state.open_child_workflows] == ["open"]
    assert kids["ok"].workflow_type == TypeRef("child", "2")


def test_signals_in_order_with_input() -> None:
    """Signals are listed in the order received, with input and sender."""
    b = HistoryBuilder()
    b.add("WorkflowExecutionSignaled", signalName="go", input="1")
    b.add("WorkflowExecutionSignaled", signalName="pause")
    b.add(
        "WorkflowExecutionSignaled",
        signalName="go",
        input="2",
        externalWorkflowExecution={"workflowId": "boss", "runId": "r9"},
        externalInitiatedEventId=12,
    )
    state = History.from_events(b.events).state
    assert [(s.signal_name, s.input) for s in state.signals] == [("go", "1"), ("pause", None), ("go", "2")]
    assert [s.input for s in state.signals_named("go")] == ["1", "2"]
    assert state.signals[2].external_workflow_execution == ExecutionRef("boss", "r9")
    assert state.signals[2].external_initiated_event_id == 12


def test_markers_latest_and_all() -> None:
    """Markers keep every record; marker_details gives the latest per name."""
    b = HistoryBuilder()
    d = b.complete_decision()
    b.add("MarkerRecorded", markerName="progress", details="10%", decisionTaskCompletedEventId=d)
    b.add("MarkerRecorded", markerName="version", details="v2", decisionTaskCompletedEventId=d)
    b.add("MarkerRecorded", markerName="progress", details="50%", decisionTaskCompletedEventId=d)
    b.add("RecordMarkerFailed", markerName="nope", cause="OPERATION_NOT_PERMITTED", decisionTaskCompletedEventId=d)
    state = History.from_events(b.events).state
    assert state.marker_details("progress") == "50%"
    assert state.marker_details("version") == "v2"
    assert state.marker_details("absent") is None
    assert [m.details for m in state.markers["progress"]] == ["10%", "50%"]
    assert [m.marker_name for m in state.all_markers] == ["progress", "version", "progress"]
    assert [(f.decision_type, f.subject) for f in state.decision_failures] == [("RecordMarker", "nope")]


def test_external_signals_and_cancel_requests() -> None:
    """Requests to other executions end delivered or failed, matched by initiatedEventId."""
    b = HistoryBuilder()
    d = b.complete_decision()
    s1 = b.add(
        "SignalExternalWorkflowExecutionInitiated",
        workflowId="peer",
        signalName="hello",
        input="hi",
        decisionTaskCompletedEventId=d,
    )
    s2 = b.add(
        "SignalExternalWorkflowExecutionInitiated",
        workflowId="gone",
        runId="r0",
        signalName="hello",
        decisionTaskCompletedEventId=d,
    )
    c1 = b.add("RequestCancelExternalWorkflowExecutionInitiated", workflowId="peer", decisionTaskCompletedEventId=d)
    c2 = b.add("RequestCancelExternalWorkflowExecutionInitiated", workflowId="gone", decisionTaskCompletedEventId=d)
    b.add(
        "SignalExternalWorkflowExecutionFailed",
        workflowId="gone",
        runId="r0",
        cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        initiatedEventId=s2,
        decisionTaskCompletedEventId=d,
    )
    b.add(
        "ExternalWorkflowExecutionCancelRequested",
        workflowExecution={"workflowId": "peer", "runId": "rp"},
        initiatedEventId=c1,
    )
    b.add(
        "ExternalWorkflowExecutionSignaled",
        workflowExecution={"workflowId": "peer", "runId": "rp"},
        initiatedEventId=s1,
    )
    state = History.from_events(b.events).state
    sig = state.external_signals
    assert [(s.workflow_id, s.status, s.cause) for s in sig] == [
        ("peer", RequestStatus.DELIVERED, None),
        ("gone", RequestStatus.FAILED, "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"),
    ]
    assert sig[0].run_id == "rp" and sig[0].input == "hi" and sig[0].signal_name == "hello"
    cancels = state.external_cancel_requests
    assert [(c.workflow_id, c.status, c.initiated_event_id) for c in cancels] == [
        ("peer", RequestStatus.DELIVERED, c1),
        ("gone", RequestStatus.INITIATED, c2),
    ]
    assert [f.decision_type for f in state.decision_failures] == ["SignalExternalWorkflowExecution"]


def test_workflow_cancel_requested_and_close() -> None:
    """A cancel request is flagged with its cause; a close event sets the execution status."""
    b = HistoryBuilder()
    assert History.from_events(b.events).state.status is ExecutionStatus.OPEN
    b.add(
        "WorkflowExecutionCancelRequested",
        cause="CHILD_POLICY_APPLIED",
        externalWorkflowExecution={"workflowId": "parent", "runId": "p1"},
        externalInitiatedEventId=4,
    )
    b.start_decision()
    d = b.complete_decision(execution_context="ctx-2")
    b.add("WorkflowExecutionCanceled", details="bye", decisionTaskCompletedEventId=d)
    state = History.from_events(b.events).state
    assert state.cancel_requested
    assert state.cancel_request is not None and state.cancel_request.cause == "CHILD_POLICY_APPLIED"
    assert state.cancel_request.external_workflow_execution == ExecutionRef("parent", "p1")
    assert state.status is ExecutionStatus.CANCELED
    assert state.execution_context == "ctx-2"
    assert state.input == "in"
    assert state.started is not None and state.started.tag_list == ("a", "b")


def test_lambda_functions() -> None:
    """Lambda functions are matched by scheduledEventId through every outcome."""
    b = HistoryBuilder()
    d = b.complete_decision()
    ids = {}
    for fid in ["ok", "bad", "slow", "noauth", "running"]:
        ids[fid] = b.add(
            "LambdaFunctionScheduled",
            id=fid,
            name="fn",
            input=f"in-{fid}",
            startToCloseTimeout="300",
            decisionTaskCompletedEventId=d,
        )
    b.add(
        "ScheduleLambdaFunctionFailed",
        id="many",
        name="fn",
        cause="OPEN_LAMBDA_FUNCTIONS_LIMIT_EXCEEDED",
        decisionTaskCompletedEventId=d,
    )
    b.add("StartLambdaFunctionFailed", scheduledEventId=ids["noauth"], cause="ASSUME_ROLE_FAILED", message="denied")
    started = {
        fid: b.add("LambdaFunctionStarted", scheduledEventId=ids[fid]) for fid in ["running", "slow", "bad", "ok"]
    }
    b.add("LambdaFunctionFailed", scheduledEventId=ids["bad"], startedEventId=started["bad"], reason="r", details="d")
    b.add("LambdaFunctionCompleted", scheduledEventId=ids["ok"], startedEventId=started["ok"], result="42")
    b.add(
        "LambdaFunctionTimedOut",
        scheduledEventId=ids["slow"],
        startedEventId=started["slow"],
        timeoutType="START_TO_CLOSE",
    )
    state = History.from_events(b.events).state
    fns = state.lambda_functions
    assert (fns["ok"].status, fns["ok"].result, fns["ok"].input) == (TaskStatus.COMPLETED, "42", "in-ok")
    assert (fns["bad"].status, fns["bad"].reason, fns["bad"].details) == (TaskStatus.FAILED, "r", "d")
    assert (fns["slow"].status, fns["slow"].timeout_type) == (TaskStatus.TIMED_OUT, "START_TO_CLOSE")
    assert (fns["noauth"].status, fns["noauth"].cause, fns["noauth"].message) == (
        TaskStatus.START_FAILED,
        "ASSUME_ROLE_FAILED",
        "denied",
    )
    assert fns["running"].status is TaskStatus.STARTED
    assert (fns["many"].status, fns["many"].cause) == (
        TaskStatus.SCHEDULE_FAILED,
        "OPEN_LAMBDA_FUNCTIONS_LIMIT_EXCEEDED",
    )
    assert [(f.decision_type, f.subject, f.cause) for f in state.decision_failures] == [
        ("ScheduleLambdaFunction", "many", "OPEN_LAMBDA_FUNCTIONS_LIMIT_EXCEEDED"),
        ("ScheduleLambdaFunction", "noauth", "ASSUME_ROLE_FAILED"),
    ]


def test_close_decision_failures() -> None:
    """UNHANDLED_DECISION and other refusals of close decisions are reported; new ones via since."""
    b = HistoryBuilder()
    d1 = b.complete_decision()
    b.add("CompleteWorkflowExecutionFailed", cause="UNHANDLED_DECISION", decisionTaskCompletedEventId=d1)
    previous = b.start_decision()
    d2 = b.complete_decision()
    b.add("FailWorkflowExecutionFailed", cause="UNHANDLED_DECISION", decisionTaskCompletedEventId=d2)
    b.add("CancelWorkflowExecutionFailed", cause="OPERATION_NOT_PERMITTED", decisionTaskCompletedEventId=d2)
    b.add(
        "ContinueAsNewWorkflowExecutionFailed",
        cause="CONTINUE_AS_NEW_WORKFLOW_EXECUTION_RATE_EXCEEDED",
        decisionTaskCompletedEventId=d2,
    )
    b.add(
        "RequestCancelActivityTaskFailed", activityId="x", cause="ACTIVITY_ID_UNKNOWN", decisionTaskCompletedEventId=d2
    )
    b.add(
        "RequestCancelExternalWorkflowExecutionFailed",
        workflowId="w",
        cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        initiatedEventId=0,
        decisionTaskCompletedEventId=d2,
    )
    b.add(
        "StartChildWorkflowExecutionFailed",
        workflowId="kid",
        workflowType={"name": "child", "version": "2"},
        cause="CHILD_CREATION_RATE_EXCEEDED",
        initiatedEventId=0,
        decisionTaskCompletedEventId=d2,
    )
    state = History.from_events(b.events).state
    failures = state.decision_failures
    assert [(f.decision_type, f.cause) for f in failures] == [
        ("CompleteWorkflowExecution", "UNHANDLED_DECISION"),
        ("FailWorkflowExecution", "UNHANDLED_DECISION"),
        ("CancelWorkflowExecution", "OPERATION_NOT_PERMITTED"),
        ("ContinueAsNewWorkflowExecution", "CONTINUE_AS_NEW_WORKFLOW_EXECUTION_RATE_EXCEEDED"),
        ("RequestCancelActivityTask", "ACTIVITY_ID_UNKNOWN"),
        ("RequestCancelExternalWorkflowExecution", "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"),
        ("StartChildWorkflowExecution", "CHILD_CREATION_RATE_EXCEEDED"),
    ]
    assert [f.is_unhandled_decision for f in failures[:3]] == [True, True, False]
    assert failures[3].is_rate_exceeded and failures[6].is_rate_exceeded
    assert len(state.decision_failures_since(previous)) == 6
    assert state.child_workflows["kid"].status is ChildWorkflowStatus.START_FAILED
    assert state.status is ExecutionStatus.OPEN


def test_dangling_reference_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    """An outcome naming an event the history lacks is skipped with a warning (debug for a partial history)."""
    b = HistoryBuilder()
    b.add("TimerFired", timerId="ghost", startedEventId=99)
    b.add("ActivityTaskCompleted", scheduledEventId=98, startedEventId=97, result="?")
    with caplog.at_level("DEBUG", logger="swf.models.history_state"):
        state = History.from_events(b.events).state
        partial = History.from_events(b.events)[1:].state
    assert state.timers == {} and state.activities == {} and partial.timers == {}
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert levels[:2] == [
        ("WARNING", "event 4 (TimerFired) refers to timer started event 99, not in this history"),
        ("WARNING", "event 5 (ActivityTaskCompleted) refers to activity task scheduled event 98, not in this history"),
    ]
    assert [lvl for lvl, _ in levels[2:]] == ["DEBUG", "DEBUG"]


def test_decision_task_timeouts_are_listed() -> None:
    """A decision task that timed out is recorded with its timeout type."""
    b = HistoryBuilder()
    b.add("DecisionTaskTimedOut", timeoutType="START_TO_CLOSE", scheduledEventId=2, startedEventId=3)
    state = History.from_events(b.events).state
    assert [t.timeout_type for t in state.decision_task_timeouts] == ["START_TO_CLOSE"]


# -- end to end: a long history over many pages --------------------------------


def test_history_past_1000_events_over_many_poll_pages(swf_client: Any, domain_name: str) -> None:
    """A 1,000+ event history read 100 events a page arrives whole: nothing lost, nothing repeated."""
    flow = LocalFlow(swf_client, domain_name)
    rounds = 10
    with gevent.Timeout(60):
        run_id = flow.start("long", input="start")
        for r in range(rounds):
            task = flow.poll(page_size=100)
            assert task.new_events[0].event_id == task.previous_started_event_id + 1
            flow.respond(task, [dec.record_marker(f"m{r}-{i}", f"{r}:{i}") for i in range(100)])
            call(
                swf_client,
                "SignalWorkflowExecution",
                domain=flow.domain,
                workflowId="long",
                signalName=f"round-{r}",
                input=str(r),
            )
        pages = flow.poll_pages(page_size=100)
        from_service = flow.history("long", run_id, maximumPageSize=250)
        reversed_pages = flow.history("long", run_id, maximumPageSize=300, reverseOrder=True)
    task = DecisionTask.from_pages(pages)
    history = task.history
    assert len(history) > 1000
    assert len(pages) == -(-len(history) // 100)
    assert [e.event_id for e in history] == list(range(1, len(history) + 1))
    assert history == from_service == reversed_pages
    state = history.state
    assert len(state.all_markers) == rounds * 100
    assert [m.marker_name for m in state.all_markers] == [f"m{r}-{i}" for r in range(rounds) for i in range(100)]
    assert state.marker_details("m9-99") == "9:99"
    assert [(s.signal_name, s.input) for s in state.signals] == [(f"round-{r}", str(r)) for r in range(rounds)]
    starts = [e.event_id for e in history.filter(ev.DecisionTaskStarted)]
    assert len(starts) == rounds + 1
    assert (task.started_event_id, task.previous_started_event_id) == (starts[-1], starts[-2])
    assert [e.event_type for e in task.new_events][:1] == ["DecisionTaskCompleted"]
    assert len(task.new_events.filter("MarkerRecorded")) == 100
    assert state.input == "start" and state.status is ExecutionStatus.OPEN


def test_reads_what_the_aws_cli_prints(swf_client: Any, domain_name: str, local_swf: Any) -> None:
    """The output of `aws swf get-workflow-execution-history` loads into the same history boto3 gives."""
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("the AWS CLI is not installed")
    flow = LocalFlow(swf_client, domain_name)
    with gevent.Timeout(30):
        run_id = flow.start("cli", input="x")
        task = flow.poll()
        flow.respond(task, [dec.start_timer("t", timedelta(hours=1)), dec.record_marker("m", "d")])
        expected = flow.history("cli", run_id)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run(
        [
            aws,
            "swf",
            "get-workflow-execution-history",
            "--domain",
            domain_name,
            "--execution",
            f"workflowId=cli,runId={run_id}",
            "--endpoint-url",
            local_swf.endpoint_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    history = History.from_json(done.stdout)
    assert history == expected
    assert [e.event_type for e in history][-2:] == ["TimerStarted", "MarkerRecorded"]
    assert history[0].timestamp == expected[0].timestamp


def test_poll_starting_at_previous_started_event(swf_client: Any, domain_name: str) -> None:
    """With startAtPreviousStartedEvent the task's history begins there and new_events are the same."""
    flow = LocalFlow(swf_client, domain_name)
    with gevent.Timeout(30):
        flow.start("partial")
        first = flow.poll()
        flow.respond(first, [dec.record_marker("m", "1")])
        call(swf_client, "SignalWorkflowExecution", domain=flow.domain, workflowId="partial", signalName="go")
        while True:
            pages = [
                call(
                    swf_client,
                    "PollForDecisionTask",
                    domain=flow.domain,
                    taskList={"name": flow.decision_list},
                    startAtPreviousStartedEvent=True,
                )
            ]
            if pages[0].get("taskToken"):
                break
    task = DecisionTask.from_pages(pages)
    assert task.previous_started_event_id == first.started_event_id
    assert task.history[0].event_id == first.started_event_id
    assert [e.event_type for e in task.new_events] == [
        "DecisionTaskCompleted",
        "MarkerRecorded",
        "WorkflowExecutionSignaled",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert task.history.state.signals_named("go")[0].signal_name == "go"
