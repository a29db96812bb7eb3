"""The queryset of domains."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import NamedTuple

from swf.connection import call_pages
from swf.exceptions import DoesNotExistError, DomainAlreadyExistsError, TypeAlreadyExistsError, ValidationError
from swf.models.activity import ActivityType
from swf.models.base import DEPRECATED, REGISTERED, REGISTRATION_STATUSES, check_choice
from swf.models.domain import Domain
from swf.models.workflow import WorkflowType
from swf.querysets.base import QuerySet

__all__ = ["DomainQuerySet", "Registered", "register"]

log = logging.getLogger(__name__)


class DomainQuerySet(QuerySet[Domain]):
    """The domains of the account: ``DomainQuerySet().all()``.

    Listing sends ``ListDomains`` (registered domains unless filtered on
    ``status``); :meth:`get` sends ``DescribeDomain``.
    """

    def filter(self, *, status: str | None = None, name: str | None = None) -> DomainQuerySet:
        """A new queryset narrowed by these filters (``None`` leaves one as it was).

        :param status: registration status, ``REGISTERED`` (the default) or ``DEPRECATED``.
        :param name: only the domain of this name.
        :raises swf.exceptions.ValidationError: an unknown status.
        """
        check_choice(status, "status", REGISTRATION_STATUSES)
        return self._clone(status=status, name=name)

    def _iterate(self) -> Iterator[Domain]:
        status = self._filters.get("status", REGISTERED)
        name = self._filters.get("name")
        client = self.client
        for page in call_pages(self._client(), "ListDomains", registrationStatus=status, **self._page_params()):
            for info in page.get("domainInfos", []):
                if name is None or info["name"] == name:
                    yield Domain._from_info(info, client)

    def get(self, name: str) -> Domain:
        """The domain of this name, with every attribute (``DescribeDomain``, ``ListTagsForResource``).

        :raises swf.exceptions.DoesNotExistError: SWF does not know it.
        """
        return Domain(name, client=self.client).upstream()

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        retention_period: timedelta = timedelta(days=30),
        tags: Mapping[str, str] | None = None,
    ) -> Domain:
        """Register a domain (``RegisterDomain``) and return it as SWF has it.

        :param name: the domain name.
        :param description: free text, or ``None``.
        :param retention_period: how long closed histories are kept, whole days (0 to 90).
        :param tags: resource tags, ``{key: value}``.
        :raises swf.exceptions.ValidationError: bad input, naming the field, before any call.
        :raises swf.exceptions.DomainAlreadyExistsError: the name is taken.
        """
        domain = Domain(
            name, description=description, retention_period=retention_period, tags=tags or {}, client=self.client
        )
        domain.save()
        return domain.upstream()

    def get_or_create(
        self,
        name: str,
        *,
        description: str | None = None,
        retention_period: timedelta = timedelta(days=30),
        tags: Mapping[str, str] | None = None,
    ) -> Domain:
        """The domain of this name, registered first if SWF does not know it.

        Safe when several processes do it at once: the one whose registration
        loses the race reads the winner's domain. The attributes are used
        only when this call registers the domain.

        :returns: the domain as SWF has it.
        :raises swf.exceptions.ValidationError: bad input, naming the field.
        """
        try:
            return self.get(name)
        except DoesNotExistError:
            pass
        try:
            return self.create(name, description=description, retention_period=retention_period, tags=tags)
        except DomainAlreadyExistsError:
            log.debug("domain %s registered concurrently; reading it", name)
            return self.get(name)


class Registered(NamedTuple):
    """What :func:`register` leaves in SWF: the domain and each type, as SWF has them.

    A domain or type this call registered is the model given (status
    ``REGISTERED``); one that existed is read back (``Describe*``), so its
    ``status`` tells whether it is deprecated.
    """

    domain: Domain
    types: tuple[WorkflowType | ActivityType, ...]

    def deprecated(self) -> tuple[Domain | WorkflowType | ActivityType, ...]:
        """The domain (first) and the types that SWF holds deprecated: they take no new execution or task."""
        found: list[Domain | WorkflowType | ActivityType] = [self.domain] if self.domain.status == DEPRECATED else []
        return tuple(found + [model for model in self.types if model.status == DEPRECATED])


def register(domain: Domain, types: Iterable[WorkflowType | ActivityType] = ()) -> Registered:
    """Register a domain and its workflow and activity types, each only when SWF does not know it.

    Each is saved through its model (``RegisterDomain``,
    ``RegisterWorkflowType``, ``RegisterActivityType``); one that exists
    (registered earlier, or by another process winning the race) is left
    untouched and read back (``DescribeDomain`` and ``ListTagsForResource``,
    ``Describe<Kind>Type``), as :meth:`DomainQuerySet.get_or_create` does.
    Types are not registered in a domain that is deprecated.

    :param domain: the domain, with the retention period to register it with.
    :param types: :class:`~swf.models.WorkflowType` and
        :class:`~swf.models.ActivityType` models of ``domain``, with the
        defaults to register them with.
    :returns: a :class:`Registered` (see :meth:`Registered.deprecated`).
    :raises swf.exceptions.ValidationError: a type of another domain, before any call.
    :raises swf.exceptions.SWFError: any other error of SWF, untouched.
    """
    models = tuple(types)
    for model in models:
        if model.domain != domain:
            raise ValidationError(f"{model!r} belongs to domain {model.domain.name!r}, not {domain.name!r}")
    try:
        domain.save()
    except DomainAlreadyExistsError:
        log.debug("domain %s is registered already; reading it", domain.name)
        domain = domain.upstream()
        if domain.status == DEPRECATED:
            return Registered(domain, ())
    registered: list[WorkflowType | ActivityType] = []
    for model in models:
        try:
            model.save()
        except TypeAlreadyExistsError:
            log.debug("%r is registered already in %s; reading it", model, domain.name)
            model = model.upstream()
        registered.append(model)
    return Registered(domain, tuple(registered))
