"""One activity task run end to end through a greenlet worker, for the handler tests.

Registers a domain with workflow type ``flow/1`` and activity type
``double/1``, starts an execution, schedules ``double`` from its first
decision task, runs a :class:`GreenletActivityWorker` until the task is
answered, and returns the execution's history: everything over HTTP to the
embedded endpoint.
"""

from __future__ import annotations

import json
from typing import Any

from gevent.event import Event

from swf.actors import Decider
from swf.connection import call
from swf.models.history import History
from swf_gevent import signals
from swf_gevent.activities import ActivityRegistry, activity
from swf_gevent.actors import GreenletActivityWorker
from tests.registration import register_flow

DECISIONS = "decisions"
ACTIVITIES = "work"


@activity("double", version="1")
def double(value: int) -> int:
    return value * 2


REGISTRY = ActivityRegistry.from_modules([__name__])


def register(client: Any, domain: str) -> None:
    """Register ``domain``, workflow type ``flow/1`` and activity type ``double/1``."""
    register_flow(client, domain, [("double", "1")], task_list=ACTIVITIES, heartbeat_timeout="NONE")


def run_one_task(client: Any, domain: str, value: int = 21, workflow_id: str = "wf-1") -> History:
    """Schedule ``double(value)`` in a new execution, let a worker answer it; the history after.

    The caller bounds the time (``gevent.Timeout``): this waits for the answer.
    """
    call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId=workflow_id,
        workflowType={"name": "flow", "version": "1"},
    )
    decider = Decider(domain, DECISIONS, client=client)
    task = decider.poll()
    assert task is not None
    decider.complete(
        task.task_token,
        [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityType": {"name": "double", "version": "1"},
                    "activityId": "double-1",
                    "input": json.dumps(value),
                },
            }
        ],
    )
    answered = Event()

    def on_answer(sender: Any, **payload: Any) -> None:
        answered.set()

    for signal in (signals.activity_task_completed, signals.activity_task_failed):
        signal.connect(on_answer, weak=False)
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=client, identity="handler-test")
    worker.start()
    try:
        answered.wait()
    finally:
        worker.stop(timeout=10)
        for signal in (signals.activity_task_completed, signals.activity_task_failed):
            signal.disconnect(on_answer)
    decision = decider.poll()
    assert decision is not None
    return decision.history


class DoubleFlow:
    """Decides ``flow/1``: schedule ``double(input)``, then complete with its result."""

    def decide(self, task: Any) -> list[dict[str, Any]]:
        done = task.history.filter("ActivityTaskCompleted")
        if done:
            return [
                {
                    "decisionType": "CompleteWorkflowExecution",
                    "completeWorkflowExecutionDecisionAttributes": {"result": done[-1].result},
                }
            ]
        if task.history.filter("ActivityTaskScheduled"):
            return []
        started = task.history.filter("WorkflowExecutionStarted")[0]
        return [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityType": {"name": "double", "version": "1"},
                    "activityId": "double-1",
                    "taskList": {"name": ACTIVITIES},
                    "input": started.input or "0",
                },
            }
        ]


def fleet_config(
    directory: Any,
    domain: str,
    handlers: dict[str, str],
    executions: int = 2,
    endpoint_url: str = "local",
    processes: int = 1,
) -> str:
    """A runner config deciding :class:`DoubleFlow` and performing ``double``; its path.

    With ``executions`` it starts that many and exits once they closed; with
    0 it runs until stopped.
    """
    lines = [
        "[swf]",
        f"domain = {domain}",
        f"endpoint_url = {endpoint_url}",
        "region = us-east-1",
        "poll_timeout = 1",
        f"processes = {processes}",
        "",
        "[activities:work]",
        f"task_list = {ACTIVITIES}",
        "greenlets = 2",
        f"modules = {__name__}",
        "",
        "[decider:flow]",
        f"task_list = {DECISIONS}",
        f"class = {__name__}.DoubleFlow",
        "workflow_type = flow",
        "workflow_version = 1",
    ]
    if executions:
        lines += ["", "[executions]", "workflow = flow", f"count = {executions}", "input = 21", "timeout = 30"]
    lines += ["", "[handlers]"] + [f"{key} = {value}" for key, value in handlers.items()]
    path = directory / "fleet.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)
