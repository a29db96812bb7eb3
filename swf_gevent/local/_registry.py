"""Domains, workflow types and activity types of the local SWF endpoint.

:class:`Registry` answers SWF's registration operations, one method per
operation named in snake_case after it (``register_domain``,
``list_workflow_types``...), each taking the validated request dict and
returning the response dict in the wire shape, raising
:class:`~swf_gevent.local._faults.Fault` with SWF's fault codes.

The execution engine looks records up through :meth:`Registry.domain`,
:meth:`Registry.workflow_type` and :meth:`Registry.activity_type`:

- :class:`DomainRecord` has ``.name``, ``.status`` (``"REGISTERED"`` or
  ``"DEPRECATED"``), ``.retention_days`` (int, 0 when ``"NONE"``) and
  ``.arn``;
- :class:`TypeRecord` has ``.name``, ``.version``, ``.status`` and
  ``.configuration``, a dict in the wire shape of DescribeWorkflowType's /
  DescribeActivityType's ``configuration`` holding only the defaults given
  at registration (``{"defaultTaskList": {"name": "main"},
  "defaultExecutionStartToCloseTimeout": "3600"}``).

State lives in memory and is touched only from the server's hub thread, so
no operation is ever half-applied: every check runs before any change.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from swf_gevent.local._faults import Fault
from swf_gevent.local._store import Journal
from swf_gevent.local._wire import PageTokens, page_size, parse_days, parse_duration, parse_priority

__all__ = ["DomainRecord", "Registry", "TypeRecord"]

log = logging.getLogger(__name__)

REGISTERED = "REGISTERED"
DEPRECATED = "DEPRECATED"

#: Account id in the ARNs the endpoint hands out.
DEFAULT_ACCOUNT_ID = "123456789012"
#: Region in the ARNs the endpoint hands out.
DEFAULT_REGION = "us-east-1"
#: SWF's quota of domains per account, registered and deprecated together.
MAX_DOMAINS = 100
#: SWF's quota of types of one kind per domain, registered and deprecated together.
MAX_TYPES = 10_000
#: SWF's limit of tags on one resource.
MAX_TAGS = 50
#: Longest retention SWF accepts, in days.
MAX_RETENTION_DAYS = 90
#: Longest execution start-to-close timeout SWF accepts, in seconds (one year).
MAX_EXECUTION_SECONDS = 31_536_000

_FORBIDDEN = re.compile(r"[:/|\u0000-\u001f\u007f-\u009f]")
_ARN = re.compile(r"arn:aws:swf:(?P<region>[^:]*):(?P<account>[^:]*):/domain/(?P<name>.+)")

_WORKFLOW_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultExecutionStartToCloseTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultChildPolicy",
    "defaultLambdaRole",
)
_ACTIVITY_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultTaskHeartbeatTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultTaskScheduleToStartTimeout",
    "defaultTaskScheduleToCloseTimeout",
)

_Item = TypeVar("_Item")


@dataclass
class TypeRecord:
    """One registered workflow or activity type.

    :ivar kind: ``"workflow"`` or ``"activity"``.
    :ivar name: the type's name.
    :ivar version: the type's version.
    :ivar status: ``"REGISTERED"`` or ``"DEPRECATED"``.
    :ivar configuration: registration defaults in the wire shape of
        Describe*Type's ``configuration``; only the members given.
    :ivar description: the registration description, or ``None``.
    :ivar creation_date: registration time, epoch seconds.
    :ivar deprecation_date: deprecation time, epoch seconds, or ``None``.
    """

    kind: str
    name: str
    version: str
    status: str
    configuration: dict[str, Any]
    description: str | None
    creation_date: float
    deprecation_date: float | None = None

    def info(self) -> dict[str, Any]:
        """The ``typeInfo`` wire dict: ``{"workflowType": {"name", "version"}, "status", ...}``."""
        info: dict[str, Any] = {
            f"{self.kind}Type": {"name": self.name, "version": self.version},
            "status": self.status,
            "creationDate": self.creation_date,
        }
        if self.description is not None:
            info["description"] = self.description
        if self.deprecation_date is not None:
            info["deprecationDate"] = self.deprecation_date
        return info


@dataclass
class DomainRecord:
    """One domain and the types registered in it.

    :ivar name: the domain's name.
    :ivar status: ``"REGISTERED"`` or ``"DEPRECATED"``.
    :ivar retention: the retention as registered, ``"30"`` or ``"NONE"``.
    :ivar retention_days: the retention in days as an int (0 for ``"NONE"``).
    :ivar arn: ``arn:aws:swf:<region>:<account>:/domain/<name>``.
    :ivar description: the registration description, or ``None``.
    :ivar tags: ``{key: value}`` in insertion order.
    :ivar workflow_types: ``{(name, version): TypeRecord}``.
    :ivar activity_types: ``{(name, version): TypeRecord}``.
    """

    name: str
    status: str
    retention: str
    retention_days: int
    arn: str
    description: str | None
    tags: dict[str, str] = field(default_factory=dict)
    workflow_types: dict[tuple[str, str], TypeRecord] = field(default_factory=dict)
    activity_types: dict[tuple[str, str], TypeRecord] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        """The ``domainInfo`` wire dict: ``{"name", "status", "arn", "description"?}``."""
        info: dict[str, Any] = {"name": self.name, "status": self.status, "arn": self.arn}
        if self.description is not None:
            info["description"] = self.description
        return info

    def types(self, kind: str) -> dict[tuple[str, str], TypeRecord]:
        """The ``workflow_types`` or ``activity_types`` mapping for ``kind``."""
        return self.workflow_types if kind == "workflow" else self.activity_types


def check_name(value: str, member: str) -> None:
    """Apply SWF's naming rule (no ``:``, ``/``, ``|``, control characters, not ``arn``).

    :param value: the name to check.
    :param member: the member path named in the error, ``"domain"``.
    :raises Fault: ``ValidationException`` naming ``member``.
    """
    if _FORBIDDEN.search(value) or value == "arn":
        raise Fault(
            "ValidationException",
            f"Invalid name '{value}' at '{member}': a name must not contain ':', '/', '|' "
            "or control characters, nor be the literal string 'arn'",
        )


def _check_duration(
    request: dict[str, Any], member: str, *, allow_none: bool = True, maximum: int | None = None
) -> None:
    """Check the duration ``request[member]`` if given (see :func:`~swf_gevent.local._wire.parse_duration`)."""
    if request.get(member) is not None:
        parse_duration(request[member], member, allow_none=allow_none, maximum=maximum)


class _Pager:
    """Pages of registry listings keyed on the last item's sort key, with signed ``nextPageToken`` values.

    A token (:class:`~swf_gevent.local._wire.PageTokens`) names the query it
    continues (operation and filters), the sort direction and the key after
    which the next page starts, so pages stay stable when items are added
    between calls.
    """

    def __init__(self, key: bytes | None) -> None:
        self._tokens = PageTokens(key)

    def page(
        self,
        items: Iterable[_Item],
        key: Callable[[_Item], list[str]],
        request: dict[str, Any],
        query: list[Any],
    ) -> tuple[list[_Item], str | None]:
        """Cut one page of ``items`` for ``request``.

        :param items: the matching items, any order.
        :param key: sort key of an item, a list of strings.
        :param request: the list request (``maximumPageSize``, ``reverseOrder``,
            ``nextPageToken``).
        :param query: the filters that must not change between pages.
        :returns: ``(page, next_token_or_None)``.
        :raises Fault: ``ValidationException`` for a token not issued for this query.
        """
        reverse = bool(request.get("reverseOrder", False))
        size = page_size(request)
        ordered = sorted(items, key=key, reverse=reverse)
        token = request.get("nextPageToken")
        if token is not None:
            after = self._after(token, query, reverse)
            if reverse:
                ordered = [item for item in ordered if key(item) < after]
            else:
                ordered = [item for item in ordered if key(item) > after]
        page = ordered[:size]
        next_token = None
        if len(ordered) > size:
            next_token = self._tokens.encode("registry", {"a": key(page[-1]), "q": query, "r": reverse})
        return page, next_token

    def _after(self, token: str, query: list[Any], reverse: bool) -> list[str]:
        state = self._tokens.decode("registry", token)
        if state.get("q") != query or state.get("r") != reverse:
            raise Fault(
                "ValidationException",
                "Invalid value at 'nextPageToken': the token belongs to a different query "
                "(filters and reverseOrder must not change between pages)",
            )
        after = state.get("a")
        if not isinstance(after, list):
            raise Fault("ValidationException", "Invalid value at 'nextPageToken': not a token issued for this request")
        return after


class Registry:
    """In-memory domains and types, answering SWF's registration operations.

    :param clock: returns the current time in epoch seconds (``time.time``).
    :param region: region in domain ARNs.
    :param account_id: account id in domain ARNs.
    :param max_domains: domains allowed, registered and deprecated together.
    :param max_types: types of each kind allowed per domain.
    :param journal: told of every change and committed at the end of every
        changing operation (:class:`~swf_gevent.local._store.Store` with a
        database); keeps nothing by default.
    :param key: the secret key (32 bytes) signing page tokens; a fresh one by default.
    """

    def __init__(
        self,
        clock: Callable[[], float] | None = None,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        max_domains: int = MAX_DOMAINS,
        max_types: int = MAX_TYPES,
        journal: Journal | None = None,
        key: bytes | None = None,
    ) -> None:
        self._clock = clock or time.time
        self.region = region
        self.account_id = account_id
        self._max_domains = max_domains
        self._max_types = max_types
        self._domains: dict[str, DomainRecord] = {}
        self._pager = _Pager(key)
        self._journal = journal if journal is not None else Journal()

    def restore(self, domains: Iterable[dict[str, Any]], types: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Take back the domains and types a database holds (the bodies :meth:`_save` wrote)."""
        for body in domains:
            record = DomainRecord(**body)
            self._domains[record.name] = record
        for domain, body in types:
            type_record = TypeRecord(**body)
            self._domains[domain].types(type_record.kind)[(type_record.name, type_record.version)] = type_record

    def _save(self, domain: DomainRecord, *types: TypeRecord, deleted: bool = False) -> None:
        """Journal ``domain`` (without its types) and ``types`` of it that changed (or were ``deleted``); commit."""
        self._journal.save_domain(
            {item.name: getattr(domain, item.name) for item in fields(domain) if not item.name.endswith("_types")}
        )
        for type_record in types:
            self._journal.save_type(domain.name, asdict(type_record), deleted=deleted)
        self._journal.commit()

    # -- lookups used by the engine -------------------------------------------------

    def domain(self, name: str) -> DomainRecord:
        """The domain called ``name``, registered or deprecated.

        :raises Fault: ``UnknownResourceFault`` when no such domain exists.
        """
        record = self._domains.get(name)
        if record is None:
            raise Fault("UnknownResourceFault", f"Unknown domain: {name}")
        return record

    def workflow_type(self, domain: str, name: str, version: str) -> TypeRecord:
        """The workflow type ``name``/``version`` of ``domain`` (any status).

        :raises Fault: ``UnknownResourceFault`` when the domain or the type is unknown.
        """
        return self._type(domain, "workflow", name, version)

    def activity_type(self, domain: str, name: str, version: str) -> TypeRecord:
        """The activity type ``name``/``version`` of ``domain`` (any status).

        :raises Fault: ``UnknownResourceFault`` when the domain or the type is unknown.
        """
        return self._type(domain, "activity", name, version)

    def _type(self, domain: str, kind: str, name: str, version: str) -> TypeRecord:
        record = self.domain(domain).types(kind).get((name, version))
        if record is None:
            raise Fault(
                "UnknownResourceFault", f"Unknown type: {kind.capitalize()}Type=[name={name}, version={version}]"
            )
        return record

    # -- domains --------------------------------------------------------------------

    def register_domain(self, request: dict[str, Any]) -> dict[str, Any]:
        """RegisterDomain: add a domain with its retention and tags.

        :raises Fault: ``DomainAlreadyExistsFault``, ``LimitExceededFault``,
            ``TooManyTagsFault``, ``ValidationException``.
        """
        name = request["name"]
        check_name(name, "name")
        retention = request["workflowExecutionRetentionPeriodInDays"]
        days = parse_days(retention, "workflowExecutionRetentionPeriodInDays", maximum=MAX_RETENTION_DAYS)
        tags = self._merge_tags({}, request.get("tags", []))
        if name in self._domains:
            raise Fault("DomainAlreadyExistsFault", name)
        if len(self._domains) >= self._max_domains:
            raise Fault("LimitExceededFault", f"Cannot register more than {self._max_domains} domains")
        self._domains[name] = DomainRecord(
            name=name,
            status=REGISTERED,
            retention=retention,
            retention_days=days,
            arn=f"arn:aws:swf:{self.region}:{self.account_id}:/domain/{name}",
            description=request.get("description"),
            tags=tags,
        )
        self._save(self._domains[name])
        log.info("Registered domain %s", name)
        return {}

    def deprecate_domain(self, request: dict[str, Any]) -> dict[str, Any]:
        """DeprecateDomain: deprecate a domain and every type registered in it.

        :raises Fault: ``UnknownResourceFault``, ``DomainDeprecatedFault``.
        """
        record = self.domain(request["name"])
        if record.status == DEPRECATED:
            raise Fault("DomainDeprecatedFault", record.name)
        now = self._clock()
        record.status = DEPRECATED
        deprecated = []
        for kind in ("workflow", "activity"):
            for type_record in record.types(kind).values():
                if type_record.status == REGISTERED:
                    type_record.status = DEPRECATED
                    type_record.deprecation_date = now
                    deprecated.append(type_record)
        self._save(record, *deprecated)
        log.info("Deprecated domain %s", record.name)
        return {}

    def undeprecate_domain(self, request: dict[str, Any]) -> dict[str, Any]:
        """UndeprecateDomain: register a deprecated domain again (its types stay as they are).

        :raises Fault: ``UnknownResourceFault``, ``DomainAlreadyExistsFault``.
        """
        record = self.domain(request["name"])
        if record.status == REGISTERED:
            raise Fault("DomainAlreadyExistsFault", record.name)
        record.status = REGISTERED
        self._save(record)
        log.info("Undeprecated domain %s", record.name)
        return {}

    def describe_domain(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeDomain: ``{"domainInfo": {...}, "configuration": {"workflowExecutionRetentionPeriodInDays"}}``.

        :raises Fault: ``UnknownResourceFault``.
        """
        record = self.domain(request["name"])
        return {
            "domainInfo": record.info(),
            "configuration": {"workflowExecutionRetentionPeriodInDays": record.retention},
        }

    def list_domains(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListDomains: ``{"domainInfos": [...], "nextPageToken"?}``, by name."""
        status = request["registrationStatus"]
        matching = [record for record in self._domains.values() if record.status == status]
        page, token = self._pager.page(matching, lambda record: [record.name], request, ["ListDomains", status])
        response: dict[str, Any] = {"domainInfos": [record.info() for record in page]}
        if token is not None:
            response["nextPageToken"] = token
        return response

    # -- types ----------------------------------------------------------------------

    def register_workflow_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """RegisterWorkflowType: add a workflow type with its defaults.

        :raises Fault: ``UnknownResourceFault`` (unknown or deprecated domain),
            ``TypeAlreadyExistsFault``, ``LimitExceededFault``, ``ValidationException``.
        """
        _check_duration(request, "defaultTaskStartToCloseTimeout")
        _check_duration(request, "defaultExecutionStartToCloseTimeout", allow_none=False, maximum=MAX_EXECUTION_SECONDS)
        return self._register_type("workflow", request, _WORKFLOW_DEFAULTS)

    def register_activity_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """RegisterActivityType: add an activity type with its defaults.

        :raises Fault: ``UnknownResourceFault`` (unknown or deprecated domain),
            ``TypeAlreadyExistsFault``, ``LimitExceededFault``, ``ValidationException``.
        """
        for member in (
            "defaultTaskStartToCloseTimeout",
            "defaultTaskHeartbeatTimeout",
            "defaultTaskScheduleToStartTimeout",
            "defaultTaskScheduleToCloseTimeout",
        ):
            _check_duration(request, member)
        return self._register_type("activity", request, _ACTIVITY_DEFAULTS)

    def _register_type(self, kind: str, request: dict[str, Any], defaults: tuple[str, ...]) -> dict[str, Any]:
        name, version = request["name"], request["version"]
        check_name(name, "name")
        check_name(version, "version")
        task_list = request.get("defaultTaskList")
        if task_list is not None:
            check_name(task_list["name"], "defaultTaskList.name")
        parse_priority(request.get("defaultTaskPriority"), "defaultTaskPriority")
        domain = self.domain(request["domain"])
        if domain.status == DEPRECATED:
            raise Fault("UnknownResourceFault", f"Domain is deprecated: {domain.name}")
        types = domain.types(kind)
        if (name, version) in types:
            raise Fault("TypeAlreadyExistsFault", f"{kind.capitalize()}Type=[name={name}, version={version}]")
        if len(types) >= self._max_types:
            raise Fault("LimitExceededFault", f"Cannot register more than {self._max_types} {kind} types in a domain")
        configuration = {member: request[member] for member in defaults if member in request}
        types[(name, version)] = TypeRecord(
            kind=kind,
            name=name,
            version=version,
            status=REGISTERED,
            configuration=configuration,
            description=request.get("description"),
            creation_date=self._clock(),
        )
        self._save(domain, types[(name, version)])
        log.info("Registered %s type %s %s in domain %s", kind, name, version, domain.name)
        return {}

    def deprecate_workflow_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DeprecateWorkflowType. :raises Fault: ``UnknownResourceFault``, ``TypeDeprecatedFault``."""
        return self._deprecate_type("workflow", request)

    def deprecate_activity_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DeprecateActivityType. :raises Fault: ``UnknownResourceFault``, ``TypeDeprecatedFault``."""
        return self._deprecate_type("activity", request)

    def _deprecate_type(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        record = self._requested_type(kind, request)
        if record.status == DEPRECATED:
            raise Fault(
                "TypeDeprecatedFault", f"{kind.capitalize()}Type=[name={record.name}, version={record.version}]"
            )
        record.status = DEPRECATED
        record.deprecation_date = self._clock()
        self._save(self.domain(request["domain"]), record)
        return {}

    def undeprecate_workflow_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """UndeprecateWorkflowType. :raises Fault: ``UnknownResourceFault``, ``TypeAlreadyExistsFault``."""
        return self._undeprecate_type("workflow", request)

    def undeprecate_activity_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """UndeprecateActivityType. :raises Fault: ``UnknownResourceFault``, ``TypeAlreadyExistsFault``."""
        return self._undeprecate_type("activity", request)

    def _undeprecate_type(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        record = self._requested_type(kind, request)
        if record.status == REGISTERED:
            raise Fault(
                "TypeAlreadyExistsFault", f"{kind.capitalize()}Type=[name={record.name}, version={record.version}]"
            )
        record.status = REGISTERED
        record.deprecation_date = None
        self._save(self.domain(request["domain"]), record)
        return {}

    def delete_workflow_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DeleteWorkflowType: remove a deprecated type.

        :raises Fault: ``UnknownResourceFault``, ``TypeNotDeprecatedFault`` while registered.
        """
        return self._delete_type("workflow", request)

    def delete_activity_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DeleteActivityType: remove a deprecated type.

        :raises Fault: ``UnknownResourceFault``, ``TypeNotDeprecatedFault`` while registered.
        """
        return self._delete_type("activity", request)

    def _delete_type(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        record = self._requested_type(kind, request)
        if record.status != DEPRECATED:
            raise Fault(
                "TypeNotDeprecatedFault", f"{kind.capitalize()}Type=[name={record.name}, version={record.version}]"
            )
        domain = self.domain(request["domain"])
        del domain.types(kind)[(record.name, record.version)]
        self._save(domain, record, deleted=True)
        return {}

    def describe_workflow_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeWorkflowType: ``{"typeInfo": {...}, "configuration": {...}}``.

        :raises Fault: ``UnknownResourceFault``.
        """
        record = self._requested_type("workflow", request)
        return {"typeInfo": record.info(), "configuration": dict(record.configuration)}

    def describe_activity_type(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeActivityType: ``{"typeInfo": {...}, "configuration": {...}}``.

        :raises Fault: ``UnknownResourceFault``.
        """
        record = self._requested_type("activity", request)
        return {"typeInfo": record.info(), "configuration": dict(record.configuration)}

    def _requested_type(self, kind: str, request: dict[str, Any]) -> TypeRecord:
        identity = request[f"{kind}Type"]
        return self._type(request["domain"], kind, identity["name"], identity["version"])

    def list_workflow_types(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListWorkflowTypes: ``{"typeInfos": [...], "nextPageToken"?}``, by name then version.

        :raises Fault: ``UnknownResourceFault`` for an unknown domain.
        """
        return self._list_types("workflow", request)

    def list_activity_types(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListActivityTypes: ``{"typeInfos": [...], "nextPageToken"?}``, by name then version.

        :raises Fault: ``UnknownResourceFault`` for an unknown domain.
        """
        return self._list_types("activity", request)

    def _list_types(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        domain = self.domain(request["domain"])
        status = request["registrationStatus"]
        name = request.get("name")
        matching = [
            record
            for record in domain.types(kind).values()
            if record.status == status and (name is None or record.name == name)
        ]
        query = [f"List{kind.capitalize()}Types", domain.name, status, name]
        page, token = self._pager.page(matching, lambda record: [record.name, record.version], request, query)
        response: dict[str, Any] = {"typeInfos": [record.info() for record in page]}
        if token is not None:
            response["nextPageToken"] = token
        return response

    # -- tags -----------------------------------------------------------------------

    def _domain_for_arn(self, arn: str) -> DomainRecord:
        match = _ARN.fullmatch(arn)
        if match is None:
            raise Fault("ValidationException", f"Invalid value '{arn}' at 'resourceArn': not an SWF domain ARN")
        record = self._domains.get(match["name"])
        if record is None or record.arn != arn:
            raise Fault("UnknownResourceFault", f"Unknown resource: {arn}")
        return record

    def _merge_tags(self, current: dict[str, str], tags: list[dict[str, str]]) -> dict[str, str]:
        merged = dict(current)
        for tag in tags:
            if tag["key"].lower().startswith("aws:"):
                raise Fault("ValidationException", f"Invalid tag key '{tag['key']}': the prefix 'aws:' is reserved")
            merged[tag["key"]] = tag.get("value", "")
        if len(merged) > MAX_TAGS:
            raise Fault("TooManyTagsFault", f"A resource can have at most {MAX_TAGS} tags")
        return merged

    def tag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        """TagResource: add or overwrite tags of a domain (at most 50 in all).

        :raises Fault: ``UnknownResourceFault``, ``TooManyTagsFault``, ``ValidationException``.
        """
        record = self._domain_for_arn(request["resourceArn"])
        record.tags = self._merge_tags(record.tags, request["tags"])
        self._save(record)
        return {}

    def untag_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        """UntagResource: remove tags of a domain by key (unknown keys are ignored).

        :raises Fault: ``UnknownResourceFault``, ``ValidationException``.
        """
        record = self._domain_for_arn(request["resourceArn"])
        for key in request["tagKeys"]:
            record.tags.pop(key, None)
        self._save(record)
        return {}

    def list_tags_for_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListTagsForResource: ``{"tags": [{"key", "value"}, ...]}``.

        :raises Fault: ``UnknownResourceFault``, ``ValidationException``.
        """
        record = self._domain_for_arn(request["resourceArn"])
        return {"tags": [{"key": key, "value": value} for key, value in record.tags.items()]}
