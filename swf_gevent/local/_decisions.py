"""The decisions of RespondDecisionTaskCompleted, applied as SWF applies them.

:func:`check` inspects the whole decision list before anything changes and
raises ``ValidationException`` naming the member at fault, so a malformed
list is never half-applied. :func:`apply` then carries the decisions out in
order. A decision SWF cannot carry out is recorded as its ``*Failed`` event
with SWF's cause, and schedules a decision task so that the decider sees it.

Effects on other executions (starting a child, signalling or cancelling an
external execution) take place once every decision of the list is recorded,
so their events follow the decisions' own, as they do in SWF.

Rules worth knowing, all SWF's:

- a close decision (complete, fail, cancel, continue as new) must be the last
  of its list, and fails with ``UNHANDLED_DECISION`` when events arrived while
  the decision task ran (a decision task is then already scheduled);
- ``CancelWorkflowExecution`` needs no prior cancel request;
- ``StartChildWorkflowExecutionFailed`` for a type or default problem has
  ``initiatedEventId`` 0 (no initiated event is recorded); for
  ``WORKFLOW_ALREADY_RUNNING`` it points at the initiated event;
- ``ScheduleLambdaFunction`` always fails with
  ``LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION``: this endpoint runs no Lambda.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._executions import ActivityTask, Execution, Timer
from ._faults import Fault
from ._wire import new_run_id, parse_duration, parse_priority

if TYPE_CHECKING:
    from ._engine import Engine

logger = logging.getLogger(__name__)

CLOSE_DECISIONS = frozenset(
    {
        "CompleteWorkflowExecution",
        "FailWorkflowExecution",
        "CancelWorkflowExecution",
        "ContinueAsNewWorkflowExecution",
    }
)

MAX_OPEN_ACTIVITIES = 1000
"""SWF's quota of open activity tasks per execution."""

MAX_OPEN_TIMERS = 1000
"""SWF's quota of open timers per execution."""

MAX_OPEN_CHILDREN = 1000
"""SWF's quota of open child executions per execution."""

_ATTRIBUTES_REQUIRED = frozenset(
    {
        "ScheduleActivityTask",
        "RequestCancelActivityTask",
        "RecordMarker",
        "StartTimer",
        "CancelTimer",
        "SignalExternalWorkflowExecution",
        "RequestCancelExternalWorkflowExecution",
        "StartChildWorkflowExecution",
        "ScheduleLambdaFunction",
    }
)

_ACTIVITY_TIMEOUTS = (
    ("scheduleToCloseTimeout", "defaultTaskScheduleToCloseTimeout", "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED"),
    ("scheduleToStartTimeout", "defaultTaskScheduleToStartTimeout", "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED"),
    ("startToCloseTimeout", "defaultTaskStartToCloseTimeout", "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
    ("heartbeatTimeout", "defaultTaskHeartbeatTimeout", "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED"),
)


def attributes_key(decision_type: str) -> str:
    """The member holding a decision's attributes: ``scheduleActivityTaskDecisionAttributes``."""
    return decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"


def check(engine: Engine, execution: Execution, decisions: list[dict[str, Any]]) -> None:
    """Check a decision list whole, before any of it is applied.

    :param decisions: the request's ``decisions``, validated against the
        service model (types, lengths, enums, required members of the
        attributes present).
    :raises Fault: ``ValidationException`` naming the member: attributes
        missing for the decision type, a malformed duration or priority, or
        a close decision that is not the last one.
    """
    from ._engine import check_start_durations

    for index, decision in enumerate(decisions):
        decision_type = decision["decisionType"]
        key = attributes_key(decision_type)
        path = f"decisions.{index + 1}.member.{key}"
        attrs = decision.get(key)
        if attrs is None and decision_type in _ATTRIBUTES_REQUIRED:
            raise Fault(
                "ValidationException",
                f"Value null at '{path}' failed to satisfy constraint: Member must not be null "
                f"for a {decision_type} decision",
            )
        if decision_type in CLOSE_DECISIONS and index != len(decisions) - 1:
            raise Fault(
                "ValidationException",
                f"The {decision_type} decision at 'decisions.{index + 1}' closes the execution: "
                f"it must be the last decision of the list",
            )
        attrs = attrs or {}
        if decision_type == "ScheduleActivityTask":
            for member, _, _ in _ACTIVITY_TIMEOUTS:
                if attrs.get(member) is not None:
                    parse_duration(attrs[member], f"{path}.{member}")
            parse_priority(attrs.get("taskPriority"), f"{path}.taskPriority")
        elif decision_type == "StartTimer":
            parse_duration(attrs["startToFireTimeout"], f"{path}.startToFireTimeout", allow_none=False)
        elif decision_type in ("StartChildWorkflowExecution", "ContinueAsNewWorkflowExecution"):
            check_start_durations(attrs, f"{path}.")
        elif decision_type == "ScheduleLambdaFunction" and attrs.get("startToCloseTimeout") is not None:
            parse_duration(attrs["startToCloseTimeout"], f"{path}.startToCloseTimeout", allow_none=False)


def apply(
    engine: Engine, execution: Execution, completed_id: int, decisions: list[dict[str, Any]], unhandled: bool
) -> None:
    """Carry out a checked decision list.

    :param completed_id: the DecisionTaskCompleted event id.
    :param unhandled: whether new events (a decision task scheduled) arrived
        while the decision task ran: close decisions then fail with
        ``UNHANDLED_DECISION``.
    """
    applier = _Applier(engine, execution, completed_id, unhandled)
    for index, decision in enumerate(decisions):
        if not execution.is_open:
            break
        decision_type = decision["decisionType"]
        handler = getattr(applier, "_" + decision_type)
        handler(
            decision.get(attributes_key(decision_type)) or {},
            f"decisions.{index + 1}.member." + attributes_key(decision_type) + ".",
        )
    if applier.decision_due:
        engine.schedule_decision(execution)
    for action in applier.later:
        action()


class _Applier:
    """Applies one decision list; one method per decision type."""

    def __init__(self, engine: Engine, execution: Execution, completed_id: int, unhandled: bool) -> None:
        self.engine = engine
        self.execution = execution
        self.completed_id = completed_id
        self.unhandled = unhandled
        self.later: list[Callable[[], None]] = []
        self.decision_due = False
        self.children_initiated = 0

    def _failed(self, event_type: str, attrs: dict[str, Any]) -> None:
        attrs["decisionTaskCompletedEventId"] = self.completed_id
        self.execution.add_event(event_type, attrs)
        logger.debug("%s in %s: %s", event_type, self.execution.workflow_id, attrs.get("cause"))
        self.decision_due = True

    # -- activities -----------------------------------------------------------------

    def _ScheduleActivityTask(self, attrs: dict[str, Any], path: str) -> None:
        execution = self.execution
        activity_type = {"name": attrs["activityType"]["name"], "version": attrs["activityType"]["version"]}
        activity_id = attrs["activityId"]

        def fail(cause: str) -> None:
            self._failed(
                "ScheduleActivityTaskFailed", {"activityType": activity_type, "activityId": activity_id, "cause": cause}
            )

        if activity_id in execution.activities:
            return fail("ACTIVITY_ID_ALREADY_IN_USE")
        if len(execution.activities) >= MAX_OPEN_ACTIVITIES:
            return fail("OPEN_ACTIVITIES_LIMIT_EXCEEDED")
        try:
            record = self.engine.registry.activity_type(
                execution.domain, activity_type["name"], activity_type["version"]
            )
        except Fault as err:
            if err.code != "UnknownResourceFault":
                raise
            return fail("ACTIVITY_TYPE_DOES_NOT_EXIST")
        if record.status != "REGISTERED":
            return fail("ACTIVITY_TYPE_DEPRECATED")
        defaults = record.configuration
        task_list = attrs.get("taskList") or defaults.get("defaultTaskList")
        if task_list is None:
            return fail("DEFAULT_TASK_LIST_UNDEFINED")
        timeouts: dict[str, str] = {}
        for member, default, cause in _ACTIVITY_TIMEOUTS:
            value = attrs.get(member)
            if value is None:
                value = defaults.get(default)
            if value is None:
                return fail(cause)
            timeouts[member] = value
        priority = attrs.get("taskPriority", defaults.get("defaultTaskPriority"))
        event_id = execution.add_event(
            "ActivityTaskScheduled",
            {
                "activityType": activity_type,
                "activityId": activity_id,
                "input": attrs.get("input"),
                "control": attrs.get("control"),
                **timeouts,
                "taskList": {"name": task_list["name"]},
                "taskPriority": priority,
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )
        task = ActivityTask(
            execution, activity_id, activity_type, task_list["name"], parse_priority(priority, path + "taskPriority")
        )
        task.input = attrs.get("input")
        task.control = attrs.get("control")
        task.scheduled_event_id = event_id
        task.schedule_to_close = parse_duration(timeouts["scheduleToCloseTimeout"], path + "scheduleToCloseTimeout")
        task.schedule_to_start = parse_duration(timeouts["scheduleToStartTimeout"], path + "scheduleToStartTimeout")
        task.start_to_close = parse_duration(timeouts["startToCloseTimeout"], path + "startToCloseTimeout")
        task.heartbeat = parse_duration(timeouts["heartbeatTimeout"], path + "heartbeatTimeout")
        execution.activities[activity_id] = task
        execution.latest_activity_timestamp = execution.events[-1]["eventTimestamp"]
        self.engine.dispatch_activity(task)

    def _RequestCancelActivityTask(self, attrs: dict[str, Any], path: str) -> None:
        execution = self.execution
        activity_id = attrs["activityId"]
        task = execution.activities.get(activity_id)
        if task is None:
            return self._failed(
                "RequestCancelActivityTaskFailed", {"activityId": activity_id, "cause": "ACTIVITY_ID_UNKNOWN"}
            )
        event_id = execution.add_event(
            "ActivityTaskCancelRequested",
            {"decisionTaskCompletedEventId": self.completed_id, "activityId": activity_id},
        )
        task.latest_cancel_requested_event_id = event_id
        if task.state == "SCHEDULED":
            self.engine.close_activity(task)
            execution.add_event(
                "ActivityTaskCanceled",
                {
                    "scheduledEventId": task.scheduled_event_id,
                    "startedEventId": 0,
                    "latestCancelRequestedEventId": event_id,
                },
            )
            self.decision_due = True
        else:
            task.cancel_requested = True

    # -- closing the execution ------------------------------------------------------

    def _close(
        self, decision: str, status: str, event_type: str, attrs: dict[str, Any], report: dict[str, Any]
    ) -> None:
        if self.unhandled:
            self._failed(decision + "Failed", {"cause": "UNHANDLED_DECISION"})
            return
        attrs["decisionTaskCompletedEventId"] = self.completed_id
        self.engine.close_execution(self.execution, status, event_type, attrs, report=report)

    def _CompleteWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        result = attrs.get("result")
        self._close(
            "CompleteWorkflowExecution",
            "COMPLETED",
            "WorkflowExecutionCompleted",
            {"result": result},
            {"result": result},
        )

    def _FailWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        failure = {"reason": attrs.get("reason"), "details": attrs.get("details")}
        self._close("FailWorkflowExecution", "FAILED", "WorkflowExecutionFailed", dict(failure), failure)

    def _CancelWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        details = attrs.get("details")
        self._close(
            "CancelWorkflowExecution",
            "CANCELED",
            "WorkflowExecutionCanceled",
            {"details": details},
            {"details": details},
        )

    def _ContinueAsNewWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        from ._engine import StartRefused

        engine, execution = self.engine, self.execution
        if self.unhandled:
            return self._failed("ContinueAsNewWorkflowExecutionFailed", {"cause": "UNHANDLED_DECISION"})
        workflow_type = {
            "name": execution.workflow_type["name"],
            "version": attrs.get("workflowTypeVersion") or execution.workflow_type["version"],
        }
        try:
            config = engine.resolve_workflow(execution.domain, workflow_type, attrs, path)
        except StartRefused as refused:
            return self._failed("ContinueAsNewWorkflowExecutionFailed", {"cause": refused.cause})
        run_id = new_run_id()
        engine.close_execution(
            execution,
            "CONTINUED_AS_NEW",
            "WorkflowExecutionContinuedAsNew",
            {
                "input": attrs.get("input"),
                "decisionTaskCompletedEventId": self.completed_id,
                "newExecutionRunId": run_id,
                "executionStartToCloseTimeout": config["executionStartToCloseTimeout"],
                "taskList": dict(config["taskList"]),
                "taskPriority": config.get("taskPriority"),
                "taskStartToCloseTimeout": config["taskStartToCloseTimeout"],
                "childPolicy": config["childPolicy"],
                "tagList": list(config["tagList"]) or None,
                "workflowType": workflow_type,
                "lambdaRole": config.get("lambdaRole"),
            },
        )
        parent = execution.parent
        successor = engine.launch(
            execution.domain,
            execution.workflow_id,
            config,
            attrs.get("input"),
            parent=parent,
            parent_initiated_event_id=execution.parent_initiated_event_id,
            continued_from=execution,
            run_id=run_id,
        )
        if parent is not None:
            child = parent.children.get(execution.parent_initiated_event_id)
            if child is not None and child.execution is execution:
                child.execution = successor

    # -- markers and timers ---------------------------------------------------------

    def _RecordMarker(self, attrs: dict[str, Any], path: str) -> None:
        self.execution.add_event(
            "MarkerRecorded",
            {
                "markerName": attrs["markerName"],
                "details": attrs.get("details"),
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )

    def _StartTimer(self, attrs: dict[str, Any], path: str) -> None:
        execution = self.execution
        timer_id = attrs["timerId"]
        if timer_id in execution.timers:
            return self._failed("StartTimerFailed", {"timerId": timer_id, "cause": "TIMER_ID_ALREADY_IN_USE"})
        if len(execution.timers) >= MAX_OPEN_TIMERS:
            return self._failed("StartTimerFailed", {"timerId": timer_id, "cause": "OPEN_TIMERS_LIMIT_EXCEEDED"})
        event_id = execution.add_event(
            "TimerStarted",
            {
                "timerId": timer_id,
                "control": attrs.get("control"),
                "startToFireTimeout": attrs["startToFireTimeout"],
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )
        timer = Timer(timer_id, event_id, None)
        execution.timers[timer_id] = timer
        arm_timer(self.engine, execution, timer)

    def _CancelTimer(self, attrs: dict[str, Any], path: str) -> None:
        execution = self.execution
        timer_id = attrs["timerId"]
        timer = execution.timers.pop(timer_id, None)
        if timer is None:
            return self._failed("CancelTimerFailed", {"timerId": timer_id, "cause": "TIMER_ID_UNKNOWN"})
        if timer.handle is not None:
            timer.handle.cancel()
        execution.add_event(
            "TimerCanceled",
            {
                "timerId": timer_id,
                "startedEventId": timer.started_event_id,
                "decisionTaskCompletedEventId": self.completed_id,
            },
        )

    # -- other executions -----------------------------------------------------------

    def _SignalExternalWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        engine, execution, completed_id = self.engine, self.execution, self.completed_id
        target_ref = {"workflowId": attrs["workflowId"], "runId": attrs.get("runId")}
        initiated_id = execution.add_event(
            "SignalExternalWorkflowExecutionInitiated",
            {
                **target_ref,
                "signalName": attrs["signalName"],
                "input": attrs.get("input"),
                "decisionTaskCompletedEventId": completed_id,
                "control": attrs.get("control"),
            },
        )

        def deliver() -> None:
            target = engine.find_open(execution.domain, attrs["workflowId"], attrs.get("runId"))
            if target is None:
                if execution.is_open:
                    execution.add_event(
                        "SignalExternalWorkflowExecutionFailed",
                        {
                            **target_ref,
                            "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
                            "initiatedEventId": initiated_id,
                            "decisionTaskCompletedEventId": completed_id,
                            "control": attrs.get("control"),
                        },
                    )
                    engine.schedule_decision(execution)
                return
            engine.signal(
                target,
                {
                    "signalName": attrs["signalName"],
                    "input": attrs.get("input"),
                    "externalWorkflowExecution": execution.ref,
                    "externalInitiatedEventId": initiated_id,
                },
            )
            if execution.is_open:
                execution.add_event(
                    "ExternalWorkflowExecutionSignaled",
                    {"workflowExecution": target.ref, "initiatedEventId": initiated_id},
                )
                engine.schedule_decision(execution)

        self.later.append(deliver)

    def _RequestCancelExternalWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        engine, execution, completed_id = self.engine, self.execution, self.completed_id
        target_ref = {"workflowId": attrs["workflowId"], "runId": attrs.get("runId")}
        initiated_id = execution.add_event(
            "RequestCancelExternalWorkflowExecutionInitiated",
            {
                **target_ref,
                "decisionTaskCompletedEventId": completed_id,
                "control": attrs.get("control"),
            },
        )

        def deliver() -> None:
            target = engine.find_open(execution.domain, attrs["workflowId"], attrs.get("runId"))
            if target is None:
                if execution.is_open:
                    execution.add_event(
                        "RequestCancelExternalWorkflowExecutionFailed",
                        {
                            **target_ref,
                            "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
                            "initiatedEventId": initiated_id,
                            "decisionTaskCompletedEventId": completed_id,
                            "control": attrs.get("control"),
                        },
                    )
                    engine.schedule_decision(execution)
                return
            engine.request_cancel(
                target,
                {
                    "externalWorkflowExecution": execution.ref,
                    "externalInitiatedEventId": initiated_id,
                },
            )
            if execution.is_open:
                execution.add_event(
                    "ExternalWorkflowExecutionCancelRequested",
                    {"workflowExecution": target.ref, "initiatedEventId": initiated_id},
                )
                engine.schedule_decision(execution)

        self.later.append(deliver)

    def _StartChildWorkflowExecution(self, attrs: dict[str, Any], path: str) -> None:
        from ._engine import StartRefused

        engine, execution, completed_id = self.engine, self.execution, self.completed_id
        workflow_type = {"name": attrs["workflowType"]["name"], "version": attrs["workflowType"]["version"]}
        workflow_id = attrs["workflowId"]
        try:
            if len(execution.children) + self.children_initiated >= MAX_OPEN_CHILDREN:
                raise StartRefused("OPEN_CHILDREN_LIMIT_EXCEEDED", "too many open children")
            config = engine.resolve_workflow(execution.domain, workflow_type, attrs, path)
        except StartRefused as refused:
            return self._failed(
                "StartChildWorkflowExecutionFailed",
                {
                    "workflowType": workflow_type,
                    "cause": refused.cause,
                    "workflowId": workflow_id,
                    "initiatedEventId": 0,
                    "control": attrs.get("control"),
                },
            )
        initiated_id = execution.add_event(
            "StartChildWorkflowExecutionInitiated",
            {
                "workflowId": workflow_id,
                "workflowType": workflow_type,
                "control": attrs.get("control"),
                "input": attrs.get("input"),
                "executionStartToCloseTimeout": config["executionStartToCloseTimeout"],
                "taskList": dict(config["taskList"]),
                "taskPriority": config.get("taskPriority"),
                "decisionTaskCompletedEventId": completed_id,
                "childPolicy": config["childPolicy"],
                "taskStartToCloseTimeout": config["taskStartToCloseTimeout"],
                "tagList": list(config["tagList"]) or None,
                "lambdaRole": config.get("lambdaRole"),
            },
        )
        self.children_initiated += 1

        def start() -> None:
            if not execution.is_open:
                return
            if engine.find_open(execution.domain, workflow_id, None) is not None:
                execution.add_event(
                    "StartChildWorkflowExecutionFailed",
                    {
                        "workflowType": workflow_type,
                        "cause": "WORKFLOW_ALREADY_RUNNING",
                        "workflowId": workflow_id,
                        "initiatedEventId": initiated_id,
                        "decisionTaskCompletedEventId": completed_id,
                        "control": attrs.get("control"),
                    },
                )
                engine.schedule_decision(execution)
                return
            child = engine.launch(
                execution.domain,
                workflow_id,
                config,
                attrs.get("input"),
                parent=execution,
                parent_initiated_event_id=initiated_id,
            )
            engine.add_child(execution, initiated_id, child)

        self.later.append(start)

    # -- Lambda ---------------------------------------------------------------------

    def _ScheduleLambdaFunction(self, attrs: dict[str, Any], path: str) -> None:
        self._failed(
            "ScheduleLambdaFunctionFailed",
            {
                "id": attrs["id"],
                "name": attrs["name"],
                "cause": "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
            },
        )


def arm_timer(engine: Engine, execution: Execution, timer: Timer) -> None:
    """Set ``timer`` to fire ``startToFireTimeout`` seconds after its TimerStarted event."""
    started = execution.events[timer.started_event_id - 1]
    attrs = started["timerStartedEventAttributes"]
    seconds = parse_duration(attrs["startToFireTimeout"], "startToFireTimeout", allow_none=False) or 0.0
    timer.handle = engine.timers.call_at(started["eventTimestamp"] + seconds, _fire_timer, engine, execution, timer)


def _fire_timer(engine: Engine, execution: Execution, timer: Timer) -> None:
    if not execution.is_open or execution.timers.get(timer.timer_id) is not timer:
        return
    del execution.timers[timer.timer_id]
    execution.add_event("TimerFired", {"timerId": timer.timer_id, "startedEventId": timer.started_event_id})
    engine.schedule_decision(execution)
