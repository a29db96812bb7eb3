"""Decision builders: boto3 shape, SWF's limits, and the events they produce on the local endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import botocore.session
import gevent
import pytest
from botocore.validate import validate_parameters

from swf.connection import call
from swf.exceptions import ValidationError
from swf.models import TypeRef
from swf.models import decisions as d
from swf.models import events as ev
from swf.models.history_state import (
    ChildWorkflowStatus,
    ExecutionStatus,
    RequestStatus,
    TaskStatus,
    TimerStatus,
)
from tests.swf._history_events import LocalFlow

SERVICE = botocore.session.get_session().get_service_model("swf")
RESPOND = SERVICE.operation_model("RespondDecisionTaskCompleted").input_shape


def _botocore_accepts(*decisions: dict[str, Any]) -> None:
    validate_parameters({"taskToken": "t", "decisions": list(decisions)}, RESPOND)


BUILT: dict[str, tuple[Callable[[], dict[str, Any]], dict[str, Any]]] = {
    "ScheduleActivityTask": (
        lambda: d.schedule_activity_task(
            "a1",
            ("work", "1"),
            input="in",
            control="ctl",
            task_list="workers",
            task_priority=5,
            schedule_to_close_timeout=timedelta(minutes=10),
            schedule_to_start_timeout=None,
            start_to_close_timeout=timedelta(seconds=30.2),
            heartbeat_timeout=timedelta(seconds=20),
        ),
        {
            "activityType": {"name": "work", "version": "1"},
            "activityId": "a1",
            "input": "in",
            "control": "ctl",
            "taskList": {"name": "workers"},
            "taskPriority": "5",
            "scheduleToCloseTimeout": "600",
            "scheduleToStartTimeout": "NONE",
            "startToCloseTimeout": "31",
            "heartbeatTimeout": "20",
        },
    ),
    "RequestCancelActivityTask": (lambda: d.request_cancel_activity_task("a1"), {"activityId": "a1"}),
    "CompleteWorkflowExecution": (lambda: d.complete_workflow_execution("done"), {"result": "done"}),
    "FailWorkflowExecution": (lambda: d.fail_workflow_execution("bad", "trace"), {"reason": "bad", "details": "trace"}),
    "CancelWorkflowExecution": (lambda: d.cancel_workflow_execution("bye"), {"details": "bye"}),
    "ContinueAsNewWorkflowExecution": (
        lambda: d.continue_as_new_workflow_execution(
            input="next",
            execution_start_to_close_timeout=timedelta(hours=1),
            task_list="deciders",
            task_priority=-3,
            task_start_to_close_timeout=timedelta(seconds=30),
            child_policy="ABANDON",
            tags=["x", "y"],
            workflow_type_version="2",
            lambda_role="arn:aws:iam::1:role/r",
        ),
        {
            "input": "next",
            "executionStartToCloseTimeout": "3600",
            "taskList": {"name": "deciders"},
            "taskPriority": "-3",
            "taskStartToCloseTimeout": "30",
            "childPolicy": "ABANDON",
            "tagList": ["x", "y"],
            "workflowTypeVersion": "2",
            "lambdaRole": "arn:aws:iam::1:role/r",
        },
    ),
    "RecordMarker": (lambda: d.record_marker("progress", "50%"), {"markerName": "progress", "details": "50%"}),
    "StartTimer": (
        lambda: d.start_timer("t1", timedelta(seconds=90), control="c"),
        {"timerId": "t1", "startToFireTimeout": "90", "control": "c"},
    ),
    "CancelTimer": (lambda: d.cancel_timer("t1"), {"timerId": "t1"}),
    "SignalExternalWorkflowExecution": (
        lambda: d.signal_external_workflow_execution("peer", "go", run_id="r1", input="i", control="c"),
        {"workflowId": "peer", "runId": "r1", "signalName": "go", "input": "i", "control": "c"},
    ),
    "RequestCancelExternalWorkflowExecution": (
        lambda: d.request_cancel_external_workflow_execution("peer", run_id="r1", control="c"),
        {"workflowId": "peer", "runId": "r1", "control": "c"},
    ),
    "StartChildWorkflowExecution": (
        lambda: d.start_child_workflow_execution(
            "kid",
            TypeRef("child", "2"),
            input="i",
            control="c",
            execution_start_to_close_timeout=timedelta(hours=2),
            task_list="kids",
            task_priority=1,
            task_start_to_close_timeout=None,
            child_policy="TERMINATE",
            tags=["t"],
            lambda_role="arn:aws:iam::1:role/r",
        ),
        {
            "workflowType": {"name": "child", "version": "2"},
            "workflowId": "kid",
            "input": "i",
            "control": "c",
            "executionStartToCloseTimeout": "7200",
            "taskList": {"name": "kids"},
            "taskPriority": "1",
            "taskStartToCloseTimeout": "NONE",
            "childPolicy": "TERMINATE",
            "tagList": ["t"],
            "lambdaRole": "arn:aws:iam::1:role/r",
        },
    ),
    "ScheduleLambdaFunction": (
        lambda: d.schedule_lambda_function(
            "f1", "my-fn", input="{}", control="c", start_to_close_timeout=timedelta(minutes=1)
        ),
        {"id": "f1", "name": "my-fn", "input": "{}", "control": "c", "startToCloseTimeout": "60"},
    ),
}


def test_a_builder_for_each_decision_type() -> None:
    """There is one builder per member of botocore's DecisionType enum."""
    assert set(BUILT) == set(SERVICE.shape_for("DecisionType").enum) == set(d.DECISION_TYPES)


@pytest.mark.parametrize("decision_type", sorted(BUILT))
def test_builder_yields_boto3_shape(decision_type: str) -> None:
    """Each builder gives exactly SWF's decision dict, and botocore's validator accepts it."""
    build, attributes = BUILT[decision_type]
    decision = build()
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    assert decision == {"decisionType": decision_type, key: attributes}
    _botocore_accepts(decision)


def test_minimal_builders_leave_defaults_out() -> None:
    """Unset optional arguments are omitted, so SWF applies the registered defaults."""
    decision = d.schedule_activity_task("a", ("work", "1"))
    assert decision["scheduleActivityTaskDecisionAttributes"] == {
        "activityType": {"name": "work", "version": "1"},
        "activityId": "a",
    }
    assert d.continue_as_new_workflow_execution() == {
        "decisionType": "ContinueAsNewWorkflowExecution",
        "continueAsNewWorkflowExecutionDecisionAttributes": {},
    }
    assert d.complete_workflow_execution() == {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": {},
    }
    _botocore_accepts(decision, d.complete_workflow_execution(), d.fail_workflow_execution())


def test_type_accepts_any_object_with_name_and_version() -> None:
    """A registered type model (anything with name and version) serves as the activity type."""

    class Registered:
        name = "work"
        version = "7"

    decision = d.schedule_activity_task("a", Registered())
    assert decision["scheduleActivityTaskDecisionAttributes"]["activityType"] == {"name": "work", "version": "7"}
    with pytest.raises(ValidationError, match="activityType must be"):
        d.schedule_activity_task("a", "work")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: d.complete_workflow_execution("x" * 32769),
            "CompleteWorkflowExecution: result is 32769 characters; SWF allows at most 32768",
        ),
        (
            lambda: d.schedule_activity_task("a", ("w", "1"), input="x" * 32769),
            "ScheduleActivityTask: input is 32769 characters; SWF allows at most 32768",
        ),
        (
            lambda: d.start_timer("t", timedelta(1), control="x" * 40000),
            "StartTimer: control is 40000 characters; SWF allows at most 32768",
        ),
        (
            lambda: d.schedule_activity_task("a" * 257, ("w", "1")),
            "ScheduleActivityTask: activityId is 257 characters; SWF allows at most 256",
        ),
        (lambda: d.record_marker("m" * 257), "RecordMarker: markerName is 257 characters; SWF allows at most 256"),
        (
            lambda: d.signal_external_workflow_execution("w", "s" * 257),
            "SignalExternalWorkflowExecution: signalName is 257 characters",
        ),
        (
            lambda: d.start_child_workflow_execution("w", ("n" * 257, "1")),
            "StartChildWorkflowExecution: workflowType.name is 257 characters",
        ),
        (
            lambda: d.start_child_workflow_execution("w", ("n", "v" * 65)),
            "workflowType.version is 65 characters; SWF allows at most 64",
        ),
        (
            lambda: d.continue_as_new_workflow_execution(workflow_type_version="v" * 65),
            "workflowTypeVersion is 65 characters; SWF allows at most 64",
        ),
        (
            lambda: d.start_child_workflow_execution("w", ("n", "1"), tags=list("abcdef")),
            "tagList has 6 tags; SWF allows at most 5",
        ),
        (lambda: d.continue_as_new_workflow_execution(tags=["x" * 257]), r"tagList\[0\] is 257 characters"),
        (
            lambda: d.schedule_lambda_function("f", "n" * 65),
            "ScheduleLambdaFunction: name is 65 characters; SWF allows at most 64",
        ),
        (lambda: d.schedule_activity_task("", ("w", "1")), "activityId must not be empty"),
        (lambda: d.start_timer("a:b", timedelta(1)), "timerId must not contain ':'"),
        (lambda: d.start_timer(" t", timedelta(1)), "timerId must not start or end with whitespace"),
        (lambda: d.schedule_activity_task("arn", ("w", "1")), "literal string 'arn'"),
        (
            lambda: d.start_child_workflow_execution("w", ("n", "1"), child_policy="KILL"),
            "childPolicy must be one of TERMINATE",
        ),
        (lambda: d.start_timer("t", None), "startToFireTimeout is required"),  # type: ignore[arg-type]
        (lambda: d.start_timer("t", timedelta(seconds=-1)), "startToFireTimeout must not be negative"),
        (lambda: d.schedule_activity_task("a", ("w", "1"), task_priority=2**31), "taskPriority must be within"),
        (lambda: d.schedule_activity_task("a", ("w", "1"), task_list="a|b"), r"taskList\.name must not contain '\|'"),
    ],
)
def test_over_long_or_bad_field_is_refused_before_any_call(build: Callable[[], Any], message: str) -> None:
    """A field over SWF's limit raises ValidationError naming the decision, the field and the limit."""
    with pytest.raises(ValidationError, match=message):
        build()


def test_limits_are_inclusive_and_count_characters() -> None:
    """Exactly at the limit is accepted; non-ASCII text counts characters, not bytes."""
    d.complete_workflow_execution("é" * 32768)
    d.record_marker("ü" * 256)
    d.start_child_workflow_execution("w", ("n", "v" * 64), tags=["t"] * 5)
    reason = "é" * 256
    assert d.fail_workflow_execution(reason)["failWorkflowExecutionDecisionAttributes"]["reason"] == reason


def test_long_fail_reason_is_truncated_with_marker_and_kept_in_details() -> None:
    """A 300-character reason becomes 256 ending with the marker; details start with the full text."""
    reason = "".join(chr(0x4E00 + i) for i in range(300))
    attrs = d.fail_workflow_execution(reason, "stack trace")["failWorkflowExecutionDecisionAttributes"]
    assert len(attrs["reason"]) == 256
    assert attrs["reason"].endswith(d.TRUNCATION_MARKER)
    assert reason.startswith(attrs["reason"][: -len(d.TRUNCATION_MARKER)])
    assert attrs["details"] == reason + "\n\nstack trace"
    no_details = d.fail_workflow_execution(reason)["failWorkflowExecutionDecisionAttributes"]
    assert no_details["details"] == reason


def test_fit_reason_cuts_details_that_cannot_hold_the_reason_too() -> None:
    """When details plus the full reason pass 32,768 characters, the details are cut with a marker, not refused."""
    attrs = d.fail_workflow_execution("r" * 300, "x" * 32766)["failWorkflowExecutionDecisionAttributes"]
    assert len(attrs["reason"]) == 256 and attrs["reason"].endswith(d.TRUNCATION_MARKER)
    assert len(attrs["details"]) == 32768
    assert attrs["details"].startswith("r" * 300 + "\n\n")
    assert "characters of details truncated" in attrs["details"]
    assert d.fit_reason("short", None) == ("short", None)


def test_free_text_builders_cut_details_and_keep_ids_strict() -> None:
    """Cancel and marker details over 32,768 characters are cut and marked; an over-long marker name still raises."""
    cancel = d.cancel_workflow_execution("c" * 40000)["cancelWorkflowExecutionDecisionAttributes"]["details"]
    marker = d.record_marker("m", "k" * 40000)["recordMarkerDecisionAttributes"]["details"]
    for details in (cancel, marker):
        assert len(details) == 32768
        assert "[... 7280 characters of details truncated ...]" in details
    with pytest.raises(ValidationError, match="markerName is 257 characters"):
        d.record_marker("m" * 257, "short")


def test_fit_decisions_fits_hand_written_free_text_and_checks_the_rest() -> None:
    """A hand-written 300-character fail reason is cut and marked; a hand-written over-long result still raises."""
    reason = "why " * 75
    fitted = d.fit_decisions(
        [{"decisionType": "FailWorkflowExecution", "failWorkflowExecutionDecisionAttributes": {"reason": reason}}]
    )
    assert fitted == [d.fail_workflow_execution(reason)]
    assert fitted[0]["failWorkflowExecutionDecisionAttributes"]["reason"].endswith(d.TRUNCATION_MARKER)
    too_long = {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": {"result": "r" * 32769},
    }
    with pytest.raises(ValidationError, match=r"decisions\[0\]: CompleteWorkflowExecution: result is 32769"):
        d.fit_decisions([too_long])


def test_request_size_is_checked_before_sending() -> None:
    """A response body over 1 MiB (40 inputs of 32,768 characters) is refused, naming its size and the limit."""
    decisions = [d.schedule_activity_task(f"a{i}", ("w", "1"), input="x" * 32768) for i in range(40)]
    with pytest.raises(
        ValidationError,
        match=r"RespondDecisionTaskCompleted: the request would be \d+ bytes; SWF takes at most 1048576",
    ):
        d.check_request_size({"taskToken": "t", "decisions": decisions}, "RespondDecisionTaskCompleted")
    d.check_request_size({"taskToken": "t", "decisions": decisions[:30]}, "RespondDecisionTaskCompleted")


def test_validate_decisions_limits_the_count_and_names_the_index() -> None:
    """More than 100 decisions are refused; a bad hand-written decision is named by index."""
    ok = [d.record_marker(f"m{i}") for i in range(100)]
    assert d.validate_decisions(ok) == ok
    with pytest.raises(ValidationError, match="101 decisions; SWF allows at most 100"):
        d.validate_decisions(ok + [d.record_marker("extra")])
    bad = [d.record_marker("m"), {"decisionType": "StartTimer", "startTimerDecisionAttributes": {"timerId": "t"}}]
    with pytest.raises(ValidationError, match=r"decisions\[1\]: StartTimer: startToFireTimeout is required"):
        d.validate_decisions(bad)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ({"decisionType": "Explode"}, "decisionType must be one of"),
        (
            {"decisionType": "CancelTimer", "cancelTimerDecisionAttributes": {"timerId": "t", "extra": 1}},
            "unknown field",
        ),
        ({"decisionType": "CancelTimer", "startTimerDecisionAttributes": {}}, "unexpected member"),
        (
            {"decisionType": "CompleteWorkflowExecution", "completeWorkflowExecutionDecisionAttributes": {"result": 5}},
            "result must be a string",
        ),
        (
            {
                "decisionType": "StartTimer",
                "startTimerDecisionAttributes": {"timerId": "t", "startToFireTimeout": "1.5"},
            },
            "startToFireTimeout must be whole seconds",
        ),
    ],
)
def test_validate_decision_checks_hand_written_dicts(decision: dict[str, Any], message: str) -> None:
    """Dicts not built here are checked by the same rules."""
    with pytest.raises(ValidationError, match=message):
        d.validate_decision(decision)


# -- end to end on the local endpoint ------------------------------------------


@pytest.fixture
def flow(swf_client: Any, domain_name: str) -> LocalFlow:
    """A registered domain, workflow type and activity type on the local endpoint."""
    return LocalFlow(swf_client, domain_name)


def test_open_decisions_produce_their_events(flow: LocalFlow) -> None:
    """Scheduling, timers, markers, children, external signals and cancels are recorded as SWF documents."""
    with gevent.Timeout(30):
        flow.start("peer")
        run_id = flow.start("main", input="go")
        task = flow.poll()
        if task.workflow_execution.workflow_id != "main":  # the peer's first task: leave it open
            task = flow.poll()
        assert task.workflow_execution == ("main", run_id) and task.history.state.input == "go"
        flow.respond(
            task,
            [
                d.schedule_activity_task(
                    "a1",
                    ("work", "1"),
                    input="payload",
                    control="ctl",
                    start_to_close_timeout=timedelta(minutes=5),
                    heartbeat_timeout=None,
                ),
                d.schedule_activity_task("a2", ("work", "1")),
                d.start_timer("fast", timedelta(seconds=1), control="tick"),
                d.start_timer("slow", timedelta(hours=1)),
                d.record_marker("phase", "one"),
                d.start_child_workflow_execution("main-kid", ("flow", "1"), input="kid-in", child_policy="ABANDON"),
                d.signal_external_workflow_execution("peer", "hello", input="hi"),
                d.request_cancel_external_workflow_execution("peer"),
            ],
        )
        while True:  # wait for the fast timer and the child to show up in a decision task
            task = flow.poll()
            if task.workflow_execution.workflow_id != "main":
                continue
            state = task.history.state
            if state.timers["fast"].status is TimerStatus.FIRED and state.child_workflows["main-kid"].run_id:
                break
            flow.respond(task, [])
    scheduled = task.history.filter(ev.ActivityTaskScheduled)
    assert [e.activity_id for e in scheduled] == ["a1", "a2"]
    a1 = scheduled[0]
    assert isinstance(a1, ev.ActivityTaskScheduled)
    assert (a1.input, a1.control, a1.start_to_close_timeout, a1.heartbeat_timeout) == (
        "payload",
        "ctl",
        timedelta(minutes=5),
        None,
    )
    assert a1.activity_type == TypeRef("work", "1")
    assert state.activities["a1"].status is TaskStatus.SCHEDULED
    assert (state.timers["fast"].control, state.timers["fast"].start_to_fire_timeout) == ("tick", timedelta(seconds=1))
    assert state.timers["slow"].status is TimerStatus.STARTED
    assert state.marker_details("phase") == "one"
    kid = state.child_workflows["main-kid"]
    assert (kid.status, kid.input) == (ChildWorkflowStatus.STARTED, "kid-in")
    signal, cancel = state.external_signals[0], state.external_cancel_requests[0]
    assert (signal.workflow_id, signal.signal_name, signal.status) == ("peer", "hello", RequestStatus.DELIVERED)
    assert (cancel.workflow_id, cancel.status) == ("peer", RequestStatus.DELIVERED)
    assert state.decision_failures == []

    with gevent.Timeout(30):
        flow.respond(task, [d.request_cancel_activity_task("a1"), d.cancel_timer("slow")])
        # Nothing else wakes the decider: signal it.
        call(flow.client, "SignalWorkflowExecution", domain=flow.domain, workflowId="main", signalName="next")
        task = flow.poll()
        while task.workflow_execution.workflow_id != "main":
            flow.respond(task, [])
            task = flow.poll()
    state = task.history.state
    assert state.timers["slow"].status is TimerStatus.CANCELED
    # Not yet started, so SWF records the request and cancels it at once.
    assert state.activities["a1"].status is TaskStatus.CANCELED
    assert state.activities["a1"].cancel_requested
    assert [s.signal_name for s in state.signals] == ["next"]
    assert [e.event_type for e in task.new_events][-1] == "DecisionTaskStarted"

    with gevent.Timeout(10):
        flow.respond(task, [d.complete_workflow_execution("all done")])
        history = flow.history("main", run_id)
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionCompleted) and closed.result == "all done"
    assert history.state.status is ExecutionStatus.COMPLETED


def _decide_once(flow: LocalFlow, workflow_id: str, decisions: list[dict[str, Any]]) -> Any:
    """Start an execution, answer its first decision task, return (run id, full history)."""
    with gevent.Timeout(20):
        run_id = flow.start(workflow_id)
        task = flow.poll()
        assert task.workflow_execution.workflow_id == workflow_id
        flow.respond(task, decisions)
        return run_id, flow.history(workflow_id, run_id)


def test_fail_with_long_reason_keeps_the_full_text(flow: LocalFlow) -> None:
    """A 400-character fail reason arrives truncated with the marker, the full text in details."""
    reason = "disk full on " + "x" * 387
    _, history = _decide_once(flow, "failing", [d.fail_workflow_execution(reason, "trace")])
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionFailed)
    assert closed.reason is not None and len(closed.reason) == 256 and closed.reason.endswith(d.TRUNCATION_MARKER)
    assert closed.details == reason + "\n\ntrace"
    assert history.state.status is ExecutionStatus.FAILED


def test_cancel_decision_closes_as_canceled(flow: LocalFlow) -> None:
    """CancelWorkflowExecution closes the run with WorkflowExecutionCanceled and its details."""
    _, history = _decide_once(flow, "canceling", [d.cancel_workflow_execution("user asked")])
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionCanceled) and closed.details == "user asked"
    assert history.state.status is ExecutionStatus.CANCELED


def test_continue_as_new_starts_a_new_run(flow: LocalFlow) -> None:
    """ContinueAsNewWorkflowExecution closes the run and names the new run, which gets the input."""
    run_id, history = _decide_once(
        flow,
        "looping",
        [
            d.continue_as_new_workflow_execution(
                input="round 2", task_start_to_close_timeout=timedelta(seconds=20), tags=["again"]
            )
        ],
    )
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionContinuedAsNew)
    assert (closed.input, closed.task_start_to_close_timeout, closed.tag_list) == (
        "round 2",
        timedelta(seconds=20),
        ("again",),
    )
    assert closed.new_execution_run_id != run_id
    with gevent.Timeout(10):
        new_history = flow.history("looping", closed.new_execution_run_id)
    started = new_history[0]
    assert isinstance(started, ev.WorkflowExecutionStarted)
    assert (started.input, started.continued_execution_run_id) == ("round 2", run_id)


def test_lambda_and_unknown_ids_are_reported_as_decision_failures(flow: LocalFlow) -> None:
    """Decisions SWF refuses come back as *Failed events that the state lists with their causes."""
    _, history = _decide_once(
        flow,
        "refused",
        [
            d.schedule_lambda_function("f1", "my-fn", input="{}"),
            d.request_cancel_activity_task("ghost"),
            d.cancel_timer("ghost"),
        ],
    )
    state = history.state
    by_type = {f.decision_type: f for f in state.decision_failures}
    assert by_type["RequestCancelActivityTask"].cause == "ACTIVITY_ID_UNKNOWN"
    assert by_type["CancelTimer"].cause == "TIMER_ID_UNKNOWN"
    # Without a Lambda role SWF refuses the function (the local endpoint: no Lambda in the region).
    lam = state.lambda_functions["f1"]
    assert lam.status in (TaskStatus.SCHEDULE_FAILED, TaskStatus.SCHEDULED)
    if lam.status is TaskStatus.SCHEDULE_FAILED:
        assert by_type["ScheduleLambdaFunction"].subject == "f1"


def test_over_long_decision_is_refused_before_anything_is_sent(flow: LocalFlow) -> None:
    """An over-long hand-made decision fails validation; the task stays open and the history shows no answer."""
    with gevent.Timeout(20):
        run_id = flow.start("careful")
        task = flow.poll()
        too_long = {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": "r" * 32769},
        }
        with pytest.raises(ValidationError, match=r"decisions\[0\]: CompleteWorkflowExecution: result is 32769"):
            flow.respond(task, [too_long])
        assert flow.history("careful", run_id).filter("DecisionTaskCompleted") == []
        flow.respond(task, [d.complete_workflow_execution("r" * 32768)])
        history = flow.history("careful", run_id)
    assert len(history.filter("DecisionTaskCompleted")) == 1
    closed = history[-1]
    assert isinstance(closed, ev.WorkflowExecutionCompleted) and closed.result == "r" * 32768
