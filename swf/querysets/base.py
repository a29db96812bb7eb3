"""What every queryset shares: laziness, chaining, paging, the page-size knob."""

from __future__ import annotations

import copy
import itertools
import logging
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from swf import limits
from swf.connection import call_pages
from swf.exceptions import DoesNotExistError, TypeAlreadyExistsError, ValidationError
from swf.models.base import REGISTERED, REGISTRATION_STATUSES, Model, _TypeModel, check_choice
from swf.models.domain import Domain

__all__ = ["QuerySet"]

M = TypeVar("M", bound=Model)
Q = TypeVar("Q", bound="QuerySet[Any]")
TQ = TypeVar("TQ", bound="_TypeQuerySet[Any]")

log = logging.getLogger(__name__)

#: How many models a queryset's repr shows before it stops fetching.
_REPR_LIMIT = 20


class QuerySet(Generic[M]):
    """A lazy, chainable listing of SWF objects.

    Nothing is sent until the queryset is iterated (``for``, ``list()``,
    ``repr()``, :meth:`count`); iteration follows every ``nextPageToken``, and
    each iteration asks SWF again. :meth:`filter` returns a new queryset and
    checks the filters before any call.

    :param client: the boto3 SWF client; ``None`` uses the shared default
        client (or the domain's, for the querysets bound to one).
    :param page_size: ``maximumPageSize`` of each listing call (1 to 1000);
        ``None`` lets SWF choose (up to 1000).
    :raises swf.exceptions.ValidationError: a page size out of range.
    """

    def __init__(self, *, client: Any = None, page_size: int | None = None) -> None:
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= limits.MAX_PAGE_SIZE
        ):
            raise ValidationError(f"page_size must be an int from 1 to {limits.MAX_PAGE_SIZE} (got {page_size!r})")
        self.client = client
        self.page_size = page_size
        self._filters: dict[str, Any] = {}

    def _client(self) -> Any:
        if self.client is not None:
            return self.client
        from swf.connection import default_client

        return default_client()

    def _page_params(self) -> dict[str, Any]:
        return {} if self.page_size is None else {"maximumPageSize": self.page_size}

    def _clone(self: Q, **filters: Any) -> Q:
        clone = copy.copy(self)
        clone._filters = {**self._filters, **{k: v for k, v in filters.items() if v is not None}}
        clone._check_filters()
        return clone

    def _check_filters(self) -> None:
        """Refuse a combination of filters SWF would refuse (override)."""

    def _iterate(self) -> Iterator[M]:
        raise NotImplementedError

    def all(self: Q) -> Q:
        """This queryset's listing as a new lazy queryset (nothing is sent yet)."""
        return self._clone()

    def __iter__(self) -> Iterator[M]:
        return self._iterate()

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def count(self) -> int:
        """How many objects match (lists every page).

        :raises swf.exceptions.SWFError: as the listing call.
        """
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        items = list(itertools.islice(self, _REPR_LIMIT + 1))
        if len(items) > _REPR_LIMIT:
            return repr(items[:_REPR_LIMIT])[:-1] + ", ...]"
        return repr(items)


class _DomainQuerySet(QuerySet[M]):
    """A queryset over one domain's types or executions.

    :param domain: the :class:`~swf.models.Domain` (a domain name is accepted).
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :param page_size: ``maximumPageSize`` of each listing call (1 to 1000).
    :raises swf.exceptions.ValidationError: ``domain`` is neither a Domain nor a name.
    """

    def __init__(self, domain: Domain | str, *, client: Any = None, page_size: int | None = None) -> None:
        if isinstance(domain, str):
            domain = Domain(domain, client=client)
        elif not isinstance(domain, Domain):
            raise ValidationError(f"domain must be a Domain or a domain name, not {type(domain).__name__}")
        super().__init__(client=client if client is not None else domain.client, page_size=page_size)
        self.domain = domain


T = TypeVar("T", bound="_TypeModel")


class _TypeQuerySet(_DomainQuerySet[T]):
    """What the workflow and activity type querysets share.

    Subclasses set ``_model`` (the model class) and ``_kind`` (``"Workflow"``
    or ``"Activity"``).
    """

    _model: type[T]
    _kind: str = ""

    def filter(self: TQ, *, status: str | None = None, name: str | None = None, version: str | None = None) -> TQ:
        """A new queryset narrowed by these filters (``None`` leaves one as it was).

        :param status: registration status, ``REGISTERED`` (the default) or ``DEPRECATED``.
        :param name: only the types of this name (sent to SWF).
        :param version: only the types of this version (checked on each listed type).
        :raises swf.exceptions.ValidationError: an unknown status.
        """
        check_choice(status, "status", REGISTRATION_STATUSES)
        return self._clone(status=status, name=name, version=version)

    def _iterate(self) -> Iterator[T]:
        params: dict[str, Any] = {
            "domain": self.domain.name,
            "registrationStatus": self._filters.get("status", REGISTERED),
            **self._page_params(),
        }
        if "name" in self._filters:
            params["name"] = self._filters["name"]
        version = self._filters.get("version")
        for page in call_pages(self._client(), f"List{self._kind}Types", **params):
            for info in page.get("typeInfos", []):
                model = self._model._from_info(self.domain, info, self.client)
                if version is None or model.version == version:
                    yield model

    def get(self, name: str, version: str) -> T:
        """The type of this name and version, with its registered defaults (``Describe<Kind>Type``).

        :raises swf.exceptions.DoesNotExistError: SWF does not know the domain or the type.
        :raises swf.exceptions.ValidationError: a name or version SWF would refuse, before any call.
        """
        return self._model(self.domain, name, version, client=self.client).upstream()  # type: ignore[call-arg]

    def create(self, name: str, version: str, **attributes: Any) -> T:
        """Register a type (``Register<Kind>Type``) and return it as SWF has it.

        :param attributes: the model's keyword attributes (``description``, ``default_...``).
        :raises swf.exceptions.ValidationError: bad input, naming the field, before any call.
        :raises swf.exceptions.TypeAlreadyExistsError: this name and version are taken.
        """
        model = self._model(self.domain, name, version, client=self.client, **attributes)  # type: ignore[call-arg]
        model.save()
        return model.upstream()

    def get_or_create(self, name: str, version: str, **attributes: Any) -> T:
        """The type of this name and version, registered first if SWF does not know it.

        Safe when several processes do it at once: the one whose registration
        loses the race reads the winner's type. The attributes are used only
        when this call registers the type.

        :raises swf.exceptions.ValidationError: bad input, naming the field.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the domain.
        """
        try:
            return self.get(name, version)
        except DoesNotExistError:
            pass
        try:
            return self.create(name, version, **attributes)
        except TypeAlreadyExistsError:
            log.debug("%s type %s %s registered concurrently; reading it", self._kind.lower(), name, version)
            return self.get(name, version)
