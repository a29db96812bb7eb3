"""Builders for SWF's 13 decision types, validated before anything is sent.

Each builder returns the decision in boto3's shape, ready for
``RespondDecisionTaskCompleted(decisions=[...])``::

    {"decisionType": "StartTimer",
     "startTimerDecisionAttributes": {"timerId": "t1", "startToFireTimeout": "30"}}

Durations are :class:`datetime.timedelta` (whole seconds on the wire, rounded
up). ``None`` means SWF's ``"NONE"`` (no limit); leaving a timeout at
:data:`DEFAULT` omits it so SWF applies the default registered with the type.

Limits are checked by character count, before any call, with the values of
:mod:`swf.limits` (read from botocore's model of SWF): 32,768 for input,
result, details and control; 256 for reasons, names and ids; 64 for
versions; 5 tags of 256; 100 decisions per response
(:func:`validate_decisions`). The ``MAX_*`` names here are those of
:mod:`swf.limits`, imported for existing callers. A breach raises
:class:`swf.exceptions.ValidationError` naming the decision, the field and the
limit, raised by :func:`validate_decision` (ids, names, input, result,
control: a cut value there would be a wrong value).

Free text is never refused: a ``reason`` over 256 characters is cut with
:data:`TRUNCATION_MARKER` and kept whole at the head of ``details``
(:func:`fit_reason`, which serves ``TerminateWorkflowExecution`` and
``RespondActivityTaskFailed`` too), and ``details`` over 32,768 characters
keep their head and tail around a marker (:func:`truncate`). The builders of
``FailWorkflowExecution``, ``CancelWorkflowExecution`` and ``RecordMarker``
do it, and :func:`fit_decisions` does it for decisions written by hand before
checking a whole response (what :class:`swf.actors.Decider` sends).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from swf import limits
from swf._convert import duration_to_wire
from swf.exceptions import ValidationError
from swf.limits import MAX_DECISIONS, MAX_REQUEST_BYTES, PRIORITY_RANGE, naming_problem
from swf.models.base import CHILD_POLICIES

__all__ = [
    "CHILD_POLICIES",
    "DECISION_TYPES",
    "DEFAULT",
    "MAX_DATA_LENGTH",
    "MAX_DECISIONS",
    "MAX_ID_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_REQUEST_BYTES",
    "MAX_TAGS",
    "MAX_VERSION_LENGTH",
    "TRUNCATION_MARKER",
    "Decision",
    "attributes_key",
    "cancel_timer",
    "cancel_workflow_execution",
    "check_request_size",
    "complete_workflow_execution",
    "continue_as_new_workflow_execution",
    "decision_fields",
    "fail_workflow_execution",
    "fit_decisions",
    "fit_reason",
    "record_marker",
    "request_cancel_activity_task",
    "request_cancel_external_workflow_execution",
    "schedule_activity_task",
    "schedule_lambda_function",
    "signal_external_workflow_execution",
    "start_child_workflow_execution",
    "start_timer",
    "truncate",
    "validate_decision",
    "validate_decisions",
]

#: A decision in boto3's shape: ``{"decisionType": ..., "<x>DecisionAttributes": {...}}``.
Decision = dict[str, Any]

# swf.limits' values under the names this module always exported, read on
# first use like there (see __getattr__ below).
MAX_DATA_LENGTH: int
MAX_ID_LENGTH: int
MAX_REASON_LENGTH: int
MAX_TAGS: int
MAX_VERSION_LENGTH: int
DECISION_TYPES: tuple[str, ...]
_FROM_LIMITS = frozenset(
    {"MAX_DATA_LENGTH", "MAX_ID_LENGTH", "MAX_REASON_LENGTH", "MAX_TAGS", "MAX_VERSION_LENGTH", "DECISION_TYPES"}
)


def __getattr__(name: str) -> Any:
    """``MAX_DATA_LENGTH`` and the other names of :data:`_FROM_LIMITS`: :mod:`swf.limits`' values."""
    if name in _FROM_LIMITS:
        return getattr(limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Appended to a reason cut to 256 characters; the full text goes to details.
TRUNCATION_MARKER = " [...truncated; full reason in details]"


class _Default(enum.Enum):
    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


#: Leave a timeout out of the decision: SWF applies the type's registered default.
DEFAULT = _Default.DEFAULT

Timeout = timedelta | None | _Default


class _NameVersion(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


#: A type given as ``(name, version)`` or any object with ``name`` and ``version``
#: (:class:`swf.models.events.TypeRef`, a registered type model).
TypeSpec = _NameVersion | tuple[str, str]


# -- builders ---------------------------------------------------------------


def schedule_activity_task(
    activity_id: str,
    activity_type: TypeSpec,
    *,
    input: str | None = None,  # noqa: A002 - SWF's name
    control: str | None = None,
    task_list: str | None = None,
    task_priority: int | None = None,
    schedule_to_close_timeout: Timeout = DEFAULT,
    schedule_to_start_timeout: Timeout = DEFAULT,
    start_to_close_timeout: Timeout = DEFAULT,
    heartbeat_timeout: Timeout = DEFAULT,
) -> Decision:
    """``ScheduleActivityTask``: run an activity; SWF records ``ActivityTaskScheduled``.

    :param activity_id: unique among this execution's open activities (1-256 chars).
    :param activity_type: ``(name, version)`` or an object with ``name`` and ``version``.
    :param input: data for the worker (up to 32,768 chars).
    :param control: data for later deciders, not sent to the worker (up to 32,768 chars).
    :param task_list: task list name; ``None`` uses the type's default.
    :param task_priority: higher runs first; ``None`` uses the type's default.
    :param schedule_to_close_timeout: total time allowed, ``timedelta``.
    :param schedule_to_start_timeout: time allowed waiting in the task list.
    :param start_to_close_timeout: time a worker may take once started.
    :param heartbeat_timeout: longest silence between heartbeats.
    :raises swf.exceptions.ValidationError: a field over its limit or of the wrong kind.
    """
    return _build(
        "ScheduleActivityTask",
        activityType=_type(activity_type, "activityType"),
        activityId=activity_id,
        input=input,
        control=control,
        taskList=_task_list(task_list),
        taskPriority=_priority(task_priority),
        scheduleToCloseTimeout=_timeout(schedule_to_close_timeout, "scheduleToCloseTimeout"),
        scheduleToStartTimeout=_timeout(schedule_to_start_timeout, "scheduleToStartTimeout"),
        startToCloseTimeout=_timeout(start_to_close_timeout, "startToCloseTimeout"),
        heartbeatTimeout=_timeout(heartbeat_timeout, "heartbeatTimeout"),
    )


def request_cancel_activity_task(activity_id: str) -> Decision:
    """``RequestCancelActivityTask``: ask an open activity to stop.

    SWF records ``ActivityTaskCancelRequested`` (or ``ActivityTaskCanceled``
    at once for a task not yet started; ``RequestCancelActivityTaskFailed``
    for an unknown id).

    :raises swf.exceptions.ValidationError: ``activity_id`` empty or over 256 chars.
    """
    return _build("RequestCancelActivityTask", activityId=activity_id)


def complete_workflow_execution(result: str | None = None) -> Decision:
    """``CompleteWorkflowExecution``: close the execution as completed (``WorkflowExecutionCompleted``).

    :param result: up to 32,768 chars.
    :raises swf.exceptions.ValidationError: ``result`` too long.
    """
    return _build("CompleteWorkflowExecution", result=result)


def fail_workflow_execution(reason: str | None = None, details: str | None = None) -> Decision:
    """``FailWorkflowExecution``: close the execution as failed (``WorkflowExecutionFailed``).

    :param reason: short reason; over 256 chars it is truncated with
        :data:`TRUNCATION_MARKER` and the full text kept in ``details``
        (see :func:`fit_reason`).
    :param details: free text; over 32,768 chars (with a moved reason) it
        keeps its head and tail around a marker.
    :raises swf.exceptions.ValidationError: a reason or details that is not a string.
    """
    return _build("FailWorkflowExecution", reason=reason, details=details)


def cancel_workflow_execution(details: str | None = None) -> Decision:
    """``CancelWorkflowExecution``: close the execution as canceled (``WorkflowExecutionCanceled``).

    :param details: free text; over 32,768 chars it keeps its head and tail around a marker.
    :raises swf.exceptions.ValidationError: details that are not a string.
    """
    return _build("CancelWorkflowExecution", details=details)


def continue_as_new_workflow_execution(
    *,
    input: str | None = None,  # noqa: A002 - SWF's name
    execution_start_to_close_timeout: Timeout = DEFAULT,
    task_list: str | None = None,
    task_priority: int | None = None,
    task_start_to_close_timeout: Timeout = DEFAULT,
    child_policy: str | None = None,
    tags: Sequence[str] | None = None,
    workflow_type_version: str | None = None,
    lambda_role: str | None = None,
) -> Decision:
    """``ContinueAsNewWorkflowExecution``: close this run and start a new one with the same workflow id.

    SWF records ``WorkflowExecutionContinuedAsNew``. Arguments left ``None``
    (or :data:`DEFAULT`) take the workflow type's registered defaults.

    :param input: input of the new run (up to 32,768 chars).
    :param execution_start_to_close_timeout: ``timedelta``.
    :param task_list: decision task list of the new run.
    :param task_priority: its priority.
    :param task_start_to_close_timeout: decision task timeout, ``timedelta``.
    :param child_policy: ``"TERMINATE"``, ``"REQUEST_CANCEL"`` or ``"ABANDON"``.
    :param tags: up to 5 tags of up to 256 chars.
    :param workflow_type_version: run a different version of the type (up to 64 chars).
    :param lambda_role: IAM role ARN for Lambda functions.
    :raises swf.exceptions.ValidationError: a field over its limit, or an unknown child policy.
    """
    return _build(
        "ContinueAsNewWorkflowExecution",
        input=input,
        executionStartToCloseTimeout=_timeout(execution_start_to_close_timeout, "executionStartToCloseTimeout"),
        taskList=_task_list(task_list),
        taskPriority=_priority(task_priority),
        taskStartToCloseTimeout=_timeout(task_start_to_close_timeout, "taskStartToCloseTimeout"),
        childPolicy=child_policy,
        tagList=None if tags is None else list(tags),
        workflowTypeVersion=workflow_type_version,
        lambdaRole=lambda_role,
    )


def record_marker(marker_name: str, details: str | None = None) -> Decision:
    """``RecordMarker``: write a note in the history (``MarkerRecorded``).

    :param marker_name: 1-256 chars.
    :param details: free text; over 32,768 chars it keeps its head and tail around a marker.
    :raises swf.exceptions.ValidationError: an empty or over-long marker name.
    """
    return _build("RecordMarker", markerName=marker_name, details=details)


def start_timer(timer_id: str, start_to_fire_timeout: timedelta, *, control: str | None = None) -> Decision:
    """``StartTimer``: SWF records ``TimerStarted``, then ``TimerFired`` after the timeout.

    :param timer_id: unique among open timers (1-256 chars).
    :param start_to_fire_timeout: ``timedelta`` (whole seconds, rounded up).
    :param control: data for later deciders (up to 32,768 chars).
    :raises swf.exceptions.ValidationError: a field over its limit, or a missing/negative timeout.
    """
    if start_to_fire_timeout is None or isinstance(start_to_fire_timeout, _Default):
        raise ValidationError("StartTimer: startToFireTimeout is required (a timedelta)")
    return _build(
        "StartTimer",
        timerId=timer_id,
        control=control,
        startToFireTimeout=_timeout(start_to_fire_timeout, "startToFireTimeout"),
    )


def cancel_timer(timer_id: str) -> Decision:
    """``CancelTimer``: SWF records ``TimerCanceled`` (``CancelTimerFailed`` for an unknown id).

    :raises swf.exceptions.ValidationError: ``timer_id`` empty or over 256 chars.
    """
    return _build("CancelTimer", timerId=timer_id)


def signal_external_workflow_execution(
    workflow_id: str,
    signal_name: str,
    *,
    run_id: str | None = None,
    input: str | None = None,  # noqa: A002 - SWF's name
    control: str | None = None,
) -> Decision:
    """``SignalExternalWorkflowExecution``: send a signal to another execution.

    SWF records ``SignalExternalWorkflowExecutionInitiated``, then
    ``ExternalWorkflowExecutionSignaled`` or ``SignalExternalWorkflowExecutionFailed``.

    :param workflow_id: the target (1-256 chars).
    :param signal_name: 1-256 chars.
    :param run_id: the target run; ``None`` signals the open run of ``workflow_id``.
    :param input: the signal's input (up to 32,768 chars).
    :param control: data for later deciders (up to 32,768 chars).
    :raises swf.exceptions.ValidationError: a field over its limit.
    """
    return _build(
        "SignalExternalWorkflowExecution",
        workflowId=workflow_id,
        runId=run_id,
        signalName=signal_name,
        input=input,
        control=control,
    )


def request_cancel_external_workflow_execution(
    workflow_id: str,
    *,
    run_id: str | None = None,
    control: str | None = None,
) -> Decision:
    """``RequestCancelExternalWorkflowExecution``: ask another execution to cancel.

    SWF records ``RequestCancelExternalWorkflowExecutionInitiated``, then
    ``ExternalWorkflowExecutionCancelRequested`` or ``RequestCancelExternalWorkflowExecutionFailed``.

    :raises swf.exceptions.ValidationError: a field over its limit.
    """
    return _build("RequestCancelExternalWorkflowExecution", workflowId=workflow_id, runId=run_id, control=control)


def start_child_workflow_execution(
    workflow_id: str,
    workflow_type: TypeSpec,
    *,
    input: str | None = None,  # noqa: A002 - SWF's name
    control: str | None = None,
    execution_start_to_close_timeout: Timeout = DEFAULT,
    task_list: str | None = None,
    task_priority: int | None = None,
    task_start_to_close_timeout: Timeout = DEFAULT,
    child_policy: str | None = None,
    tags: Sequence[str] | None = None,
    lambda_role: str | None = None,
) -> Decision:
    """``StartChildWorkflowExecution``: start a child execution.

    SWF records ``StartChildWorkflowExecutionInitiated``, then
    ``ChildWorkflowExecutionStarted`` (or ``StartChildWorkflowExecutionFailed``).

    :param workflow_id: the child's workflow id (1-256 chars).
    :param workflow_type: ``(name, version)`` or an object with ``name`` and ``version``.
    :param input: the child's input (up to 32,768 chars).
    :param control: data for later deciders (up to 32,768 chars).
    :param execution_start_to_close_timeout: ``timedelta``.
    :param task_list: the child's decision task list.
    :param task_priority: its priority.
    :param task_start_to_close_timeout: its decision task timeout, ``timedelta``.
    :param child_policy: what happens to the child if this execution closes:
        ``"TERMINATE"``, ``"REQUEST_CANCEL"`` or ``"ABANDON"``.
    :param tags: up to 5 tags of up to 256 chars.
    :param lambda_role: IAM role ARN for Lambda functions.
    :raises swf.exceptions.ValidationError: a field over its limit, or an unknown child policy.
    """
    return _build(
        "StartChildWorkflowExecution",
        workflowType=_type(workflow_type, "workflowType"),
        workflowId=workflow_id,
        control=control,
        input=input,
        executionStartToCloseTimeout=_timeout(execution_start_to_close_timeout, "executionStartToCloseTimeout"),
        taskList=_task_list(task_list),
        taskPriority=_priority(task_priority),
        taskStartToCloseTimeout=_timeout(task_start_to_close_timeout, "taskStartToCloseTimeout"),
        childPolicy=child_policy,
        tagList=None if tags is None else list(tags),
        lambdaRole=lambda_role,
    )


def schedule_lambda_function(
    function_id: str,
    name: str,
    *,
    input: str | None = None,  # noqa: A002 - SWF's name
    control: str | None = None,
    start_to_close_timeout: Timeout = DEFAULT,
) -> Decision:
    """``ScheduleLambdaFunction``: invoke an AWS Lambda function (``LambdaFunctionScheduled``).

    :param function_id: unique among open Lambda functions (1-256 chars).
    :param name: the function's name or ARN (1-64 chars).
    :param input: JSON input (up to 32,768 chars).
    :param control: data for later deciders (up to 32,768 chars).
    :param start_to_close_timeout: ``timedelta``; SWF's default is 300 s.
    :raises swf.exceptions.ValidationError: a field over its limit.
    """
    return _build(
        "ScheduleLambdaFunction",
        id=function_id,
        name=name,
        control=control,
        input=input,
        startToCloseTimeout=_timeout(start_to_close_timeout, "startToCloseTimeout"),
    )


def truncate(text: str, limit: int, what: str = "text") -> str:
    """Fit ``text`` into ``limit`` characters, saying so when it had to be cut.

    The head and the tail are kept around ``[... N characters of <what> truncated ...]``.

    :param text: the text to fit.
    :param limit: the most characters allowed.
    :param what: a word for the marker (``"details"``).
    :returns: ``text`` itself when it fits.
    """
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    while True:  # the marker quotes the count it makes: settle on a fixed point
        marker = f"\n[... {cut} characters of {what} truncated ...]\n"
        room = limit - len(marker)
        if room < 0:
            return text[:limit]
        if len(text) - room == cut:
            break
        cut = len(text) - room
    head = room // 2
    tail = room - head
    return text[:head] + marker + text[len(text) - tail :]


def fit_reason(reason: str | None, details: str | None) -> tuple[str | None, str | None]:
    """Fit a failure's reason and details into SWF's 256 and 32,768 characters, never refusing them.

    A reason over 256 characters is cut and ends with :data:`TRUNCATION_MARKER`;
    the full reason becomes the head of ``details``, followed by a blank line
    and the original details (if any). Whatever still does not fit keeps its
    head and tail around a marker (:func:`truncate`): a reason beyond 16,384
    characters, then the details.

    :param reason: the reason, any length, or ``None``.
    :param details: the details, any length, or ``None``.
    :returns: ``(reason, details)`` to send; each unchanged when it fits.
    """
    if reason is None or len(reason) <= limits.MAX_REASON_LENGTH:
        if details is not None:
            details = truncate(details, limits.MAX_DATA_LENGTH, "details")
        return reason, details
    short = reason[: limits.MAX_REASON_LENGTH - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    full = truncate(reason, limits.MAX_DATA_LENGTH // 2, "reason")
    if details is not None:
        full = f"{full}\n\n{truncate(details, limits.MAX_DATA_LENGTH - len(full) - 2, 'details')}"
    return short, full


#: The decision types with free text (``reason``, ``details``): cut to fit, never refused.
_FREE_TEXT = {"FailWorkflowExecution", "CancelWorkflowExecution", "RecordMarker"}


def _fit_free_text(decision: Mapping[str, Any]) -> Mapping[str, Any]:
    """``decision`` with its free text (reason, details) cut to SWF's limits; other values untouched."""
    decision_type = decision.get("decisionType") if isinstance(decision, Mapping) else None
    if decision_type not in _FREE_TEXT:
        return decision
    key = attributes_key(decision_type)
    attributes = decision.get(key)
    if not isinstance(attributes, Mapping):
        return decision
    reason, details = attributes.get("reason"), attributes.get("details")
    if not isinstance(reason, str | None) or not isinstance(details, str | None):
        return decision  # not text: validate_decision names it
    if decision_type != "FailWorkflowExecution":
        reason = None
    reason, details = fit_reason(reason, details)
    fitted = dict(attributes)
    for name, value in (("reason", reason), ("details", details)):
        if value is not None:
            fitted[name] = value
    return {**decision, key: fitted}


def fit_decisions(decisions: Iterable[Mapping[str, Any]]) -> list[Decision]:
    """The decision list to send for one ``RespondDecisionTaskCompleted``: free text fitted, all of it checked.

    Reasons and details are cut to fit as the builders cut them (so a
    decision written by hand with a 300-character fail reason is sent cut and
    marked), then the list is checked by :func:`validate_decisions`.

    :param decisions: the decisions, in order (built here or by hand).
    :returns: them as a list of dicts, ready to send.
    :raises swf.exceptions.ValidationError: more than 100 decisions, or one
        of them invalid (the message gives its index).
    """
    return validate_decisions(_fit_free_text(decision) for decision in decisions)


def check_request_size(params: Mapping[str, Any], operation: str) -> None:
    """Refuse a request whose JSON body would exceed :data:`MAX_REQUEST_BYTES`, before sending it.

    The body is measured as botocore writes it (compact JSON, non-ASCII as
    ``\\uXXXX`` escapes).

    :param params: the request's parameters (JSON-safe values).
    :param operation: named in the error (``"RespondDecisionTaskCompleted"``).
    :raises swf.exceptions.ValidationError: the body is too large, saying by how much.
    """
    size = len(json.dumps(params, separators=(",", ":")))
    if size > MAX_REQUEST_BYTES:
        raise ValidationError(
            f"{operation}: the request would be {size} bytes; SWF takes at most {MAX_REQUEST_BYTES} per request"
        )


# -- validation -------------------------------------------------------------

# Per decision type: SWF member -> (kind, required). Kinds are checked by _check_value.
_RULES: dict[str, dict[str, tuple[str, bool]]] = {
    "ScheduleActivityTask": {
        "activityType": ("type", True),
        "activityId": ("id", True),
        "control": ("data", False),
        "input": ("data", False),
        "scheduleToCloseTimeout": ("duration", False),
        "taskList": ("task_list", False),
        "taskPriority": ("priority", False),
        "scheduleToStartTimeout": ("duration", False),
        "startToCloseTimeout": ("duration", False),
        "heartbeatTimeout": ("duration", False),
    },
    "RequestCancelActivityTask": {"activityId": ("id", True)},
    "CompleteWorkflowExecution": {"result": ("data", False)},
    "FailWorkflowExecution": {"reason": ("reason", False), "details": ("data", False)},
    "CancelWorkflowExecution": {"details": ("data", False)},
    "ContinueAsNewWorkflowExecution": {
        "input": ("data", False),
        "executionStartToCloseTimeout": ("duration", False),
        "taskList": ("task_list", False),
        "taskPriority": ("priority", False),
        "taskStartToCloseTimeout": ("duration", False),
        "childPolicy": ("child_policy", False),
        "tagList": ("tags", False),
        "workflowTypeVersion": ("version", False),
        "lambdaRole": ("arn", False),
    },
    "RecordMarker": {"markerName": ("name", True), "details": ("data", False)},
    "StartTimer": {
        "timerId": ("id", True),
        "control": ("data", False),
        "startToFireTimeout": ("duration", True),
    },
    "CancelTimer": {"timerId": ("id", True)},
    "SignalExternalWorkflowExecution": {
        "workflowId": ("id", True),
        "runId": ("run_id", False),
        "signalName": ("name", True),
        "input": ("data", False),
        "control": ("data", False),
    },
    "RequestCancelExternalWorkflowExecution": {
        "workflowId": ("id", True),
        "runId": ("run_id", False),
        "control": ("data", False),
    },
    "StartChildWorkflowExecution": {
        "workflowType": ("type", True),
        "workflowId": ("id", True),
        "control": ("data", False),
        "input": ("data", False),
        "executionStartToCloseTimeout": ("duration", False),
        "taskList": ("task_list", False),
        "taskPriority": ("priority", False),
        "taskStartToCloseTimeout": ("duration", False),
        "childPolicy": ("child_policy", False),
        "tagList": ("tags", False),
        "lambdaRole": ("arn", False),
    },
    "ScheduleLambdaFunction": {
        "id": ("id", True),
        "name": ("function_name", True),
        "control": ("data", False),
        "input": ("data", False),
        "startToCloseTimeout": ("duration", False),
    },
}

# kind -> (min chars, max chars) for plain strings.
# kind -> the shape of botocore's SWF model giving its (min chars, max chars).
_LENGTHS: dict[str, str] = {
    "data": "Data",
    "reason": "FailureReason",
    "id": "WorkflowId",
    "name": "Name",
    "version": "Version",
    "function_name": "FunctionName",
    "run_id": "WorkflowRunIdOptional",
    "arn": "Arn",
}


def validate_decision(decision: Mapping[str, Any]) -> Decision:
    """Check one decision dict (built here or by hand) against SWF's rules.

    :param decision: ``{"decisionType": ..., "<x>DecisionAttributes": {...}}``.
    :returns: the decision, as a ``dict``.
    :raises swf.exceptions.ValidationError: an unknown decision type, a
        missing required field, a field of the wrong kind or over its limit
        (the message names the decision type, the field and the limit).
    """
    if not isinstance(decision, Mapping):
        raise ValidationError(f"a decision must be a dict, not {type(decision).__name__}")
    decision_type = decision.get("decisionType")
    if decision_type not in _RULES:
        raise ValidationError(f"decisionType must be one of {', '.join(limits.DECISION_TYPES)}; got {decision_type!r}")
    key = attributes_key(decision_type)
    extra = set(decision) - {"decisionType", key}
    if extra:
        raise ValidationError(f"{decision_type}: unexpected member(s) {', '.join(sorted(extra))}")
    attributes = decision.get(key, {})
    if not isinstance(attributes, Mapping):
        raise ValidationError(f"{decision_type}: {key} must be a dict")
    rules = _RULES[decision_type]
    unknown = set(attributes) - set(rules)
    if unknown:
        raise ValidationError(f"{decision_type}: unknown field(s) {', '.join(sorted(unknown))}")
    for name, (kind, required) in rules.items():
        value = attributes.get(name)
        if value is None:
            if required:
                raise ValidationError(f"{decision_type}: {name} is required")
            continue
        _check_value(decision_type, name, kind, value)
    return dict(decision)


def validate_decisions(decisions: Iterable[Mapping[str, Any]]) -> list[Decision]:
    """Check a whole decision list for one ``RespondDecisionTaskCompleted``.

    :param decisions: the decisions, in order.
    :returns: them as a list of dicts.
    :raises swf.exceptions.ValidationError: more than 100 decisions, or one of
        them invalid (the message gives its index).
    """
    items = list(decisions)
    if len(items) > MAX_DECISIONS:
        raise ValidationError(f"decisions: {len(items)} decisions; SWF allows at most {MAX_DECISIONS} per response")
    result: list[Decision] = []
    for index, decision in enumerate(items):
        try:
            result.append(validate_decision(decision))
        except ValidationError as err:
            raise ValidationError(f"decisions[{index}]: {err.message}") from None
    return result


def attributes_key(decision_type: str) -> str:
    """The member holding a decision's attributes: ``"StartTimer"`` -> ``"startTimerDecisionAttributes"``."""
    return decision_type[:1].lower() + decision_type[1:] + "DecisionAttributes"


def decision_fields(decision_type: str) -> tuple[str, ...]:
    """The attributes a decision type takes, as SWF spells them (``("timerId", "control", "startToFireTimeout")``).

    :raises swf.exceptions.ValidationError: an unknown decision type.
    """
    if decision_type not in _RULES:
        raise ValidationError(f"decisionType must be one of {', '.join(limits.DECISION_TYPES)}; got {decision_type!r}")
    return tuple(_RULES[decision_type])


def _build(decision_type: str, **attributes: Any) -> Decision:
    present = {k: v for k, v in attributes.items() if v is not None}
    decision = {"decisionType": decision_type, attributes_key(decision_type): present}
    return validate_decision(_fit_free_text(decision))


def _check_value(decision_type: str, name: str, kind: str, value: Any) -> None:
    where = f"{decision_type}: {name}"
    if kind in _LENGTHS:
        _check_length(where, value, *limits.length_range(_LENGTHS[kind]))
        if kind == "id":
            _check_identifier(where, value)
    elif kind == "duration":
        if not isinstance(value, str) or not (
            value == "NONE" or (value.isdigit() and len(value) <= limits.MAX_DURATION_DIGITS)
        ):
            raise ValidationError(
                f"{where} must be whole seconds (at most {limits.MAX_DURATION_DIGITS} digits) or NONE, not {value!r}"
            )
    elif kind == "type":
        if not isinstance(value, Mapping) or set(value) != {"name", "version"}:
            raise ValidationError(f"{where} must be {{'name': ..., 'version': ...}}, not {value!r}")
        _check_length(f"{where}.name", value["name"], 1, limits.MAX_NAME_LENGTH)
        _check_length(f"{where}.version", value["version"], 1, limits.MAX_VERSION_LENGTH)
    elif kind == "task_list":
        if not isinstance(value, Mapping) or set(value) != {"name"}:
            raise ValidationError(f"{where} must be {{'name': ...}}, not {value!r}")
        _check_length(f"{where}.name", value["name"], 1, limits.MAX_NAME_LENGTH)
        _check_identifier(f"{where}.name", value["name"])
    elif kind == "priority":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{where} must be an integer, not {value!r}") from None
        if not PRIORITY_RANGE[0] <= number <= PRIORITY_RANGE[1]:
            raise ValidationError(f"{where} must be within {PRIORITY_RANGE[0]}..{PRIORITY_RANGE[1]}, not {number}")
    elif kind == "child_policy":
        if value not in CHILD_POLICIES:
            raise ValidationError(f"{where} must be one of {', '.join(CHILD_POLICIES)}, not {value!r}")
    elif kind == "tags":
        if not isinstance(value, (list, tuple)):
            raise ValidationError(f"{where} must be a list of strings, not {value!r}")
        if len(value) > limits.MAX_TAGS:
            raise ValidationError(f"{where} has {len(value)} tags; SWF allows at most {limits.MAX_TAGS}")
        for i, tag in enumerate(value):
            _check_length(f"{where}[{i}]", tag, 0, limits.MAX_TAG_LENGTH)
    else:  # pragma: no cover - a rule table typo
        raise AssertionError(kind)


def _check_length(where: str, value: Any, minimum: int, maximum: int) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{where} must be a string, not {type(value).__name__}")
    if len(value) > maximum:
        raise ValidationError(f"{where} is {len(value)} characters; SWF allows at most {maximum}")
    if len(value) < minimum:
        raise ValidationError(f"{where} must not be empty")


def _check_identifier(where: str, value: str) -> None:
    problem = naming_problem(value)
    if problem is not None:
        raise ValidationError(f"{where} {problem}")


def _type(value: TypeSpec, field: str) -> dict[str, str]:
    name: Any
    version: Any
    if isinstance(value, tuple) and len(value) == 2 and not hasattr(value, "name"):
        name, version = value
    else:
        name = getattr(value, "name", None)
        version = getattr(value, "version", None)
    if not isinstance(name, str) or not isinstance(version, str):
        raise ValidationError(f"{field} must be (name, version) or have name and version strings, not {value!r}")
    return {"name": name, "version": version}


def _task_list(name: str | None) -> dict[str, str] | None:
    return None if name is None else {"name": name}


def _priority(value: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"taskPriority must be an int, not {type(value).__name__}")
    return str(value)


def _timeout(value: Timeout, field: str) -> str | None:
    if isinstance(value, _Default):
        return None
    return duration_to_wire(value, field)
