"""The synchronous actors against the embedded local SWF endpoint."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from swf.actors import ActivityTask, ActivityWorker, Actor, Decider, truncate
from swf.connection import call
from swf.exceptions import DoesNotExistError, ValidationError
from swf.models.decisions import TRUNCATION_MARKER
from tests.registration import register_flow

pytestmark = pytest.mark.timeout(60)

DECISIONS = "decisions"
ACTIVITIES = "activities"


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A registered domain with workflow type ``flow/1`` and activity type ``work/1``."""
    register_flow(swf_client, domain_name, [("work", "1")])
    return domain_name


def _start(client: Any, domain: str, workflow_id: str = "wf-1", payload: str = '{"n": 1}') -> str:
    response = call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId=workflow_id,
        workflowType={"name": "flow", "version": "1"},
        input=payload,
    )
    return str(response["runId"])


def _schedule(activity_id: str, payload: str = '"x"') -> dict[str, Any]:
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": {"name": "work", "version": "1"},
            "activityId": activity_id,
            "input": payload,
        },
    }


def _activity_task(client: Any, domain: str) -> tuple[Decider, ActivityWorker, ActivityTask]:
    """Start an execution, schedule one activity, poll it."""
    _start(client, domain)
    decider = Decider(domain, DECISIONS, client=client)
    task = decider.poll()
    assert task is not None
    decider.complete(task.task_token, [_schedule("a-1")])
    worker = ActivityWorker(domain, ACTIVITIES, client=client)
    activity_task = worker.poll()
    assert activity_task is not None
    return decider, worker, activity_task


def _next_event(decider: Decider, event_type: str) -> Any:
    """Poll the next decision task and return its last event of ``event_type``."""
    task = decider.poll()
    assert task is not None
    return task.history.filter(event_type)[-1]


def test_domain_by_model_name(swf_client: Any) -> None:
    """An actor takes a domain model's ``name``."""
    actor = Actor(SimpleNamespace(name="books"), "tl", client=swf_client)
    assert (actor.domain, actor.task_list) == ("books", "tl")


def test_bad_arguments_name_the_field(swf_client: Any) -> None:
    """An empty domain or task list is refused with the field named."""
    with pytest.raises(ValidationError, match="domain"):
        Actor("", "tl", client=swf_client)
    with pytest.raises(ValidationError, match="task_list"):
        Actor("d", "", client=swf_client)


def test_empty_poll_returns_none(swf_client: Any, domain: str) -> None:
    """A long poll that ends without a task gives ``None``."""
    assert Decider(domain, DECISIONS, client=swf_client).poll() is None
    assert ActivityWorker(domain, ACTIVITIES, client=swf_client).poll() is None


def test_poll_unknown_domain_raises(swf_client: Any) -> None:
    """Polling a domain SWF does not know raises DoesNotExistError."""
    with pytest.raises(DoesNotExistError):
        Decider("no-such-domain", DECISIONS, client=swf_client).poll()


def test_decider_poll_reads_every_page(swf_client: Any, domain: str) -> None:
    """With one event a page, poll follows nextPageToken until the history is whole."""
    run_id = _start(swf_client, domain)
    task = Decider(domain, DECISIONS, client=swf_client).poll(maximum_page_size=1)
    assert task is not None
    assert [event.event_id for event in task.history] == [1, 2, 3]
    assert [event.event_type for event in task.history] == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert task.workflow_execution.run_id == run_id
    assert task.history[0].input == '{"n": 1}'


def test_round_trip_complete(swf_client: Any, domain: str) -> None:
    """A scheduled activity reaches the worker with its input; its result reaches the decider."""
    decider, worker, activity_task = _activity_task(swf_client, domain)
    assert activity_task.activity_id == "a-1"
    assert tuple(activity_task.activity_type) == ("work", "1")
    assert activity_task.input == '"x"'
    worker.complete(activity_task.task_token, result='{"ok": true}')
    completed = _next_event(decider, "ActivityTaskCompleted")
    assert json.loads(completed.result) == {"ok": True}


def test_fail_truncates_long_reason_and_keeps_it_in_details(swf_client: Any, domain: str) -> None:
    """A reason over 256 characters is cut with a marker and kept whole in the details."""
    decider, worker, activity_task = _activity_task(swf_client, domain)
    reason = "E" * 300
    worker.fail(activity_task.task_token, details="traceback here", reason=reason)
    failed = _next_event(decider, "ActivityTaskFailed")
    assert len(failed.reason) == 256
    assert failed.reason.endswith(TRUNCATION_MARKER)
    assert failed.details == f"{reason}\n\ntraceback here"


def test_fail_truncates_long_details_and_says_so(swf_client: Any, domain: str) -> None:
    """Details over 32,768 characters keep head and tail around a marker naming the cut."""
    decider, worker, activity_task = _activity_task(swf_client, domain)
    details = "h" * 20000 + "t" * 20000
    worker.fail(activity_task.task_token, details=details, reason="Boom")
    failed = _next_event(decider, "ActivityTaskFailed")
    assert len(failed.details) == 32768
    assert failed.details.startswith("h" * 100) and failed.details.endswith("t" * 100)
    assert "\n[... 7280 characters of details truncated ...]\n" in failed.details  # 40000 - 32768 + marker


def test_complete_refuses_oversized_result(swf_client: Any, domain: str) -> None:
    """A result over 32,768 characters raises before any call, naming the field."""
    _, worker, activity_task = _activity_task(swf_client, domain)
    with pytest.raises(ValidationError, match="result"):
        worker.complete(activity_task.task_token, result="r" * 32769)
    worker.complete(activity_task.task_token, result="fits")  # the task is still open


def test_cancel_is_recorded(swf_client: Any, domain: str) -> None:
    """cancel() records ActivityTaskCanceled with the details."""
    decider, worker, activity_task = _activity_task(swf_client, domain)
    worker.cancel(activity_task.task_token, details="no longer needed")
    canceled = _next_event(decider, "ActivityTaskCanceled")
    assert canceled.details == "no longer needed"


def test_heartbeat_reports_cancel_request(swf_client: Any, domain: str) -> None:
    """heartbeat() is False until the decider requests cancellation, then True."""
    decider, worker, activity_task = _activity_task(swf_client, domain)
    assert worker.heartbeat(activity_task.task_token, details="10%") is False
    # A heartbeat makes no decision task, so ask for one with a signal.
    call(
        swf_client,
        "SignalWorkflowExecution",
        domain=domain,
        workflowId="wf-1",
        signalName="cancel-it",
    )
    task = decider.poll()
    assert task is not None
    decider.complete(
        task.task_token,
        [
            {
                "decisionType": "RequestCancelActivityTask",
                "requestCancelActivityTaskDecisionAttributes": {"activityId": "a-1"},
            }
        ],
    )
    assert worker.heartbeat(activity_task.task_token) is True


def test_answer_to_closed_task_raises(swf_client: Any, domain: str) -> None:
    """Answering a task twice raises DoesNotExistError: the task is closed."""
    _, worker, activity_task = _activity_task(swf_client, domain)
    worker.complete(activity_task.task_token)
    with pytest.raises(DoesNotExistError):
        worker.complete(activity_task.task_token)


def test_start_runs_poll_loop_until_stop(swf_client: Any, domain: str) -> None:
    """start() polls and processes tasks until stop(), here called by process()."""
    _start(swf_client, domain)
    seen: list[str] = []

    class OneShot(Decider):
        def process(self, task: Any) -> None:
            seen.append(task.workflow_execution.workflow_id)
            self.complete(task.task_token, [{"decisionType": "CompleteWorkflowExecution"}])
            self.stop()

    OneShot(domain, DECISIONS, client=swf_client).start()
    assert seen == ["wf-1"]
    page = call(
        swf_client,
        "ListClosedWorkflowExecutions",
        domain=domain,
        startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
        executionFilter={"workflowId": "wf-1"},
    )
    assert [info["closeStatus"] for info in page["executionInfos"]] == ["COMPLETED"]


def test_truncate_fits_exactly() -> None:
    """truncate() returns at most ``limit`` characters and leaves short text alone."""
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 5000, 2048, "details")
    assert len(cut) == 2048
    assert "characters of details truncated" in cut
