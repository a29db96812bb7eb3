"""The boundary between SWF's JSON and Python values.

SWF speaks durations as strings of whole seconds, or ``"NONE"`` for
"unlimited"; retention periods as strings of whole days; times as epoch
seconds (botocore already parses them to ``datetime``). Inside the toolkit
durations are :class:`datetime.timedelta` (``None`` meaning ``"NONE"``) and
times are timezone-aware :class:`datetime.datetime` in UTC.

A registered default of a type has three states, so there ``None`` cannot
mean ``"NONE"``: ``None`` is "no default registered" (the member is left out
of ``Register*Type`` and absent from ``Describe*Type``), a ``timedelta`` is a
limit (``"30"``), and :data:`NO_LIMIT` is a registered "no limit"
(``"NONE"``). :func:`limit_from_wire` reads them back the same way.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta, timezone
from typing import Final

from swf.exceptions import ValidationError
from swf.limits import PRIORITY_RANGE

__all__ = [
    "NO_LIMIT",
    "Limit",
    "NoLimit",
    "aware",
    "days_from_wire",
    "days_to_wire",
    "duration_from_wire",
    "duration_to_wire",
    "limit_from_wire",
    "priority_from_wire",
    "priority_to_wire",
]

Duration = timedelta | None


class NoLimit(enum.Enum):
    """The type of :data:`NO_LIMIT`, SWF's ``"NONE"`` duration; it has that one value."""

    NO_LIMIT = "NONE"

    def __repr__(self) -> str:
        return "NO_LIMIT"


#: SWF's ``"NONE"`` duration (no limit) as a registered default of a type:
#: ``ActivityType(..., default_task_heartbeat_timeout=NO_LIMIT)`` registers
#: ``defaultTaskHeartbeatTimeout="NONE"``, and a type read back from
#: ``Describe*Type`` holds ``NO_LIMIT`` where SWF answers ``"NONE"``.
NO_LIMIT: Final = NoLimit.NO_LIMIT

#: A duration that may be unlimited: a ``timedelta`` or :data:`NO_LIMIT`.
Limit = timedelta | NoLimit


def duration_to_wire(value: timedelta | int | NoLimit | None, field: str = "duration") -> str:
    """Render a duration the way SWF takes it.

    :param value: a ``timedelta`` (whole seconds; fractions are rounded up),
        an ``int`` of seconds, or :data:`NO_LIMIT` or ``None`` for SWF's
        ``"NONE"`` (no limit).
    :param field: the member name, used in the error message.
    :returns: ``"30"``, ``"NONE"``.
    :raises swf.exceptions.ValidationError: negative, or not a duration.
    """
    if value is None or value is NO_LIMIT:
        return "NONE"
    if isinstance(value, bool) or not isinstance(value, (timedelta, int)):
        raise ValidationError(f"{field} must be a timedelta, NO_LIMIT or None, not {type(value).__name__}")
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if seconds < 0:
        raise ValidationError(f"{field} must not be negative (got {seconds} s)")
    return str(int(math.ceil(seconds)))


def duration_from_wire(value: str | None) -> Duration:
    """Parse an SWF duration: ``"30"`` -> ``timedelta(seconds=30)``; ``"NONE"`` or absent -> ``None``."""
    if value is None or value == "NONE":
        return None
    return timedelta(seconds=int(value))


def limit_from_wire(value: str | None) -> Limit | None:
    """Parse a registered default duration of a type (``Describe*Type``'s ``configuration``).

    :param value: the member's value, or ``None`` when SWF left it out.
    :returns: ``"30"`` -> ``timedelta(seconds=30)``; ``"NONE"`` -> :data:`NO_LIMIT`;
        absent (no default registered) -> ``None``.
    """
    if value is None:
        return None
    if value == "NONE":
        return NO_LIMIT
    return timedelta(seconds=int(value))


def days_to_wire(value: timedelta | int | None, field: str = "retention period") -> str:
    """Render a retention period in whole days (``timedelta(days=7)`` -> ``"7"``; ``None`` -> ``"NONE"``).

    :raises swf.exceptions.ValidationError: negative, or not whole days.
    """
    if value is None:
        return "NONE"
    if isinstance(value, bool) or not isinstance(value, (timedelta, int)):
        raise ValidationError(f"{field} must be a timedelta of whole days, not {type(value).__name__}")
    if isinstance(value, timedelta):
        if value.total_seconds() % 86400:
            raise ValidationError(f"{field} must be whole days (got {value})")
        days = int(value.total_seconds() // 86400)
    else:
        days = value
    if days < 0:
        raise ValidationError(f"{field} must not be negative (got {days} days)")
    return str(days)


def days_from_wire(value: str | None) -> Duration:
    """Parse an SWF retention period: ``"7"`` -> ``timedelta(days=7)``; ``"NONE"`` -> ``None``."""
    if value is None or value == "NONE":
        return None
    return timedelta(days=int(value))


def aware(value: datetime | float | int | None) -> datetime | None:
    """A UTC-aware ``datetime`` from botocore's value (naive means UTC) or epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


_PRIORITY_MIN, _PRIORITY_MAX = PRIORITY_RANGE


def priority_to_wire(value: int, field: str = "task priority") -> str:
    """Render a task priority the way SWF takes it: ``0`` -> ``"0"``, ``-5`` -> ``"-5"``.

    :raises swf.exceptions.ValidationError: not an int, or outside SWF's 32-bit range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an int, not {type(value).__name__}")
    if not _PRIORITY_MIN <= value <= _PRIORITY_MAX:
        raise ValidationError(f"{field} must be between {_PRIORITY_MIN} and {_PRIORITY_MAX} (got {value})")
    return str(value)


def priority_from_wire(value: str | None) -> int | None:
    """Parse an SWF task priority: ``"-5"`` -> ``-5``; absent -> ``None``."""
    if value is None:
        return None
    return int(value)
