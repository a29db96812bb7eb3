"""Executions of the local SWF endpoint read back from their histories, as a restart from the database needs.

A history holds all of an execution's state, as SWF means it to: which
decision task is scheduled or started, which activity tasks and timers are
open and since when, which children run, whether a cancel was requested,
how the execution closed. :func:`rebuild` reads a stored history event by
event into an :class:`~swf_gevent.local._executions.Execution` in the state
the engine had left it, without arming anything; the engine then indexes it,
links it to its parent and children, and starts its timeouts from the
recorded times (:meth:`~swf_gevent.local._engine.Engine.restore`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._executions import ActivityTask, DecisionTask, Execution, Timer
from ._store import StoredExecution
from ._wire import parse_duration, parse_priority

__all__ = ["Rebuilt", "rebuild"]

_CLOSE_STATUSES = {
    "WorkflowExecutionCompleted": "COMPLETED",
    "WorkflowExecutionFailed": "FAILED",
    "WorkflowExecutionCanceled": "CANCELED",
    "WorkflowExecutionTimedOut": "TIMED_OUT",
    "WorkflowExecutionTerminated": "TERMINATED",
    "WorkflowExecutionContinuedAsNew": "CONTINUED_AS_NEW",
}
_ACTIVITY_CLOSES = ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut", "ActivityTaskCanceled")
_CHILD_CLOSES = (
    "ChildWorkflowExecutionCompleted",
    "ChildWorkflowExecutionFailed",
    "ChildWorkflowExecutionCanceled",
    "ChildWorkflowExecutionTimedOut",
    "ChildWorkflowExecutionTerminated",
)
_CONFIGURATION = (
    "workflowType",
    "taskList",
    "taskPriority",
    "executionStartToCloseTimeout",
    "taskStartToCloseTimeout",
    "childPolicy",
    "tagList",
    "lambdaRole",
)


@dataclass
class Rebuilt:
    """An execution read back from its history, and what the engine links and arms.

    :ivar execution: in the state its history leaves it, nothing armed.
    :ivar parent: the parent's ``{"workflowId", "runId"}``, or ``None``.
    :ivar children: ``{initiated event id: ChildWorkflowExecutionStarted event id}``
        of the children still open.
    :ivar released_at: when the scheduled decision task (if any) could be
        handed out: its scheduling, or the end of the decision task that was
        running then (epoch seconds); its schedule-to-start timeout counts
        from there.
    """

    execution: Execution
    parent: dict[str, str] | None = None
    children: dict[int, int] = field(default_factory=dict)
    released_at: float | None = None


def rebuild(clock: Callable[[], float], stored: StoredExecution) -> Rebuilt:
    """Read ``stored``'s history into an execution in the state the engine left it.

    :param clock: the endpoint's clock.
    :raises ValueError: KeyError: the history is malformed.
    """
    events = stored.events
    started = events[0]["workflowExecutionStartedEventAttributes"]
    config = {member: started.get(member) for member in _CONFIGURATION}
    execution = Execution(clock, stored.domain, stored.workflow_id, stored.run_id, config)
    execution.events = events
    execution.start_timestamp = float(events[0]["eventTimestamp"])
    execution.parent_initiated_event_id = started.get("parentInitiatedEventId", 0)
    reader = _Reader(Rebuilt(execution, parent=started.get("parentWorkflowExecution")))
    for event in events:
        event_type = event["eventType"]
        attrs = event.get(event_type[0].lower() + event_type[1:] + "EventAttributes", {})
        handler = getattr(reader, "_" + event_type, None)
        if handler is not None:
            handler(event, attrs)
        elif event_type in _ACTIVITY_CLOSES:
            reader.close_activity(attrs)
        elif event_type in _CHILD_CLOSES:
            reader.rebuilt.children.pop(attrs["initiatedEventId"], None)
        if event_type in _CLOSE_STATUSES:
            execution.close_status = _CLOSE_STATUSES[event_type]
            execution.close_timestamp = float(event["eventTimestamp"])
    if not execution.is_open:
        execution.decision_scheduled = execution.decision_started = None
        execution.activities.clear()
        execution.timers.clear()
        reader.rebuilt.children.clear()
    return reader.rebuilt


class _Reader:
    """Applies one history's events to its execution; one method per event type that changes open state."""

    def __init__(self, rebuilt: Rebuilt) -> None:
        self.rebuilt = rebuilt
        self.execution = rebuilt.execution
        self.by_scheduled: dict[int, ActivityTask] = {}

    # -- decision tasks ---------------------------------------------------------------

    def _DecisionTaskScheduled(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        execution = self.execution
        task = DecisionTask(execution, event["eventId"], parse_priority(attrs.get("taskPriority"), "taskPriority"))
        execution.decision_scheduled = task
        self.rebuilt.released_at = event["eventTimestamp"] if execution.decision_started is None else None

    def _DecisionTaskStarted(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        execution = self.execution
        task = execution.decision_scheduled
        if task is None or task.scheduled_event_id != attrs["scheduledEventId"]:
            raise ValueError(f"event {event['eventId']} starts a decision task that is not scheduled")
        execution.decision_scheduled = None
        task.state = "STARTED"
        task.dispatched = True
        task.previous_started_event_id = execution.previous_started_event_id
        task.started_event_id = event["eventId"]
        execution.decision_started = task

    def _DecisionTaskCompleted(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        execution = self.execution
        self._decision_done(event)
        execution.previous_started_event_id = attrs["startedEventId"]
        if attrs.get("taskList"):
            execution.task_list = attrs["taskList"]["name"]
        schedule_to_start = attrs.get("taskListScheduleToStartTimeout")
        if schedule_to_start is not None:
            execution.decision_schedule_to_start = None if schedule_to_start == "NONE" else schedule_to_start
        if attrs.get("executionContext") is not None:
            execution.latest_execution_context = attrs["executionContext"]

    def _DecisionTaskTimedOut(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        if attrs["timeoutType"] == "SCHEDULE_TO_START":
            self.execution.decision_scheduled = None
        else:
            self._decision_done(event)

    def _decision_done(self, event: dict[str, Any]) -> None:
        """The started decision task ended: a decision task scheduled meanwhile can now be handed out."""
        execution = self.execution
        if execution.decision_started is not None:
            execution.decision_started.state = "DONE"
            execution.decision_started = None
        if execution.decision_scheduled is not None:
            self.rebuilt.released_at = event["eventTimestamp"]

    # -- activity tasks ---------------------------------------------------------------

    def _ActivityTaskScheduled(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        execution = self.execution
        task = ActivityTask(
            execution,
            attrs["activityId"],
            dict(attrs["activityType"]),
            attrs["taskList"]["name"],
            parse_priority(attrs.get("taskPriority"), "taskPriority"),
        )
        task.input = attrs.get("input")
        task.control = attrs.get("control")
        task.scheduled_event_id = event["eventId"]
        task.schedule_to_close = parse_duration(attrs["scheduleToCloseTimeout"], "scheduleToCloseTimeout")
        task.schedule_to_start = parse_duration(attrs["scheduleToStartTimeout"], "scheduleToStartTimeout")
        task.start_to_close = parse_duration(attrs["startToCloseTimeout"], "startToCloseTimeout")
        task.heartbeat = parse_duration(attrs["heartbeatTimeout"], "heartbeatTimeout")
        execution.activities[task.activity_id] = task
        execution.latest_activity_timestamp = event["eventTimestamp"]
        self.by_scheduled[task.scheduled_event_id] = task

    def _ActivityTaskStarted(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        task = self.by_scheduled[attrs["scheduledEventId"]]
        task.state = "STARTED"
        task.started_event_id = event["eventId"]

    def _ActivityTaskCancelRequested(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        task = self.execution.activities.get(attrs["activityId"])
        if task is not None:
            task.latest_cancel_requested_event_id = event["eventId"]
            task.cancel_requested = task.state == "STARTED"

    def close_activity(self, attrs: dict[str, Any]) -> None:
        """An activity task reached its close event."""
        task = self.by_scheduled.pop(attrs["scheduledEventId"], None)
        if task is not None:
            task.state = "CLOSED"
            if self.execution.activities.get(task.activity_id) is task:
                del self.execution.activities[task.activity_id]

    # -- timers, children, cancel requests ----------------------------------------------

    def _TimerStarted(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        self.execution.timers[attrs["timerId"]] = Timer(attrs["timerId"], event["eventId"], None)

    def _TimerFired(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        self.execution.timers.pop(attrs["timerId"], None)

    _TimerCanceled = _TimerFired

    def _ChildWorkflowExecutionStarted(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        self.rebuilt.children[attrs["initiatedEventId"]] = event["eventId"]

    def _WorkflowExecutionCancelRequested(self, event: dict[str, Any], attrs: dict[str, Any]) -> None:
        self.execution.cancel_requested = True
