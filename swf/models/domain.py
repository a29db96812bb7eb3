"""The SWF domain model."""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from swf._convert import days_from_wire, days_to_wire
from swf.connection import call
from swf.exceptions import ValidationError
from swf.limits import MAX_RETENTION_PERIOD
from swf.models.base import (
    REGISTERED,
    REGISTRATION_STATUSES,
    _Deprecatable,
    check_choice,
    check_optional_string,
    check_string,
)

__all__ = ["Domain"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False, repr=False)
class Domain(_Deprecatable):
    """An SWF domain, identified by its name: ``Domain('test1')``.

    :param name: the domain name (1 to 256 characters).
    :param status: ``REGISTERED`` or ``DEPRECATED``.
    :param description: free text (at most 1024 characters), or ``None``.
    :param retention_period: how long SWF keeps the history of a closed
        execution, in whole days (0 to 90); ``None`` when unknown (a
        listing does not give it).
    :param tags: the domain's resource tags, ``{key: value}``; ``None`` when unknown.
    :param arn: the domain's ARN, as SWF gives it; ``None`` for a local model.
    :param client: the boto3 SWF client; ``None`` uses the shared default client.
    :raises swf.exceptions.ValidationError: an attribute SWF would refuse, naming it.
    """

    name: str
    status: str = field(default=REGISTERED, kw_only=True)
    description: str | None = field(default=None, kw_only=True)
    retention_period: timedelta | None = field(default=timedelta(days=30), kw_only=True)
    tags: Mapping[str, str] | None = field(default_factory=dict, kw_only=True)
    arn: str | None = field(default=None, kw_only=True)
    client: Any = field(default=None, kw_only=True)
    _unknown: frozenset[str] = field(default=frozenset(), init=False)

    _identity = ("name",)
    _repr_fields = ("name",)
    _compared = ("status", "description", "retention_period", "tags")

    def __post_init__(self) -> None:
        check_string(self.name, "name", "DomainName", identifier=True)
        check_choice(self.status, "status", REGISTRATION_STATUSES)
        check_optional_string(self.description, "description", "Description")
        if self.retention_period is not None:
            if not isinstance(self.retention_period, timedelta):
                raise ValidationError(
                    f"retention_period must be a timedelta of whole days, not {type(self.retention_period).__name__}"
                )
            days_to_wire(self.retention_period, "retention_period")
            if self.retention_period > MAX_RETENTION_PERIOD:
                raise ValidationError(
                    f"retention_period must be at most {MAX_RETENTION_PERIOD.days} days (got {self.retention_period})"
                )
        if self.tags is not None:
            if not isinstance(self.tags, Mapping):
                raise ValidationError(f"tags must be a mapping of str to str, not {type(self.tags).__name__}")
            for key, value in self.tags.items():
                check_string(key, "tags key", "ResourceTagKey")
                check_string(value, f"tags[{key!r}]", "ResourceTagValue")
            self._set("tags", types.MappingProxyType(dict(self.tags)))

    # -- construction from SWF ------------------------------------------------------

    @classmethod
    def _from_info(cls, info: Mapping[str, Any], client: Any) -> Domain:
        """A model from a ``DomainInfo`` of ``ListDomains`` (no retention, no tags)."""
        domain = cls(
            info["name"],
            status=info["status"],
            description=info.get("description"),
            retention_period=None,
            tags=None,
            arn=info.get("arn"),
            client=client,
        )
        domain._set("_unknown", frozenset({"retention_period", "tags"}))
        return domain

    def _fetch_description(self) -> dict[str, Any]:
        return call(self._client(), "DescribeDomain", name=self.name)

    def upstream(self) -> Domain:
        """The domain as SWF has it now (``DescribeDomain``, then ``ListTagsForResource``).

        :returns: a new :class:`Domain` with every attribute known.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the domain.
        """
        client = self._client()
        answer = call(client, "DescribeDomain", name=self.name)
        info, configuration = answer["domainInfo"], answer["configuration"]
        arn = info.get("arn")
        tags: dict[str, str] = {}
        if arn:
            listed = call(client, "ListTagsForResource", resourceArn=arn)
            tags = {tag["key"]: tag.get("value", "") for tag in listed.get("tags", [])}
        return Domain(
            info["name"],
            status=info["status"],
            description=info.get("description"),
            retention_period=days_from_wire(configuration["workflowExecutionRetentionPeriodInDays"]),
            tags=tags,
            arn=arn,
            client=self.client,
        )

    # -- registration ---------------------------------------------------------------

    def save(self) -> None:
        """Register the domain (``RegisterDomain``).

        :raises swf.exceptions.DomainAlreadyExistsError: the name is already
            registered (even deprecated).
        :raises swf.exceptions.ValidationError: the retention period is unknown.
        :raises swf.exceptions.SWFError: any other error, untouched.
        """
        if self.retention_period is None:
            raise ValidationError("retention_period is required to register a domain")
        params: dict[str, Any] = {
            "name": self.name,
            "workflowExecutionRetentionPeriodInDays": days_to_wire(self.retention_period, "retention_period"),
        }
        if self.description is not None:
            params["description"] = self.description
        if self.tags:
            params["tags"] = [{"key": key, "value": value} for key, value in self.tags.items()]
        call(self._client(), "RegisterDomain", **params)
        log.info("registered domain %s", self.name)

    def deprecate(self) -> None:
        """Deprecate the domain (``DeprecateDomain``); SWF never deletes one.

        :raises swf.exceptions.DomainDeprecatedError: it is already deprecated.
        :raises swf.exceptions.DoesNotExistError: SWF does not know it.
        """
        call(self._client(), "DeprecateDomain", name=self.name)
        log.info("deprecated domain %s", self.name)

    def undeprecate(self) -> None:
        """Make a deprecated domain usable again (``UndeprecateDomain``).

        :raises swf.exceptions.DomainAlreadyExistsError: it is not deprecated.
        :raises swf.exceptions.DoesNotExistError: SWF does not know it.
        """
        call(self._client(), "UndeprecateDomain", name=self.name)
        log.info("undeprecated domain %s", self.name)
