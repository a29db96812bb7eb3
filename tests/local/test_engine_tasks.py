"""The local endpoint's task handout: start, poll, respond, heartbeat, through boto3."""

from __future__ import annotations

from typing import Any

import gevent
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


def test_activity_round_trip(swf_client: Any, domain: str) -> None:
    """Start, decide, run an activity, complete: the history has SWF's events and ids."""
    run = start(swf_client, domain, input="in", tagList=["t1"])
    task = next_decision(swf_client, domain, identity="decider-1")
    assert types(task["events"]) == ["WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted"]
    assert task["startedEventId"] == 3 and task["previousStartedEventId"] == 0
    assert task["workflowExecution"] == run and task["workflowType"] == WORKFLOW
    assert attrs(task["events"][0])["input"] == "in"
    assert attrs(task["events"][2]) == {"identity": "decider-1", "scheduledEventId": 2}
    decide(swf_client, task, schedule("a1", input="payload"))

    work = next_activity(swf_client, domain)
    assert (work["activityId"], work["activityType"], work["input"]) == ("a1", ACTIVITY, "payload")
    assert work["workflowExecution"] == run and work["startedEventId"] == 6
    swf_client.respond_activity_task_completed(taskToken=work["taskToken"], result="42")

    task = next_decision(swf_client, domain)
    assert task["previousStartedEventId"] == 3 and task["startedEventId"] == 9
    decide(swf_client, task, decision("CompleteWorkflowExecution", result="done"))
    events = history(swf_client, domain, run)
    assert types(events) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "WorkflowExecutionCompleted",
    ]
    assert [event["eventId"] for event in events] == list(range(1, 12))
    assert last(events, "ActivityTaskCompleted") == {"result": "42", "scheduledEventId": 5, "startedEventId": 6}
    assert last(events, "ActivityTaskScheduled")["decisionTaskCompletedEventId"] == 4
    assert last(events, "WorkflowExecutionCompleted") == {"result": "done", "decisionTaskCompletedEventId": 10}
    info = describe(swf_client, domain, run)["executionInfo"]
    assert (info["executionStatus"], info["closeStatus"], info["tagList"]) == ("CLOSED", "COMPLETED", ["t1"])


def test_empty_polls_carry_an_empty_token(swf_client: Any, domain: str) -> None:
    """A poll on an empty task list answers SWF's empty shapes, taskToken "", after the poll timeout."""
    with gevent.Timeout(10):
        empty_decision = swf_client.poll_for_decision_task(domain=domain, taskList={"name": DECISIONS})
        empty_activity = swf_client.poll_for_activity_task(domain=domain, taskList={"name": ACTIVITIES})
    assert empty_decision["taskToken"] == ""
    assert (empty_decision["startedEventId"], empty_decision["previousStartedEventId"]) == (0, 0)
    assert empty_activity["taskToken"] == "" and empty_activity["startedEventId"] == 0


def test_parked_poll_gets_a_task_scheduled_later(swf_client: Any, domain: str) -> None:
    """A poll parked on an empty list is handed the decision task of an execution started meanwhile."""
    with gevent.Timeout(10):
        poller = gevent.spawn(swf_client.poll_for_decision_task, domain=domain, taskList={"name": DECISIONS})
        gevent.sleep(0.2)  # most likely parked by now; parked or not, it must get this task
        run = start(swf_client, domain)
        answer = poller.get()
    assert answer.get("taskToken") and answer["workflowExecution"] == run


def test_concurrent_pollers_never_share_a_task(swf_client: Any, domain: str) -> None:
    """Eight pollers racing for five decision tasks get five distinct executions, each once."""
    runs = [start(swf_client, domain, f"wf-{index}")["runId"] for index in range(5)]

    def poll() -> Any:
        return swf_client.poll_for_decision_task(domain=domain, taskList={"name": DECISIONS})

    with gevent.Timeout(15):
        answers = [greenlet.get() for greenlet in [gevent.spawn(poll) for _ in range(8)]]
    handed = [answer["workflowExecution"]["runId"] for answer in answers if answer.get("taskToken")]
    assert sorted(handed) == sorted(runs)
    assert swf_client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})["count"] == 0


def test_counts_pending_tasks(swf_client: Any, domain: str) -> None:
    """CountPending*Tasks count the tasks scheduled and not handed out."""
    for index in range(3):
        start(swf_client, domain, f"wf-{index}")
    counted = swf_client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})
    assert (counted["count"], counted["truncated"]) == (3, False)
    task = next_decision(swf_client, domain)
    decide(swf_client, task, schedule("a1"), schedule("a2"))
    assert swf_client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})["count"] == 2
    assert swf_client.count_pending_activity_tasks(domain=domain, taskList={"name": ACTIVITIES})["count"] == 2
    next_activity(swf_client, domain)
    assert swf_client.count_pending_activity_tasks(domain=domain, taskList={"name": ACTIVITIES})["count"] == 1


def test_one_decision_task_at_a_time(swf_client: Any, domain: str) -> None:
    """Events arriving while a decision task runs schedule one more, handed out only after the answer."""
    run = start(swf_client, domain)
    task = next_decision(swf_client, domain)
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="one")
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="two")
    assert describe(swf_client, domain, run)["openCounts"]["openDecisionTasks"] == 1
    assert swf_client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})["count"] == 0
    decide(swf_client, task)
    second = next_decision(swf_client, domain)
    assert types(second["events"])[3:] == [
        "WorkflowExecutionSignaled",
        "DecisionTaskScheduled",
        "WorkflowExecutionSignaled",
        "DecisionTaskCompleted",
        "DecisionTaskStarted",
    ]
    assert second["previousStartedEventId"] == task["startedEventId"]
    assert attrs(second["events"][-1])["scheduledEventId"] == 5


def test_task_priority_orders_handout(swf_client: Any, domain: str) -> None:
    """A higher taskPriority decision task is handed out before older, lower ones."""
    start(swf_client, domain, "low", taskPriority="1")
    start(swf_client, domain, "high", taskPriority="10")
    assert next_decision(swf_client, domain)["workflowExecution"]["workflowId"] == "high"


def test_forged_and_spent_tokens_are_unknown(swf_client: Any, domain: str) -> None:
    """Unknown, already answered or closed-execution task tokens answer UnknownResourceFault."""
    run = start(swf_client, domain)
    with pytest.raises(ClientError) as forged:
        swf_client.respond_decision_task_completed(taskToken="forged-token", decisions=[])
    assert error_code(forged.value) == "UnknownResourceFault"
    task = next_decision(swf_client, domain)
    decide(swf_client, task, schedule("a1"))
    with pytest.raises(ClientError) as spent:
        decide(swf_client, task)
    assert error_code(spent.value) == "UnknownResourceFault"
    work = next_activity(swf_client, domain)
    swf_client.terminate_workflow_execution(domain=domain, workflowId=run["workflowId"])
    with pytest.raises(ClientError) as closed:
        swf_client.respond_activity_task_completed(taskToken=work["taskToken"])
    assert error_code(closed.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as heartbeat:
        swf_client.record_activity_task_heartbeat(taskToken=work["taskToken"])
    assert error_code(heartbeat.value) == "UnknownResourceFault"


def test_activity_failed_and_canceled(swf_client: Any, domain: str) -> None:
    """RespondActivityTaskFailed / Canceled record their events with reason, details and ids."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), schedule("a1"), schedule("a2"))
    first, second = next_activity(swf_client, domain), next_activity(swf_client, domain)
    swf_client.respond_activity_task_failed(taskToken=first["taskToken"], reason="boom", details="trace")
    swf_client.respond_activity_task_canceled(taskToken=second["taskToken"], details="undone")
    events = history(swf_client, domain, run)
    assert last(events, "ActivityTaskFailed") == {
        "reason": "boom",
        "details": "trace",
        "scheduledEventId": 5,
        "startedEventId": first["startedEventId"],
    }
    assert last(events, "ActivityTaskCanceled") == {
        "details": "undone",
        "scheduledEventId": 6,
        "startedEventId": second["startedEventId"],
    }


def test_heartbeat_reports_cancel_request(swf_client: Any, domain: str) -> None:
    """After a RequestCancelActivityTask decision, a heartbeat answers cancelRequested true."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), schedule("a1"))
    work = next_activity(swf_client, domain)
    assert (
        swf_client.record_activity_task_heartbeat(taskToken=work["taskToken"], details="10%")["cancelRequested"]
        is False
    )
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="stop")
    decide(swf_client, next_decision(swf_client, domain), decision("RequestCancelActivityTask", activityId="a1"))
    assert swf_client.record_activity_task_heartbeat(taskToken=work["taskToken"])["cancelRequested"] is True
    swf_client.respond_activity_task_canceled(taskToken=work["taskToken"])
    events = history(swf_client, domain, run)
    requested = [event["eventId"] for event in events if event["eventType"] == "ActivityTaskCancelRequested"]
    assert last(events, "ActivityTaskCanceled")["latestCancelRequestedEventId"] == requested[0]


def test_start_faults(swf_client: Any, domain: str) -> None:
    """StartWorkflowExecution answers SWF's faults for duplicates, unknown types and bad durations."""
    start(swf_client, domain, "dup")
    cases = [
        ({"workflowId": "dup", "workflowType": WORKFLOW}, "WorkflowExecutionAlreadyStartedFault"),
        ({"workflowId": "x", "workflowType": {"name": "nope", "version": "1"}}, "UnknownResourceFault"),
        ({"workflowId": "x", "workflowType": WORKFLOW, "taskStartToCloseTimeout": "soon"}, "ValidationException"),
        ({"workflowId": "x", "workflowType": WORKFLOW, "executionStartToCloseTimeout": "NONE"}, "ValidationException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            swf_client.start_workflow_execution(domain=domain, **kwargs)
        assert error_code(err.value) == code, kwargs
    with pytest.raises(ClientError) as unknown_domain:
        swf_client.start_workflow_execution(domain=domain + "-missing", workflowId="x", workflowType=WORKFLOW)
    assert error_code(unknown_domain.value) == "UnknownResourceFault"


def test_start_needs_defaults_or_values(swf_client: Any, domain_name: str) -> None:
    """Without a registered default, StartWorkflowExecution needs the value: DefaultUndefinedFault."""
    register(swf_client, domain_name, workflow_defaults={"defaultTaskList": None})
    with pytest.raises(ClientError) as err:
        start(swf_client, domain_name)
    assert error_code(err.value) == "DefaultUndefinedFault"
    run = start(swf_client, domain_name, taskList={"name": "elsewhere"})
    assert describe(swf_client, domain_name, run)["executionConfiguration"]["taskList"] == {"name": "elsewhere"}


def test_deprecated_type_refuses_start(swf_client: Any, domain: str) -> None:
    """A deprecated workflow type cannot start: TypeDeprecatedFault."""
    swf_client.deprecate_workflow_type(domain=domain, workflowType=WORKFLOW)
    with pytest.raises(ClientError) as err:
        start(swf_client, domain)
    assert error_code(err.value) == "TypeDeprecatedFault"


def test_stop_releases_parked_polls(domain_name: str) -> None:
    """Stopping the endpoint answers a parked poll at once with the empty task, not after its 30 s hold."""
    from swf.connection import make_client
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=30.0)
    server.start()
    try:
        client = make_client(
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            max_attempts=1,
            read_timeout=40,
            poll_hold=30,
        )
        register(client, domain_name)
        with gevent.Timeout(10):
            poller = gevent.spawn(client.poll_for_activity_task, domain=domain_name, taskList={"name": ACTIVITIES})
            gevent.sleep(0.2)  # let the poll park before the stop
            server.stop()
            answer = poller.get()
    finally:
        server.stop()
    assert answer["taskToken"] == "" and answer["startedEventId"] == 0
