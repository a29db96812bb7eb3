"""Histories, pagination, listing, counting and describing executions on the local endpoint."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.engine_support import (
    DECISIONS,
    WORKFLOW,
    decide,
    decision,
    describe,
    error_code,
    history,
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


def _long_history(client: Any, domain: str) -> dict[str, str]:
    """An execution with exactly 300 events (296 markers), then a signal and a decision task pending."""
    run = start(client, domain)
    decide(
        client,
        next_decision(client, domain),
        *[decision("RecordMarker", markerName=f"m{index}") for index in range(296)],
    )
    return run


def test_history_pages(swf_client: Any, domain: str) -> None:
    """GetWorkflowExecutionHistory pages 300 events by 100, forward and in reverse, ids in order."""
    run = _long_history(swf_client, domain)
    forward: list[int] = []
    pages = 0
    kwargs: dict[str, Any] = {}
    while True:
        page = swf_client.get_workflow_execution_history(domain=domain, execution=run, maximumPageSize=100, **kwargs)
        forward += [event["eventId"] for event in page["events"]]
        pages += 1
        if "nextPageToken" not in page:
            break
        kwargs = {"nextPageToken": page["nextPageToken"]}
    assert (pages, forward) == (3, list(range(1, 301)))
    first = swf_client.get_workflow_execution_history(
        domain=domain, execution=run, maximumPageSize=100, reverseOrder=True
    )
    assert [event["eventId"] for event in first["events"]] == list(range(300, 200, -1))
    second = swf_client.get_workflow_execution_history(
        domain=domain, execution=run, maximumPageSize=100, reverseOrder=True, nextPageToken=first["nextPageToken"]
    )
    assert second["events"][0]["eventId"] == 200


def test_forged_page_token(swf_client: Any, domain: str) -> None:
    """A nextPageToken the endpoint did not issue is a ValidationException."""
    run = _long_history(swf_client, domain)
    page = swf_client.get_workflow_execution_history(domain=domain, execution=run, maximumPageSize=100)
    for token in ["garbage", page["nextPageToken"][:-2] + "00"]:
        with pytest.raises(ClientError) as err:
            swf_client.get_workflow_execution_history(domain=domain, execution=run, nextPageToken=token)
        assert error_code(err.value) == "ValidationException"


def test_decision_task_pages(swf_client: Any, domain: str) -> None:
    """A decision task's later pages come from polling again with nextPageToken: same task, next events."""
    run = _long_history(swf_client, domain)
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="more")
    task = next_decision(swf_client, domain, maximumPageSize=100)
    events = list(task["events"])
    token = task["taskToken"]
    while task.get("nextPageToken"):
        task = swf_client.poll_for_decision_task(
            domain=domain, taskList={"name": DECISIONS}, maximumPageSize=100, nextPageToken=task["nextPageToken"]
        )
        assert task["taskToken"] == token and task["startedEventId"] == 303
        events += task["events"]
    assert [event["eventId"] for event in events] == list(range(1, 304))
    assert types(events)[-3:] == ["WorkflowExecutionSignaled", "DecisionTaskScheduled", "DecisionTaskStarted"]
    decide(swf_client, task, decision("CompleteWorkflowExecution"))
    assert describe(swf_client, domain, run)["executionInfo"]["closeStatus"] == "COMPLETED"


def test_decision_task_reverse_and_previous_started(swf_client: Any, domain: str) -> None:
    """reverseOrder and startAtPreviousStartedEvent shape a decision task's events."""
    run = start(swf_client, domain)
    decide(swf_client, next_decision(swf_client, domain), decision("RecordMarker", markerName="m"))
    swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="s")
    task = next_decision(swf_client, domain, reverseOrder=True, startAtPreviousStartedEvent=True)
    assert [event["eventId"] for event in task["events"]] == [8, 7, 6, 5, 4, 3]
    assert task["previousStartedEventId"] == 3


def _ts(value: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)


def test_list_and_count_open(swf_client: Any, domain: str) -> None:
    """ListOpen/CountOpen filter by time, id, type and tag; newest first; pages follow nextPageToken."""
    swf_client.register_workflow_type(
        domain=domain,
        name="other",
        version="1",
        defaultTaskList={"name": "o"},
        defaultExecutionStartToCloseTimeout="60",
        defaultTaskStartToCloseTimeout="10",
        defaultChildPolicy="ABANDON",
    )
    for index in range(5):
        start(swf_client, domain, f"wf-{index}", tagList=["even" if index % 2 == 0 else "odd"])
    swf_client.start_workflow_execution(domain=domain, workflowId="x", workflowType={"name": "other", "version": "1"})
    window = {"oldestDate": 0}
    listed = swf_client.list_open_workflow_executions(domain=domain, startTimeFilter=window)["executionInfos"]
    assert [info["execution"]["workflowId"] for info in listed] == ["x", "wf-4", "wf-3", "wf-2", "wf-1", "wf-0"]
    assert all(info["executionStatus"] == "OPEN" for info in listed)

    ids: list[str] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = swf_client.list_open_workflow_executions(
            domain=domain, startTimeFilter=window, maximumPageSize=4, reverseOrder=True, **kwargs
        )
        ids += [info["execution"]["workflowId"] for info in page["executionInfos"]]
        if "nextPageToken" not in page:
            break
        kwargs = {"nextPageToken": page["nextPageToken"]}
    assert ids == ["wf-0", "wf-1", "wf-2", "wf-3", "wf-4", "x"]

    def count(**filters: Any) -> int:
        answer = swf_client.count_open_workflow_executions(domain=domain, startTimeFilter=window, **filters)
        assert answer["truncated"] is False
        return int(answer["count"])

    assert count() == 6
    assert count(tagFilter={"tag": "even"}) == 3
    assert count(typeFilter={"name": "other"}) == 1
    assert count(typeFilter={"name": WORKFLOW["name"], "version": "1"}) == 5
    assert count(executionFilter={"workflowId": "wf-3"}) == 1
    newest = listed[0]["startTimestamp"]
    later = newest + datetime.timedelta(seconds=5)
    assert (
        swf_client.count_open_workflow_executions(
            domain=domain, startTimeFilter={"oldestDate": newest - datetime.timedelta(seconds=5), "latestDate": later}
        )["count"]
        == 6
    )
    assert swf_client.count_open_workflow_executions(domain=domain, startTimeFilter={"oldestDate": later})["count"] == 0
    assert (
        swf_client.count_open_workflow_executions(
            domain=domain, startTimeFilter={"oldestDate": 0, "latestDate": _ts(0)}
        )["count"]
        == 0
    )


def test_list_and_count_closed(swf_client: Any, domain: str) -> None:
    """ListClosed/CountClosed filter by close status and close time; open executions are not listed."""
    for workflow_id in ("done", "killed", "open"):
        start(swf_client, domain, workflow_id)
    decide(swf_client, next_decision(swf_client, domain), decision("CompleteWorkflowExecution"))
    swf_client.terminate_workflow_execution(domain=domain, workflowId="killed")
    by_close = swf_client.list_closed_workflow_executions(domain=domain, closeTimeFilter={"oldestDate": 0})
    assert [info["execution"]["workflowId"] for info in by_close["executionInfos"]] == ["killed", "done"]
    completed = swf_client.count_closed_workflow_executions(
        domain=domain, startTimeFilter={"oldestDate": 0}, closeStatusFilter={"status": "COMPLETED"}
    )
    assert (completed["count"], completed["truncated"]) == (1, False)
    infos = swf_client.list_closed_workflow_executions(
        domain=domain, closeTimeFilter={"oldestDate": 0}, closeStatusFilter={"status": "TERMINATED"}
    )
    assert [info["closeStatus"] for info in infos["executionInfos"]] == ["TERMINATED"]


def test_list_filter_rules(swf_client: Any, domain: str) -> None:
    """Mutually exclusive filters, or both/neither time filter on closed lists, are ValidationExceptions."""
    window = {"oldestDate": 0}
    calls: list[Callable[[], Any]] = [
        lambda: swf_client.list_open_workflow_executions(
            domain=domain, startTimeFilter=window, tagFilter={"tag": "a"}, typeFilter={"name": "flow"}
        ),
        lambda: swf_client.count_closed_workflow_executions(
            domain=domain,
            startTimeFilter=window,
            closeStatusFilter={"status": "FAILED"},
            executionFilter={"workflowId": "x"},
        ),
        lambda: swf_client.list_closed_workflow_executions(
            domain=domain, startTimeFilter=window, closeTimeFilter=window
        ),
        lambda: swf_client.list_closed_workflow_executions(domain=domain),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err.value) == "ValidationException"


def test_describe_open_counts(swf_client: Any, domain: str) -> None:
    """DescribeWorkflowExecution reports configuration, open counts and the latest execution context."""
    run = start(swf_client, domain, taskPriority="3")
    decide(
        swf_client,
        next_decision(swf_client, domain),
        schedule("a1"),
        schedule("a2"),
        decision("StartTimer", timerId="t", startToFireTimeout="300"),
        decision("StartChildWorkflowExecution", workflowType=WORKFLOW, workflowId="kid", taskList={"name": "k"}),
        executionContext="ctx-1",
    )
    described = describe(swf_client, domain, run)
    assert described["openCounts"] == {
        "openActivityTasks": 2,
        "openDecisionTasks": 1,
        "openTimers": 1,
        "openChildWorkflowExecutions": 1,
        "openLambdaFunctions": 0,
    }
    assert described["latestExecutionContext"] == "ctx-1"
    assert described["executionConfiguration"] == {
        "taskStartToCloseTimeout": "10",
        "executionStartToCloseTimeout": "60",
        "taskList": {"name": DECISIONS},
        "taskPriority": "3",
        "childPolicy": "TERMINATE",
    }
    scheduled = [event for event in history(swf_client, domain, run) if event["eventType"] == "ActivityTaskScheduled"]
    assert described["latestActivityTaskTimestamp"] == scheduled[-1]["eventTimestamp"]
    assert "latestActivityTaskTimestamp" not in describe(
        swf_client, domain, {"workflowId": "kid", "runId": _kid(swf_client, domain)}
    )
    with pytest.raises(ClientError) as err:
        describe(swf_client, domain, {"workflowId": run["workflowId"], "runId": "nope"})
    assert error_code(err.value) == "UnknownResourceFault"


def _kid(client: Any, domain: str) -> str:
    infos = client.list_open_workflow_executions(
        domain=domain, startTimeFilter={"oldestDate": 0}, executionFilter={"workflowId": "kid"}
    )["executionInfos"]
    return str(infos[0]["execution"]["runId"])


def test_signal_cancel_terminate_need_open_execution(swf_client: Any, domain: str) -> None:
    """Signal, RequestCancel and Terminate of an unknown or closed execution answer UnknownResourceFault."""
    run = start(swf_client, domain)
    swf_client.terminate_workflow_execution(domain=domain, workflowId=run["workflowId"], runId=run["runId"])
    calls: list[Callable[[], Any]] = [
        lambda: swf_client.signal_workflow_execution(domain=domain, workflowId=run["workflowId"], signalName="s"),
        lambda: swf_client.request_cancel_workflow_execution(domain=domain, workflowId=run["workflowId"]),
        lambda: swf_client.terminate_workflow_execution(domain=domain, workflowId=run["workflowId"]),
        lambda: swf_client.signal_workflow_execution(domain=domain, workflowId="ghost", signalName="s"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err.value) == "UnknownResourceFault"


def test_retention_zero_forgets_closed_executions(swf_client: Any, domain_name: str) -> None:
    """With a retention of 0 days a closed execution is no longer described or listed."""
    register(swf_client, domain_name, retention="0")
    run = start(swf_client, domain_name)
    swf_client.terminate_workflow_execution(domain=domain_name, workflowId=run["workflowId"])
    with pytest.raises(ClientError) as err:
        describe(swf_client, domain_name, run)
    assert error_code(err.value) == "UnknownResourceFault"
    assert (
        swf_client.count_closed_workflow_executions(domain=domain_name, startTimeFilter={"oldestDate": 0})["count"] == 0
    )
