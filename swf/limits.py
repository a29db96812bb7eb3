"""SWF's rules for the client, each written once: lengths, counts, ranges and the naming rule.

Lengths are read from botocore's service model of SWF (each string shape's
``min`` and ``max``, the ``TagList`` shape's ``max``, the ``PageSize``
shape's ``max``), so they follow the model botocore ships. What the model
does not carry is written here from SWF's API reference and quotas:

- at most :data:`MAX_DECISIONS` (100) decisions per ``RespondDecisionTaskCompleted``;
- at most :data:`MAX_REQUEST_BYTES` (1 MB) per request;
- a task priority is a Java ``int`` (:data:`PRIORITY_RANGE`);
- SWF holds a long poll 60 s (:data:`SWF_POLL_HOLD`), an execution runs at
  most a year (:data:`MAX_EXECUTION_TIMEOUT`), a history is kept at most 90
  days (:data:`MAX_RETENTION_PERIOD`);
- the naming rule (:func:`naming_problem`), which the model states only in
  its documentation text: no ``:``, ``/``, ``|`` or control characters
  (``\\u0000-\\u001f``, ``\\u007f-\\u009f``), not the literal ``arn``; and,
  as SWF's developer guide adds, no leading or trailing whitespace.

The model is read on the first use of a value, not on import (``import
swf`` loads no botocore): use ``limits.MAX_DATA_LENGTH`` inside functions.
The models (:mod:`swf.models`), the decision builders
(:mod:`swf.models.decisions`), the actors and the runner's config checks
read these values from here. The local endpoint (:mod:`swf_gevent.local`)
does not: it reads the service model itself, so that a misreading here
cannot hide in tests that run against it.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from typing import Any, Final

__all__ = [
    "CHILD_POLICIES",
    "DECISION_TYPES",
    "MAX_ARN_LENGTH",
    "MAX_DATA_LENGTH",
    "MAX_DECISIONS",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_DURATION_DIGITS",
    "MAX_EXECUTION_TIMEOUT",
    "MAX_FUNCTION_NAME_LENGTH",
    "MAX_HEARTBEAT_DETAILS_LENGTH",
    "MAX_HISTORY_EVENTS",
    "MAX_IDENTITY_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_OPEN_PER_EXECUTION",
    "MAX_PAGE_SIZE",
    "MAX_POLLS_PER_TASK_LIST",
    "MAX_REASON_LENGTH",
    "MAX_REQUEST_BYTES",
    "MAX_RETENTION_PERIOD",
    "MAX_RUN_ID_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_VERSION_LENGTH",
    "PRIORITY_RANGE",
    "SWF_POLL_HOLD",
    "enum_values",
    "length_range",
    "naming_problem",
]


@functools.cache
def _service_model() -> Any:
    """botocore's service model of SWF, read once."""
    import botocore.session

    return botocore.session.Session().get_service_model("swf")


@functools.cache
def length_range(shape: str) -> tuple[int, int]:
    """``(min, max)`` of a shape of botocore's SWF model: characters of a string, items of a list.

    :param shape: the shape's name in the model, ``"Version"`` -> ``(1, 64)``.
    :returns: the bounds; a missing ``min`` is 0.
    :raises KeyError: the shape has no ``max`` (a misspelt or unbounded shape).
    """
    metadata = _service_model().shape_for(shape).metadata
    if "max" not in metadata:
        raise KeyError(f"SWF's shape {shape!r} has no max")
    return int(metadata.get("min", 0)), int(metadata["max"])


@functools.cache
def enum_values(shape: str) -> tuple[str, ...]:
    """The values of an enum shape of botocore's SWF model, in the model's order.

    :param shape: ``"ChildPolicy"`` -> ``("TERMINATE", "REQUEST_CANCEL", "ABANDON")``.
    :raises KeyError: the shape is not an enum.
    """
    return tuple(_service_model().shape_for(shape).metadata["enum"])


# The names read from the model, and the shape each is read from.
_LENGTH_SHAPES: Final = {
    "MAX_DATA_LENGTH": "Data",
    "MAX_REASON_LENGTH": "FailureReason",
    "MAX_ID_LENGTH": "WorkflowId",
    "MAX_NAME_LENGTH": "Name",
    "MAX_VERSION_LENGTH": "Version",
    "MAX_RUN_ID_LENGTH": "WorkflowRunId",
    "MAX_FUNCTION_NAME_LENGTH": "FunctionName",
    "MAX_ARN_LENGTH": "Arn",
    "MAX_DESCRIPTION_LENGTH": "Description",
    "MAX_IDENTITY_LENGTH": "Identity",
    "MAX_HEARTBEAT_DETAILS_LENGTH": "LimitedData",
    "MAX_TAG_LENGTH": "Tag",
    "MAX_TAGS": "TagList",
    "MAX_PAGE_SIZE": "PageSize",
    "MAX_DURATION_DIGITS": "DurationInSeconds",
}
_ENUM_SHAPES: Final = {"CHILD_POLICIES": "ChildPolicy", "DECISION_TYPES": "DecisionType"}

# Declared here, read on first use by __getattr__ (PEP 562): ``import swf``
# loads no botocore, the first validation does.

#: Characters of input, result, details and control (shape ``Data``).
MAX_DATA_LENGTH: int
#: Characters of a failure reason (``FailureReason``; ``TerminateReason`` is the same).
MAX_REASON_LENGTH: int
#: Characters of a workflow id, activity id or timer id (``WorkflowId``).
MAX_ID_LENGTH: int
#: Characters of a domain, type, task list, marker or signal name (``Name``).
MAX_NAME_LENGTH: int
#: Characters of a type version (``Version``).
MAX_VERSION_LENGTH: int
#: Characters of a run id (``WorkflowRunId``).
MAX_RUN_ID_LENGTH: int
#: Characters of a Lambda function's name (``FunctionName``).
MAX_FUNCTION_NAME_LENGTH: int
#: Characters of an ARN (``Arn``).
MAX_ARN_LENGTH: int
#: Characters of a description of a domain or type (``Description``).
MAX_DESCRIPTION_LENGTH: int
#: Characters of a poller's identity (``Identity``).
MAX_IDENTITY_LENGTH: int
#: Characters of a heartbeat's details (``LimitedData``).
MAX_HEARTBEAT_DETAILS_LENGTH: int
#: Characters of one tag (``Tag``).
MAX_TAG_LENGTH: int
#: Tags per execution (``TagList``).
MAX_TAGS: int
#: Most results per page of a listing (``PageSize``); this library asks for at least 1.
MAX_PAGE_SIZE: int
#: Digits of a duration in seconds (``DurationInSeconds``).
MAX_DURATION_DIGITS: int
#: A child policy: what happens to child executions when their parent closes (``ChildPolicy``).
CHILD_POLICIES: tuple[str, ...]
#: The 13 decision types, in the model's order (``DecisionType``).
DECISION_TYPES: tuple[str, ...]


def __getattr__(name: str) -> Any:
    """Read a limit of :data:`_LENGTH_SHAPES` or :data:`_ENUM_SHAPES` from the model, once."""
    if name in _LENGTH_SHAPES:
        value: Any = length_range(_LENGTH_SHAPES[name])[1]
    elif name in _ENUM_SHAPES:
        value = enum_values(_ENUM_SHAPES[name])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


#: Decisions per ``RespondDecisionTaskCompleted`` (SWF's quota; not in the model).
MAX_DECISIONS: Final = 100
#: Bytes of one SWF request (SWF's quota counts the headers too; the body is what can be checked).
MAX_REQUEST_BYTES: Final = 1024 * 1024
#: Open activity tasks, open timers and open child executions, each, per execution (SWF's quota).
MAX_OPEN_PER_EXECUTION: Final = 1000
#: Long polls (``PollFor*Task``) in flight on one task list, all pollers together (SWF's quota:
#: past it, ``LimitExceededException``).
MAX_POLLS_PER_TASK_LIST: Final = 1000
#: Events in one execution's history (SWF's quota): past it SWF terminates the execution.
MAX_HISTORY_EVENTS: Final = 25_000
#: Seconds SWF holds a long poll (``PollFor*Task``) before answering it empty.
SWF_POLL_HOLD: Final = 60.0
#: The longest an execution may run, and so any of its timeouts (one year).
MAX_EXECUTION_TIMEOUT: Final = timedelta(days=365)
#: The longest SWF keeps a closed execution's history (a domain's retention period).
MAX_RETENTION_PERIOD: Final = timedelta(days=90)
#: ``(lowest, highest)`` task priority: a Java ``int`` (SWF's API reference; the model has a string).
PRIORITY_RANGE: Final = (-(2**31), 2**31 - 1)

# What SWF refuses anywhere in a name or id: ':', '/', '|' and control characters.
_FORBIDDEN = re.compile(r"[:/|\x00-\x1f\x7f-\x9f]")


def naming_problem(value: str) -> str | None:
    """What breaks SWF's naming rule in ``value`` (lengths aside), or ``None`` when it follows it.

    The rule, for names, versions, task lists and ids: no leading or trailing
    whitespace, no ``:``, ``/``, ``|`` or control character, not ``"arn"``.

    :param value: the name or id.
    :returns: a short phrase (``"must not contain ':'"``) to put after the
        field's name in an error, or ``None``.
    """
    if value != value.strip():
        return f"must not start or end with whitespace: {value!r}"
    bad = sorted(set(_FORBIDDEN.findall(value)))
    if bad:
        return f"must not contain {', '.join(map(repr, bad))} (SWF refuses ':', '/', '|' and control characters)"
    if value == "arn":
        return "must not be the literal string 'arn' (SWF refuses it)"
    return None
