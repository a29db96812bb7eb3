"""Executions for the web UI's tests: one with a retried activity, a timer and a child, driven over boto3.

Everything goes through a real boto3 client to the embedded endpoint, as
in :mod:`tests.local.engine_support`.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tests.local.engine_support import (
    WORKFLOW,
    decide,
    decision,
    describe,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
)

#: Task list of the child executions' decision tasks (kept apart from the parents').
CHILDREN = "children"


def retried_order(client: Any, domain: str, workflow_id: str = "order-1", tag: str = "shop") -> dict[str, str]:
    """Register ``domain`` and leave ``workflow_id`` open with a 60 s timer pending.

    Its history holds activity ``charge`` failed once then completed, timer
    ``cool-off`` started, and child ``<workflow_id>-invoice`` completed.

    :returns: the parent's ``{"workflowId", "runId"}``.
    """
    register(client, domain)
    execution = start(client, domain, workflow_id, input='{"order": 1}', tagList=[tag])
    first = next_decision(client, domain)
    decide(
        client,
        first,
        schedule("charge", input="card"),
        decision("StartTimer", timerId="cool-off", startToFireTimeout="60"),
        decision(
            "StartChildWorkflowExecution",
            workflowType=WORKFLOW,
            workflowId=f"{workflow_id}-invoice",
            taskList={"name": CHILDREN},
            input="invoice",
        ),
    )
    child_task = next_decision(client, domain, CHILDREN)
    decide(client, child_task, decision("CompleteWorkflowExecution", result="invoice sent"))
    attempt = next_activity(client, domain)
    client.respond_activity_task_failed(taskToken=attempt["taskToken"], reason="card declined")
    rescheduled = False
    while not rescheduled:
        task = next_decision(client, domain)
        kinds = [event["eventType"] for event in task["events"]]
        if "ActivityTaskFailed" in kinds:
            decide(client, task, schedule("charge", input="card again"))
            rescheduled = True
        else:
            decide(client, task)
    attempt = next_activity(client, domain)
    client.respond_activity_task_completed(taskToken=attempt["taskToken"], result="charged")
    settle(client, domain, execution)
    return execution


def completed(client: Any, domain: str, workflow_id: str, tag: str = "batch") -> dict[str, str]:
    """Start ``workflow_id`` in an already registered ``domain`` and complete it at its first decision."""
    execution = start(client, domain, workflow_id, tagList=[tag])
    task = next_decision(client, domain)
    decide(client, task, decision("CompleteWorkflowExecution", result="done"))
    return execution


def settle(client: Any, domain: str, execution: dict[str, str]) -> None:
    """Answer the execution's decision tasks with no decision until none is open."""
    while describe(client, domain, execution)["openCounts"]["openDecisionTasks"]:
        decide(client, next_decision(client, domain))


def get(url: str) -> tuple[int, str]:
    """GET ``url``: ``(status, body)`` whatever the status (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode("utf-8")


def post(url: str, form: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST ``form`` url-encoded to ``url`` without following a redirect: ``(status, Location or body)``."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode("utf-8"), headers=headers or {}, method="POST"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        with err:
            body = err.read().decode("utf-8")
            return err.code, err.headers.get("Location") or body


def csrf_token(body: str) -> str:
    """The CSRF token of a confirmation page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found, "no CSRF token in the page"
    return found.group(1)
