"""Timers and timeouts of the local endpoint fire on time, with SWF's events (1 s timeouts)."""

from __future__ import annotations

from typing import Any

import gevent
import pytest
from botocore.exceptions import ClientError

from tests.local.engine_support import (
    WORKFLOW,
    attrs,
    decide,
    decision,
    describe,
    error_code,
    history,
    last,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
    types,
)


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with WORKFLOW and ACTIVITY registered, every default given."""
    register(swf_client, domain_name)
    return domain_name


def _wait_closed(client: Any, domain: str, run: dict[str, str], within: float = 10.0) -> dict[str, Any]:
    """Describe ``run`` until it is closed (checked every 50 ms, at most ``within`` s)."""
    with gevent.Timeout(within):
        while True:
            info = describe(client, domain, run)["executionInfo"]
            if info["executionStatus"] == "CLOSED":
                return dict(info)
            gevent.sleep(0.05)


def test_timer_fires(swf_client: Any, domain: str) -> None:
    """A StartTimer timer fires after its startToFireTimeout and schedules a decision task."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), decision("StartTimer", timerId="t", startToFireTimeout="1"))
    task = next_decision(swf_client, domain)
    assert types(task["events"])[-3:] == ["TimerFired", "DecisionTaskScheduled", "DecisionTaskStarted"]
    started = [event for event in task["events"] if event["eventType"] == "TimerStarted"][0]
    fired = [event for event in task["events"] if event["eventType"] == "TimerFired"][0]
    assert attrs(fired) == {"timerId": "t", "startedEventId": started["eventId"]}
    assert (fired["eventTimestamp"] - started["eventTimestamp"]).total_seconds() >= 0.9
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 0


def test_canceled_timer_never_fires(swf_client: Any, domain: str) -> None:
    """A timer cancelled before its time records no TimerFired, though a later timer does fire."""
    run = start(swf_client, domain)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("StartTimer", timerId="t", startToFireTimeout="0"),
        decision("StartTimer", timerId="marker", startToFireTimeout="1"),
        decision("CancelTimer", timerId="t"),
    )
    task = next_decision(swf_client, domain)  # brought by "marker", due after "t" would have fired
    fired = [attrs(event)["timerId"] for event in task["events"] if event["eventType"] == "TimerFired"]
    assert fired == ["marker"]
    assert last(task["events"], "TimerCanceled")["timerId"] == "t"
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 0


@pytest.mark.parametrize("timeout_type", ["SCHEDULE_TO_START", "SCHEDULE_TO_CLOSE", "START_TO_CLOSE", "HEARTBEAT"])
def test_activity_timeouts(swf_client: Any, domain: str, timeout_type: str) -> None:
    """Each activity timeout closes the task with ActivityTaskTimedOut of its type and ids."""
    timeouts = {
        "scheduleToStartTimeout": "60",
        "scheduleToCloseTimeout": "60",
        "startToCloseTimeout": "60",
        "heartbeatTimeout": "NONE",
    }
    member = {
        "SCHEDULE_TO_START": "scheduleToStartTimeout",
        "SCHEDULE_TO_CLOSE": "scheduleToCloseTimeout",
        "START_TO_CLOSE": "startToCloseTimeout",
        "HEARTBEAT": "heartbeatTimeout",
    }[timeout_type]
    timeouts[member] = "1"
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), schedule("a1", **timeouts))
    work = None
    if timeout_type != "SCHEDULE_TO_START":
        work = next_activity(swf_client, domain)
        if timeout_type == "HEARTBEAT":
            swf_client.record_activity_task_heartbeat(taskToken=work["taskToken"], details="half way")
    task = next_decision(swf_client, domain)
    timed_out = last(task["events"], "ActivityTaskTimedOut")
    expected = {
        "timeoutType": timeout_type,
        "scheduledEventId": 5,
        "startedEventId": work["startedEventId"] if work else 0,
    }
    if timeout_type == "HEARTBEAT":
        expected["details"] = "half way"
    assert timed_out == expected
    assert describe(swf_client, domain, run)["openCounts"]["openActivityTasks"] == 0
    if work is not None:
        with pytest.raises(ClientError) as err:
            swf_client.respond_activity_task_completed(taskToken=work["taskToken"])
        assert error_code(err.value) == "UnknownResourceFault"


def test_heartbeats_keep_an_activity_alive(swf_client: Any, domain: str) -> None:
    """Heartbeats inside the heartbeat timeout keep the task open past that timeout."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), schedule("a1", heartbeatTimeout="1"))
    work = next_activity(swf_client, domain)
    for _ in range(4):
        gevent.sleep(0.4)  # the worker's pace: well inside the 1 s heartbeat timeout
        assert swf_client.record_activity_task_heartbeat(taskToken=work["taskToken"])["cancelRequested"] is False
    swf_client.respond_activity_task_completed(taskToken=work["taskToken"], result="ok")
    assert "ActivityTaskTimedOut" not in types(history(swf_client, domain, run))


def test_decision_task_timeout(swf_client: Any, domain: str) -> None:
    """An unanswered decision task times out after taskStartToCloseTimeout and a new one is scheduled."""
    run = start(swf_client, domain, taskStartToCloseTimeout="1")
    first = next_decision(swf_client, domain)
    second = next_decision(swf_client, domain)
    assert second["workflowExecution"] == run
    assert last(second["events"], "DecisionTaskTimedOut") == {
        "timeoutType": "START_TO_CLOSE",
        "scheduledEventId": 2,
        "startedEventId": 3,
    }
    assert second["previousStartedEventId"] == 0  # the timed-out task was never processed
    with pytest.raises(ClientError) as err:
        decide(swf_client, first)
    assert error_code(err.value) == "UnknownResourceFault"
    decide(swf_client, second, decision("CompleteWorkflowExecution"))


def test_workflow_timeout_applies_child_policy(swf_client: Any, domain: str) -> None:
    """A parent timing out records WorkflowExecutionTimedOut and terminates its children."""
    parent = start(swf_client, domain, "parent", executionStartToCloseTimeout="1")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision(
            "StartChildWorkflowExecution",
            workflowType=WORKFLOW,
            workflowId="child",
            taskList={"name": "children"},
            executionStartToCloseTimeout="60",
        ),
    )
    info = _wait_closed(swf_client, domain, parent)
    assert info["closeStatus"] == "TIMED_OUT"
    assert last(history(swf_client, domain, parent), "WorkflowExecutionTimedOut") == {
        "timeoutType": "START_TO_CLOSE",
        "childPolicy": "TERMINATE",
    }
    child = swf_client.list_closed_workflow_executions(
        domain=domain, startTimeFilter={"oldestDate": 0}, executionFilter={"workflowId": "child"}
    )["executionInfos"]
    assert [item["closeStatus"] for item in child] == ["TERMINATED"]


def test_child_timeout_reported_to_parent(swf_client: Any, domain: str) -> None:
    """A child timing out is reported to its parent as ChildWorkflowExecutionTimedOut."""
    parent = start(swf_client, domain, "parent")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision(
            "StartChildWorkflowExecution",
            workflowType=WORKFLOW,
            workflowId="child",
            taskList={"name": "children"},
            executionStartToCloseTimeout="1",
        ),
    )
    decide(swf_client, next_decision(swf_client, domain))  # the ChildWorkflowExecutionStarted decision
    task = next_decision(swf_client, domain)
    timed_out = last(task["events"], "ChildWorkflowExecutionTimedOut")
    assert (timed_out["timeoutType"], timed_out["workflowExecution"]["workflowId"]) == ("START_TO_CLOSE", "child")
    assert describe(swf_client, domain, parent)["openCounts"]["openChildWorkflowExecutions"] == 0


def test_decision_schedule_to_start_timeout(swf_client: Any, domain: str) -> None:
    """With taskListScheduleToStartTimeout, a decision task nobody polls times out SCHEDULE_TO_START."""
    run = start(swf_client, domain)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        taskList={"name": "unwatched"},
        taskListScheduleToStartTimeout="1",
    )
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="s")
    with gevent.Timeout(10):
        while "DecisionTaskTimedOut" not in types(history(swf_client, domain, run)):
            gevent.sleep(0.05)
    task = next_decision(swf_client, domain, task_list="unwatched")
    assert last(task["events"], "DecisionTaskTimedOut") == {
        "timeoutType": "SCHEDULE_TO_START",
        "scheduledEventId": 6,
        "startedEventId": 0,
    }
    assert last(task["events"], "DecisionTaskScheduled")["scheduleToStartTimeout"] == "1"
