"""Lazy, chainable listings of SWF objects, and lookups by identity."""

from swf.models.base import CLOSED, DEPRECATED, OPEN, REGISTERED
from swf.querysets.activity import ActivityTypeQuerySet
from swf.querysets.base import QuerySet
from swf.querysets.domain import DomainQuerySet, Registered, register
from swf.querysets.workflow import WorkflowExecutionQuerySet, WorkflowTypeQuerySet

__all__ = [
    "ActivityTypeQuerySet",
    "CLOSED",
    "DEPRECATED",
    "DomainQuerySet",
    "OPEN",
    "QuerySet",
    "REGISTERED",
    "Registered",
    "WorkflowExecutionQuerySet",
    "WorkflowTypeQuerySet",
    "register",
]
