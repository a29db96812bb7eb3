"""Registering a test domain with workflow type ``flow/1`` and some activity types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from swf.connection import call

#: Decision task list every test workflow type defaults to.
DECISIONS = "decisions"


def register_flow(
    client: Any,
    domain: str,
    activity_types: Iterable[tuple[str, str]],
    *,
    task_list: str = "activities",
    heartbeat_timeout: str = "60",
    heartbeat_timeouts: dict[tuple[str, str], str] | None = None,
) -> None:
    """Register ``domain`` (1-day retention), workflow type ``flow/1`` and activity types.

    :param activity_types: ``(name, version)`` pairs to register.
    :param task_list: the activity types' default task list.
    :param heartbeat_timeout: their default heartbeat timeout, seconds on the wire or ``"NONE"``.
    :param heartbeat_timeouts: per ``(name, version)``, a heartbeat timeout overriding that default.
    """
    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    call(
        client,
        "RegisterWorkflowType",
        domain=domain,
        name="flow",
        version="1",
        defaultTaskList={"name": DECISIONS},
        defaultExecutionStartToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="60",
        defaultChildPolicy="TERMINATE",
    )
    for name, version in activity_types:
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name=name,
            version=version,
            defaultTaskList={"name": task_list},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskHeartbeatTimeout=(heartbeat_timeouts or {}).get((name, version), heartbeat_timeout),
        )
