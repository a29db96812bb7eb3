"""A decider whose decision tasks keep failing ends the execution instead of looping, on the local endpoint.

Executions start with a 1 s decision task timeout, so each failed task
times out within a second; outcomes are read from the execution's history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.connection import call, call_pages
from swf.models import History
from swf.models import decisions as d
from swf.models import events as ev
from swf_gevent import signals
from swf_gevent.actors import MAX_DECISION_TIMEOUTS, GreenletDecider
from tests.registration import DECISIONS, register_flow
from tests.swf_gevent.actor_support import CallWatcher, receivers

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with workflow type ``flow/1``."""
    register_flow(swf_client, domain_name, [])
    return domain_name


def _start(client: Any, domain: str, workflow_id: str) -> str:
    """Start ``flow/1`` with a 1 s decision task timeout; its run id."""
    answer = call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId=workflow_id,
        workflowType={"name": "flow", "version": "1"},
        taskStartToCloseTimeout="1",
    )
    return str(answer["runId"])


def _history(client: Any, domain: str, workflow_id: str, run_id: str) -> History:
    pages = call_pages(
        client,
        "GetWorkflowExecutionHistory",
        domain=domain,
        execution={"workflowId": workflow_id, "runId": run_id},
    )
    return History.from_pages(pages)


def _run(client: Any, domain: str, maker: Any, workflow_id: str, receivers: Any, **options: Any) -> History:
    """Run a decider with ``maker`` until it fails the execution; the execution's history."""
    failed = receivers(signals.execution_failed_by_decider)
    decider = GreenletDecider(domain, DECISIONS, maker, client=client, **options)
    decider.start()
    try:
        run_id = _start(client, domain, workflow_id)
        payload = failed.wait()[0]
        assert (payload["workflow_id"], payload["run_id"]) == (workflow_id, run_id)
    finally:
        decider.stop(timeout=5)
    return _history(client, domain, workflow_id, run_id)


class _Raising:
    """Raises on every decision task."""

    def __init__(self) -> None:
        self.calls = 0

    def decide(self, task: Any) -> list[dict[str, Any]]:
        self.calls += 1
        raise RuntimeError("decide is broken")


class _Returning:
    """Returns the same decisions on every decision task."""

    def __init__(self, decisions: list[dict[str, Any]]) -> None:
        self.decisions = decisions

    def decide(self, task: Any) -> list[dict[str, Any]]:
        return self.decisions


def _failed_event(history: History) -> ev.WorkflowExecutionFailed:
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionFailed), closed
    return closed


def test_always_raising_decider_fails_the_execution_after_the_timeouts(
    swf_client: Any, domain: str, receivers: Any
) -> None:
    """A decide() that always raises: 2 decision tasks time out, the third fails the execution naming the error."""
    maker = _Raising()
    history = _run(swf_client, domain, maker, "wf-raising", receivers, max_decision_timeouts=2)
    assert len(history.filter("DecisionTaskTimedOut")) == 2
    assert len(history.filter("DecisionTaskCompleted")) == 1
    assert maker.calls == 3
    closed = _failed_event(history)
    assert closed.reason == "RuntimeError: decide is broken"
    assert closed.details is not None
    assert closed.details.startswith("decision tasks timed out in a row before this failed one: 2\n\nTraceback")
    assert "decide is broken" in closed.details


def test_default_allows_five_timeouts() -> None:
    """The decider actors allow 5 decision tasks in a row to time out by default."""
    assert MAX_DECISION_TIMEOUTS == 5
    decider = GreenletDecider("d", DECISIONS, _Raising(), client=object())
    assert decider.max_decision_timeouts == 5
    with pytest.raises(ValueError, match="max_decision_timeouts must be an integer of at least 0, got -1"):
        GreenletDecider("d", DECISIONS, _Raising(), client=object(), max_decision_timeouts=-1)


def test_long_hand_written_fail_reason_is_sent_cut_and_marked(swf_client: Any, domain: str, receivers: Any) -> None:
    """A decider returning a 300-character fail reason by hand closes the execution FAILED at once, reason marked."""
    reason = "quota exceeded " * 20
    decision = {"decisionType": "FailWorkflowExecution", "failWorkflowExecutionDecisionAttributes": {"reason": reason}}
    completed = receivers(signals.decision_task_completed)
    decider = GreenletDecider(domain, DECISIONS, _Returning([decision]), client=swf_client)
    decider.start()
    try:
        run_id = _start(swf_client, domain, "wf-long-reason")
        completed.wait()
    finally:
        decider.stop(timeout=5)
    history = _history(swf_client, domain, "wf-long-reason", run_id)
    assert history.filter("DecisionTaskTimedOut") == []
    closed = _failed_event(history)
    assert closed.reason is not None and len(closed.reason) == 256
    assert closed.reason == reason[: 256 - len(d.TRUNCATION_MARKER)] + d.TRUNCATION_MARKER
    assert closed.details == reason


@pytest.mark.parametrize(
    ("decisions", "reason"),
    [
        (
            [d.record_marker(f"m{i}") for i in range(150)],
            r"ValidationError: decisions: 150 decisions; SWF allows at most 100 per response",
        ),
        (
            [d.record_marker(f"m{i}", "x" * 32768) for i in range(40)],
            r"ValidationError: RespondDecisionTaskCompleted: the request would be 131\d{4} bytes;"
            r" SWF takes at most 1048576 per request",
        ),
    ],
    ids=["150-decisions", "1.3-MB"],
)
def test_unsendable_decisions_fail_the_execution_without_being_sent(
    swf_client: Any, domain: str, receivers: Any, decisions: list[dict[str, Any]], reason: str
) -> None:
    """150 decisions, or 1.3 MB of them, are refused before any call; after 2 timeouts the execution is failed."""
    answers = CallWatcher(swf_client, "RespondDecisionTaskCompleted")
    try:
        history = _run(swf_client, domain, _Returning(decisions), "wf-unsendable", receivers, max_decision_timeouts=2)
    finally:
        answers.close()
    assert len(answers.params) == 1  # only the FailWorkflowExecution answer was sent
    assert len(history.filter("DecisionTaskTimedOut")) == 2
    assert history.filter("MarkerRecorded") == []
    sent = _failed_event(history).reason
    assert sent is not None and re.fullmatch(reason, sent), sent


def test_decisions_refused_by_swf_count_as_failed(swf_client: Any, domain: str, receivers: Any) -> None:
    """Decisions SWF answers with ValidationException (a close decision not last) fail the execution likewise."""
    refused = [d.complete_workflow_execution("done"), d.record_marker("after the close")]
    answers = CallWatcher(swf_client, "RespondDecisionTaskCompleted")
    try:
        history = _run(swf_client, domain, _Returning(refused), "wf-refused", receivers, max_decision_timeouts=1)
    finally:
        answers.close()
    assert len(answers.params) == 3  # two refused by the endpoint, then the FailWorkflowExecution
    assert len(history.filter("DecisionTaskTimedOut")) == 1
    reason = _failed_event(history).reason
    assert reason is not None and reason.startswith("ValidationError: ValidationException: ")


class _RaisingAroundATimer:
    """Raises, then starts a 1 s timer, then raises on every later task."""

    def __init__(self) -> None:
        self.calls = 0

    def decide(self, task: Any) -> list[dict[str, Any]]:
        self.calls += 1
        if self.calls == 2:
            return [d.start_timer("t", timedelta(seconds=1))]
        raise RuntimeError(f"call {self.calls}")


def test_only_timeouts_since_the_last_answered_task_count(swf_client: Any, domain: str, receivers: Any) -> None:
    """An answered decision task resets the count: with 1 allowed, the execution fails on the 4th call, not the 2nd."""
    maker = _RaisingAroundATimer()
    history = _run(swf_client, domain, maker, "wf-reset", receivers, max_decision_timeouts=1)
    assert maker.calls == 4
    assert len(history.filter("DecisionTaskTimedOut")) == 2
    assert len(history.filter("TimerFired")) == 1
    closed = _failed_event(history)
    assert closed.reason == "RuntimeError: call 4"


class _SignalingThenRaising:
    """Raises on every task; on the second it first signals its own execution, so its answer is refused."""

    def __init__(self, client: Any, domain: str) -> None:
        self.client = client
        self.domain = domain
        self.calls = 0

    def decide(self, task: Any) -> list[dict[str, Any]]:
        self.calls += 1
        if self.calls == 2:
            call(
                self.client,
                "SignalWorkflowExecution",
                domain=self.domain,
                workflowId=task.workflow_execution.workflow_id,
                signalName="meanwhile",
            )
        raise RuntimeError(f"call {self.calls}")


def test_a_refused_fail_does_not_restart_the_count(swf_client: Any, domain: str, receivers: Any) -> None:
    """When SWF refuses the decider's FailWorkflowExecution (UNHANDLED_DECISION), the next failing task fails it at once."""
    failed = receivers(signals.execution_failed_by_decider)
    maker = _SignalingThenRaising(swf_client, domain)
    decider = GreenletDecider(domain, DECISIONS, maker, client=swf_client, max_decision_timeouts=1)
    decider.start()
    try:
        run_id = _start(swf_client, domain, "wf-refused-fail")
        failed.wait(2)
    finally:
        decider.stop(timeout=5)
    history = _history(swf_client, domain, "wf-refused-fail", run_id)
    assert [e.cause for e in history.filter("FailWorkflowExecutionFailed")] == ["UNHANDLED_DECISION"]
    assert len(history.filter("DecisionTaskTimedOut")) == 1  # none after the refused fail
    assert maker.calls == 3
    assert _failed_event(history).reason == "RuntimeError: call 3"
