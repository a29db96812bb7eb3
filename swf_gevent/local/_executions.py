"""Workflow executions of the local SWF endpoint and the tasks and timers they own.

An :class:`Execution` holds its history (a list of events in SWF's wire
shape, ``eventId`` = index + 1) and the open parts of its state: the decision
task scheduled and the one started, open activity tasks by ``activityId``,
open timers by ``timerId``, open child executions by initiated event id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._timers import TimerHandle

MAX_EXECUTION_SECONDS = 365 * 24 * 3600
"""SWF's limit on a workflow execution's start-to-close timeout: one year."""

MAX_HISTORY_EVENTS = 25_000
"""SWF's limit on the events of one history; reaching it terminates the execution."""


def compact(attrs: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` without its ``None`` members (absent on the wire)."""
    return {key: value for key, value in attrs.items() if value is not None}


class DecisionTask:
    """One decision task: scheduled, then started by one poller, then done."""

    __slots__ = (
        "execution",
        "scheduled_event_id",
        "started_event_id",
        "previous_started_event_id",
        "state",
        "token",
        "priority",
        "timer",
        "dispatched",
    )

    def __init__(self, execution: Execution, scheduled_event_id: int, priority: int) -> None:
        self.execution = execution
        self.scheduled_event_id = scheduled_event_id
        self.started_event_id = 0
        self.previous_started_event_id = 0
        self.state = "SCHEDULED"  # then "STARTED", then "DONE"
        self.token = ""
        self.priority = priority
        self.timer: TimerHandle | None = None
        self.dispatched = False

    def is_waiting(self) -> bool:
        """Whether the task is scheduled, not handed out, and its execution open."""
        return self.state == "SCHEDULED" and self.execution.is_open


class ActivityTask:
    """One activity task from its ``ActivityTaskScheduled`` event to its close."""

    __slots__ = (
        "execution",
        "activity_id",
        "activity_type",
        "input",
        "control",
        "task_list",
        "priority",
        "schedule_to_start",
        "schedule_to_close",
        "start_to_close",
        "heartbeat",
        "scheduled_event_id",
        "started_event_id",
        "state",
        "token",
        "cancel_requested",
        "latest_cancel_requested_event_id",
        "details",
        "timers",
        "heartbeat_timer",
    )

    def __init__(
        self, execution: Execution, activity_id: str, activity_type: dict[str, str], task_list: str, priority: int
    ) -> None:
        self.execution = execution
        self.activity_id = activity_id
        self.activity_type = activity_type
        self.input: str | None = None
        self.control: str | None = None
        self.task_list = task_list
        self.priority = priority
        self.schedule_to_start: float | None = None
        self.schedule_to_close: float | None = None
        self.start_to_close: float | None = None
        self.heartbeat: float | None = None
        self.scheduled_event_id = 0
        self.started_event_id = 0
        self.state = "SCHEDULED"  # then "STARTED", then "CLOSED"
        self.token = ""
        self.cancel_requested = False
        self.latest_cancel_requested_event_id = 0
        self.details: str | None = None
        self.timers: list[TimerHandle] = []
        self.heartbeat_timer: TimerHandle | None = None

    def is_waiting(self) -> bool:
        """Whether the task is scheduled, not handed out, and its execution open."""
        return self.state == "SCHEDULED" and self.execution.is_open

    def cancel_timers(self) -> None:
        """Stop every timeout of this task."""
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        if self.heartbeat_timer is not None:
            self.heartbeat_timer.cancel()
            self.heartbeat_timer = None


class Timer:
    """One open ``StartTimer`` timer."""

    __slots__ = ("timer_id", "started_event_id", "handle")

    def __init__(self, timer_id: str, started_event_id: int, handle: TimerHandle | None) -> None:
        self.timer_id = timer_id
        self.started_event_id = started_event_id
        self.handle = handle


class Child:
    """One child execution as its parent sees it."""

    __slots__ = ("initiated_event_id", "started_event_id", "execution")

    def __init__(self, initiated_event_id: int, execution: Execution) -> None:
        self.initiated_event_id = initiated_event_id
        self.started_event_id = 0
        self.execution = execution


class Execution:
    """One workflow execution (one run of a workflow id) and its history.

    :param clock: returns the current time in epoch seconds.
    :param config: the resolved start configuration: ``workflowType``
        (``{"name", "version"}``), ``taskList`` (``{"name"}``), ``taskPriority``
        (str or None), ``executionStartToCloseTimeout`` and
        ``taskStartToCloseTimeout`` (seconds strings, the latter maybe
        ``"NONE"``), ``childPolicy``, ``tagList``, ``input``, ``lambdaRole``.
    """

    def __init__(
        self, clock: Callable[[], float], domain: str, workflow_id: str, run_id: str, config: dict[str, Any]
    ) -> None:
        self._clock = clock
        self.domain = domain
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type: dict[str, str] = config["workflowType"]
        self.task_list: str = config["taskList"]["name"]
        self.task_priority: str | None = config.get("taskPriority")
        self.execution_timeout: str = config["executionStartToCloseTimeout"]
        self.task_timeout: str = config["taskStartToCloseTimeout"]
        self.child_policy: str = config["childPolicy"]
        self.tag_list: list[str] = list(config.get("tagList") or [])
        self.lambda_role: str | None = config.get("lambdaRole")
        self.start_timestamp = clock()
        self.close_timestamp: float | None = None
        self.close_status: str | None = None
        self.cancel_requested = False
        self.parent: Execution | None = None
        self.parent_initiated_event_id = 0
        self.events: list[dict[str, Any]] = []
        self.decision_scheduled: DecisionTask | None = None
        self.decision_started: DecisionTask | None = None
        self.previous_started_event_id = 0
        self.activities: dict[str, ActivityTask] = {}
        self.timers: dict[str, Timer] = {}
        self.children: dict[int, Child] = {}
        self.latest_activity_timestamp: float | None = None
        self.latest_execution_context: str | None = None
        self.timeout_handle: TimerHandle | None = None
        self.decision_schedule_to_start: str | None = None
        self.on_event_limit: Callable[[Execution], None] | None = None
        #: Called after each event added (the endpoint's journal, which saves the history).
        self.on_change: Callable[[Execution], None] | None = None

    @property
    def is_open(self) -> bool:
        """Whether the execution is open."""
        return self.close_status is None

    @property
    def ref(self) -> dict[str, str]:
        """``{"workflowId", "runId"}``: the wire shape of a WorkflowExecution."""
        return {"workflowId": self.workflow_id, "runId": self.run_id}

    def add_event(self, event_type: str, attrs: dict[str, Any]) -> int:
        """Append one event to the history.

        :param event_type: the SWF event type, ``"ActivityTaskScheduled"``.
        :param attrs: its attributes; ``None`` members are left out.
        :returns: the new event's ``eventId``.
        """
        event_id = len(self.events) + 1
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        self.events.append(
            {
                "eventId": event_id,
                "eventTimestamp": self._clock(),
                "eventType": event_type,
                key: compact(attrs),
            }
        )
        if self.on_change is not None:
            self.on_change(self)
        if event_id == MAX_HISTORY_EVENTS and self.on_event_limit is not None:
            self.on_event_limit(self)
        return event_id

    def info(self) -> dict[str, Any]:
        """The execution's WorkflowExecutionInfo, in wire shape."""
        info: dict[str, Any] = {
            "execution": self.ref,
            "workflowType": dict(self.workflow_type),
            "startTimestamp": self.start_timestamp,
            "executionStatus": "OPEN" if self.is_open else "CLOSED",
            "cancelRequested": self.cancel_requested,
        }
        if self.close_status is not None:
            info["closeStatus"] = self.close_status
            info["closeTimestamp"] = self.close_timestamp
        if self.parent is not None:
            info["parent"] = self.parent.ref
        if self.tag_list:
            info["tagList"] = list(self.tag_list)
        return info

    def configuration(self) -> dict[str, Any]:
        """The execution's WorkflowExecutionConfiguration, in wire shape."""
        return compact(
            {
                "taskStartToCloseTimeout": self.task_timeout,
                "executionStartToCloseTimeout": self.execution_timeout,
                "taskList": {"name": self.task_list},
                "taskPriority": self.task_priority,
                "childPolicy": self.child_policy,
                "lambdaRole": self.lambda_role,
            }
        )

    def open_counts(self) -> dict[str, int]:
        """The execution's WorkflowExecutionOpenCounts, in wire shape."""
        decision_open = self.decision_scheduled is not None or self.decision_started is not None
        return {
            "openActivityTasks": len(self.activities),
            "openDecisionTasks": 1 if decision_open else 0,
            "openTimers": len(self.timers),
            "openChildWorkflowExecutions": len(self.children),
            "openLambdaFunctions": 0,
        }
