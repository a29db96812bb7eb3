"""Activity types."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swf._convert import Limit
from swf.models.base import REGISTERED, _Default, _TypeModel
from swf.models.domain import Domain

__all__ = ["ActivityType"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False, repr=False)
class ActivityType(_TypeModel):
    """A registered activity type: ``ActivityType(domain, 'Resize', '1.0')``.

    Equal when domain, name and version are equal; the repr shows name and version.

    Each ``default_..._timeout`` is a ``timedelta`` (registered as whole
    seconds, ``"300"``), :data:`~swf.models.NO_LIMIT` (registered as SWF's
    ``"NONE"``, no limit), or ``None``: no default registered, the member is
    left out of ``RegisterActivityType``. A type read back from SWF
    (``DescribeActivityType``) holds the same three values.

    :param domain: the :class:`~swf.models.Domain`.
    :param name: the type name (1 to 256 characters).
    :param version: the type version (1 to 64 characters).
    :param status: ``REGISTERED`` or ``DEPRECATED``.
    :param description: free text (at most 1024 characters), or ``None``.
    :param creation_date: when it was registered (aware UTC), ``None`` for a local model.
    :param deprecation_date: when it was deprecated (aware UTC), or ``None``.
    :param default_task_start_to_close_timeout: default time a worker has to
        complete a task.
    :param default_task_heartbeat_timeout: default longest time between heartbeats.
    :param default_task_list: default activity task list name.
    :param default_task_priority: default activity task priority (higher first).
    :param default_task_schedule_to_start_timeout: default longest wait in the task list.
    :param default_task_schedule_to_close_timeout: default longest time from
        scheduling to completion.
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :raises swf.exceptions.ValidationError: an attribute SWF would refuse, naming it.
    """

    domain: Domain
    name: str
    version: str
    status: str = field(default=REGISTERED, kw_only=True)
    description: str | None = field(default=None, kw_only=True)
    creation_date: datetime | None = field(default=None, kw_only=True)
    deprecation_date: datetime | None = field(default=None, kw_only=True)
    default_task_start_to_close_timeout: Limit | None = field(default=None, kw_only=True)
    default_task_heartbeat_timeout: Limit | None = field(default=None, kw_only=True)
    default_task_list: str | None = field(default=None, kw_only=True)
    default_task_priority: int | None = field(default=None, kw_only=True)
    default_task_schedule_to_start_timeout: Limit | None = field(default=None, kw_only=True)
    default_task_schedule_to_close_timeout: Limit | None = field(default=None, kw_only=True)
    client: Any = field(default=None, kw_only=True)
    _unknown: frozenset[str] = field(default=frozenset(), init=False)

    _identity = ("domain", "name", "version")
    _repr_fields = ("name", "version")
    _kind = "Activity"
    _type_key = "activityType"
    _defaults = (
        _Default("default_task_start_to_close_timeout", "defaultTaskStartToCloseTimeout", "duration"),
        _Default("default_task_heartbeat_timeout", "defaultTaskHeartbeatTimeout", "duration"),
        _Default("default_task_list", "defaultTaskList", "task_list"),
        _Default("default_task_priority", "defaultTaskPriority", "priority"),
        _Default("default_task_schedule_to_start_timeout", "defaultTaskScheduleToStartTimeout", "duration"),
        _Default("default_task_schedule_to_close_timeout", "defaultTaskScheduleToCloseTimeout", "duration"),
    )
    _compared = ("status", "description") + tuple(d.attr for d in _defaults)

    def __post_init__(self) -> None:
        self._check_type()
