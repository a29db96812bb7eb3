"""The workflow layer's errors: one branch of the toolkit's tree (:class:`swf.exceptions.SWFError`).

Two kinds hang under :class:`WorkflowError`. *Outcomes* are raised inside
workflow code at the call that waits (``ctx.execute``, ``h.result()``,
``ctx.wait_signal``...) and may be caught there; one that escapes the
workflow function closes the execution (failed, or canceled for
:class:`Cancelled`). The others are raised to the caller of the runtime
(the decider, :func:`~swf_gevent.workflow.testing.replay`, a client waiting
for a result)::

    SWFError
    └── WorkflowError
        ├── WorkflowOutcome                 raised in workflow code
        │   ├── ActivityFailed              the activity failed (after its retries)
        │   │   └── ActivityTimedOut        ... or timed out
        │   ├── ScheduleFailed              SWF refused to schedule or start it
        │   ├── ChildFailed                 a child execution did not complete
        │   ├── TimedOut                    ctx.wait_signal's timeout passed
        │   ├── Cancelled                   cancel requested for this execution
        │   └── Fail                        raised on purpose: fail the execution
        ├── NondeterminismError             the code no longer matches its history
        ├── WorkflowCodeError (ValueError)  workflow code misbehaved (a bug: the task is held)
        └── WorkflowFailed                  an execution closed without completing
"""

from __future__ import annotations

from swf.exceptions import SWFError

__all__ = [
    "ActivityFailed",
    "ActivityTimedOut",
    "Cancelled",
    "ChildFailed",
    "Fail",
    "NondeterminismError",
    "ScheduleFailed",
    "TimedOut",
    "WorkflowCodeError",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowOutcome",
]


class WorkflowError(SWFError):
    """Base of the workflow layer's errors."""


class WorkflowOutcome(WorkflowError):
    """Raised in workflow code at the call that waits; escaping the workflow, it closes the execution."""


class ActivityFailed(WorkflowOutcome):
    """The activity failed (``ActivityTaskFailed``) on its last attempt.

    :ivar reason: the reason the worker gave (``"<ExceptionType>: <message>"``).
    :ivar details: the details (the traceback for a raising function), or ``None``.
    :ivar activity_id: the activity id (the same for every attempt).
    :ivar attempt: the attempt that failed, 1-based.
    """

    def __init__(self, reason: str | None, details: str | None, activity_id: str, attempt: int) -> None:
        super().__init__(f"activity {activity_id} attempt {attempt}: {reason or 'failed'}")
        self.reason = reason
        self.details = details
        self.activity_id = activity_id
        self.attempt = attempt

    @property
    def error_type(self) -> str:
        """The exception type named at the head of the reason (``"CardDeclined"``), or ``""``."""
        head, sep, _ = (self.reason or "").partition(":")
        return head.strip() if sep else ""


class ActivityTimedOut(ActivityFailed):
    """The activity timed out (``ActivityTaskTimedOut``); ``reason`` is the timeout type (``"START_TO_CLOSE"``)."""

    @property
    def timeout_type(self) -> str:
        """``"START_TO_CLOSE"``, ``"SCHEDULE_TO_START"``, ``"SCHEDULE_TO_CLOSE"`` or ``"HEARTBEAT"``."""
        return self.reason or ""


class ScheduleFailed(WorkflowOutcome):
    """SWF refused the decision (``ScheduleActivityTaskFailed``, ``StartChildWorkflowExecutionFailed``...).

    Rate and limit refusals never get here: the runtime re-issues them.

    :ivar cause: SWF's cause (``"ACTIVITY_TYPE_DOES_NOT_EXIST"``...).
    :ivar subject: the activity id, timer id or child workflow id.
    """

    def __init__(self, cause: str, subject: str) -> None:
        super().__init__(f"{subject}: SWF refused it ({cause})")
        self.cause = cause
        self.subject = subject


class ChildFailed(WorkflowOutcome):
    """A child execution failed, timed out, was canceled or terminated.

    :ivar workflow_id: the child's workflow id.
    :ivar status: ``"FAILED"``, ``"TIMED_OUT"``, ``"CANCELED"`` or ``"TERMINATED"``.
    :ivar reason: the child's fail reason (or timeout type), if any.
    :ivar details: the child's details, if any.
    """

    def __init__(self, workflow_id: str, status: str, reason: str | None = None, details: str | None = None) -> None:
        super().__init__(f"child {workflow_id} {status.lower()}" + (f": {reason}" if reason else ""))
        self.workflow_id = workflow_id
        self.status = status
        self.reason = reason
        self.details = details


class TimedOut(WorkflowOutcome):
    """``ctx.wait_signal(name, timeout=...)``: no signal came in time."""


class Cancelled(WorkflowOutcome):
    """Cancellation was requested for this execution (``WorkflowExecutionCancelRequested``).

    Raised once, at each call that was waiting when the request arrived;
    later calls work as before, so compensation can still run activities.
    Escaping the workflow function, it closes the execution canceled.
    """


class Fail(WorkflowOutcome):
    """Raise to fail the execution on purpose (``FailWorkflowExecution``).

    :param reason: the reason; over 256 characters it is cut with a marker
        and kept whole at the head of the details.
    :param details: more text (up to 32,768 characters with a moved reason).
    """

    def __init__(self, reason: str, details: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class NondeterminismError(WorkflowError):
    """Replaying the history, the workflow code issued other commands than were recorded.

    The message names the workflow and execution, the decision task, the
    recorded event, the command issued now and the ``file:line`` of the code.

    :ivar site: ``"file:line"`` of the workflow code, or ``""`` when unknown.
    """

    def __init__(self, message: str, site: str = "") -> None:
        super().__init__(message)
        self.site = site


class WorkflowCodeError(WorkflowError, ValueError):
    """Workflow code misbehaved: raised an unexpected error, returned what JSON cannot hold,
    named an unregistered activity... A bug, not an outcome: the decision task is held."""


class WorkflowFailed(WorkflowError):
    """An execution closed without completing.

    :ivar status: ``"FAILED"``, ``"CANCELED"``, ``"TERMINATED"`` or ``"TIMED_OUT"``.
    :ivar reason: the reason recorded, if any.
    :ivar details: the details recorded, if any.
    """

    def __init__(self, status: str, reason: str | None = None, details: str | None = None) -> None:
        super().__init__(f"execution {status.lower()}" + (f": {reason}" if reason else ""))
        self.status = status
        self.reason = reason
        self.details = details
