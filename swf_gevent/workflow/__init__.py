"""Workflows as plain Python code, replayed over their SWF history (``from swf_gevent import workflow as wf``)."""

from swf_gevent.workflow.context import ActivityHandle, ChildHandle, Context, Handle, Info, TimerHandle
from swf_gevent.workflow.decider import WorkflowDecider
from swf_gevent.workflow.definition import RetryPolicy, WorkflowDefinition, workflow
from swf_gevent.workflow.errors import (
    ActivityFailed,
    ActivityTimedOut,
    Cancelled,
    ChildFailed,
    Fail,
    NondeterminismError,
    ScheduleFailed,
    TimedOut,
    WorkflowCodeError,
    WorkflowError,
    WorkflowFailed,
    WorkflowOutcome,
)

__all__ = [
    "ActivityFailed",
    "ActivityHandle",
    "ActivityTimedOut",
    "Cancelled",
    "ChildFailed",
    "ChildHandle",
    "Context",
    "Fail",
    "Handle",
    "Info",
    "NondeterminismError",
    "RetryPolicy",
    "ScheduleFailed",
    "TimedOut",
    "TimerHandle",
    "WorkflowCodeError",
    "WorkflowDecider",
    "WorkflowDefinition",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowOutcome",
    "workflow",
]
