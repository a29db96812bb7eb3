"""Running ``@wf.workflow`` code on the embedded endpoint: registration, actors, executions, histories."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent

from swf.connection import call, call_pages
from swf.models import History
from swf_gevent.activities import ActivityRegistry
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider
from swf_gevent.workflow import WorkflowDecider, WorkflowDefinition

DECISIONS = "wf-decisions"
ACTIVITIES = "wf-activities"


def register(client: Any, domain: str, workflows: Iterable[WorkflowDefinition], activities: ActivityRegistry) -> None:
    """Register ``domain``, each workflow type (60 s executions, 10 s decision tasks) and activity type."""
    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    for definition in workflows:
        call(
            client,
            "RegisterWorkflowType",
            domain=domain,
            name=definition.name,
            version=definition.version,
            defaultTaskList={"name": definition.task_list or DECISIONS},
            defaultExecutionStartToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="10",
            defaultChildPolicy="TERMINATE",
        )
    for activity in activities:
        heartbeat = activity.heartbeat_timeout
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name=activity.name,
            version=activity.version,
            defaultTaskList={"name": activity.task_list or ACTIVITIES},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskHeartbeatTimeout=str(math.ceil(heartbeat.total_seconds())) if heartbeat else "60",
        )


@contextmanager
def running(
    client: Any,
    domain: str,
    workflows: list[WorkflowDefinition],
    activities: list[Any],
    *,
    workers: int = 1,
    slots: int = 10,
) -> Iterator[WorkflowDecider]:
    """Register everything, run one decider and ``workers`` activity workers; stop them after."""
    registry = ActivityRegistry.from_functions(activities)
    register(client, domain, workflows, registry)
    maker = WorkflowDecider(workflows)
    actors: list[Any] = [GreenletDecider(domain, DECISIONS, maker, client=client, slots=2)]
    actors += [GreenletActivityWorker(domain, ACTIVITIES, registry, client=client, slots=slots) for _ in range(workers)]
    for actor in actors:
        actor.start()
    try:
        yield maker
    finally:
        for actor in actors:
            actor.stop(timeout=10)


def start(client: Any, domain: str, workflow: WorkflowDefinition, value: Any, workflow_id: str) -> str:
    """Start an execution of ``workflow`` with JSON input ``value``; its run id."""
    response = call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId=workflow_id,
        workflowType={"name": workflow.name, "version": workflow.version},
        input=json.dumps(value),
    )
    return str(response["runId"])


def history(client: Any, domain: str, workflow_id: str, run_id: str) -> History:
    """The execution's whole history."""
    pages = call_pages(
        client,
        "GetWorkflowExecutionHistory",
        domain=domain,
        execution={"workflowId": workflow_id, "runId": run_id},
    )
    return History.from_pages(list(pages))


def wait_closed(client: Any, domain: str, workflow_id: str, run_id: str, poll: float = 0.05) -> History:
    """Poll ``DescribeWorkflowExecution`` until the execution has closed, then its whole history.

    The caller's ``gevent.Timeout`` bounds the wait.
    """
    execution = {"workflowId": workflow_id, "runId": run_id}
    while (
        call(client, "DescribeWorkflowExecution", domain=domain, execution=execution)["executionInfo"][
            "executionStatus"
        ]
        == "OPEN"
    ):
        gevent.sleep(poll)
    return history(client, domain, workflow_id, run_id)


def signal(client: Any, domain: str, workflow_id: str, name: str, value: Any) -> None:
    """Send signal ``name`` with JSON input ``value``."""
    call(
        client,
        "SignalWorkflowExecution",
        domain=domain,
        workflowId=workflow_id,
        signalName=name,
        input=json.dumps(value),
    )


def attributes(events: History, event_type: str) -> list[dict[str, Any]]:
    """The wire attributes of every ``event_type`` event."""
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    return [dict(event.raw.get(key, {})) for event in events if event.event_type == event_type]
