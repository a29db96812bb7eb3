"""The local endpoint against moto's SWF backend: the same scenarios through boto3, compared.

Each scenario runs once against a moto server (started here, on loopback) and
once against :class:`swf_gevent.local.LocalSWF`, through real boto3 clients,
for the part of SWF moto models: registration, starting, polling, activity
results, markers, timers, signals, termination, listing and describing. The
histories must hold the same event types in the same order with the same key
attributes. Where the two differ because moto strays from SWF's documentation,
the test quotes the documented behaviour the local endpoint follows and
asserts each side's answer.

moto answers an empty poll only after sleeping a second, so no scenario polls
moto unless a task is waiting (the timer and decision timeout scenarios excepted).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from swf.connection import make_client
from tests.local.engine_support import (
    ACTIVITIES,
    ACTIVITY,
    DECISIONS,
    WORKFLOW,
    decide,
    decision,
    describe,
    history,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
    types,
)

pytestmark = pytest.mark.timeout(60)

#: Attribute keys never compared: times, and identifiers each side mints itself.
_UNCOMPARED = {
    "eventTimestamp",
    "creationDate",
    "deprecationDate",
    "startTimestamp",
    "closeTimestamp",
    "runId",
    "taskToken",
    "latestActivityTaskTimestamp",
    "ResponseMetadata",
}
#: Attributes SWF records that moto leaves out (asserted on their own in the tests below).
_MOTO_OMITS = {
    "ActivityTaskScheduled": {
        "scheduleToStartTimeout",
        "scheduleToCloseTimeout",
        "startToCloseTimeout",
        "heartbeatTimeout",
    },
    "WorkflowExecutionStarted": {"tagList"},
}
_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def moto_client() -> Iterator[Any]:
    """A boto3 SWF client to a moto server on a free loopback port, for this module."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield make_client(
            region_name="us-east-1",
            endpoint_url=f"http://{host}:{port}",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            max_attempts=1,
        )
    finally:
        server.stop()


@pytest.fixture
def both(moto_client: Any, swf_client: Any) -> dict[str, Any]:
    """``{"moto": client, "local": client}``."""
    return {"moto": moto_client, "local": swf_client}


def _strip(value: Any) -> Any:
    """``value`` without the uncompared keys, recursively."""
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items() if key not in _UNCOMPARED}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def _events(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """``(eventType, attributes)`` of each event, attributes moto omits left out."""
    compared = []
    for event in events:
        event_type = event["eventType"]
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        attrs = {
            name: value for name, value in event.get(key, {}).items() if name not in _MOTO_OMITS.get(event_type, set())
        }
        compared.append((event_type, _strip(attrs)))
    return compared


def _code(call: Callable[..., Any], **params: Any) -> str:
    """Call an operation that must fail; its error code (``"500"`` for moto's internal errors)."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def _run(both: dict[str, Any], domain: str, scenario: Callable[[Any, str], Any]) -> tuple[Any, Any]:
    """Register ``domain`` on both endpoints and run ``scenario(client, domain)``; ``(moto, local)``."""
    results = []
    for name in ("moto", "local"):
        register(both[name], domain)
        results.append(scenario(both[name], domain))
    return results[0], results[1]


# -- scenarios where both agree --------------------------------------------------------


def _registration(client: Any, domain: str) -> dict[str, Any]:
    client.register_activity_type(domain=domain, name="old", version="1", description="retired")
    client.deprecate_activity_type(domain=domain, activityType={"name": "old", "version": "1"})
    listed = [
        info for info in client.list_domains(registrationStatus="REGISTERED")["domainInfos"] if info["name"] == domain
    ]
    answers: dict[str, Any] = _strip(
        {
            "domain": client.describe_domain(name=domain),
            "listed": listed,
            "workflow": client.describe_workflow_type(domain=domain, workflowType=WORKFLOW),
            "activity": client.describe_activity_type(domain=domain, activityType=ACTIVITY),
            "registered": client.list_activity_types(domain=domain, registrationStatus="REGISTERED")["typeInfos"],
            "deprecated": client.list_activity_types(domain=domain, registrationStatus="DEPRECATED")["typeInfos"],
            "workflows": client.list_workflow_types(domain=domain, registrationStatus="REGISTERED")["typeInfos"],
            "tags": client.list_tags_for_resource(resourceArn=client.describe_domain(name=domain)["domainInfo"]["arn"])[
                "tags"
            ],
        }
    )
    return answers


def test_registration_answers_match(both: dict[str, Any], domain_name: str) -> None:
    """Domains and types describe and list alike: status, ARN, retention, type defaults, deprecation."""
    moto, local = _run(both, domain_name, _registration)
    assert local == moto
    assert local["domain"]["domainInfo"]["arn"] == f"arn:aws:swf:us-east-1:123456789012:/domain/{domain_name}"
    assert local["activity"]["configuration"]["defaultTaskList"] == {"name": ACTIVITIES}
    assert [info["activityType"]["name"] for info in local["deprecated"]] == ["old"]


def _registration_errors(client: Any, domain: str) -> list[str]:
    client.register_activity_type(domain=domain, name="old", version="1")
    old = {"name": "old", "version": "1"}
    client.deprecate_activity_type(domain=domain, activityType=old)
    start(client, domain, "busy")
    codes = [
        _code(client.register_domain, name=domain, workflowExecutionRetentionPeriodInDays="1"),
        _code(client.describe_domain, name=domain + "-missing"),
        _code(client.register_workflow_type, domain=domain, **WORKFLOW),
        _code(client.describe_activity_type, domain=domain, activityType={"name": "missing", "version": "1"}),
        _code(client.deprecate_activity_type, domain=domain, activityType=old),
        _code(
            client.start_workflow_execution,
            domain=domain,
            workflowId="x",
            workflowType={"name": "missing", "version": "1"},
        ),
        _code(client.start_workflow_execution, domain=domain, workflowId="busy", workflowType=WORKFLOW),
    ]
    client.undeprecate_activity_type(domain=domain, activityType=old)
    codes.append(_code(client.undeprecate_activity_type, domain=domain, activityType=old))
    client.terminate_workflow_execution(domain=domain, workflowId="busy")
    client.deprecate_domain(name=domain)
    codes.append(_code(client.deprecate_domain, name=domain))
    return codes


def test_registration_error_codes_match(both: dict[str, Any], domain_name: str) -> None:
    """Duplicate, unknown and wrongly deprecated resources fail with the same SWF fault codes."""
    moto, local = _run(both, domain_name, _registration_errors)
    assert (
        local
        == moto
        == [
            "DomainAlreadyExistsFault",
            "UnknownResourceFault",
            "TypeAlreadyExistsFault",
            "UnknownResourceFault",
            "TypeDeprecatedFault",
            "UnknownResourceFault",
            "WorkflowExecutionAlreadyStartedFault",
            "TypeAlreadyExistsFault",
            "DomainDeprecatedFault",
        ]
    )


def _activity_round_trip(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain, input="order-1")
    first = next_decision(client, domain, identity="decider-1")
    decide(
        client,
        first,
        schedule("charge", input="card"),
        decision("RecordMarker", markerName="checkpoint", details="before charge"),
        decision("StartTimer", timerId="reminder", startToFireTimeout="600"),
    )
    task = next_activity(client, domain)
    heartbeat = client.record_activity_task_heartbeat(taskToken=task["taskToken"], details="half way")
    client.respond_activity_task_completed(taskToken=task["taskToken"], result="charged")
    closing = next_decision(client, domain, identity="decider-2")
    decide(client, closing, decision("CompleteWorkflowExecution", result="done"))
    return {
        "first": _strip({key: first[key] for key in ("startedEventId", "workflowExecution", "workflowType")}),
        "first events": types(first["events"]),
        "task": _strip({key: task[key] for key in ("activityId", "activityType", "input", "startedEventId")}),
        "heartbeat": heartbeat["cancelRequested"],
        "closing events": types(closing["events"]),
        "history": _events(history(client, domain, run)),
        "info": _strip(describe(client, domain, run)["executionInfo"]),
    }


def test_activity_round_trip_matches(both: dict[str, Any], domain_name: str) -> None:
    """Schedule, run and complete an activity with a marker and a timer: same tasks, history and status."""
    moto, local = _run(both, domain_name, _activity_round_trip)
    assert local == moto
    assert local["task"] == {"activityId": "charge", "activityType": ACTIVITY, "input": "card", "startedEventId": 8}
    assert [event_type for event_type, _ in local["history"]] == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "MarkerRecorded",
        "TimerStarted",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "WorkflowExecutionCompleted",
    ]
    assert local["history"][8] == (
        "ActivityTaskCompleted",
        {"result": "charged", "scheduledEventId": 5, "startedEventId": 8},
    )
    assert local["info"]["closeStatus"] == "COMPLETED"


def _failures(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain, "failing", tagList=["nightly"])
    decide(client, next_decision(client, domain), schedule("a1"))
    client.respond_activity_task_failed(
        taskToken=next_activity(client, domain)["taskToken"], reason="card declined", details="code 51"
    )
    decide(
        client, next_decision(client, domain), decision("FailWorkflowExecution", reason="payment", details="gave up")
    )
    window = {"domain": domain, "startTimeFilter": {"oldestDate": _EPOCH}}
    events = history(client, domain, run)
    return {
        "history": _events(events),
        "started tags": events[0]["workflowExecutionStartedEventAttributes"].get("tagList"),
        "closed": _strip(client.list_closed_workflow_executions(**window)["executionInfos"]),
        "closed as failed": _strip(
            client.list_closed_workflow_executions(**window, closeStatusFilter={"status": "FAILED"})["executionInfos"]
        ),
    }


def test_activity_and_workflow_failures_match(both: dict[str, Any], domain_name: str) -> None:
    """A failed activity and a FailWorkflowExecution decision record the same events and close as FAILED.

    Two details part them. SWF API Reference, ListClosedWorkflowExecutions:
    closeStatusFilter "If specified, only workflow executions that match this
    close status are listed." The local endpoint lists the failed execution;
    moto compares the filter structure with the status string and lists
    nothing. WorkflowExecutionStartedEventAttributes: tagList is "The list of
    tags associated with this workflow execution"; moto leaves it out of the
    event (it keeps it in the listing).
    """
    moto, local = _run(both, domain_name, _failures)
    assert local["history"] == moto["history"]
    assert local["closed"] == moto["closed"]
    assert local["history"][-1] == (
        "WorkflowExecutionFailed",
        {"reason": "payment", "details": "gave up", "decisionTaskCompletedEventId": 10},
    )
    assert (
        "ActivityTaskFailed",
        {"reason": "card declined", "details": "code 51", "scheduledEventId": 5, "startedEventId": 6},
    ) in local["history"]
    failed = [
        {
            "execution": {"workflowId": "failing"},
            "workflowType": WORKFLOW,
            "executionStatus": "CLOSED",
            "closeStatus": "FAILED",
            "tagList": ["nightly"],
            "cancelRequested": False,
        }
    ]
    assert local["closed"] == failed
    assert local["closed as failed"] == failed
    assert moto["closed as failed"] == []
    assert local["started tags"] == ["nightly"]
    assert moto["started tags"] is None


def _signal_and_cancel(client: Any, domain: str) -> list[tuple[str, dict[str, Any]]]:
    run = start(client, domain)
    decide(client, next_decision(client, domain), schedule("a1"))
    client.signal_workflow_execution(
        domain=domain, workflowId=run["workflowId"], runId=run["runId"], signalName="stop", input="now"
    )
    decide(client, next_decision(client, domain), decision("CancelWorkflowExecution", details="stopped"))
    return _events(history(client, domain, run))


def test_signal_then_cancel_decision_matches(both: dict[str, Any], domain_name: str) -> None:
    """A signal schedules a decision task; CancelWorkflowExecution closes the execution as canceled."""
    moto, local = _run(both, domain_name, _signal_and_cancel)
    assert local == moto
    assert local[5:] == [
        ("WorkflowExecutionSignaled", {"signalName": "stop", "input": "now"}),
        ("DecisionTaskScheduled", {"taskList": {"name": DECISIONS}, "startToCloseTimeout": "10"}),
        ("DecisionTaskStarted", {"scheduledEventId": 7}),
        ("DecisionTaskCompleted", {"scheduledEventId": 7, "startedEventId": 8}),
        ("WorkflowExecutionCanceled", {"details": "stopped", "decisionTaskCompletedEventId": 9}),
    ]


def _terminate(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain, "doomed")
    client.terminate_workflow_execution(
        domain=domain, workflowId="doomed", reason="operator", details="cleanup", childPolicy="ABANDON"
    )
    described = describe(client, domain, run)
    return {
        "history": _events(history(client, domain, run)),
        "info": _strip(described["executionInfo"]),
        "configuration": described["executionConfiguration"],
        "again": _code(client.terminate_workflow_execution, domain=domain, workflowId="doomed"),
    }


def test_terminate_matches(both: dict[str, Any], domain_name: str) -> None:
    """TerminateWorkflowExecution records WorkflowExecutionTerminated; terminating again is unknown."""
    moto, local = _run(both, domain_name, _terminate)
    assert local == moto
    assert [event_type for event_type, _ in local["history"]] == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "WorkflowExecutionTerminated",
    ]
    assert local["history"][-1][1] == {
        "reason": "operator",
        "details": "cleanup",
        "childPolicy": "ABANDON",
        "cause": "OPERATOR_INITIATED",
    }
    assert local["info"]["closeStatus"] == "TERMINATED"
    assert local["again"] == "UnknownResourceFault"


def _timer(client: Any, domain: str) -> list[tuple[str, dict[str, Any]]]:
    run = start(client, domain)
    decide(client, next_decision(client, domain), decision("StartTimer", timerId="wake", startToFireTimeout="1"))
    woken = next_decision(client, domain, within=15.0)
    decide(client, woken, decision("CompleteWorkflowExecution"))
    return _events(history(client, domain, run))


def test_timer_fires_matches(both: dict[str, Any], domain_name: str) -> None:
    """A one-second StartTimer records TimerFired then schedules a decision task."""
    moto, local = _run(both, domain_name, _timer)
    assert local == moto
    assert local[5:7] == [
        ("TimerFired", {"timerId": "wake", "startedEventId": 5}),
        ("DecisionTaskScheduled", {"taskList": {"name": DECISIONS}, "startToCloseTimeout": "10"}),
    ]


def _decision_timeout(client: Any, domain: str) -> list[tuple[str, dict[str, Any]]]:
    run = start(client, domain, taskStartToCloseTimeout="1")
    next_decision(client, domain, identity="slow")
    retry = next_decision(client, domain, identity="quick", within=15.0)
    decide(client, retry, decision("CompleteWorkflowExecution"))
    return _events(history(client, domain, run))


def test_decision_task_timeout_matches(both: dict[str, Any], domain_name: str) -> None:
    """A decision task left unanswered past taskStartToCloseTimeout times out and is scheduled again."""
    moto, local = _run(both, domain_name, _decision_timeout)
    assert local == moto
    assert local[2:6] == [
        ("DecisionTaskStarted", {"identity": "slow", "scheduledEventId": 2}),
        ("DecisionTaskTimedOut", {"timeoutType": "START_TO_CLOSE", "scheduledEventId": 2, "startedEventId": 3}),
        ("DecisionTaskScheduled", {"taskList": {"name": DECISIONS}, "startToCloseTimeout": "1"}),
        ("DecisionTaskStarted", {"identity": "quick", "scheduledEventId": 5}),
    ]


def _visibility(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain, "tagged", tagList=["blue"])
    start(client, domain, "plain")
    pending_decisions = client.count_pending_decision_tasks(domain=domain, taskList={"name": DECISIONS})
    decide(client, next_decision(client, domain), schedule("a1"))
    pending_activities = client.count_pending_activity_tasks(domain=domain, taskList={"name": ACTIVITIES})
    listed = client.list_open_workflow_executions(
        domain=domain, startTimeFilter={"oldestDate": _EPOCH}, tagFilter={"tag": "blue"}
    )
    described = describe(client, domain, run)
    reverse = client.get_workflow_execution_history(domain=domain, execution=run, reverseOrder=True)
    return {
        "pending decisions": _strip(pending_decisions),
        "pending activities": _strip(pending_activities),
        "listed": _strip(listed["executionInfos"]),
        "configuration": described["executionConfiguration"],
        "counts": described["openCounts"],
        "info": _strip(described["executionInfo"]),
        "reverse": [event["eventId"] for event in reverse["events"]],
    }


def test_listing_counting_and_describing_match(both: dict[str, Any], domain_name: str) -> None:
    """Pending task counts, tag-filtered open listing, DescribeWorkflowExecution and reverse history agree."""
    moto, local = _run(both, domain_name, _visibility)
    assert local == moto
    assert local["pending decisions"] == {"count": 2, "truncated": False}
    assert local["pending activities"] == {"count": 1, "truncated": False}
    assert [info["execution"]["workflowId"] for info in local["listed"]] == ["tagged"]
    assert local["counts"]["openActivityTasks"] == 1
    assert local["reverse"] == [5, 4, 3, 2, 1]


# -- where moto strays from SWF ---------------------------------------------------------


def _decision_while_one_is_scheduled(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain)
    decide(client, next_decision(client, domain), schedule("a1"))
    client.respond_activity_task_completed(taskToken=next_activity(client, domain)["taskToken"])
    client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="poke", input="x")
    decide(client, next_decision(client, domain), decision("CompleteWorkflowExecution"))
    return {
        "history": types(history(client, domain, run)),
        "open decisions": describe(client, domain, run)["openCounts"]["openDecisionTasks"],
    }


def test_one_decision_task_open_at_a_time(both: dict[str, Any], domain_name: str) -> None:
    """A signal while a decision task is already scheduled schedules no second one.

    SWF Developer Guide, "Developing deciders in Amazon SWF": "there can be
    only one decision task open at any time for a given workflow execution."
    The local endpoint folds the signal into the scheduled task; moto records
    a second DecisionTaskScheduled that is never started, and still counts it
    open after the execution closed.
    """
    moto, local = _run(both, domain_name, _decision_while_one_is_scheduled)
    common = [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
        "WorkflowExecutionSignaled",
    ]
    closing = ["DecisionTaskStarted", "DecisionTaskCompleted", "WorkflowExecutionCompleted"]
    assert local["history"] == common + closing
    assert local["open decisions"] == 0
    assert moto["history"] == common + ["DecisionTaskScheduled"] + closing
    assert moto["open decisions"] == 1


def _cancel_timer(client: Any, domain: str) -> list[dict[str, Any]]:
    run = start(client, domain)
    decide(
        client,
        next_decision(client, domain),
        decision("StartTimer", timerId="t1", startToFireTimeout="600"),
        schedule("a1"),
    )
    client.respond_activity_task_completed(taskToken=next_activity(client, domain)["taskToken"])
    decide(
        client,
        next_decision(client, domain),
        decision("CancelTimer", timerId="t1"),
        decision("CompleteWorkflowExecution"),
    )
    return [event for event in history(client, domain, run) if event["eventType"].startswith("TimerCancel")]


def test_cancel_timer_records_timer_canceled(both: dict[str, Any], domain_name: str) -> None:
    """CancelTimer records a TimerCanceled event with its attributes.

    SWF API Reference, TimerCanceledEventAttributes: "Provides the details of
    the TimerCanceled event", with timerId, startedEventId (the TimerStarted
    event) and decisionTaskCompletedEventId, all required. moto records an
    event named TimerCancelled, without attributes.
    """
    moto, local = _run(both, domain_name, _cancel_timer)
    assert [event["eventType"] for event in local] == ["TimerCanceled"]
    assert local[0]["timerCanceledEventAttributes"] == {
        "timerId": "t1",
        "startedEventId": 5,
        "decisionTaskCompletedEventId": 11,
    }
    assert [event["eventType"] for event in moto] == ["TimerCancelled"]
    assert set(moto[0]) == {"eventId", "eventTimestamp", "eventType"}


def _scheduled_timeouts(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain)
    decide(client, next_decision(client, domain), schedule("a1", startToCloseTimeout="30"))
    events = history(client, domain, run)
    return dict(events[-1]["activityTaskScheduledEventAttributes"])


def test_activity_task_scheduled_records_timeouts_in_force(both: dict[str, Any], domain_name: str) -> None:
    """ActivityTaskScheduled carries the timeouts in force: the decision's, else the type's defaults.

    SWF API Reference, ActivityTaskScheduledEventAttributes: scheduleToStartTimeout
    is "The maximum amount of time the activity task can wait to be assigned to
    a worker", scheduleToCloseTimeout "The maximum amount of time for this
    activity task", startToCloseTimeout "The maximum amount of time a worker may
    take to process the activity task", heartbeatTimeout the time within which
    the worker must report progress. moto records only those the decision
    itself gave, none taken from the activity type's defaults.
    """
    moto, local = _run(both, domain_name, _scheduled_timeouts)
    assert {key: local[key] for key in _MOTO_OMITS["ActivityTaskScheduled"]} == {
        "scheduleToStartTimeout": "60",
        "scheduleToCloseTimeout": "60",
        "startToCloseTimeout": "30",
        "heartbeatTimeout": "NONE",
    }
    assert _MOTO_OMITS["ActivityTaskScheduled"] & set(moto) == {"startToCloseTimeout"}
    assert moto["startToCloseTimeout"] == "30"
    assert {key: value for key, value in local.items() if key not in _MOTO_OMITS["ActivityTaskScheduled"]} == {
        key: value for key, value in moto.items() if key not in _MOTO_OMITS["ActivityTaskScheduled"]
    }


def _stale_tokens(client: Any, domain: str) -> dict[str, str]:
    start(client, domain)
    decision_task = next_decision(client, domain)
    decide(client, decision_task, schedule("a1"))
    activity = next_activity(client, domain)
    client.respond_activity_task_failed(taskToken=activity["taskToken"], reason="broken")
    return {
        "decision answered twice": _code(client.respond_decision_task_completed, taskToken=decision_task["taskToken"]),
        "unknown decision token": _code(client.respond_decision_task_completed, taskToken="no-such-token"),
        "unknown activity token": _code(client.respond_activity_task_completed, taskToken="no-such-token"),
        "activity answered twice": _code(client.respond_activity_task_completed, taskToken=activity["taskToken"]),
        "heartbeat after close": _code(client.record_activity_task_heartbeat, taskToken=activity["taskToken"]),
    }


def test_stale_and_unknown_task_tokens(both: dict[str, Any], domain_name: str) -> None:
    """Answering a closed or unknown task is UnknownResourceFault.

    SWF API Reference, RespondActivityTaskCompleted: "A task is closed after it
    has been specified in a call to RespondActivityTaskCompleted,
    RespondActivityTaskCanceled, RespondActivityTaskFailed, or the task has
    timed out"; the Errors of RespondDecisionTaskCompleted,
    RespondActivityTaskCompleted/Failed and RecordActivityTaskHeartbeat list
    UnknownResourceFault, "Returned when the named resource cannot be found
    with in the scope of this operation". moto agrees for a decision task
    answered twice, answers ValidationException for a token it never issued,
    and fails with HTTP 500 for an activity task closed as failed.
    """
    moto, local = _run(both, domain_name, _stale_tokens)
    assert set(local.values()) == {"UnknownResourceFault"}
    assert moto == {
        "decision answered twice": "UnknownResourceFault",
        "unknown decision token": "ValidationException",
        "unknown activity token": "ValidationException",
        "activity answered twice": "500",
        "heartbeat after close": "500",
    }


def _unmodelled(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain, "busy")
    window = {"domain": domain, "startTimeFilter": {"oldestDate": _EPOCH}}
    answers: dict[str, Any] = {}
    for name, call, params in (
        ("CountOpenWorkflowExecutions", client.count_open_workflow_executions, window),
        (
            "SignalWorkflowExecution without input",
            client.signal_workflow_execution,
            {"domain": domain, "workflowId": "busy", "signalName": "poke"},
        ),
        (
            "RequestCancelWorkflowExecution",
            client.request_cancel_workflow_execution,
            {"domain": domain, "workflowId": "busy"},
        ),
        ("CountClosedWorkflowExecutions", client.count_closed_workflow_executions, window),
    ):
        try:
            answers[name] = _strip(call(**params))
        except ClientError as err:
            answers[name] = err.response["Error"]["Code"]
    answers["history"] = types(history(client, domain, run))
    return answers


def test_operations_moto_does_not_model(both: dict[str, Any], domain_name: str) -> None:
    """Counting executions, a signal without input and a cancel request are answered as SWF documents.

    SWF API Reference: CountOpenWorkflowExecutions and
    CountClosedWorkflowExecutions return a WorkflowExecutionCount (``count``,
    ``truncated``); SignalWorkflowExecution's ``input`` is "Required: No";
    RequestCancelWorkflowExecution "Records a
    WorkflowExecutionCancelRequested event in the currently running workflow
    execution". moto fails each with HTTP 500.
    """
    moto, local = _run(both, domain_name, _unmodelled)
    assert local == {
        "CountOpenWorkflowExecutions": {"count": 1, "truncated": False},
        "SignalWorkflowExecution without input": {},
        "RequestCancelWorkflowExecution": {},
        "CountClosedWorkflowExecutions": {"count": 0, "truncated": False},
        "history": [
            "WorkflowExecutionStarted",
            "DecisionTaskScheduled",
            "WorkflowExecutionSignaled",
            "WorkflowExecutionCancelRequested",
        ],
    }
    assert moto == {
        "CountOpenWorkflowExecutions": "500",
        "SignalWorkflowExecution without input": "500",
        "RequestCancelWorkflowExecution": "500",
        "CountClosedWorkflowExecutions": "500",
        "history": ["WorkflowExecutionStarted", "DecisionTaskScheduled"],
    }


def _paged_history(client: Any, domain: str) -> dict[str, Any]:
    run = start(client, domain)
    decide(
        client,
        next_decision(client, domain),
        decision("RecordMarker", markerName="m1"),
        decision("RecordMarker", markerName="m2"),
    )
    first = client.get_workflow_execution_history(domain=domain, execution=run, maximumPageSize=2)
    return {
        "first page": [event["eventId"] for event in first["events"]],
        "token": bool(first.get("nextPageToken")),
        "all": [event["eventId"] for event in history(client, domain, run)],
    }


def test_history_pages_by_maximum_page_size(both: dict[str, Any], domain_name: str) -> None:
    """GetWorkflowExecutionHistory answers at most maximumPageSize events and a nextPageToken for the rest.

    SWF API Reference, GetWorkflowExecutionHistory: maximumPageSize is "The
    maximum number of results that are returned per call", and "If
    NextPageToken is returned there are more results available". moto
    ignores the page size and answers the whole history at once.
    """
    moto, local = _run(both, domain_name, _paged_history)
    assert local == {"first page": [1, 2], "token": True, "all": [1, 2, 3, 4, 5, 6]}
    assert moto == {"first page": [1, 2, 3, 4, 5, 6], "token": False, "all": [1, 2, 3, 4, 5, 6]}
