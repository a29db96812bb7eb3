"""SWF's wire formats as the local endpoint reads and writes them: one reading for the registry and the engine.

- durations: a string of whole seconds (``"30"``), or ``"NONE"`` where the
  member allows no timeout (:func:`parse_duration`); a retention period in
  whole days or ``"NONE"`` (:func:`parse_days`);
- task priorities: a string of a signed integer in Java's ``int`` range,
  ``"-2147483648"`` to ``"2147483647"``, as Java's ``Integer.parseInt`` reads
  it: an optional sign then ASCII digits, nothing else (:func:`parse_priority`);
- page sizes and page tokens: ``maximumPageSize`` (1 to 1000, SWF's default
  of 1000 when omitted or 0) and opaque, signed ``nextPageToken`` values
  bound to the listing they continue (:class:`PageTokens`);
- the opaque ids the endpoint hands out: task tokens and run ids, which
  start with a letter or digit so that no command line (the AWS CLI) reads
  one as an option (:func:`task_token`, :func:`new_run_id`).

Every refusal is a :class:`~swf_gevent.local._faults.Fault`
``ValidationException`` naming the member. This module reads nothing of the
``swf`` client layer: the endpoint keeps its own reading of SWF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
from typing import Any

from ._faults import Fault

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PRIORITY",
    "MIN_PRIORITY",
    "NONE",
    "PageTokens",
    "new_run_id",
    "page_size",
    "parse_days",
    "parse_duration",
    "parse_priority",
    "task_token",
]

#: SWF's spelling of "no timeout".
NONE = "NONE"
#: SWF's page size when ``maximumPageSize`` is omitted or 0, and its maximum.
DEFAULT_PAGE_SIZE = 1000
#: Java's ``Integer.MIN_VALUE`` and ``Integer.MAX_VALUE``: the range of a task priority.
MIN_PRIORITY = -(2**31)
MAX_PRIORITY = 2**31 - 1

_DIGITS = re.compile(r"[0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ALNUM = string.ascii_letters + string.digits


def parse_duration(value: Any, member: str, *, allow_none: bool = True, maximum: int | None = None) -> float | None:
    """Seconds in an SWF duration string, ``None`` for ``"NONE"``.

    :param value: ``"30"`` or ``"NONE"``.
    :param member: the member path named in the error, ``"defaultTaskStartToCloseTimeout"``.
    :param allow_none: whether ``"NONE"`` is accepted for this member.
    :param maximum: the most seconds accepted, or ``None`` for no limit.
    :returns: the duration in seconds, or ``None`` for no timeout.
    :raises Fault: ``ValidationException`` naming ``member`` for anything else.
    """
    if value == NONE and allow_none:
        return None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        expected = "a whole number of seconds or NONE" if allow_none else "a whole number of seconds"
        raise Fault("ValidationException", f"Invalid value {value!r} at '{member}': must be {expected}")
    seconds = int(value)
    if maximum is not None and seconds > maximum:
        raise Fault("ValidationException", f"Invalid value {value!r} at '{member}': must be at most {maximum} seconds")
    return float(seconds)


def parse_days(value: Any, member: str, *, maximum: int) -> int:
    """The number of days in a retention period string; ``"NONE"`` is 0.

    :param value: ``"30"`` or ``"NONE"``.
    :param member: the member path named in the error.
    :param maximum: the most days accepted.
    :raises Fault: ``ValidationException`` naming ``member`` for anything else.
    """
    if value == NONE:
        return 0
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or int(value) > maximum:
        raise Fault(
            "ValidationException",
            f"Invalid value {value!r} at '{member}': must be NONE or a whole number of days from 0 to {maximum}",
        )
    return int(value)


def parse_priority(value: Any, member: str) -> int:
    """The integer in a task priority string; ``None`` (not given) is 0.

    :param value: ``"7"``, ``"-3"``, ``"+12"``.
    :param member: the member path named in the error, ``"taskPriority"``.
    :raises Fault: ``ValidationException`` naming ``member`` for anything
        but a sign and ASCII digits in Java's ``int`` range (``"1_000"``,
        ``" 7 "``, ``"7.0"``, ``"2147483648"``).
    """
    if value is None:
        return 0
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
        if MIN_PRIORITY <= number <= MAX_PRIORITY:
            return number
    raise Fault(
        "ValidationException",
        f"Invalid value {value!r} at '{member}': must be an integer from {MIN_PRIORITY} to {MAX_PRIORITY}",
    )


def page_size(request: dict[str, Any]) -> int:
    """``maximumPageSize`` of a list request (validated 0 to 1000 by the service model); 1000 when omitted or 0."""
    size = int(request.get("maximumPageSize") or 0)
    if size <= 0 or size > DEFAULT_PAGE_SIZE:
        return DEFAULT_PAGE_SIZE
    return size


class PageTokens:
    """Signs page cursors so that a forged or foreign ``nextPageToken`` is refused.

    A token is ``base64url(json).signature``; the signature (HMAC-SHA256 under
    the endpoint's key) binds the token to this endpoint and to the kind of
    listing it continues (``"history"``, ``"domains"``...). A listing that
    must not change between pages (its filters) keeps them in the cursor and
    compares them itself.

    :param key: the endpoint's secret key (32 bytes); a fresh one when
        ``None``. An endpoint with a database keeps its key there, so its
        tokens stay valid across a restart.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def _sign(self, kind: str, body: bytes) -> str:
        return hmac.new(self._key, kind.encode() + b"\0" + body, hashlib.sha256).hexdigest()[:32]

    def encode(self, kind: str, cursor: dict[str, Any]) -> str:
        """The token continuing a listing of ``kind`` at ``cursor`` (a JSON-able dict)."""
        body = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode())
        return f"{body.decode()}.{self._sign(kind, body)}"

    def decode(self, kind: str, token: str) -> dict[str, Any]:
        """The cursor in ``token``.

        :raises Fault: ``ValidationException`` naming ``nextPageToken`` when the
            token was not issued by this endpoint for a listing of ``kind``.
        """
        body, _, signature = token.rpartition(".")
        if body and hmac.compare_digest(signature, self._sign(kind, body.encode())):
            try:
                cursor = json.loads(base64.urlsafe_b64decode(body.encode()))
            except ValueError:
                cursor = None
            if isinstance(cursor, dict):
                return cursor
        raise Fault("ValidationException", "Invalid value at 'nextPageToken': not a token issued for this request")


def _opaque(length: int) -> str:
    """``length`` URL-safe characters, the first a letter or digit."""
    return secrets.choice(_ALNUM) + secrets.token_urlsafe(length)[: length - 1]


def task_token(key: bytes, domain: str, workflow_id: str, run_id: str, started_event_id: int) -> str:
    """The task token of the task started at ``started_event_id`` of an execution.

    64 hexadecimal characters: HMAC-SHA512 of the task's place under the
    endpoint's secret ``key``. Unguessable without the key, unique per
    started task, and the same after a restart from the database, so a
    worker holding a task across the restart can still answer it.
    """
    place = "\0".join((domain, workflow_id, run_id, str(started_event_id))).encode()
    return hmac.new(key, place, hashlib.sha512).hexdigest()[:64]


def new_run_id() -> str:
    """A fresh run id (44 URL-safe characters like SWF's, the first a letter or digit)."""
    return _opaque(44)
