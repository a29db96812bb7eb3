"""Every decision type of the local endpoint, its events and its failure causes, through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.engine_support import (
    ACTIVITIES,
    ACTIVITY,
    DECISIONS,
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


def _after_decision(events: list[dict[str, Any]], completed_id: int) -> list[str]:
    return types(events[completed_id:])


def test_schedule_activity_failures(swf_client: Any, domain: str) -> None:
    """ScheduleActivityTask failures record ScheduleActivityTaskFailed with SWF's causes."""
    swf_client.register_activity_type(domain=domain, name="old", version="1", defaultTaskList={"name": "x"})
    swf_client.deprecate_activity_type(domain=domain, activityType={"name": "old", "version": "1"})
    swf_client.register_activity_type(domain=domain, name="bare", version="1")
    run = start(swf_client, domain)
    task = next_decision(swf_client, domain)
    decide(
        swf_client,
        task,
        schedule("a1"),
        schedule("a1"),
        decision("ScheduleActivityTask", activityType={"name": "nope", "version": "1"}, activityId="a2"),
        decision("ScheduleActivityTask", activityType={"name": "old", "version": "1"}, activityId="a3"),
        decision("ScheduleActivityTask", activityType={"name": "bare", "version": "1"}, activityId="a4"),
        decision(
            "ScheduleActivityTask",
            activityType={"name": "bare", "version": "1"},
            activityId="a5",
            taskList={"name": "x"},
        ),
        decision(
            "ScheduleActivityTask",
            activityType={"name": "bare", "version": "1"},
            activityId="a6",
            taskList={"name": "x"},
            scheduleToCloseTimeout="NONE",
            scheduleToStartTimeout="NONE",
            startToCloseTimeout="NONE",
        ),
    )
    events = history(swf_client, domain, run)
    failed = [attrs(event) for event in events if event["eventType"] == "ScheduleActivityTaskFailed"]
    assert [(item["activityId"], item["cause"]) for item in failed] == [
        ("a1", "ACTIVITY_ID_ALREADY_IN_USE"),
        ("a2", "ACTIVITY_TYPE_DOES_NOT_EXIST"),
        ("a3", "ACTIVITY_TYPE_DEPRECATED"),
        ("a4", "DEFAULT_TASK_LIST_UNDEFINED"),
        ("a5", "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("a6", "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED"),
    ]
    assert all(item["decisionTaskCompletedEventId"] == 4 for item in failed)
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert describe(swf_client, domain, run)["openCounts"]["openActivityTasks"] == 1


def test_scheduled_activity_records_resolved_timeouts(swf_client: Any, domain: str) -> None:
    """ActivityTaskScheduled carries the decision's values over the type's defaults."""
    run = start(swf_client, domain)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        schedule("a1", control="c", heartbeatTimeout="30", taskList={"name": "other"}, taskPriority="5"),
    )
    scheduled = last(history(swf_client, domain, run), "ActivityTaskScheduled")
    assert scheduled == {
        "activityType": ACTIVITY,
        "activityId": "a1",
        "control": "c",
        "scheduleToCloseTimeout": "60",
        "scheduleToStartTimeout": "60",
        "startToCloseTimeout": "60",
        "heartbeatTimeout": "30",
        "taskList": {"name": "other"},
        "taskPriority": "5",
        "decisionTaskCompletedEventId": 4,
    }
    assert next_activity(swf_client, domain, task_list="other")["activityId"] == "a1"


def test_request_cancel_activity(swf_client: Any, domain: str) -> None:
    """Cancelling a scheduled activity cancels it at once; an unknown id fails with ACTIVITY_ID_UNKNOWN."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), schedule("a1"))
    decide(
        swf_client,
        _signal_and_poll(swf_client, domain, run),
        decision("RequestCancelActivityTask", activityId="a1"),
        decision("RequestCancelActivityTask", activityId="ghost"),
    )
    events = history(swf_client, domain, run)
    assert types(events)[-4:] == [
        "ActivityTaskCancelRequested",
        "ActivityTaskCanceled",
        "RequestCancelActivityTaskFailed",
        "DecisionTaskScheduled",
    ]
    requested = events[-4]
    assert attrs(events[-3]) == {
        "scheduledEventId": 5,
        "startedEventId": 0,
        "latestCancelRequestedEventId": requested["eventId"],
    }
    assert last(events, "RequestCancelActivityTaskFailed")["cause"] == "ACTIVITY_ID_UNKNOWN"
    assert swf_client.count_pending_activity_tasks(domain=domain, taskList={"name": ACTIVITIES})["count"] == 0


def _signal_and_poll(client: Any, domain: str, run: dict[str, str]) -> dict[str, Any]:
    client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="go")
    return next_decision(client, domain)


def test_record_marker_and_timers(swf_client: Any, domain: str) -> None:
    """RecordMarker, StartTimer, CancelTimer and their failures record SWF's events."""
    run = start(swf_client, domain)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("RecordMarker", markerName="m", details="d"),
        decision("StartTimer", timerId="t1", startToFireTimeout="300", control="ctl"),
        decision("StartTimer", timerId="t1", startToFireTimeout="300"),
        decision("CancelTimer", timerId="ghost"),
    )
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 1
    decide(swf_client, next_decision(swf_client, domain), decision("CancelTimer", timerId="t1"))
    events = history(swf_client, domain, run)
    assert last(events, "MarkerRecorded") == {"markerName": "m", "details": "d", "decisionTaskCompletedEventId": 4}
    started = [event for event in events if event["eventType"] == "TimerStarted"][0]
    assert attrs(started) == {
        "timerId": "t1",
        "control": "ctl",
        "startToFireTimeout": "300",
        "decisionTaskCompletedEventId": 4,
    }
    assert last(events, "StartTimerFailed")["cause"] == "TIMER_ID_ALREADY_IN_USE"
    assert last(events, "CancelTimerFailed")["cause"] == "TIMER_ID_UNKNOWN"
    canceled = last(events, "TimerCanceled")
    assert (canceled["timerId"], canceled["startedEventId"]) == ("t1", started["eventId"])
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 0


def test_fail_and_cancel_close_the_execution(swf_client: Any, domain: str) -> None:
    """FailWorkflowExecution and CancelWorkflowExecution close with FAILED and CANCELED."""
    failed = start(swf_client, domain, "to-fail")
    decide(
        swf_client, next_decision(swf_client, domain), decision("FailWorkflowExecution", reason="bad", details="why")
    )
    assert last(history(swf_client, domain, failed), "WorkflowExecutionFailed") == {
        "reason": "bad",
        "details": "why",
        "decisionTaskCompletedEventId": 4,
    }
    canceled = start(swf_client, domain, "to-cancel")
    swf_client.request_cancel_workflow_execution(domain=domain, workflowId="to-cancel")
    task = next_decision(swf_client, domain)
    assert "WorkflowExecutionCancelRequested" in types(task["events"])
    decide(swf_client, task, decision("CancelWorkflowExecution", details="as asked"))
    info = describe(swf_client, domain, canceled)["executionInfo"]
    assert (info["closeStatus"], info["cancelRequested"]) == ("CANCELED", True)
    assert describe(swf_client, domain, failed)["executionInfo"]["closeStatus"] == "FAILED"


def test_unhandled_decision(swf_client: Any, domain: str) -> None:
    """A close decision fails with UNHANDLED_DECISION when events arrived during the decision task."""
    run = start(swf_client, domain)
    task = next_decision(swf_client, domain)
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="late")
    decide(
        swf_client,
        task,
        decision("RecordMarker", markerName="kept"),
        decision("CompleteWorkflowExecution", result="too early"),
    )
    events = history(swf_client, domain, run)
    assert last(events, "CompleteWorkflowExecutionFailed") == {
        "cause": "UNHANDLED_DECISION",
        "decisionTaskCompletedEventId": 6,
    }
    assert "MarkerRecorded" in types(events)
    assert describe(swf_client, domain, run)["executionInfo"]["executionStatus"] == "OPEN"
    decide(swf_client, next_decision(swf_client, domain), decision("CompleteWorkflowExecution"))
    assert describe(swf_client, domain, run)["executionInfo"]["closeStatus"] == "COMPLETED"


def test_invalid_decision_list_changes_nothing(swf_client: Any, domain: str) -> None:
    """A malformed decision anywhere in the list is a ValidationException and nothing is applied."""
    run = start(swf_client, domain)
    task = next_decision(swf_client, domain)
    bad_lists = [
        [schedule("a1"), {"decisionType": "StartTimer"}],
        [schedule("a1"), decision("StartTimer", timerId="t", startToFireTimeout="soon")],
        [decision("CompleteWorkflowExecution"), schedule("a1")],
        [schedule("a1", heartbeatTimeout="-1")],
    ]
    for decisions in bad_lists:
        with pytest.raises(ClientError) as err:
            decide(swf_client, task, *decisions)
        assert error_code(err.value) == "ValidationException", decisions
    assert types(history(swf_client, domain, run)) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    decide(swf_client, task, schedule("a1"))
    assert types(history(swf_client, domain, run))[-1] == "ActivityTaskScheduled"


def test_continue_as_new(swf_client: Any, domain: str) -> None:
    """ContinueAsNewWorkflowExecution closes the run and starts a new run of the same workflow id."""
    run = start(swf_client, domain, tagList=["old"])
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("ContinueAsNewWorkflowExecution", input="next", tagList=["new"], taskStartToCloseTimeout="20"),
    )
    continued = last(history(swf_client, domain, run), "WorkflowExecutionContinuedAsNew")
    new_run = {"workflowId": run["workflowId"], "runId": continued["newExecutionRunId"]}
    assert new_run["runId"] != run["runId"]
    assert continued["input"] == "next" and continued["workflowType"] == WORKFLOW
    assert describe(swf_client, domain, run)["executionInfo"]["closeStatus"] == "CONTINUED_AS_NEW"
    task = next_decision(swf_client, domain)
    assert task["workflowExecution"] == new_run
    started = attrs(task["events"][0])
    assert (started["continuedExecutionRunId"], started["input"], started["tagList"]) == (run["runId"], "next", ["new"])
    assert started["taskStartToCloseTimeout"] == "20"
    decide(swf_client, task, decision("ContinueAsNewWorkflowExecution", workflowTypeVersion="9"))
    assert (
        last(history(swf_client, domain, new_run), "ContinueAsNewWorkflowExecutionFailed")["cause"]
        == "WORKFLOW_TYPE_DOES_NOT_EXIST"
    )


def test_child_workflow_lifecycle(swf_client: Any, domain: str) -> None:
    """A child starts, its completion is reported to the parent with initiated and started ids."""
    parent = start(swf_client, domain, "parent")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision(
            "StartChildWorkflowExecution",
            workflowType=WORKFLOW,
            workflowId="child",
            input="ci",
            taskList={"name": "children"},
            control="ctl",
        ),
    )
    parent_events = history(swf_client, domain, parent)
    assert types(parent_events)[4:] == [
        "StartChildWorkflowExecutionInitiated",
        "ChildWorkflowExecutionStarted",
        "DecisionTaskScheduled",
    ]
    child_ref = last(parent_events, "ChildWorkflowExecutionStarted")["workflowExecution"]
    assert describe(swf_client, domain, parent)["openCounts"]["openChildWorkflowExecutions"] == 1
    child_task = next_decision(swf_client, domain, task_list="children")
    started = attrs(child_task["events"][0])
    assert started["parentWorkflowExecution"] == parent and started["parentInitiatedEventId"] == 5
    assert describe(swf_client, domain, child_ref)["executionInfo"]["parent"] == parent
    decide(swf_client, child_task, decision("CompleteWorkflowExecution", result="child result"))
    parent_events = history(swf_client, domain, parent)
    assert last(parent_events, "ChildWorkflowExecutionCompleted") == {
        "workflowExecution": child_ref,
        "workflowType": WORKFLOW,
        "result": "child result",
        "initiatedEventId": 5,
        "startedEventId": 6,
    }
    assert describe(swf_client, domain, parent)["openCounts"]["openChildWorkflowExecutions"] == 0


def test_child_failures_reported(swf_client: Any, domain: str) -> None:
    """Child failure, cancellation and termination reach the parent; start failures carry causes."""
    parent = start(swf_client, domain, "parent")
    start(swf_client, domain, "busy")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        *[
            decision(
                "StartChildWorkflowExecution",
                workflowType=WORKFLOW,
                workflowId=f"c{index}",
                taskList={"name": f"c{index}"},
            )
            for index in range(3)
        ],
        decision("StartChildWorkflowExecution", workflowType=WORKFLOW, workflowId="busy"),
        decision("StartChildWorkflowExecution", workflowType={"name": "nope", "version": "1"}, workflowId="x"),
    )
    decide(swf_client, next_decision(swf_client, domain, task_list="c0"), decision("FailWorkflowExecution", reason="r"))
    swf_client.request_cancel_workflow_execution(domain=domain, workflowId="c1")
    decide(swf_client, next_decision(swf_client, domain, task_list="c1"), decision("CancelWorkflowExecution"))
    swf_client.terminate_workflow_execution(domain=domain, workflowId="c2")
    events = history(swf_client, domain, parent)
    failures = {
        attrs(event)["workflowId"]: attrs(event)["cause"]
        for event in events
        if event["eventType"] == "StartChildWorkflowExecutionFailed"
    }
    assert failures == {"busy": "WORKFLOW_ALREADY_RUNNING", "x": "WORKFLOW_TYPE_DOES_NOT_EXIST"}
    assert last(events, "ChildWorkflowExecutionFailed")["reason"] == "r"
    assert last(events, "ChildWorkflowExecutionCanceled")["workflowExecution"]["workflowId"] == "c1"
    assert last(events, "ChildWorkflowExecutionTerminated")["workflowExecution"]["workflowId"] == "c2"


def test_terminating_parent_applies_child_policy(swf_client: Any, domain: str) -> None:
    """Terminating a parent terminates TERMINATE children and asks REQUEST_CANCEL children to cancel."""
    parent = start(swf_client, domain, "parent")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("StartChildWorkflowExecution", workflowType=WORKFLOW, workflowId="kill-me", taskList={"name": "k"}),
        decision(
            "StartChildWorkflowExecution",
            workflowType=WORKFLOW,
            workflowId="keep-me",
            taskList={"name": "a"},
            childPolicy="ABANDON",
        ),
    )
    swf_client.terminate_workflow_execution(domain=domain, workflowId="parent", reason="done", childPolicy="TERMINATE")
    terminated = last(history(swf_client, domain, parent), "WorkflowExecutionTerminated")
    assert terminated == {"reason": "done", "childPolicy": "TERMINATE", "cause": "OPERATOR_INITIATED"}
    infos = swf_client.list_closed_workflow_executions(domain=domain, startTimeFilter={"oldestDate": 0})
    closed = {info["execution"]["workflowId"]: info["closeStatus"] for info in infos["executionInfos"]}
    # A child's own childPolicy governs its children; the parent's policy governs it.
    assert closed == {"parent": "TERMINATED", "kill-me": "TERMINATED", "keep-me": "TERMINATED"}
    child_events = history(
        swf_client, domain, {"workflowId": "kill-me", "runId": _run_of(swf_client, domain, "kill-me")}
    )
    assert last(child_events, "WorkflowExecutionTerminated")["cause"] == "CHILD_POLICY_APPLIED"
    second = start(swf_client, domain, "parent2", childPolicy="REQUEST_CANCEL")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("StartChildWorkflowExecution", workflowType=WORKFLOW, workflowId="cancel-me", taskList={"name": "c"}),
    )
    swf_client.terminate_workflow_execution(domain=domain, workflowId="parent2")
    task = next_decision(swf_client, domain, task_list="c")
    assert last(task["events"], "WorkflowExecutionCancelRequested") == {"cause": "CHILD_POLICY_APPLIED"}
    assert describe(swf_client, domain, second)["executionInfo"]["closeStatus"] == "TERMINATED"


def _run_of(client: Any, domain: str, workflow_id: str) -> str:
    infos = client.list_closed_workflow_executions(
        domain=domain, startTimeFilter={"oldestDate": 0}, executionFilter={"workflowId": workflow_id}
    )["executionInfos"]
    return str(infos[0]["execution"]["runId"])


def test_signal_and_cancel_external(swf_client: Any, domain: str) -> None:
    """SignalExternal / RequestCancelExternal record events in both executions, or fail for unknown ones."""
    source = start(swf_client, domain, "source")
    target = start(swf_client, domain, "target", taskList={"name": "t"})
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("SignalExternalWorkflowExecution", workflowId="target", signalName="hello", input="i"),
        decision("RequestCancelExternalWorkflowExecution", workflowId="target", control="x"),
        decision("SignalExternalWorkflowExecution", workflowId="ghost", signalName="hello"),
        decision("RequestCancelExternalWorkflowExecution", workflowId="ghost"),
    )
    source_events = history(swf_client, domain, source)
    assert types(source_events)[4:] == [
        "SignalExternalWorkflowExecutionInitiated",
        "RequestCancelExternalWorkflowExecutionInitiated",
        "SignalExternalWorkflowExecutionInitiated",
        "RequestCancelExternalWorkflowExecutionInitiated",
        "ExternalWorkflowExecutionSignaled",
        "DecisionTaskScheduled",
        "ExternalWorkflowExecutionCancelRequested",
        "SignalExternalWorkflowExecutionFailed",
        "RequestCancelExternalWorkflowExecutionFailed",
    ]
    assert last(source_events, "ExternalWorkflowExecutionSignaled") == {
        "workflowExecution": target,
        "initiatedEventId": 5,
    }
    assert (
        last(source_events, "SignalExternalWorkflowExecutionFailed")["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    )
    target_events = history(swf_client, domain, target)
    assert last(target_events, "WorkflowExecutionSignaled") == {
        "signalName": "hello",
        "input": "i",
        "externalWorkflowExecution": source,
        "externalInitiatedEventId": 5,
    }
    assert last(target_events, "WorkflowExecutionCancelRequested") == {
        "externalWorkflowExecution": source,
        "externalInitiatedEventId": 6,
    }
    assert describe(swf_client, domain, target)["executionInfo"]["cancelRequested"] is True


def test_schedule_lambda_function_fails(swf_client: Any, domain: str) -> None:
    """ScheduleLambdaFunction records ScheduleLambdaFunctionFailed: no Lambda here."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), decision("ScheduleLambdaFunction", id="l1", name="fn"))
    assert last(history(swf_client, domain, run), "ScheduleLambdaFunctionFailed") == {
        "id": "l1",
        "name": "fn",
        "cause": "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
        "decisionTaskCompletedEventId": 4,
    }


def test_decision_task_list_change(swf_client: Any, domain: str) -> None:
    """RespondDecisionTaskCompleted's taskList moves the execution's later decision tasks."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), taskList={"name": "moved"})
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="s")
    assert next_decision(swf_client, domain, task_list="moved")["workflowExecution"] == run
    assert swf_client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})["count"] == 0


def test_open_timers_limit(swf_client: Any, domain: str) -> None:
    """Past SWF's 1000 open timers per execution, StartTimer fails with OPEN_TIMERS_LIMIT_EXCEEDED."""
    run = start(swf_client, domain)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        *[decision("StartTimer", timerId=f"t{index}", startToFireTimeout="300") for index in range(1001)],
    )
    events = history(swf_client, domain, run)
    assert types(events).count("TimerStarted") == 1000
    assert last(events, "StartTimerFailed") == {
        "timerId": "t1000",
        "cause": "OPEN_TIMERS_LIMIT_EXCEEDED",
        "decisionTaskCompletedEventId": 4,
    }


def test_history_event_limit_terminates(swf_client: Any, domain: str) -> None:
    """An execution reaching SWF's 25,000 history events is terminated with EVENT_LIMIT_EXCEEDED."""
    run = start(swf_client, domain)
    for _ in range(3):
        task = next_decision(swf_client, domain, maximumPageSize=1)
        swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="more")
        decide(swf_client, task, *[decision("RecordMarker", markerName="m") for _ in range(8400)])
    info = describe(swf_client, domain, run)["executionInfo"]
    assert info["closeStatus"] == "TERMINATED"
    page = swf_client.get_workflow_execution_history(domain=domain, execution=run, reverseOrder=True, maximumPageSize=1)
    assert page["events"][0]["eventType"] == "WorkflowExecutionTerminated"
    assert page["events"][0]["eventId"] > 25_000  # recorded once the decision list that crossed it is applied
    assert attrs(page["events"][0]) == {"childPolicy": "TERMINATE", "cause": "EVENT_LIMIT_EXCEEDED"}
