"""Request validation against botocore's SWF service model.

The endpoint reads the ``swf`` service model that ships with botocore and
checks every request body against its operation's input shape, as SWF's
front end does: required members, JSON types, string lengths, enums,
numeric ranges and list lengths, through nested structures and lists.
Every violation is reported in one ``ValidationException`` whose message
names each member by its path, SWF style
(``decisions.1.member.scheduleActivityTaskDecisionAttributes.activityId``).

Members the model does not know are dropped from the validated request, so
the registry and the engine only ever see modelled members.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from swf_gevent.local._faults import Fault

__all__ = ["operation_names", "validate"]

log = logging.getLogger(__name__)

#: Characters of an offending value quoted in an error message.
_QUOTE_LIMIT = 64


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    """botocore's ``swf`` service model, loaded once (immutable, shared)."""
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model("swf", "service-2"), service_name="swf")


@functools.cache
def _input_shape(operation: str) -> Any:
    """The input shape of ``operation``, or ``None`` when it takes no input."""
    return _service_model().operation_model(operation).input_shape


@functools.lru_cache(maxsize=1)
def operation_names() -> frozenset[str]:
    """The names of SWF's operations, ``{"RegisterDomain", ...}``."""
    return frozenset(_service_model().operation_names)


def validate(operation: str, request: Any) -> dict[str, Any]:
    """Check ``request`` against the input shape of ``operation``.

    :param operation: an SWF operation name, ``"RegisterDomain"``; must be in
        :func:`operation_names`.
    :param request: the decoded JSON body.
    :returns: the request with members unknown to the model removed.
    :raises Fault: ``ValidationException`` listing every violation, each
        naming its member path; ``SerializationException`` when the body is
        not a JSON object.
    """
    if not isinstance(request, dict):
        raise Fault("SerializationException", "The request body must be a JSON object")
    shape = _input_shape(operation)
    if shape is None:
        return {}
    errors: list[str] = []
    cleaned = _check_structure(shape, request, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise Fault("ValidationException", f"{count} validation {noun} detected: " + "; ".join(errors))
    assert isinstance(cleaned, dict)
    return cleaned


def _quote(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "..."
    return f"'{text}'"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _check_structure(shape, value, path, errors)
    if kind == "list":
        return _check_list(shape, value, path, errors)
    if kind == "string":
        return _check_string(shape, value, path, errors)
    if kind in ("integer", "long"):
        return _check_integer(shape, value, path, errors)
    if kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"Value {_quote(value)} at '{path}' failed to satisfy constraint: Member must be a boolean")
        return value
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(
                f"Value {_quote(value)} at '{path}' failed to satisfy constraint: "
                "Member must be a timestamp in epoch seconds"
            )
        return value
    errors.append(f"Value {_quote(value)} at '{path}' has an unsupported type {kind}")
    return value


def _check_structure(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, dict):
        where = f" at '{path}'" if path else ""
        errors.append(f"Value {_quote(value)}{where} failed to satisfy constraint: Member must be an object")
        return value
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null")
    cleaned: dict[str, Any] = {}
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            cleaned[name] = _check(member, value[name], _join(path, name), errors)
    return cleaned


def _check_list(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, list):
        errors.append(f"Value {_quote(value)} at '{path}' failed to satisfy constraint: Member must be a list")
        return value
    _check_bounds(shape.metadata, len(value), value, path, errors, "have length")
    return [_check(shape.member, item, f"{path}.{index}.member", errors) for index, item in enumerate(value, 1)]


def _check_string(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, str):
        errors.append(f"Value {_quote(value)} at '{path}' failed to satisfy constraint: Member must be a string")
        return value
    _check_bounds(shape.metadata, len(value), value, path, errors, "have length")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        errors.append(
            f"Value {_quote(value)} at '{path}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(enum)}]"
        )
    return value


def _check_integer(shape: Any, value: Any, path: str, errors: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"Value {_quote(value)} at '{path}' failed to satisfy constraint: Member must be an integer")
        return value
    _check_bounds(shape.metadata, value, value, path, errors, "have value")
    return value


def _check_bounds(metadata: dict[str, Any], measure: int, value: Any, path: str, errors: list[str], what: str) -> None:
    low = metadata.get("min")
    high = metadata.get("max")
    if low is not None and measure < low:
        errors.append(
            f"Value {_quote(value)} at '{path}' failed to satisfy constraint: "
            f"Member must {what} greater than or equal to {low}"
        )
    if high is not None and measure > high:
        errors.append(
            f"Value {_quote(value)} at '{path}' failed to satisfy constraint: "
            f"Member must {what} less than or equal to {high}"
        )
