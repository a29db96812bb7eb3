"""Immutable models of SWF objects: domains, types and executions."""

from swf._convert import NO_LIMIT
from swf.models.activity import ActivityType
from swf.models.base import (
    ABANDON,
    CANCELED,
    CLOSED,
    COMPLETED,
    CONTINUED_AS_NEW,
    DEPRECATED,
    FAILED,
    OPEN,
    REGISTERED,
    REQUEST_CANCEL,
    TERMINATE,
    TERMINATED,
    TIMED_OUT,
    Difference,
    Model,
)
from swf.models.domain import Domain
from swf.models.events import ExecutionRef, GenericEvent, HistoryEvent, TypeRef
from swf.models.history import DecisionTask, History
from swf.models.history_state import HistoryState
from swf.models.workflow import OpenCounts, WorkflowExecution, WorkflowType

__all__ = [
    "ABANDON",
    "ActivityType",
    "CANCELED",
    "CLOSED",
    "COMPLETED",
    "CONTINUED_AS_NEW",
    "DEPRECATED",
    "DecisionTask",
    "Difference",
    "Domain",
    "ExecutionRef",
    "FAILED",
    "GenericEvent",
    "History",
    "HistoryEvent",
    "HistoryState",
    "Model",
    "NO_LIMIT",
    "OPEN",
    "OpenCounts",
    "REGISTERED",
    "REQUEST_CANCEL",
    "TERMINATE",
    "TERMINATED",
    "TIMED_OUT",
    "TypeRef",
    "WorkflowExecution",
    "WorkflowType",
]
