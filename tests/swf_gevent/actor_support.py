"""Shared steps of the greenlet actor tests: registration, scheduling, histories, signal receivers.

Everything goes through a real boto3 client to the embedded local endpoint.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from gevent.event import Event

from swf.actors import Decider
from swf.connection import call, call_pages
from swf_gevent.activities import ActivityRegistry

DECISIONS = "decisions"
ACTIVITIES = "activities"
WORKFLOW = {"name": "flow", "version": "1"}


def register(client: Any, domain: str, registry: ActivityRegistry) -> None:
    """Register ``domain``, workflow type ``flow/1`` and each activity type of ``registry``.

    An activity type's SWF heartbeat timeout is its definition's, rounded up
    to whole seconds, or 60 s when it has none; its other timeouts are 60 s.
    """
    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    call(
        client,
        "RegisterWorkflowType",
        domain=domain,
        **WORKFLOW,
        defaultTaskList={"name": DECISIONS},
        defaultExecutionStartToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="60",
        defaultChildPolicy="TERMINATE",
    )
    for definition in registry:
        heartbeat = definition.heartbeat_timeout
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name=definition.name,
            version=definition.version,
            defaultTaskList={"name": definition.task_list or ACTIVITIES},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskHeartbeatTimeout=str(math.ceil(heartbeat.total_seconds())) if heartbeat else "60",
        )


def schedule_decision(activity_id: str, name: str, payload: Any = None, version: str = "1") -> dict[str, Any]:
    """A ScheduleActivityTask decision; ``payload`` is sent as JSON unless it is a str."""
    attributes: dict[str, Any] = {"activityType": {"name": name, "version": version}, "activityId": activity_id}
    if payload is not None:
        attributes["input"] = payload if isinstance(payload, str) else json.dumps(payload)
    return {"decisionType": "ScheduleActivityTask", "scheduleActivityTaskDecisionAttributes": attributes}


class Execution:
    """One started execution of ``flow/1`` and a synchronous decider for it."""

    def __init__(self, client: Any, domain: str, workflow_id: str = "wf-1") -> None:
        self.client = client
        self.domain = domain
        self.workflow_id = workflow_id
        self.run_id = call(
            client, "StartWorkflowExecution", domain=domain, workflowId=workflow_id, workflowType=WORKFLOW
        )["runId"]
        self.decider = Decider(domain, DECISIONS, client=client)

    def decide(self, *decisions: dict[str, Any]) -> None:
        """Poll the next decision task of the domain and answer it with ``decisions``."""
        task = self.decider.poll()
        while task is None:
            task = self.decider.poll()
        self.decider.complete(task.task_token, list(decisions))

    def wake_and_decide(self, *decisions: dict[str, Any]) -> None:
        """Signal the execution (so a decision task is scheduled) and answer it with ``decisions``."""
        call(self.client, "SignalWorkflowExecution", domain=self.domain, workflowId=self.workflow_id, signalName="wake")
        self.decide(*decisions)

    def request_cancel(self, activity_id: str) -> None:
        """Send a RequestCancelActivityTask decision for ``activity_id``."""
        self.wake_and_decide(
            {
                "decisionType": "RequestCancelActivityTask",
                "requestCancelActivityTaskDecisionAttributes": {"activityId": activity_id},
            }
        )

    def schedule(self, *activities: tuple[str, str, Any]) -> None:
        """Answer the next decision task by scheduling ``(activity_id, type name, input)`` activities."""
        self.decide(*(schedule_decision(*activity) for activity in activities))

    def events(self) -> list[dict[str, Any]]:
        """Every event of the execution, oldest first."""
        events: list[dict[str, Any]] = []
        for page in call_pages(
            self.client,
            "GetWorkflowExecutionHistory",
            domain=self.domain,
            execution={"workflowId": self.workflow_id, "runId": self.run_id},
        ):
            events.extend(page["events"])
        return events

    def types(self) -> list[str]:
        """The ``eventType`` of each event."""
        return [event["eventType"] for event in self.events()]

    def attributes(self, event_type: str) -> list[dict[str, Any]]:
        """The attributes of every ``event_type`` event."""
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        return [event[key] for event in self.events() if event["eventType"] == event_type]


def start_and_schedule(
    client: Any, domain: str, *activities: tuple[str, str, Any], workflow_id: str = "wf-1"
) -> Execution:
    """Start an execution and schedule ``activities`` from its first decision task."""
    execution = Execution(client, domain, workflow_id)
    execution.schedule(*activities)
    return execution


class Receiver:
    """Collects one signal's payloads; ``wait(n)`` blocks until ``n`` arrived."""

    def __init__(self, signal: Any) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.senders: list[Any] = []
        self._changed = Event()
        self.signal = signal
        signal.connect(self._receive, weak=False)

    def _receive(self, sender: Any, **payload: Any) -> None:
        self.senders.append(sender)
        self.payloads.append(payload)
        self._changed.set()

    def wait(self, count: int = 1) -> list[dict[str, Any]]:
        """The payloads, once at least ``count`` arrived (the test's gevent.Timeout bounds it)."""
        while len(self.payloads) < count:
            self._changed.clear()
            self._changed.wait()
        return self.payloads

    def close(self) -> None:
        self.signal.disconnect(self._receive)


@pytest.fixture
def receivers() -> Iterator[Any]:
    """``receivers(signal)`` -> a connected :class:`Receiver`, disconnected after the test."""
    made: list[Receiver] = []

    def make(signal: Any) -> Receiver:
        made.append(Receiver(signal))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


class CallWatcher:
    """Records the parameters of each ``operation`` a client sends (botocore's own event hook)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.params: list[dict[str, Any]] = []
        self.sent = Event()
        from swf.connection import Connection

        self._client = Connection.of(client).client_for(operation)
        self._event = f"provide-client-params.swf.{operation}"
        self._client.meta.events.register(self._event, self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.params.append(dict(params))
        self.sent.set()

    def close(self) -> None:
        self._client.meta.events.unregister(self._event, self._record)


def wait_for(event: Event, what: str, timeout: float | None = None) -> None:
    """Wait for ``event``; fail naming ``what`` if ``timeout`` seconds pass first."""
    assert event.wait(timeout), f"timed out waiting for {what}"
