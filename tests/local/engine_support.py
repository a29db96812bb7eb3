"""Shared steps of the execution engine's tests: registration, polling, histories.

Everything goes through a real boto3 client to the embedded endpoint.
"""

from __future__ import annotations

import datetime
from typing import Any

import gevent

WORKFLOW = {"name": "flow", "version": "1"}
ACTIVITY = {"name": "work", "version": "1"}
DECISIONS = "deciders"
ACTIVITIES = "workers"
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def client_for(endpoint_url: str) -> Any:
    """A boto3 SWF client to ``endpoint_url`` (dummy credentials, us-east-1, one attempt a call)."""
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_attempts=1,
    )


def register(
    client: Any,
    domain: str,
    *,
    workflow_defaults: dict[str, Any] | None = None,
    activity_defaults: dict[str, Any] | None = None,
    retention: str = "1",
) -> None:
    """Register ``domain`` with WORKFLOW and ACTIVITY, every default given unless overridden."""
    client.register_domain(name=domain, workflowExecutionRetentionPeriodInDays=retention)
    workflow = {
        "defaultTaskList": {"name": DECISIONS},
        "defaultExecutionStartToCloseTimeout": "60",
        "defaultTaskStartToCloseTimeout": "10",
        "defaultChildPolicy": "TERMINATE",
    }
    workflow.update(workflow_defaults or {})
    client.register_workflow_type(domain=domain, **WORKFLOW, **{k: v for k, v in workflow.items() if v is not None})
    activity = {
        "defaultTaskList": {"name": ACTIVITIES},
        "defaultTaskScheduleToCloseTimeout": "60",
        "defaultTaskScheduleToStartTimeout": "60",
        "defaultTaskStartToCloseTimeout": "60",
        "defaultTaskHeartbeatTimeout": "NONE",
    }
    activity.update(activity_defaults or {})
    client.register_activity_type(domain=domain, **ACTIVITY, **{k: v for k, v in activity.items() if v is not None})


def start(client: Any, domain: str, workflow_id: str = "wf-1", **extra: Any) -> dict[str, str]:
    """Start WORKFLOW; returns ``{"workflowId", "runId"}``."""
    run = client.start_workflow_execution(domain=domain, workflowId=workflow_id, workflowType=WORKFLOW, **extra)
    return {"workflowId": workflow_id, "runId": run["runId"]}


def next_decision(
    client: Any, domain: str, task_list: str = DECISIONS, within: float = 10.0, **extra: Any
) -> dict[str, Any]:
    """Poll until a decision task comes (at most ``within`` seconds); returns it."""
    with gevent.Timeout(within):
        while True:
            task = client.poll_for_decision_task(domain=domain, taskList={"name": task_list}, **extra)
            if task.get("taskToken"):
                return dict(task)


def next_activity(client: Any, domain: str, task_list: str = ACTIVITIES, within: float = 10.0) -> dict[str, Any]:
    """Poll until an activity task comes (at most ``within`` seconds); returns it."""
    with gevent.Timeout(within):
        while True:
            task = client.poll_for_activity_task(domain=domain, taskList={"name": task_list})
            if task.get("taskToken"):
                return dict(task)


def decide(client: Any, task: dict[str, Any], *decisions: dict[str, Any], **extra: Any) -> None:
    """Answer a decision task with ``decisions``."""
    client.respond_decision_task_completed(taskToken=task["taskToken"], decisions=list(decisions), **extra)


def decision(decision_type: str, **attrs: Any) -> dict[str, Any]:
    """One decision of ``decision_type`` with its attributes."""
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, key: attrs}


def schedule(activity_id: str = "a1", **attrs: Any) -> dict[str, Any]:
    """A ScheduleActivityTask decision of ACTIVITY."""
    return decision("ScheduleActivityTask", activityType=ACTIVITY, activityId=activity_id, **attrs)


def history(client: Any, domain: str, execution: dict[str, str]) -> list[dict[str, Any]]:
    """Every event of ``execution``, following nextPageToken."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = client.get_workflow_execution_history(domain=domain, execution=execution, **kwargs)
        events.extend(page["events"])
        if not page.get("nextPageToken"):
            return events
        kwargs = {"nextPageToken": page["nextPageToken"]}


def types(events: list[dict[str, Any]]) -> list[str]:
    """The eventType of each event."""
    return [event["eventType"] for event in events]


def attrs(event: dict[str, Any]) -> dict[str, Any]:
    """The ``...EventAttributes`` of ``event``."""
    key = event["eventType"][0].lower() + event["eventType"][1:] + "EventAttributes"
    return dict(event[key])


def last(events: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    """The attributes of the last ``event_type`` event."""
    matching = [event for event in events if event["eventType"] == event_type]
    assert matching, f"no {event_type} in {types(events)}"
    return attrs(matching[-1])


def describe(client: Any, domain: str, execution: dict[str, str]) -> dict[str, Any]:
    """DescribeWorkflowExecution's answer."""
    return dict(client.describe_workflow_execution(domain=domain, execution=execution))


def error_code(err: BaseException) -> str:
    """The SWF fault code of a botocore ClientError (or of the error it was translated to)."""
    response = getattr(err, "response", None)
    if response is None and err.__cause__ is not None:
        response = getattr(err.__cause__, "response", None)
    assert response is not None, repr(err)
    return str(response["Error"]["Code"])
