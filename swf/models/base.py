"""What every model shares: SWF's status constants, identity, sync checks.

A model is an immutable value naming one SWF object. Equality, hash and repr
use its SWF identifiers only (``Domain('test1')``); the other attributes are
the state it was built with -- by you, or from the service by a queryset or
:meth:`Model.upstream`. The client is injected with ``client=``; without one
the model uses :func:`swf.connection.default_client` at call time.

Some listings return only part of an object (``ListDomains`` has no retention
period); such attributes are *unknown* on that model, hold ``None``, and are
left out of :attr:`Model.changes`.
"""

from __future__ import annotations

import logging
import warnings
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple, TypeVar

from swf._convert import aware
from swf.connection import call
from swf.exceptions import DoesNotExistError, ValidationError
from swf.limits import length_range, naming_problem

__all__ = [
    "ABANDON",
    "CANCELED",
    "CHILD_POLICIES",
    "CLOSED",
    "CLOSE_STATUSES",
    "COMPLETED",
    "CONTINUED_AS_NEW",
    "DEPRECATED",
    "Difference",
    "FAILED",
    "Model",
    "OPEN",
    "REGISTERED",
    "REGISTRATION_STATUSES",
    "REQUEST_CANCEL",
    "TERMINATE",
    "TERMINATED",
    "TIMED_OUT",
    "check_aware",
    "check_choice",
    "check_optional_string",
    "check_string",
]

# These tuples are needed on import, before botocore's model is read: a test
# pins them to the model's enums (tests/swf/test_limits.py).

#: Registration status of a domain or type (``registrationStatus``).
REGISTERED = "REGISTERED"
DEPRECATED = "DEPRECATED"
REGISTRATION_STATUSES = (REGISTERED, DEPRECATED)

#: Execution status of a workflow execution (``executionStatus``).
OPEN = "OPEN"
CLOSED = "CLOSED"

#: Close status of a closed workflow execution (``closeStatus``).
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELED = "CANCELED"
TERMINATED = "TERMINATED"
CONTINUED_AS_NEW = "CONTINUED_AS_NEW"
TIMED_OUT = "TIMED_OUT"
CLOSE_STATUSES = (COMPLETED, FAILED, CANCELED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT)

#: Child policy: what happens to child executions when their parent closes.
TERMINATE = "TERMINATE"
REQUEST_CANCEL = "REQUEST_CANCEL"
ABANDON = "ABANDON"
CHILD_POLICIES = (TERMINATE, REQUEST_CANCEL, ABANDON)

M = TypeVar("M", bound="Model")

log = logging.getLogger(__name__)


class Difference(NamedTuple):
    """One attribute whose local value differs from the service's.

    :param attr: the model attribute name, ``"status"``.
    :param local: this model's value.
    :param upstream: the service's value.
    """

    attr: str
    local: Any
    upstream: Any

    def __repr__(self) -> str:
        return f"Difference({self.attr!r}, {self.local!r}, {self.upstream!r})"


class Model:
    """Base of the SWF models: identity, client, and local/upstream comparison.

    Subclasses are frozen dataclasses naming in ``_identity`` the attributes
    that identify them and in ``_compared`` those :attr:`changes` checks.
    """

    _identity: ClassVar[tuple[str, ...]] = ()
    _repr_fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...]] = ()

    client: Any
    _unknown: frozenset[str]

    # -- identity -----------------------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._identity)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        args = ", ".join(repr(getattr(self, name)) for name in self._repr_fields)
        return f"{type(self).__name__}({args})"

    # -- service access ------------------------------------------------------------

    def _client(self) -> Any:
        """The injected client, else the shared default client."""
        if self.client is not None:
            return self.client
        from swf.connection import default_client

        return default_client()

    def _fetch_description(self) -> dict[str, Any]:
        """Send the ``Describe*`` operation for this object and return SWF's answer."""
        raise NotImplementedError

    def upstream(self: M) -> M:
        """A new model of the same object, built from the service's current state.

        :returns: a model of the same class, with the same client.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the object.
        """
        raise NotImplementedError

    @property
    def exists(self) -> bool:
        """Whether SWF knows this object (one ``Describe*`` call).

        :raises swf.exceptions.SWFError: any error other than an unknown resource.
        """
        try:
            self._fetch_description()
        except DoesNotExistError:
            return False
        return True

    @property
    def changes(self) -> list[Difference]:
        """The attributes whose local and upstream values differ, in attribute order.

        Attributes unknown on either side are not compared.

        :returns: a list of :class:`Difference`; empty when in sync.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the object.
        """
        upstream = self.upstream()
        diffs = []
        for attr in self._compared:
            if attr in self._unknown or attr in upstream._unknown:
                continue
            local, remote = getattr(self, attr), getattr(upstream, attr)
            if local != remote:
                diffs.append(Difference(attr, local, remote))
        return diffs

    @property
    def is_synced(self) -> bool:
        """Whether the object exists upstream with the same compared attributes.

        :returns: ``False`` when SWF does not know the object, or :attr:`changes` is not empty.
        """
        try:
            return not self.changes
        except DoesNotExistError:
            return False

    def _set(self, name: str, value: Any) -> None:
        """Set an attribute during construction (the dataclasses are frozen)."""
        object.__setattr__(self, name, value)


# -- validation (public: the models and the querysets share these checks) --------------


def check_string(value: Any, field: str, shape: str, *, identifier: bool = False) -> str:
    """Check a string against the length of its SWF shape.

    :param value: the value given.
    :param field: the attribute name, used in the error message.
    :param shape: the botocore shape name, ``"Version"``.
    :param identifier: also apply SWF's naming rule (no leading or trailing
        whitespace, no ``:``, ``/``, ``|`` or control characters, not ``"arn"``).
    :returns: the value.
    :raises swf.exceptions.ValidationError: naming ``field``.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a str, not {type(value).__name__}")
    low, high = length_range(shape)
    if len(value) < low:
        raise ValidationError(f"{field} must be at least {low} characters (got {len(value)})")
    if len(value) > high:
        raise ValidationError(f"{field} must be at most {high} characters (got {len(value)})")
    if identifier:
        problem = naming_problem(value)
        if problem is not None:
            raise ValidationError(f"{field} {value!r} breaks SWF's naming rule: {problem}")
    return value


def check_optional_string(value: Any, field: str, shape: str) -> str | None:
    """:func:`check_string` for a value that may be ``None``."""
    if value is None:
        return None
    return check_string(value, field, shape)


def check_choice(value: Any, field: str, choices: tuple[str, ...]) -> str | None:
    """Check an SWF enum value (``None`` passes).

    :raises swf.exceptions.ValidationError: naming ``field`` and the choices.
    """
    if value is None:
        return None
    if value not in choices:
        raise ValidationError(f"{field} must be one of {', '.join(choices)} (got {value!r})")
    return str(value)


def check_aware(value: Any, field: str) -> datetime | None:
    """Check that a time is a timezone-aware ``datetime`` (``None`` passes).

    :raises swf.exceptions.ValidationError: naming ``field``.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field} must be timezone-aware (got naive {value.isoformat()})")
    return value


# -- registered types ---------------------------------------------------------------


class _Default(NamedTuple):
    """How one registered default of a type travels: attribute, wire key, kind."""

    attr: str
    wire: str
    kind: str  # "duration", "bounded_duration", "task_list", "priority", "child_policy" or "arn"


class _Deprecatable(Model):
    """A model SWF can deprecate (a domain, a type); its old ``delete()`` name warns."""

    def deprecate(self) -> None:
        """Deprecate the object in SWF (``Deprecate*``)."""
        raise NotImplementedError

    def delete(self) -> None:
        """Deprecated alias of :meth:`deprecate`: SWF deprecates here, and ``Delete*Type`` really deletes.

        :raises swf.exceptions.SWFError: as :meth:`deprecate`.
        """
        warnings.warn(
            f"{type(self).__name__}.delete() deprecates; call deprecate() instead", DeprecationWarning, stacklevel=2
        )
        self.deprecate()


class _TypeModel(_Deprecatable):
    """What :class:`~swf.models.WorkflowType` and :class:`~swf.models.ActivityType` share.

    Subclasses set ``_kind`` (``"Workflow"`` or ``"Activity"``), ``_type_key``
    (``"workflowType"``...) and ``_defaults``.
    """

    _kind: ClassVar[str] = ""
    _type_key: ClassVar[str] = ""
    _defaults: ClassVar[tuple[_Default, ...]] = ()

    domain: Any
    name: str
    version: str
    status: str
    description: str | None

    @classmethod
    def _from_info(cls: type[M], domain: Any, info: Any, client: Any) -> M:
        """A model from a ``WorkflowTypeInfo`` / ``ActivityTypeInfo`` of a listing (defaults unknown)."""
        ref = info[cls._type_key]  # type: ignore[attr-defined]
        factory: Any = cls
        model = factory(
            domain,
            ref["name"],
            ref["version"],
            status=info["status"],
            description=info.get("description"),
            creation_date=aware(info.get("creationDate")),
            deprecation_date=aware(info.get("deprecationDate")),
            client=client,
        )
        model._set("_unknown", frozenset(d.attr for d in cls._defaults))  # type: ignore[attr-defined]
        return model  # type: ignore[no-any-return]

    def _check_type(self) -> None:
        """Validate the common attributes, and bind the domain and client."""
        _bind_domain(self)
        check_string(self.name, "name", "Name", identifier=True)
        check_string(self.version, "version", "Version", identifier=True)
        check_choice(self.status, "status", REGISTRATION_STATUSES)
        check_optional_string(self.description, "description", "Description")
        for default in self._defaults:
            value = getattr(self, default.attr)
            if value is not None:
                _default_to_wire(default, value)

    def _type_ref(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version}

    def _fetch_description(self) -> dict[str, Any]:
        return call(
            self._client(),
            f"Describe{self._kind}Type",
            domain=self.domain.name,
            **{self._type_key: self._type_ref()},
        )

    def _attrs_from_info(self, info: Any) -> dict[str, Any]:
        return {
            "status": info["status"],
            "description": info.get("description"),
            "creation_date": aware(info.get("creationDate")),
            "deprecation_date": aware(info.get("deprecationDate")),
        }

    def upstream(self: M) -> M:
        """The type as SWF has it now (``Describe<Kind>Type``).

        :returns: a new model with every attribute known.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the domain or the type.
        """
        assert isinstance(self, _TypeModel)
        answer = self._fetch_description()
        attrs = self._attrs_from_info(answer["typeInfo"])
        configuration = answer["configuration"]
        for default in self._defaults:
            attrs[default.attr] = _default_from_wire(default, configuration.get(default.wire))
        model: M = type(self)(self.domain, self.name, self.version, client=self.client, **attrs)  # type: ignore[call-arg]
        return model

    def save(self) -> None:
        """Register the type (``Register<Kind>Type``) with its defaults; ``None`` ones are left unset.

        A duration default is sent as whole seconds (``timedelta(minutes=5)``
        -> ``"300"``), or as ``"NONE"`` when it is :data:`~swf.models.NO_LIMIT`.

        :raises swf.exceptions.TypeAlreadyExistsError: this name and version
            are already registered (even deprecated).
        :raises swf.exceptions.DoesNotExistError: SWF does not know the domain.
        :raises swf.exceptions.SWFError: any other error, untouched.
        """
        params: dict[str, Any] = {"domain": self.domain.name, "name": self.name, "version": self.version}
        if self.description is not None:
            params["description"] = self.description
        for default in self._defaults:
            value = getattr(self, default.attr)
            if value is not None:
                params[default.wire] = _default_to_wire(default, value)
        call(self._client(), f"Register{self._kind}Type", **params)
        log.info("registered %s type %s %s in %s", self._kind.lower(), self.name, self.version, self.domain.name)

    def deprecate(self) -> None:
        """Deprecate the type (``Deprecate<Kind>Type``): nothing new is scheduled with it; it can be undeprecated.

        :raises swf.exceptions.TypeDeprecatedError: it is already deprecated.
        :raises swf.exceptions.DoesNotExistError: SWF does not know it.
        """
        call(
            self._client(), f"Deprecate{self._kind}Type", domain=self.domain.name, **{self._type_key: self._type_ref()}
        )
        log.info("deprecated %s type %s %s in %s", self._kind.lower(), self.name, self.version, self.domain.name)

    def undeprecate(self) -> None:
        """Make a deprecated type usable again (``Undeprecate<Kind>Type``).

        :raises swf.exceptions.TypeAlreadyExistsError: it is not deprecated.
        :raises swf.exceptions.DoesNotExistError: SWF does not know it.
        """
        call(
            self._client(),
            f"Undeprecate{self._kind}Type",
            domain=self.domain.name,
            **{self._type_key: self._type_ref()},
        )
        log.info("undeprecated %s type %s %s in %s", self._kind.lower(), self.name, self.version, self.domain.name)


def _bind_domain(model: Any) -> None:
    """Check that ``model.domain`` is a Domain; a model without a client takes the domain's."""
    from swf.models.domain import Domain

    if not isinstance(model.domain, Domain):
        raise ValidationError(f"domain must be a Domain, not {type(model.domain).__name__}")
    if model.client is None and model.domain.client is not None:
        model._set("client", model.domain.client)


def _default_to_wire(default: _Default, value: Any) -> Any:
    from swf._convert import NO_LIMIT, duration_to_wire, priority_to_wire

    if default.kind == "duration":
        if not isinstance(value, timedelta) and value is not NO_LIMIT:
            raise ValidationError(f"{default.attr} must be a timedelta or NO_LIMIT, not {type(value).__name__}")
        return duration_to_wire(value, default.attr)
    if default.kind == "bounded_duration":
        if not isinstance(value, timedelta):
            detail = "SWF takes no NO_LIMIT here" if value is NO_LIMIT else f"not {type(value).__name__}"
            raise ValidationError(f"{default.attr} must be a timedelta ({detail})")
        return duration_to_wire(value, default.attr)
    if default.kind == "priority":
        return priority_to_wire(value, default.attr)
    if default.kind == "task_list":
        return {"name": check_string(value, default.attr, "Name", identifier=True)}
    if default.kind == "child_policy":
        return check_choice(value, default.attr, CHILD_POLICIES)
    return check_string(value, default.attr, "Arn")


def _default_from_wire(default: _Default, value: Any) -> Any:
    from swf._convert import limit_from_wire, priority_from_wire

    if value is None:
        return None
    if default.kind in ("duration", "bounded_duration"):
        return limit_from_wire(value)
    if default.kind == "priority":
        return priority_from_wire(value)
    if default.kind == "task_list":
        return value["name"]
    return value
