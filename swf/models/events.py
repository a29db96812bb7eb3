"""Typed SWF history events, one class per SWF event type.

Each class is named for the SWF event type it holds (``ActivityTaskScheduled``)
and derives from :class:`HistoryEvent`. Attributes are the members of SWF's
``<eventType>EventAttributes`` in ``snake_case``, converted at this boundary:

* durations (``*Timeout``) are :class:`datetime.timedelta`; ``None`` is SWF's
  ``"NONE"`` (no limit) or an absent member;
* the event time is a timezone-aware UTC :class:`datetime.datetime`;
* event ids (``eventId``, ``*EventId``) are ``int``;
* ``workflowType`` / ``activityType`` become :class:`TypeRef`,
  ``*WorkflowExecution`` members :class:`ExecutionRef`, ``taskList`` its name
  (``str``), ``taskPriority`` an ``int``, ``tagList`` a tuple of ``str``;
* causes, timeout types and child policies stay SWF's strings
  (``"START_TO_CLOSE"``, ``"UNHANDLED_DECISION"``).

An event type this module does not know (a newer SWF) becomes a
:class:`GenericEvent` keeping its type name and raw attributes. Every event
keeps the dict it was read from in ``raw``, so nothing is lost on export.

Build events with :func:`event_from_wire`; :data:`EVENT_CLASSES` maps each SWF
event type name to its class.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, NamedTuple

from swf._convert import aware, duration_from_wire
from swf.exceptions import ValidationError

__all__ = [
    "EVENT_CLASSES",
    "ExecutionRef",
    "GenericEvent",
    "HistoryEvent",
    "TypeRef",
    "event_from_wire",
]


class TypeRef(NamedTuple):
    """A workflow or activity type as events name it: ``{"name", "version"}``."""

    name: str
    version: str

    def to_wire(self) -> dict[str, str]:
        """``{"name": ..., "version": ...}``, the shape SWF takes."""
        return {"name": self.name, "version": self.version}


class ExecutionRef(NamedTuple):
    """A workflow execution as events name it: ``{"workflowId", "runId"}``."""

    workflow_id: str
    run_id: str

    def to_wire(self) -> dict[str, str]:
        """``{"workflowId": ..., "runId": ...}``, the shape SWF takes."""
        return {"workflowId": self.workflow_id, "runId": self.run_id}


@dataclass(frozen=True, kw_only=True)
class HistoryEvent:
    """One event of a workflow execution's history.

    :ivar event_id: SWF's ``eventId``, 1 for the first event, ``int``.
    :ivar event_type: SWF's event type name (``"TimerFired"``).
    :ivar timestamp: when SWF recorded the event, aware UTC ``datetime``.
    :ivar raw: the event dict as read (boto3 shape); not part of equality.
    """

    #: The SWF event type a subclass holds; ``""`` on the base and generic class.
    TYPE: ClassVar[str] = ""

    event_id: int
    event_type: str = ""
    timestamp: datetime
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.event_type:
            object.__setattr__(self, "event_type", self.TYPE)
        elif self.TYPE and self.event_type != self.TYPE:
            raise ValidationError(
                f"event {self.event_id}: eventType {self.event_type!r} does not match {type(self).__name__}"
            )

    def to_wire(self) -> dict[str, Any]:
        """The event in boto3's shape: the ``raw`` dict it was read from, or one rebuilt."""
        if self.raw:
            return dict(self.raw)
        attributes: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _BASE_FIELDS:
                continue
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            attributes[_camel(f.name)] = _to_wire_value(f.name, value)
        return {
            "eventId": self.event_id,
            "eventType": self.event_type,
            "eventTimestamp": self.timestamp,
            _attributes_key(self.event_type): attributes,
        }


@dataclass(frozen=True, kw_only=True)
class GenericEvent(HistoryEvent):
    """An event whose type this module does not know; its attributes stay raw.

    :ivar attributes: the ``<eventType>EventAttributes`` dict as read (camelCase keys),
        or ``{}`` when the event had none.
    """

    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionStarted(HistoryEvent):
    """The execution started; the first event of every history."""

    TYPE: ClassVar[str] = "WorkflowExecutionStarted"

    input: str | None = None
    execution_start_to_close_timeout: timedelta | None = None
    task_start_to_close_timeout: timedelta | None = None
    child_policy: str
    task_list: str
    task_priority: int | None = None
    workflow_type: TypeRef
    tag_list: tuple[str, ...] = ()
    continued_execution_run_id: str | None = None
    parent_workflow_execution: ExecutionRef | None = None
    parent_initiated_event_id: int | None = None
    lambda_role: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionCancelRequested(HistoryEvent):
    """Cancellation of this execution was requested (by an operator or another execution)."""

    TYPE: ClassVar[str] = "WorkflowExecutionCancelRequested"

    external_workflow_execution: ExecutionRef | None = None
    external_initiated_event_id: int | None = None
    cause: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionCompleted(HistoryEvent):
    """The execution closed as completed by a ``CompleteWorkflowExecution`` decision."""

    TYPE: ClassVar[str] = "WorkflowExecutionCompleted"

    result: str | None = None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class CompleteWorkflowExecutionFailed(HistoryEvent):
    """A ``CompleteWorkflowExecution`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "CompleteWorkflowExecutionFailed"

    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionFailed(HistoryEvent):
    """The execution closed as failed by a ``FailWorkflowExecution`` decision."""

    TYPE: ClassVar[str] = "WorkflowExecutionFailed"

    reason: str | None = None
    details: str | None = None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class FailWorkflowExecutionFailed(HistoryEvent):
    """A ``FailWorkflowExecution`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "FailWorkflowExecutionFailed"

    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionTimedOut(HistoryEvent):
    """The execution closed because it ran past its start-to-close timeout."""

    TYPE: ClassVar[str] = "WorkflowExecutionTimedOut"

    timeout_type: str
    child_policy: str


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionCanceled(HistoryEvent):
    """The execution closed as canceled by a ``CancelWorkflowExecution`` decision."""

    TYPE: ClassVar[str] = "WorkflowExecutionCanceled"

    details: str | None = None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class CancelWorkflowExecutionFailed(HistoryEvent):
    """A ``CancelWorkflowExecution`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "CancelWorkflowExecutionFailed"

    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionContinuedAsNew(HistoryEvent):
    """The execution closed and a new run started (``ContinueAsNewWorkflowExecution``)."""

    TYPE: ClassVar[str] = "WorkflowExecutionContinuedAsNew"

    input: str | None = None
    decision_task_completed_event_id: int
    new_execution_run_id: str
    execution_start_to_close_timeout: timedelta | None = None
    task_list: str
    task_priority: int | None = None
    task_start_to_close_timeout: timedelta | None = None
    child_policy: str
    tag_list: tuple[str, ...] = ()
    workflow_type: TypeRef
    lambda_role: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContinueAsNewWorkflowExecutionFailed(HistoryEvent):
    """A ``ContinueAsNewWorkflowExecution`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "ContinueAsNewWorkflowExecutionFailed"

    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionTerminated(HistoryEvent):
    """The execution was terminated (``TerminateWorkflowExecution`` or a parent's child policy)."""

    TYPE: ClassVar[str] = "WorkflowExecutionTerminated"

    reason: str | None = None
    details: str | None = None
    child_policy: str
    cause: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecisionTaskScheduled(HistoryEvent):
    """A decision task was scheduled on the execution's task list."""

    TYPE: ClassVar[str] = "DecisionTaskScheduled"

    task_list: str
    task_priority: int | None = None
    start_to_close_timeout: timedelta | None = None
    schedule_to_start_timeout: timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class DecisionTaskStarted(HistoryEvent):
    """A decider took the decision task scheduled by ``scheduled_event_id``."""

    TYPE: ClassVar[str] = "DecisionTaskStarted"

    identity: str | None = None
    scheduled_event_id: int


@dataclass(frozen=True, kw_only=True)
class DecisionTaskCompleted(HistoryEvent):
    """The decider answered the decision task (``RespondDecisionTaskCompleted``)."""

    TYPE: ClassVar[str] = "DecisionTaskCompleted"

    execution_context: str | None = None
    scheduled_event_id: int
    started_event_id: int
    task_list: str | None = None
    task_list_schedule_to_start_timeout: timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class DecisionTaskTimedOut(HistoryEvent):
    """The decision task timed out (``timeout_type``)."""

    TYPE: ClassVar[str] = "DecisionTaskTimedOut"

    timeout_type: str
    scheduled_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityTaskScheduled(HistoryEvent):
    """An activity task was scheduled by a ``ScheduleActivityTask`` decision."""

    TYPE: ClassVar[str] = "ActivityTaskScheduled"

    activity_type: TypeRef
    activity_id: str
    input: str | None = None
    control: str | None = None
    schedule_to_start_timeout: timedelta | None = None
    schedule_to_close_timeout: timedelta | None = None
    start_to_close_timeout: timedelta | None = None
    task_list: str
    task_priority: int | None = None
    decision_task_completed_event_id: int
    heartbeat_timeout: timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleActivityTaskFailed(HistoryEvent):
    """A ``ScheduleActivityTask`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "ScheduleActivityTaskFailed"

    activity_type: TypeRef
    activity_id: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityTaskStarted(HistoryEvent):
    """A worker took the activity task scheduled by ``scheduled_event_id``."""

    TYPE: ClassVar[str] = "ActivityTaskStarted"

    identity: str | None = None
    scheduled_event_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityTaskCompleted(HistoryEvent):
    """The activity task completed with ``result``."""

    TYPE: ClassVar[str] = "ActivityTaskCompleted"

    result: str | None = None
    scheduled_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityTaskFailed(HistoryEvent):
    """The activity task failed with ``reason`` and ``details``."""

    TYPE: ClassVar[str] = "ActivityTaskFailed"

    reason: str | None = None
    details: str | None = None
    scheduled_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ActivityTaskTimedOut(HistoryEvent):
    """The activity task timed out (``timeout_type``)."""

    TYPE: ClassVar[str] = "ActivityTaskTimedOut"

    timeout_type: str
    scheduled_event_id: int
    started_event_id: int
    details: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityTaskCanceled(HistoryEvent):
    """The activity task acknowledged its cancellation."""

    TYPE: ClassVar[str] = "ActivityTaskCanceled"

    details: str | None = None
    scheduled_event_id: int
    started_event_id: int
    latest_cancel_requested_event_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityTaskCancelRequested(HistoryEvent):
    """A ``RequestCancelActivityTask`` decision asked ``activity_id`` to stop."""

    TYPE: ClassVar[str] = "ActivityTaskCancelRequested"

    decision_task_completed_event_id: int
    activity_id: str


@dataclass(frozen=True, kw_only=True)
class RequestCancelActivityTaskFailed(HistoryEvent):
    """A ``RequestCancelActivityTask`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "RequestCancelActivityTaskFailed"

    activity_id: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class WorkflowExecutionSignaled(HistoryEvent):
    """A signal ``signal_name`` was delivered to this execution."""

    TYPE: ClassVar[str] = "WorkflowExecutionSignaled"

    signal_name: str
    input: str | None = None
    external_workflow_execution: ExecutionRef | None = None
    external_initiated_event_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class MarkerRecorded(HistoryEvent):
    """A ``RecordMarker`` decision recorded ``marker_name`` with ``details``."""

    TYPE: ClassVar[str] = "MarkerRecorded"

    marker_name: str
    details: str | None = None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class RecordMarkerFailed(HistoryEvent):
    """A ``RecordMarker`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "RecordMarkerFailed"

    marker_name: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class TimerStarted(HistoryEvent):
    """A timer was started by a ``StartTimer`` decision."""

    TYPE: ClassVar[str] = "TimerStarted"

    timer_id: str
    control: str | None = None
    start_to_fire_timeout: timedelta | None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class StartTimerFailed(HistoryEvent):
    """A ``StartTimer`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "StartTimerFailed"

    timer_id: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class TimerFired(HistoryEvent):
    """The timer started by ``started_event_id`` fired."""

    TYPE: ClassVar[str] = "TimerFired"

    timer_id: str
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class TimerCanceled(HistoryEvent):
    """The timer started by ``started_event_id`` was canceled by a ``CancelTimer`` decision."""

    TYPE: ClassVar[str] = "TimerCanceled"

    timer_id: str
    started_event_id: int
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class CancelTimerFailed(HistoryEvent):
    """A ``CancelTimer`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "CancelTimerFailed"

    timer_id: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class StartChildWorkflowExecutionInitiated(HistoryEvent):
    """A ``StartChildWorkflowExecution`` decision was accepted; the child is being started."""

    TYPE: ClassVar[str] = "StartChildWorkflowExecutionInitiated"

    workflow_id: str
    workflow_type: TypeRef
    control: str | None = None
    input: str | None = None
    execution_start_to_close_timeout: timedelta | None = None
    task_list: str
    task_priority: int | None = None
    decision_task_completed_event_id: int
    child_policy: str
    task_start_to_close_timeout: timedelta | None = None
    tag_list: tuple[str, ...] = ()
    lambda_role: str | None = None


@dataclass(frozen=True, kw_only=True)
class StartChildWorkflowExecutionFailed(HistoryEvent):
    """The child execution initiated by ``initiated_event_id`` could not start (see ``cause``)."""

    TYPE: ClassVar[str] = "StartChildWorkflowExecutionFailed"

    workflow_type: TypeRef
    cause: str
    workflow_id: str
    initiated_event_id: int
    decision_task_completed_event_id: int
    control: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionStarted(HistoryEvent):
    """The child execution initiated by ``initiated_event_id`` started."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionStarted"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    initiated_event_id: int


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionCompleted(HistoryEvent):
    """The child execution completed with ``result``."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionCompleted"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    result: str | None = None
    initiated_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionFailed(HistoryEvent):
    """The child execution failed with ``reason`` and ``details``."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionFailed"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    reason: str | None = None
    details: str | None = None
    initiated_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionTimedOut(HistoryEvent):
    """The child execution timed out."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionTimedOut"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    timeout_type: str
    initiated_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionCanceled(HistoryEvent):
    """The child execution closed as canceled."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionCanceled"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    details: str | None = None
    initiated_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class ChildWorkflowExecutionTerminated(HistoryEvent):
    """The child execution was terminated."""

    TYPE: ClassVar[str] = "ChildWorkflowExecutionTerminated"

    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    initiated_event_id: int
    started_event_id: int


@dataclass(frozen=True, kw_only=True)
class SignalExternalWorkflowExecutionInitiated(HistoryEvent):
    """A ``SignalExternalWorkflowExecution`` decision was accepted; the signal is being sent."""

    TYPE: ClassVar[str] = "SignalExternalWorkflowExecutionInitiated"

    workflow_id: str
    run_id: str | None = None
    signal_name: str
    input: str | None = None
    decision_task_completed_event_id: int
    control: str | None = None


@dataclass(frozen=True, kw_only=True)
class SignalExternalWorkflowExecutionFailed(HistoryEvent):
    """The signal initiated by ``initiated_event_id`` could not be delivered (see ``cause``)."""

    TYPE: ClassVar[str] = "SignalExternalWorkflowExecutionFailed"

    workflow_id: str
    run_id: str | None = None
    cause: str
    initiated_event_id: int
    decision_task_completed_event_id: int
    control: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExternalWorkflowExecutionSignaled(HistoryEvent):
    """The signal initiated by ``initiated_event_id`` was delivered."""

    TYPE: ClassVar[str] = "ExternalWorkflowExecutionSignaled"

    workflow_execution: ExecutionRef
    initiated_event_id: int


@dataclass(frozen=True, kw_only=True)
class RequestCancelExternalWorkflowExecutionInitiated(HistoryEvent):
    """A ``RequestCancelExternalWorkflowExecution`` decision was accepted."""

    TYPE: ClassVar[str] = "RequestCancelExternalWorkflowExecutionInitiated"

    workflow_id: str
    run_id: str | None = None
    decision_task_completed_event_id: int
    control: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestCancelExternalWorkflowExecutionFailed(HistoryEvent):
    """The cancel request initiated by ``initiated_event_id`` could not be delivered (see ``cause``)."""

    TYPE: ClassVar[str] = "RequestCancelExternalWorkflowExecutionFailed"

    workflow_id: str
    run_id: str | None = None
    cause: str
    initiated_event_id: int
    decision_task_completed_event_id: int
    control: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExternalWorkflowExecutionCancelRequested(HistoryEvent):
    """The cancel request initiated by ``initiated_event_id`` was delivered."""

    TYPE: ClassVar[str] = "ExternalWorkflowExecutionCancelRequested"

    workflow_execution: ExecutionRef
    initiated_event_id: int


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionScheduled(HistoryEvent):
    """A Lambda function was scheduled by a ``ScheduleLambdaFunction`` decision."""

    TYPE: ClassVar[str] = "LambdaFunctionScheduled"

    id: str
    name: str
    control: str | None = None
    input: str | None = None
    start_to_close_timeout: timedelta | None = None
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionStarted(HistoryEvent):
    """The Lambda function scheduled by ``scheduled_event_id`` started."""

    TYPE: ClassVar[str] = "LambdaFunctionStarted"

    scheduled_event_id: int


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionCompleted(HistoryEvent):
    """The Lambda function completed with ``result``."""

    TYPE: ClassVar[str] = "LambdaFunctionCompleted"

    scheduled_event_id: int
    started_event_id: int
    result: str | None = None


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionFailed(HistoryEvent):
    """The Lambda function failed with ``reason`` and ``details``."""

    TYPE: ClassVar[str] = "LambdaFunctionFailed"

    scheduled_event_id: int
    started_event_id: int
    reason: str | None = None
    details: str | None = None


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionTimedOut(HistoryEvent):
    """The Lambda function timed out."""

    TYPE: ClassVar[str] = "LambdaFunctionTimedOut"

    scheduled_event_id: int
    started_event_id: int
    timeout_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleLambdaFunctionFailed(HistoryEvent):
    """A ``ScheduleLambdaFunction`` decision was refused (see ``cause``)."""

    TYPE: ClassVar[str] = "ScheduleLambdaFunctionFailed"

    id: str
    name: str
    cause: str
    decision_task_completed_event_id: int


@dataclass(frozen=True, kw_only=True)
class StartLambdaFunctionFailed(HistoryEvent):
    """The Lambda function could not be started (see ``cause`` and ``message``)."""

    TYPE: ClassVar[str] = "StartLambdaFunctionFailed"

    scheduled_event_id: int | None = None
    cause: str | None = None
    message: str | None = None


_BASE_FIELDS = frozenset({"event_id", "event_type", "timestamp", "raw"})

#: SWF event type name -> its :class:`HistoryEvent` subclass, for all 54 types.
EVENT_CLASSES: Mapping[str, type[HistoryEvent]] = {
    cls.TYPE: cls
    for cls in (
        WorkflowExecutionStarted,
        WorkflowExecutionCancelRequested,
        WorkflowExecutionCompleted,
        CompleteWorkflowExecutionFailed,
        WorkflowExecutionFailed,
        FailWorkflowExecutionFailed,
        WorkflowExecutionTimedOut,
        WorkflowExecutionCanceled,
        CancelWorkflowExecutionFailed,
        WorkflowExecutionContinuedAsNew,
        ContinueAsNewWorkflowExecutionFailed,
        WorkflowExecutionTerminated,
        DecisionTaskScheduled,
        DecisionTaskStarted,
        DecisionTaskCompleted,
        DecisionTaskTimedOut,
        ActivityTaskScheduled,
        ScheduleActivityTaskFailed,
        ActivityTaskStarted,
        ActivityTaskCompleted,
        ActivityTaskFailed,
        ActivityTaskTimedOut,
        ActivityTaskCanceled,
        ActivityTaskCancelRequested,
        RequestCancelActivityTaskFailed,
        WorkflowExecutionSignaled,
        MarkerRecorded,
        RecordMarkerFailed,
        TimerStarted,
        StartTimerFailed,
        TimerFired,
        TimerCanceled,
        CancelTimerFailed,
        StartChildWorkflowExecutionInitiated,
        StartChildWorkflowExecutionFailed,
        ChildWorkflowExecutionStarted,
        ChildWorkflowExecutionCompleted,
        ChildWorkflowExecutionFailed,
        ChildWorkflowExecutionTimedOut,
        ChildWorkflowExecutionCanceled,
        ChildWorkflowExecutionTerminated,
        SignalExternalWorkflowExecutionInitiated,
        SignalExternalWorkflowExecutionFailed,
        ExternalWorkflowExecutionSignaled,
        RequestCancelExternalWorkflowExecutionInitiated,
        RequestCancelExternalWorkflowExecutionFailed,
        ExternalWorkflowExecutionCancelRequested,
        LambdaFunctionScheduled,
        LambdaFunctionStarted,
        LambdaFunctionCompleted,
        LambdaFunctionFailed,
        LambdaFunctionTimedOut,
        ScheduleLambdaFunctionFailed,
        StartLambdaFunctionFailed,
    )
}

_EXECUTION_KEYS = frozenset({"workflowExecution", "externalWorkflowExecution", "parentWorkflowExecution"})
_TYPE_KEYS = frozenset({"workflowType", "activityType"})


def event_from_wire(raw: Mapping[str, Any], where: str = "event") -> HistoryEvent:
    """Build the typed event for one history event dict (boto3 / SWF JSON shape).

    :param raw: ``{"eventId": 7, "eventType": "TimerFired", "eventTimestamp":
        datetime | epoch seconds | ISO 8601 str, "timerFiredEventAttributes": {...}}``.
    :param where: how to name this event in errors (``"events[6]"``).
    :returns: an instance of the class in :data:`EVENT_CLASSES`, or a
        :class:`GenericEvent` for an unknown event type.
    :raises swf.exceptions.ValidationError: not a dict, a required member
        missing, or a value of the wrong kind; the message names ``where``,
        the event id and the member.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{where}: an event must be an object, not {type(raw).__name__}")
    event_type = raw.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise ValidationError(f"{where}: missing eventType")
    if "eventId" not in raw:
        raise ValidationError(f"{where} ({event_type}): missing eventId")
    event_id = _int(raw["eventId"], f"{where} ({event_type}): eventId")
    where = f"{where} (eventId {event_id}, {event_type})"
    if "eventTimestamp" not in raw:
        raise ValidationError(f"{where}: missing eventTimestamp")
    timestamp = _timestamp(raw["eventTimestamp"], f"{where}: eventTimestamp")
    key = _attributes_key(event_type)
    attributes = raw.get(key)
    cls = EVENT_CLASSES.get(event_type)
    if cls is None:
        if attributes is None:
            attributes = next((v for k, v in raw.items() if k.endswith("EventAttributes")), {})
        return GenericEvent(
            event_id=event_id,
            event_type=event_type,
            timestamp=timestamp,
            raw=dict(raw),
            attributes=dict(attributes) if isinstance(attributes, Mapping) else {},
        )
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, Mapping):
        raise ValidationError(f"{where}: {key} must be an object")
    known = _field_names(cls)
    kwargs: dict[str, Any] = {}
    for wire_key, value in attributes.items():
        name = _snake(wire_key)
        if name in known and name not in _BASE_FIELDS:
            kwargs[name] = _from_wire_value(wire_key, value, f"{where}: {wire_key}")
    missing = [_camel(name) for name in _required(cls) if name not in kwargs]
    if missing:
        raise ValidationError(f"{where}: missing {key}.{', '.join(missing)}")
    return cls(event_id=event_id, event_type=event_type, timestamp=timestamp, raw=dict(raw), **kwargs)


def _attributes_key(event_type: str) -> str:
    """``"TimerFired"`` -> ``"timerFiredEventAttributes"``."""
    return event_type[:1].lower() + event_type[1:] + "EventAttributes"


_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


@functools.lru_cache(maxsize=512)
def _snake(name: str) -> str:
    """``"scheduledEventId"`` -> ``"scheduled_event_id"``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _camel(name: str) -> str:
    """``"scheduled_event_id"`` -> ``"scheduledEventId"``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_FIELD_NAMES: dict[type[HistoryEvent], frozenset[str]] = {}
_REQUIRED: dict[type[HistoryEvent], tuple[str, ...]] = {}


def _field_names(cls: type[HistoryEvent]) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


def _required(cls: type[HistoryEvent]) -> tuple[str, ...]:
    from dataclasses import MISSING

    names = _REQUIRED.get(cls)
    if names is None:
        names = _REQUIRED[cls] = tuple(
            f.name
            for f in fields(cls)
            if f.name not in _BASE_FIELDS and f.default is MISSING and f.default_factory is MISSING
        )
    return names


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(f"{what} must be an integer, not {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{what} must be an integer, not {value!r}") from None


def _timestamp(value: Any, what: str) -> datetime:
    """A UTC-aware time from a ``datetime``, epoch seconds (number or numeric string) or ISO 8601."""
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except ValueError:
            pass
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"{what} is not a time: {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (datetime, int, float)):
        raise ValidationError(f"{what} is not a time: {value!r}")
    result = aware(value)
    assert result is not None
    return result


def _from_wire_value(key: str, value: Any, what: str) -> Any:
    """Convert one attribute member by SWF's naming of it (see the module docstring)."""
    if key.endswith("EventId"):
        return _int(value, what)
    if key.endswith("Timeout"):
        try:
            return duration_from_wire(None if value is None else str(value))
        except ValueError:
            raise ValidationError(f"{what} must be whole seconds or NONE, not {value!r}") from None
    if key in _TYPE_KEYS:
        if not isinstance(value, Mapping) or "name" not in value or "version" not in value:
            raise ValidationError(f"{what} must be {{name, version}}, not {value!r}")
        return TypeRef(str(value["name"]), str(value["version"]))
    if key in _EXECUTION_KEYS:
        if not isinstance(value, Mapping) or "workflowId" not in value or "runId" not in value:
            raise ValidationError(f"{what} must be {{workflowId, runId}}, not {value!r}")
        return ExecutionRef(str(value["workflowId"]), str(value["runId"]))
    if key == "taskList":
        if not isinstance(value, Mapping) or "name" not in value:
            raise ValidationError(f"{what} must be {{name}}, not {value!r}")
        return str(value["name"])
    if key == "taskPriority":
        return _int(value, what)
    if key == "tagList":
        if not isinstance(value, (list, tuple)):
            raise ValidationError(f"{what} must be a list of strings, not {value!r}")
        return tuple(str(tag) for tag in value)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {value!r}")
    return value


def _to_wire_value(name: str, value: Any) -> Any:
    """The inverse of :func:`_from_wire_value`, for events built in Python."""
    if isinstance(value, (TypeRef, ExecutionRef)):
        return value.to_wire()
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    if name == "task_list":
        return {"name": value}
    if name == "task_priority":
        return str(value)
    if name == "tag_list":
        return list(value)
    return value
