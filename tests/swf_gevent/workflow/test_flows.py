"""Workflows run on the embedded endpoint, checked by reading their histories."""

from __future__ import annotations

import json
from typing import Any

import gevent

from swf.models import events as ev
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.support import attributes, running, signal, start, wait_closed

ALL_ACTIVITIES = [flows.double, flows.add, flows.flaky, flows.decline, flows.undo]


def _result(events: Any) -> Any:
    [completed] = attributes(events, "WorkflowExecutionCompleted")
    return json.loads(completed["result"])


def test_sequence_ids_and_result(swf_client: Any, domain_name: str) -> None:
    """Activities get ids ``{name}-{n}`` counted per name, and the result completes the execution."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.sequence], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.sequence, 3, "seq-1")
        events = wait_closed(swf_client, domain_name, "seq-1", run_id)
    ids = [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")]
    assert ids == ["double-1", "double-2", "add-1"]
    assert _result(events) == {"a": 6, "b": 12, "c": 18}


def test_map_over_1200_items_respects_swf_limits(swf_client: Any, domain_name: str) -> None:
    """ctx.map over 1,200 items completes; no answer has over 100 decisions; no open-activity limit refusal."""
    with gevent.Timeout(120), running(swf_client, domain_name, [flows.fan_out], ALL_ACTIVITIES, workers=4, slots=50):
        run_id = start(swf_client, domain_name, flows.fan_out, 1200, "map-1")
        events = wait_closed(swf_client, domain_name, "map-1", run_id)
    assert _result(events) == sum(2 * i for i in range(1200))
    per_task: dict[int, int] = {}
    for event in events:
        completed_by = getattr(event, "decision_task_completed_event_id", None)
        if completed_by:
            per_task[completed_by] = per_task.get(completed_by, 0) + 1
    assert max(per_task.values()) <= 100
    assert len(attributes(events, "ActivityTaskScheduled")) == 1200
    assert not events.filter("ScheduleActivityTaskFailed")
    ids = {a["activityId"] for a in attributes(events, "ActivityTaskScheduled")}
    assert ids == {f"double-{n}" for n in range(1, 1201)}


def test_retry_policy_timers_and_same_activity_id(swf_client: Any, domain_name: str) -> None:
    """A retry policy of 1 s x2 records timers of 1 and 2 s and schedules every attempt with one activity id."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.retrying], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.retrying, None, "retry-1")
        events = wait_closed(swf_client, domain_name, "retry-1", run_id)
    assert [t["startToFireTimeout"] for t in attributes(events, "TimerStarted")] == ["1", "2"]
    assert [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")] == ["flaky-1"] * 3
    assert _result(events) == "flaky-1 failed on attempt 3: RuntimeError"


def test_non_retryable_failure_is_not_retried(swf_client: Any, domain_name: str) -> None:
    """A failure whose exception type is non-retryable ends the retries at once."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.non_retryable], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.non_retryable, None, "nr-1")
        events = wait_closed(swf_client, domain_name, "nr-1", run_id)
    assert _result(events) == 1
    assert not events.filter("TimerStarted")


def test_two_signals_consumed_in_order_once_each(swf_client: Any, domain_name: str) -> None:
    """Two signals of one name are consumed in order, once each; a third wait times out."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.two_signals], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.two_signals, None, "sig-1")
        signal(swf_client, domain_name, "sig-1", "step", {"n": 1})
        signal(swf_client, domain_name, "sig-1", "step", {"n": 2})
        events = wait_closed(swf_client, domain_name, "sig-1", run_id)
    assert _result(events) == [{"n": 1}, {"n": 2}, "timed out"]


def test_child_failure_arrives_as_child_failed(swf_client: Any, domain_name: str) -> None:
    """A child that fails surfaces in the parent as wf.ChildFailed with its id, status and reason."""
    workflows = [flows.parent, flows.failing_child]
    with gevent.Timeout(30), running(swf_client, domain_name, workflows, ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.parent, None, "parent-1")
        events = wait_closed(swf_client, domain_name, "parent-1", run_id)
    assert _result(events) == {"child": "parent-1.failing-child-1", "status": "FAILED", "reason": "child gave up"}


def test_cancel_runs_compensation_and_closes_canceled(swf_client: Any, domain_name: str) -> None:
    """Cancelling a running execution raises wf.Cancelled at the wait; compensation runs; it closes CANCELED."""
    from swf.connection import call

    with gevent.Timeout(30), running(swf_client, domain_name, [flows.compensating], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.compensating, None, "cancel-1")
        from tests.swf_gevent.workflow.support import history

        while not history(swf_client, domain_name, "cancel-1", run_id).filter("TimerStarted"):
            gevent.sleep(0.05)
        call(swf_client, "RequestCancelWorkflowExecution", domain=domain_name, workflowId="cancel-1")
        events = wait_closed(swf_client, domain_name, "cancel-1", run_id)
    assert events.state.close_event is not None
    assert events.state.close_event.event_type == "WorkflowExecutionCanceled"
    assert [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")] == ["double-1", "undo-1"]
    assert [json.loads(a["result"]) for a in attributes(events, "ActivityTaskCompleted")] == [2, "undone double"]


def test_activity_failure_fails_the_execution(swf_client: Any, domain_name: str) -> None:
    """An activity failure that escapes the workflow closes the execution FAILED with the activity's reason."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.failing], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.failing, None, "fail-1")
        events = wait_closed(swf_client, domain_name, "fail-1", run_id)
    [failed] = events.filter(ev.WorkflowExecutionFailed)
    assert isinstance(failed, ev.WorkflowExecutionFailed)
    assert failed.reason is not None and failed.reason.startswith("ActivityFailed: activity decline-1 attempt 1")


def test_continue_as_new_carries_unconsumed_signals(swf_client: Any, domain_name: str) -> None:
    """A signal not consumed by a run that continues as new is delivered to the next run."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.looping], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.looping, None, "loop-1")
        signal(swf_client, domain_name, "loop-1", "ready", None)
        signal(swf_client, domain_name, "loop-1", "go", {"n": 7})
        first = wait_closed(swf_client, domain_name, "loop-1", run_id)
        [continued] = first.filter(ev.WorkflowExecutionContinuedAsNew)
        assert isinstance(continued, ev.WorkflowExecutionContinuedAsNew)
        second = wait_closed(swf_client, domain_name, "loop-1", continued.new_execution_run_id)
    assert _result(second) == {"run": 2, "go": {"n": 7}, "history": True}
