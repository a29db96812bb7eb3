"""What a history says, correlated: activities, timers, children, signals, markers...

:class:`HistoryState` reads a history once, oldest event first, and links the
events by the ids SWF gives them -- ``scheduledEventId`` for activity tasks
and Lambda functions, ``startedEventId`` for timers, ``initiatedEventId`` for
child executions and external requests -- never by position. Each state
object is a snapshot: it describes the history it was built from.

Per activity id the latest attempt is in :attr:`HistoryState.activities`
(every attempt in :attr:`HistoryState.activity_attempts`, with
``times_scheduled`` counting ``ActivityTaskScheduled`` events for that id).
Decisions SWF refused (``*Failed`` events: ``UNHANDLED_DECISION``,
``*_RATE_EXCEEDED``, ``OPEN_ACTIVITIES_LIMIT_EXCEEDED``...) are in
:attr:`HistoryState.decision_failures`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from swf.models import events as ev
from swf.models.events import ExecutionRef, HistoryEvent, TypeRef

__all__ = [
    "ActivityState",
    "ChildWorkflowState",
    "ChildWorkflowStatus",
    "DecisionFailure",
    "ExecutionStatus",
    "ExternalRequestState",
    "HistoryState",
    "LambdaFunctionState",
    "MarkerRecord",
    "RequestStatus",
    "SignalReceived",
    "TaskStatus",
    "TimerState",
    "TimerStatus",
]

log = logging.getLogger(__name__)


class TaskStatus(str, enum.Enum):
    """Where an activity task or Lambda function stands."""

    SCHEDULED = "SCHEDULED"
    #: The schedule decision was refused; see ``cause``.
    SCHEDULE_FAILED = "SCHEDULE_FAILED"
    STARTED = "STARTED"
    #: Lambda functions only: SWF could not start it; see ``cause``.
    START_FAILED = "START_FAILED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    #: See ``timeout_type``.
    TIMED_OUT = "TIMED_OUT"
    #: A ``RequestCancelActivityTask`` decision was taken; the task is still open.
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELED = "CANCELED"


class TimerStatus(str, enum.Enum):
    """Where a timer stands."""

    STARTED = "STARTED"
    START_FAILED = "START_FAILED"
    FIRED = "FIRED"
    CANCELED = "CANCELED"


class ChildWorkflowStatus(str, enum.Enum):
    """Where a child workflow execution stands."""

    INITIATED = "INITIATED"
    START_FAILED = "START_FAILED"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELED = "CANCELED"
    TERMINATED = "TERMINATED"


class RequestStatus(str, enum.Enum):
    """Where a signal or cancel request to another execution stands."""

    INITIATED = "INITIATED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class ExecutionStatus(str, enum.Enum):
    """Where this workflow execution stands, by its close event if any."""

    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    TERMINATED = "TERMINATED"
    CONTINUED_AS_NEW = "CONTINUED_AS_NEW"
    TIMED_OUT = "TIMED_OUT"


_OPEN_TASK = frozenset({TaskStatus.SCHEDULED, TaskStatus.STARTED, TaskStatus.CANCEL_REQUESTED})


@dataclass
class ActivityState:
    """One attempt of an activity id (one ``ActivityTaskScheduled``, or a refused schedule).

    :ivar times_scheduled: ``ActivityTaskScheduled`` events for this id up to
        and including this attempt (0 if the only try was refused).
    :ivar scheduled_event_id: id of the ``ActivityTaskScheduled`` event, or
        of the ``ScheduleActivityTaskFailed`` event.
    :ivar closed_event_id: id of the completed / failed / timed out /
        canceled event, ``None`` while open.
    :ivar cause: why SWF refused the schedule (``SCHEDULE_FAILED``).
    :ivar timeout_type: ``"START_TO_CLOSE"``, ``"SCHEDULE_TO_START"``,
        ``"SCHEDULE_TO_CLOSE"`` or ``"HEARTBEAT"`` (``TIMED_OUT``).
    """

    activity_id: str
    activity_type: TypeRef
    status: TaskStatus
    scheduled_event_id: int
    times_scheduled: int
    input: str | None = None
    control: str | None = None
    task_list: str | None = None
    start_to_close_timeout: timedelta | None = None
    started_event_id: int | None = None
    identity: str | None = None
    closed_event_id: int | None = None
    result: str | None = None
    reason: str | None = None
    details: str | None = None
    timeout_type: str | None = None
    cause: str | None = None
    cancel_requested: bool = False
    cancel_requested_event_id: int | None = None

    @property
    def is_open(self) -> bool:
        """Scheduled, started or cancel requested: SWF still counts it open."""
        return self.status in _OPEN_TASK


@dataclass
class LambdaFunctionState:
    """One attempt of a Lambda function id (one ``LambdaFunctionScheduled``, or a refusal)."""

    function_id: str
    name: str
    status: TaskStatus
    scheduled_event_id: int
    times_scheduled: int
    input: str | None = None
    control: str | None = None
    started_event_id: int | None = None
    closed_event_id: int | None = None
    result: str | None = None
    reason: str | None = None
    details: str | None = None
    timeout_type: str | None = None
    cause: str | None = None
    message: str | None = None

    @property
    def is_open(self) -> bool:
        """Scheduled or started."""
        return self.status in _OPEN_TASK


@dataclass
class TimerState:
    """The latest use of a timer id.

    :ivar start_to_fire_timeout: the timer's duration (``timedelta``).
    :ivar started_event_id: id of ``TimerStarted`` (or ``StartTimerFailed``).
    :ivar closed_event_id: id of ``TimerFired`` / ``TimerCanceled``.
    :ivar times_started: ``TimerStarted`` events for this id so far.
    """

    timer_id: str
    status: TimerStatus
    started_event_id: int
    times_started: int
    start_to_fire_timeout: timedelta | None = None
    control: str | None = None
    closed_event_id: int | None = None
    cause: str | None = None

    @property
    def is_open(self) -> bool:
        """Started and neither fired nor canceled."""
        return self.status is TimerStatus.STARTED


@dataclass
class ChildWorkflowState:
    """The latest child execution started under a workflow id.

    :ivar initiated_event_id: id of ``StartChildWorkflowExecutionInitiated``
        (or of ``StartChildWorkflowExecutionFailed`` when refused outright).
    :ivar run_id: the child's run id once started.
    """

    workflow_id: str
    workflow_type: TypeRef
    status: ChildWorkflowStatus
    initiated_event_id: int
    input: str | None = None
    control: str | None = None
    run_id: str | None = None
    started_event_id: int | None = None
    closed_event_id: int | None = None
    result: str | None = None
    reason: str | None = None
    details: str | None = None
    timeout_type: str | None = None
    cause: str | None = None

    @property
    def is_open(self) -> bool:
        """Initiated or started, not closed."""
        return self.status in (ChildWorkflowStatus.INITIATED, ChildWorkflowStatus.STARTED)


@dataclass(frozen=True)
class SignalReceived:
    """A ``WorkflowExecutionSignaled`` event: a signal this execution received."""

    signal_name: str
    input: str | None
    event_id: int
    timestamp: datetime
    external_workflow_execution: ExecutionRef | None = None
    external_initiated_event_id: int | None = None


@dataclass(frozen=True)
class MarkerRecord:
    """A ``MarkerRecorded`` event."""

    marker_name: str
    details: str | None
    event_id: int
    timestamp: datetime


@dataclass
class ExternalRequestState:
    """A signal (``SignalExternalWorkflowExecution``) or cancel request
    (``RequestCancelExternalWorkflowExecution``) sent to another execution.

    :ivar kind: ``"signal"`` or ``"cancel"``.
    :ivar closed_event_id: id of the delivered or failed event.
    """

    kind: str
    workflow_id: str
    run_id: str | None
    status: RequestStatus
    initiated_event_id: int
    signal_name: str | None = None
    input: str | None = None
    control: str | None = None
    closed_event_id: int | None = None
    cause: str | None = None


#: The decision each ``*Failed`` event reports on.
_FAILED_DECISION = {
    "ScheduleActivityTaskFailed": "ScheduleActivityTask",
    "RequestCancelActivityTaskFailed": "RequestCancelActivityTask",
    "StartTimerFailed": "StartTimer",
    "CancelTimerFailed": "CancelTimer",
    "RecordMarkerFailed": "RecordMarker",
    "StartChildWorkflowExecutionFailed": "StartChildWorkflowExecution",
    "SignalExternalWorkflowExecutionFailed": "SignalExternalWorkflowExecution",
    "RequestCancelExternalWorkflowExecutionFailed": "RequestCancelExternalWorkflowExecution",
    "CompleteWorkflowExecutionFailed": "CompleteWorkflowExecution",
    "FailWorkflowExecutionFailed": "FailWorkflowExecution",
    "CancelWorkflowExecutionFailed": "CancelWorkflowExecution",
    "ContinueAsNewWorkflowExecutionFailed": "ContinueAsNewWorkflowExecution",
    "ScheduleLambdaFunctionFailed": "ScheduleLambdaFunction",
    "StartLambdaFunctionFailed": "ScheduleLambdaFunction",
}


@dataclass(frozen=True)
class DecisionFailure:
    """A decision SWF did not carry out, from its ``*Failed`` event.

    :ivar decision_type: the decision that failed (``"ScheduleActivityTask"``).
    :ivar cause: SWF's cause (``"UNHANDLED_DECISION"``,
        ``"ACTIVITY_CREATION_RATE_EXCEEDED"``...), ``None`` if absent.
    :ivar subject: the id or name the decision was about (activity id, timer
        id, workflow id, marker name, Lambda function id), if any.
    :ivar decision_task_completed_event_id: the ``DecisionTaskCompleted``
        event of the response that carried the decision, if SWF gives it.
    """

    event: HistoryEvent
    decision_type: str
    cause: str | None
    subject: str | None
    decision_task_completed_event_id: int | None

    @property
    def event_id(self) -> int:
        """Id of the ``*Failed`` event."""
        return self.event.event_id

    @property
    def is_unhandled_decision(self) -> bool:
        """New events arrived while deciding: decide again with the fresh history."""
        return self.cause == "UNHANDLED_DECISION"

    @property
    def is_rate_exceeded(self) -> bool:
        """A ``*_RATE_EXCEEDED`` cause: retry the decision later."""
        return bool(self.cause and self.cause.endswith("_RATE_EXCEEDED"))

    @property
    def is_limit_exceeded(self) -> bool:
        """A ``*_LIMIT_EXCEEDED`` cause (``OPEN_ACTIVITIES_LIMIT_EXCEEDED``...): wait for work to close."""
        return bool(self.cause and self.cause.endswith("_LIMIT_EXCEEDED"))


_CLOSE_STATUS = {
    "WorkflowExecutionCompleted": ExecutionStatus.COMPLETED,
    "WorkflowExecutionFailed": ExecutionStatus.FAILED,
    "WorkflowExecutionCanceled": ExecutionStatus.CANCELED,
    "WorkflowExecutionTerminated": ExecutionStatus.TERMINATED,
    "WorkflowExecutionContinuedAsNew": ExecutionStatus.CONTINUED_AS_NEW,
    "WorkflowExecutionTimedOut": ExecutionStatus.TIMED_OUT,
}


class HistoryState:
    """The correlated state of a history; usually reached as ``history.state``.

    :param events: the events, oldest first.

    :ivar started: the ``WorkflowExecutionStarted`` event, if in the history.
    :ivar activities: activity id -> its latest :class:`ActivityState`.
    :ivar activity_attempts: activity id -> every attempt, oldest first.
    :ivar timers: timer id -> :class:`TimerState` of its latest use.
    :ivar child_workflows: workflow id -> :class:`ChildWorkflowState` of the latest child.
    :ivar signals: every :class:`SignalReceived`, in the order received.
    :ivar markers: marker name -> every :class:`MarkerRecord` of that name, oldest first.
    :ivar all_markers: every :class:`MarkerRecord`, in order.
    :ivar external_signals: signals sent to other executions, in order.
    :ivar external_cancel_requests: cancel requests sent to other executions, in order.
    :ivar lambda_functions: Lambda function id -> its latest :class:`LambdaFunctionState`.
    :ivar decision_failures: every :class:`DecisionFailure`, in order.
    :ivar decision_task_timeouts: every ``DecisionTaskTimedOut`` event.
    :ivar cancel_requested: a ``WorkflowExecutionCancelRequested`` event is in the history.
    :ivar cancel_request: that event (the latest one).
    :ivar execution_context: ``executionContext`` of the latest ``DecisionTaskCompleted``.
    :ivar close_event: the event that closed the execution, if any.
    :ivar unknown_events: events of types this toolkit does not know.
    """

    def __init__(self, events: Iterable[HistoryEvent]) -> None:
        self.started: ev.WorkflowExecutionStarted | None = None
        self.activities: dict[str, ActivityState] = {}
        self.activity_attempts: dict[str, list[ActivityState]] = {}
        self.timers: dict[str, TimerState] = {}
        self.child_workflows: dict[str, ChildWorkflowState] = {}
        self.signals: list[SignalReceived] = []
        self.markers: dict[str, list[MarkerRecord]] = {}
        self.all_markers: list[MarkerRecord] = []
        self.external_signals: list[ExternalRequestState] = []
        self.external_cancel_requests: list[ExternalRequestState] = []
        self.lambda_functions: dict[str, LambdaFunctionState] = {}
        self.decision_failures: list[DecisionFailure] = []
        self.decision_task_timeouts: list[ev.DecisionTaskTimedOut] = []
        self.cancel_requested = False
        self.cancel_request: ev.WorkflowExecutionCancelRequested | None = None
        self.execution_context: str | None = None
        self.close_event: HistoryEvent | None = None
        self.unknown_events: list[HistoryEvent] = []

        self._activity_by_scheduled: dict[int, ActivityState] = {}
        self._lambda_by_scheduled: dict[int, LambdaFunctionState] = {}
        self._timer_by_started: dict[int, TimerState] = {}
        self._child_by_initiated: dict[int, ChildWorkflowState] = {}
        self._request_by_initiated: dict[int, ExternalRequestState] = {}

        # A history that starts later (startAtPreviousStartedEvent) may refer
        # to events it does not hold; only a full one makes that worth a warning.
        self._partial: bool | None = None

        handlers = self._handlers()
        for event in events:
            if self._partial is None:
                self._partial = event.event_id != 1
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
            elif isinstance(event, ev.GenericEvent):
                self.unknown_events.append(event)
            if event.event_type in _FAILED_DECISION:
                self._decision_failed(event)
            if event.event_type in _CLOSE_STATUS:
                self.close_event = event

    # -- queries ----------------------------------------------------------

    @property
    def input(self) -> str | None:
        """The execution's input, from ``WorkflowExecutionStarted``."""
        return self.started.input if self.started else None

    @property
    def status(self) -> ExecutionStatus:
        """``OPEN`` until a close event (completed, failed, canceled...) is in the history."""
        if self.close_event is None:
            return ExecutionStatus.OPEN
        return _CLOSE_STATUS[self.close_event.event_type]

    @property
    def open_activities(self) -> list[ActivityState]:
        """The activities still open (scheduled, started or cancel requested)."""
        return [a for a in self.activities.values() if a.is_open]

    @property
    def open_timers(self) -> list[TimerState]:
        """The timers started and not yet fired or canceled."""
        return [t for t in self.timers.values() if t.is_open]

    @property
    def open_child_workflows(self) -> list[ChildWorkflowState]:
        """The children initiated or started and not yet closed."""
        return [c for c in self.child_workflows.values() if c.is_open]

    def marker_details(self, marker_name: str) -> str | None:
        """``details`` of the latest marker of that name, ``None`` if never recorded."""
        records = self.markers.get(marker_name)
        return records[-1].details if records else None

    def signals_named(self, signal_name: str) -> list[SignalReceived]:
        """The signals of that name, in the order received."""
        return [s for s in self.signals if s.signal_name == signal_name]

    def decision_failures_since(self, event_id: int | None) -> list[DecisionFailure]:
        """The decision failures after ``event_id`` (``previousStartedEventId``): the new ones."""
        return [f for f in self.decision_failures if f.event_id > (event_id or 0)]

    # -- event handlers ---------------------------------------------------

    def _handlers(self) -> dict[type[HistoryEvent], Callable[[HistoryEvent], None]]:
        table: dict[type[HistoryEvent], Callable[[HistoryEvent], None]] = {}
        for name in dir(self):
            if name.startswith("_on_"):
                cls = ev.EVENT_CLASSES[name[4:]]
                table[cls] = getattr(self, name)
        return table

    def _missing(self, event: HistoryEvent, what: str, ref: int) -> None:
        log.log(
            logging.DEBUG if self._partial else logging.WARNING,
            "event %d (%s) refers to %s %d, not in this history",
            event.event_id,
            event.event_type,
            what,
            ref,
        )

    def _on_WorkflowExecutionStarted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.WorkflowExecutionStarted)
        self.started = event

    def _on_WorkflowExecutionCancelRequested(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.WorkflowExecutionCancelRequested)
        self.cancel_requested = True
        self.cancel_request = event

    def _on_DecisionTaskCompleted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.DecisionTaskCompleted)
        if event.execution_context is not None:
            self.execution_context = event.execution_context

    def _on_DecisionTaskTimedOut(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.DecisionTaskTimedOut)
        self.decision_task_timeouts.append(event)

    # activities

    def _on_ActivityTaskScheduled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskScheduled)
        attempts = self.activity_attempts.setdefault(event.activity_id, [])
        state = ActivityState(
            activity_id=event.activity_id,
            activity_type=event.activity_type,
            status=TaskStatus.SCHEDULED,
            scheduled_event_id=event.event_id,
            times_scheduled=(attempts[-1].times_scheduled if attempts else 0) + 1,
            input=event.input,
            control=event.control,
            task_list=event.task_list,
            start_to_close_timeout=event.start_to_close_timeout,
        )
        attempts.append(state)
        self.activities[event.activity_id] = state
        self._activity_by_scheduled[event.event_id] = state

    def _on_ScheduleActivityTaskFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ScheduleActivityTaskFailed)
        current = self.activities.get(event.activity_id)
        if current is not None and current.is_open:
            return  # ACTIVITY_ID_ALREADY_IN_USE: the open attempt stands.
        attempts = self.activity_attempts.setdefault(event.activity_id, [])
        state = ActivityState(
            activity_id=event.activity_id,
            activity_type=event.activity_type,
            status=TaskStatus.SCHEDULE_FAILED,
            scheduled_event_id=event.event_id,
            times_scheduled=attempts[-1].times_scheduled if attempts else 0,
            closed_event_id=event.event_id,
            cause=event.cause,
        )
        attempts.append(state)
        self.activities[event.activity_id] = state

    def _activity(self, event: HistoryEvent, scheduled_event_id: int) -> ActivityState | None:
        state = self._activity_by_scheduled.get(scheduled_event_id)
        if state is None:
            self._missing(event, "activity task scheduled event", scheduled_event_id)
        return state

    def _on_ActivityTaskStarted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskStarted)
        state = self._activity(event, event.scheduled_event_id)
        if state is not None:
            if state.status is TaskStatus.SCHEDULED:
                state.status = TaskStatus.STARTED
            state.started_event_id = event.event_id
            state.identity = event.identity

    def _on_ActivityTaskCompleted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskCompleted)
        state = self._activity(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.COMPLETED
            state.result = event.result
            state.closed_event_id = event.event_id

    def _on_ActivityTaskFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskFailed)
        state = self._activity(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.FAILED
            state.reason = event.reason
            state.details = event.details
            state.closed_event_id = event.event_id

    def _on_ActivityTaskTimedOut(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskTimedOut)
        state = self._activity(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.TIMED_OUT
            state.timeout_type = event.timeout_type
            state.details = event.details
            state.closed_event_id = event.event_id

    def _on_ActivityTaskCanceled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskCanceled)
        state = self._activity(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.CANCELED
            state.details = event.details
            state.closed_event_id = event.event_id

    def _on_ActivityTaskCancelRequested(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ActivityTaskCancelRequested)
        state = self.activities.get(event.activity_id)
        if state is None or not state.is_open:
            log.warning(
                "event %d: cancel requested for activity %r, which is not open", event.event_id, event.activity_id
            )
            return
        state.status = TaskStatus.CANCEL_REQUESTED
        state.cancel_requested = True
        state.cancel_requested_event_id = event.event_id

    # Lambda functions

    def _on_LambdaFunctionScheduled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.LambdaFunctionScheduled)
        previous = self.lambda_functions.get(event.id)
        state = LambdaFunctionState(
            function_id=event.id,
            name=event.name,
            status=TaskStatus.SCHEDULED,
            scheduled_event_id=event.event_id,
            times_scheduled=(previous.times_scheduled if previous else 0) + 1,
            input=event.input,
            control=event.control,
        )
        self.lambda_functions[event.id] = state
        self._lambda_by_scheduled[event.event_id] = state

    def _on_ScheduleLambdaFunctionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ScheduleLambdaFunctionFailed)
        previous = self.lambda_functions.get(event.id)
        if previous is not None and previous.is_open:
            return  # ID_ALREADY_IN_USE: the open one stands.
        self.lambda_functions[event.id] = LambdaFunctionState(
            function_id=event.id,
            name=event.name,
            status=TaskStatus.SCHEDULE_FAILED,
            scheduled_event_id=event.event_id,
            times_scheduled=previous.times_scheduled if previous else 0,
            closed_event_id=event.event_id,
            cause=event.cause,
        )

    def _lambda(self, event: HistoryEvent, scheduled_event_id: int | None) -> LambdaFunctionState | None:
        state = self._lambda_by_scheduled.get(scheduled_event_id or 0)
        if state is None:
            self._missing(event, "Lambda function scheduled event", scheduled_event_id or 0)
        return state

    def _on_LambdaFunctionStarted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.LambdaFunctionStarted)
        state = self._lambda(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.STARTED
            state.started_event_id = event.event_id

    def _on_StartLambdaFunctionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.StartLambdaFunctionFailed)
        state = self._lambda(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.START_FAILED
            state.cause = event.cause
            state.message = event.message
            state.closed_event_id = event.event_id

    def _on_LambdaFunctionCompleted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.LambdaFunctionCompleted)
        state = self._lambda(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.COMPLETED
            state.result = event.result
            state.closed_event_id = event.event_id

    def _on_LambdaFunctionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.LambdaFunctionFailed)
        state = self._lambda(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.FAILED
            state.reason = event.reason
            state.details = event.details
            state.closed_event_id = event.event_id

    def _on_LambdaFunctionTimedOut(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.LambdaFunctionTimedOut)
        state = self._lambda(event, event.scheduled_event_id)
        if state is not None:
            state.status = TaskStatus.TIMED_OUT
            state.timeout_type = event.timeout_type
            state.closed_event_id = event.event_id

    # timers

    def _on_TimerStarted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.TimerStarted)
        previous = self.timers.get(event.timer_id)
        state = TimerState(
            timer_id=event.timer_id,
            status=TimerStatus.STARTED,
            started_event_id=event.event_id,
            times_started=(previous.times_started if previous else 0) + 1,
            start_to_fire_timeout=event.start_to_fire_timeout,
            control=event.control,
        )
        self.timers[event.timer_id] = state
        self._timer_by_started[event.event_id] = state

    def _on_StartTimerFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.StartTimerFailed)
        previous = self.timers.get(event.timer_id)
        if previous is not None and previous.is_open:
            return  # TIMER_ID_ALREADY_IN_USE: the running timer stands.
        self.timers[event.timer_id] = TimerState(
            timer_id=event.timer_id,
            status=TimerStatus.START_FAILED,
            started_event_id=event.event_id,
            times_started=previous.times_started if previous else 0,
            closed_event_id=event.event_id,
            cause=event.cause,
        )

    def _on_TimerFired(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.TimerFired)
        state = self._timer_by_started.get(event.started_event_id)
        if state is None:
            self._missing(event, "timer started event", event.started_event_id)
            return
        state.status = TimerStatus.FIRED
        state.closed_event_id = event.event_id

    def _on_TimerCanceled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.TimerCanceled)
        state = self._timer_by_started.get(event.started_event_id)
        if state is None:
            self._missing(event, "timer started event", event.started_event_id)
            return
        state.status = TimerStatus.CANCELED
        state.closed_event_id = event.event_id

    # child workflows

    def _on_StartChildWorkflowExecutionInitiated(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.StartChildWorkflowExecutionInitiated)
        state = ChildWorkflowState(
            workflow_id=event.workflow_id,
            workflow_type=event.workflow_type,
            status=ChildWorkflowStatus.INITIATED,
            initiated_event_id=event.event_id,
            input=event.input,
            control=event.control,
        )
        self.child_workflows[event.workflow_id] = state
        self._child_by_initiated[event.event_id] = state

    def _on_StartChildWorkflowExecutionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.StartChildWorkflowExecutionFailed)
        state = self._child_by_initiated.get(event.initiated_event_id)
        if state is None:
            # Refused before an Initiated event was recorded (initiatedEventId 0).
            state = ChildWorkflowState(
                workflow_id=event.workflow_id,
                workflow_type=event.workflow_type,
                status=ChildWorkflowStatus.START_FAILED,
                initiated_event_id=event.event_id,
                control=event.control,
            )
            current = self.child_workflows.get(event.workflow_id)
            if current is None or not current.is_open:
                self.child_workflows[event.workflow_id] = state
        state.status = ChildWorkflowStatus.START_FAILED
        state.cause = event.cause
        state.closed_event_id = event.event_id

    def _child(self, event: HistoryEvent, initiated_event_id: int) -> ChildWorkflowState | None:
        state = self._child_by_initiated.get(initiated_event_id)
        if state is None:
            self._missing(event, "child workflow initiated event", initiated_event_id)
        return state

    def _on_ChildWorkflowExecutionStarted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionStarted)
        state = self._child(event, event.initiated_event_id)
        if state is not None:
            state.status = ChildWorkflowStatus.STARTED
            state.run_id = event.workflow_execution.run_id
            state.started_event_id = event.event_id

    def _close_child(
        self, event: HistoryEvent, initiated_event_id: int, status: ChildWorkflowStatus
    ) -> ChildWorkflowState | None:
        state = self._child(event, initiated_event_id)
        if state is not None:
            state.status = status
            state.closed_event_id = event.event_id
        return state

    def _on_ChildWorkflowExecutionCompleted(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionCompleted)
        state = self._close_child(event, event.initiated_event_id, ChildWorkflowStatus.COMPLETED)
        if state is not None:
            state.result = event.result

    def _on_ChildWorkflowExecutionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionFailed)
        state = self._close_child(event, event.initiated_event_id, ChildWorkflowStatus.FAILED)
        if state is not None:
            state.reason = event.reason
            state.details = event.details

    def _on_ChildWorkflowExecutionTimedOut(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionTimedOut)
        state = self._close_child(event, event.initiated_event_id, ChildWorkflowStatus.TIMED_OUT)
        if state is not None:
            state.timeout_type = event.timeout_type

    def _on_ChildWorkflowExecutionCanceled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionCanceled)
        state = self._close_child(event, event.initiated_event_id, ChildWorkflowStatus.CANCELED)
        if state is not None:
            state.details = event.details

    def _on_ChildWorkflowExecutionTerminated(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ChildWorkflowExecutionTerminated)
        self._close_child(event, event.initiated_event_id, ChildWorkflowStatus.TERMINATED)

    # signals and markers

    def _on_WorkflowExecutionSignaled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.WorkflowExecutionSignaled)
        self.signals.append(
            SignalReceived(
                signal_name=event.signal_name,
                input=event.input,
                event_id=event.event_id,
                timestamp=event.timestamp,
                external_workflow_execution=event.external_workflow_execution,
                external_initiated_event_id=event.external_initiated_event_id,
            )
        )

    def _on_MarkerRecorded(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.MarkerRecorded)
        record = MarkerRecord(event.marker_name, event.details, event.event_id, event.timestamp)
        self.markers.setdefault(event.marker_name, []).append(record)
        self.all_markers.append(record)

    # requests to other executions

    def _on_SignalExternalWorkflowExecutionInitiated(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.SignalExternalWorkflowExecutionInitiated)
        state = ExternalRequestState(
            kind="signal",
            workflow_id=event.workflow_id,
            run_id=event.run_id,
            status=RequestStatus.INITIATED,
            initiated_event_id=event.event_id,
            signal_name=event.signal_name,
            input=event.input,
            control=event.control,
        )
        self.external_signals.append(state)
        self._request_by_initiated[event.event_id] = state

    def _on_RequestCancelExternalWorkflowExecutionInitiated(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.RequestCancelExternalWorkflowExecutionInitiated)
        state = ExternalRequestState(
            kind="cancel",
            workflow_id=event.workflow_id,
            run_id=event.run_id,
            status=RequestStatus.INITIATED,
            initiated_event_id=event.event_id,
            control=event.control,
        )
        self.external_cancel_requests.append(state)
        self._request_by_initiated[event.event_id] = state

    def _close_request(
        self, event: HistoryEvent, initiated_event_id: int, status: RequestStatus, cause: str | None = None
    ) -> None:
        state = self._request_by_initiated.get(initiated_event_id)
        if state is None:
            self._missing(event, "initiated event", initiated_event_id)
            return
        state.status = status
        state.closed_event_id = event.event_id
        state.cause = cause
        if status is RequestStatus.DELIVERED and state.run_id is None:
            execution = getattr(event, "workflow_execution", None)
            if isinstance(execution, ExecutionRef):
                state.run_id = execution.run_id

    def _on_ExternalWorkflowExecutionSignaled(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ExternalWorkflowExecutionSignaled)
        self._close_request(event, event.initiated_event_id, RequestStatus.DELIVERED)

    def _on_SignalExternalWorkflowExecutionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.SignalExternalWorkflowExecutionFailed)
        self._close_request(event, event.initiated_event_id, RequestStatus.FAILED, event.cause)

    def _on_ExternalWorkflowExecutionCancelRequested(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.ExternalWorkflowExecutionCancelRequested)
        self._close_request(event, event.initiated_event_id, RequestStatus.DELIVERED)

    def _on_RequestCancelExternalWorkflowExecutionFailed(self, event: HistoryEvent) -> None:  # noqa: N802
        assert isinstance(event, ev.RequestCancelExternalWorkflowExecutionFailed)
        self._close_request(event, event.initiated_event_id, RequestStatus.FAILED, event.cause)

    # refused decisions

    def _decision_failed(self, event: HistoryEvent) -> None:
        subject = None
        for attr in ("activity_id", "timer_id", "workflow_id", "marker_name", "id"):
            value = getattr(event, attr, None)
            if isinstance(value, str):
                subject = value
                break
        if subject is None and isinstance(event, ev.StartLambdaFunctionFailed):
            state = self._lambda_by_scheduled.get(event.scheduled_event_id or 0)
            subject = state.function_id if state else None
        cause = getattr(event, "cause", None)
        completed = getattr(event, "decision_task_completed_event_id", None)
        self.decision_failures.append(
            DecisionFailure(
                event=event,
                decision_type=_FAILED_DECISION[event.event_type],
                cause=cause if isinstance(cause, str) else None,
                subject=subject,
                decision_task_completed_event_id=completed if isinstance(completed, int) else None,
            )
        )
        log.debug("event %d: %s refused (%s)", event.event_id, _FAILED_DECISION[event.event_type], cause)
