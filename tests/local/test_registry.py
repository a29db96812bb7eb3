"""Domains, types, tags and list pagination of the local endpoint, through boto3 over HTTP."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from swf_gevent.local._faults import Fault
from swf_gevent.local._registry import Registry


def _code(call: Callable[..., Any], **params: Any) -> str:
    """Call an SWF operation that must fail; returns its error code."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def _register_domain(client: Any, name: str, **extra: Any) -> None:
    client.register_domain(name=name, workflowExecutionRetentionPeriodInDays="7", **extra)


def _names(client: Any, status: str = "REGISTERED") -> list[str]:
    return [info["name"] for info in client.list_domains(registrationStatus=status)["domainInfos"]]


# -- domains ------------------------------------------------------------------------


def test_register_and_describe_domain(swf_client: Any, domain_name: str) -> None:
    """A registered domain describes with its name, description, ARN, status and retention."""
    swf_client.register_domain(name=domain_name, description="orders", workflowExecutionRetentionPeriodInDays="30")
    described = swf_client.describe_domain(name=domain_name)
    assert described["domainInfo"] == {
        "name": domain_name,
        "status": "REGISTERED",
        "description": "orders",
        "arn": f"arn:aws:swf:us-east-1:123456789012:/domain/{domain_name}",
    }
    assert described["configuration"] == {"workflowExecutionRetentionPeriodInDays": "30"}


def test_register_domain_twice_is_domain_already_exists(swf_client: Any, domain_name: str) -> None:
    """Registering a name twice answers DomainAlreadyExistsFault, even once deprecated."""
    _register_domain(swf_client, domain_name)
    assert _code(swf_client.register_domain, name=domain_name, workflowExecutionRetentionPeriodInDays="1") == (
        "DomainAlreadyExistsFault"
    )
    swf_client.deprecate_domain(name=domain_name)
    assert _code(swf_client.register_domain, name=domain_name, workflowExecutionRetentionPeriodInDays="1") == (
        "DomainAlreadyExistsFault"
    )


@pytest.mark.parametrize("retention", ["NONE", "0", "90"])
def test_retention_accepts_none_and_zero_to_ninety_days(swf_client: Any, domain_name: str, retention: str) -> None:
    """Retention ``NONE`` and 0 to 90 days are accepted and described as given."""
    swf_client.register_domain(name=domain_name, workflowExecutionRetentionPeriodInDays=retention)
    configuration = swf_client.describe_domain(name=domain_name)["configuration"]
    assert configuration["workflowExecutionRetentionPeriodInDays"] == retention


@pytest.mark.parametrize("retention", ["91", "ten", "-1"])
def test_retention_outside_range_is_refused(swf_client: Any, domain_name: str, retention: str) -> None:
    """Retention above 90 days or not a number is refused with ValidationException; nothing is registered."""
    code = _code(swf_client.register_domain, name=domain_name, workflowExecutionRetentionPeriodInDays=retention)
    assert code == "ValidationException"
    assert _names(swf_client) == []


@pytest.mark.parametrize("name", ["a:b", "a/b", "a|b", "tab\there", "arn"])
def test_domain_name_rules(swf_client: Any, name: str) -> None:
    """Names with ``:``, ``/``, ``|``, control characters, or ``arn`` itself are refused."""
    assert _code(swf_client.register_domain, name=name, workflowExecutionRetentionPeriodInDays="1") == (
        "ValidationException"
    )


def test_describe_unknown_domain_is_unknown_resource(swf_client: Any) -> None:
    """Describing a domain never registered answers UnknownResourceFault."""
    assert _code(swf_client.describe_domain, name="nowhere") == "UnknownResourceFault"


def test_deprecate_and_undeprecate_domain(swf_client: Any, domain_name: str) -> None:
    """Deprecation moves a domain between the REGISTERED and DEPRECATED lists, with SWF's faults when repeated."""
    _register_domain(swf_client, domain_name)
    swf_client.deprecate_domain(name=domain_name)
    assert swf_client.describe_domain(name=domain_name)["domainInfo"]["status"] == "DEPRECATED"
    assert (_names(swf_client), _names(swf_client, "DEPRECATED")) == ([], [domain_name])
    assert _code(swf_client.deprecate_domain, name=domain_name) == "DomainDeprecatedFault"
    swf_client.undeprecate_domain(name=domain_name)
    assert (_names(swf_client), _names(swf_client, "DEPRECATED")) == ([domain_name], [])
    assert _code(swf_client.undeprecate_domain, name=domain_name) == "DomainAlreadyExistsFault"
    assert _code(swf_client.deprecate_domain, name="nowhere") == "UnknownResourceFault"


def test_deprecating_a_domain_deprecates_its_types(swf_client: Any, domain_name: str) -> None:
    """DeprecateDomain deprecates every type registered in the domain, as SWF documents."""
    _register_domain(swf_client, domain_name)
    swf_client.register_workflow_type(domain=domain_name, name="flow", version="1")
    swf_client.register_activity_type(domain=domain_name, name="step", version="1")
    swf_client.deprecate_domain(name=domain_name)
    flow = swf_client.describe_workflow_type(domain=domain_name, workflowType={"name": "flow", "version": "1"})
    step = swf_client.describe_activity_type(domain=domain_name, activityType={"name": "step", "version": "1"})
    assert (flow["typeInfo"]["status"], step["typeInfo"]["status"]) == ("DEPRECATED", "DEPRECATED")
    assert "deprecationDate" in flow["typeInfo"]


def test_registering_types_in_a_deprecated_domain_is_refused(swf_client: Any, domain_name: str) -> None:
    """A deprecated domain takes no new types (UnknownResourceFault)."""
    _register_domain(swf_client, domain_name)
    swf_client.deprecate_domain(name=domain_name)
    assert _code(swf_client.register_workflow_type, domain=domain_name, name="flow", version="1") == (
        "UnknownResourceFault"
    )


def test_domain_limit_is_limit_exceeded(swf_client: Any) -> None:
    """The 101st domain answers LimitExceededFault (SWF counts registered and deprecated)."""
    for index in range(100):
        _register_domain(swf_client, f"limit-{index:03d}")
    swf_client.deprecate_domain(name="limit-000")
    assert _code(swf_client.register_domain, name="one-more", workflowExecutionRetentionPeriodInDays="1") == (
        "LimitExceededFault"
    )


# -- types --------------------------------------------------------------------------


def test_workflow_type_keeps_its_registration_defaults(swf_client: Any, domain_name: str) -> None:
    """DescribeWorkflowType returns exactly the defaults registered, with an aware creation date."""
    _register_domain(swf_client, domain_name)
    before = datetime.datetime.now(datetime.timezone.utc)
    swf_client.register_workflow_type(
        domain=domain_name,
        name="flow",
        version="1",
        description="order flow",
        defaultTaskStartToCloseTimeout="30",
        defaultExecutionStartToCloseTimeout="3600",
        defaultTaskList={"name": "deciders"},
        defaultTaskPriority="5",
        defaultChildPolicy="TERMINATE",
    )
    described = swf_client.describe_workflow_type(domain=domain_name, workflowType={"name": "flow", "version": "1"})
    assert described["configuration"] == {
        "defaultTaskStartToCloseTimeout": "30",
        "defaultExecutionStartToCloseTimeout": "3600",
        "defaultTaskList": {"name": "deciders"},
        "defaultTaskPriority": "5",
        "defaultChildPolicy": "TERMINATE",
    }
    info = described["typeInfo"]
    assert info["workflowType"] == {"name": "flow", "version": "1"}
    assert (info["status"], info["description"]) == ("REGISTERED", "order flow")
    assert (
        before - datetime.timedelta(seconds=1) <= info["creationDate"] <= datetime.datetime.now(datetime.timezone.utc)
    )
    assert "deprecationDate" not in info


def test_activity_type_keeps_its_registration_defaults(swf_client: Any, domain_name: str) -> None:
    """DescribeActivityType returns exactly the defaults registered."""
    _register_domain(swf_client, domain_name)
    swf_client.register_activity_type(
        domain=domain_name,
        name="charge",
        version="2",
        defaultTaskStartToCloseTimeout="60",
        defaultTaskHeartbeatTimeout="NONE",
        defaultTaskList={"name": "workers"},
        defaultTaskScheduleToStartTimeout="300",
        defaultTaskScheduleToCloseTimeout="360",
    )
    described = swf_client.describe_activity_type(domain=domain_name, activityType={"name": "charge", "version": "2"})
    assert described["configuration"] == {
        "defaultTaskStartToCloseTimeout": "60",
        "defaultTaskHeartbeatTimeout": "NONE",
        "defaultTaskList": {"name": "workers"},
        "defaultTaskScheduleToStartTimeout": "300",
        "defaultTaskScheduleToCloseTimeout": "360",
    }
    assert described["typeInfo"]["activityType"] == {"name": "charge", "version": "2"}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("defaultExecutionStartToCloseTimeout", "NONE"),
        ("defaultExecutionStartToCloseTimeout", "31536001"),
        ("defaultTaskStartToCloseTimeout", "soon"),
        ("defaultTaskPriority", "high"),
    ],
)
def test_bad_workflow_defaults_are_refused(swf_client: Any, domain_name: str, member: str, value: str) -> None:
    """Invalid durations and priorities are refused with ValidationException naming the member."""
    _register_domain(swf_client, domain_name)
    with pytest.raises(ClientError) as caught:
        swf_client.register_workflow_type(domain=domain_name, name="flow", version="1", **{member: value})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert member in caught.value.response["Error"]["Message"]


def test_register_type_twice_is_type_already_exists(swf_client: Any, domain_name: str) -> None:
    """The same name and version twice answers TypeAlreadyExistsFault; another version is fine."""
    _register_domain(swf_client, domain_name)
    swf_client.register_workflow_type(domain=domain_name, name="flow", version="1")
    assert _code(swf_client.register_workflow_type, domain=domain_name, name="flow", version="1") == (
        "TypeAlreadyExistsFault"
    )
    swf_client.register_workflow_type(domain=domain_name, name="flow", version="2")


def test_register_type_in_unknown_domain_is_unknown_resource(swf_client: Any) -> None:
    """Registering a type in a domain never registered answers UnknownResourceFault."""
    assert _code(swf_client.register_activity_type, domain="nowhere", name="a", version="1") == "UnknownResourceFault"


def test_type_deprecation_cycle(swf_client: Any, domain_name: str) -> None:
    """Deprecate, undeprecate and their repeat faults for a workflow type."""
    _register_domain(swf_client, domain_name)
    swf_client.register_workflow_type(domain=domain_name, name="flow", version="1")
    identity = {"name": "flow", "version": "1"}
    swf_client.deprecate_workflow_type(domain=domain_name, workflowType=identity)
    info = swf_client.describe_workflow_type(domain=domain_name, workflowType=identity)["typeInfo"]
    assert info["status"] == "DEPRECATED" and info["deprecationDate"] >= info["creationDate"]
    assert _code(swf_client.deprecate_workflow_type, domain=domain_name, workflowType=identity) == "TypeDeprecatedFault"
    swf_client.undeprecate_workflow_type(domain=domain_name, workflowType=identity)
    info = swf_client.describe_workflow_type(domain=domain_name, workflowType=identity)["typeInfo"]
    assert info["status"] == "REGISTERED" and "deprecationDate" not in info
    assert _code(swf_client.undeprecate_workflow_type, domain=domain_name, workflowType=identity) == (
        "TypeAlreadyExistsFault"
    )


def test_delete_type_requires_deprecation(swf_client: Any, domain_name: str) -> None:
    """DeleteActivityType on a registered type answers TypeNotDeprecatedFault; once deprecated it deletes."""
    _register_domain(swf_client, domain_name)
    swf_client.register_activity_type(domain=domain_name, name="step", version="1")
    identity = {"name": "step", "version": "1"}
    assert _code(swf_client.delete_activity_type, domain=domain_name, activityType=identity) == "TypeNotDeprecatedFault"
    swf_client.deprecate_activity_type(domain=domain_name, activityType=identity)
    swf_client.delete_activity_type(domain=domain_name, activityType=identity)
    assert _code(swf_client.describe_activity_type, domain=domain_name, activityType=identity) == (
        "UnknownResourceFault"
    )
    listed = swf_client.list_activity_types(domain=domain_name, registrationStatus="DEPRECATED")["typeInfos"]
    assert listed == []


def test_list_types_filters_by_name_and_status(swf_client: Any, domain_name: str) -> None:
    """ListWorkflowTypes filters on exact name and on registration status."""
    _register_domain(swf_client, domain_name)
    for name, version in [("a", "1"), ("a", "2"), ("b", "1")]:
        swf_client.register_workflow_type(domain=domain_name, name=name, version=version)
    swf_client.deprecate_workflow_type(domain=domain_name, workflowType={"name": "a", "version": "1"})

    def listed(**filters: Any) -> list[tuple[str, str]]:
        infos = swf_client.list_workflow_types(domain=domain_name, **filters)["typeInfos"]
        return [(info["workflowType"]["name"], info["workflowType"]["version"]) for info in infos]

    assert listed(registrationStatus="REGISTERED") == [("a", "2"), ("b", "1")]
    assert listed(registrationStatus="REGISTERED", name="a") == [("a", "2")]
    assert listed(registrationStatus="DEPRECATED") == [("a", "1")]
    assert listed(registrationStatus="DEPRECATED", name="b") == []


# -- pagination ---------------------------------------------------------------------


def _all_pages(call: Callable[..., Any], key: str, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    token = None
    while True:
        extra = {"nextPageToken": token} if token else {}
        answer = call(**params, **extra)
        pages.append([info["name"] if "name" in info else info["activityType"]["name"] for info in answer[key]])
        token = answer.get("nextPageToken")
        if not token:
            return pages


def test_list_domains_pages_in_name_order(swf_client: Any) -> None:
    """``maximumPageSize=2`` over five domains gives pages of 2, 2 and 1, by name; the last has no token."""
    for name in ["e", "c", "a", "d", "b"]:
        _register_domain(swf_client, name)
    pages = _all_pages(swf_client.list_domains, "domainInfos", registrationStatus="REGISTERED", maximumPageSize=2)
    assert pages == [["a", "b"], ["c", "d"], ["e"]]


def test_list_reverse_order(swf_client: Any, domain_name: str) -> None:
    """``reverseOrder`` pages through activity types in reverse name order."""
    _register_domain(swf_client, domain_name)
    for name in ["x", "y", "z"]:
        swf_client.register_activity_type(domain=domain_name, name=name, version="1")
    pages = _all_pages(
        swf_client.list_activity_types,
        "typeInfos",
        domain=domain_name,
        registrationStatus="REGISTERED",
        maximumPageSize=2,
        reverseOrder=True,
    )
    assert pages == [["z", "y"], ["x"]]


def test_page_token_survives_registrations_between_pages(swf_client: Any) -> None:
    """A page token resumes after the last item seen even when domains are added before it."""
    for name in ["b", "d", "f"]:
        _register_domain(swf_client, name)
    first = swf_client.list_domains(registrationStatus="REGISTERED", maximumPageSize=2)
    assert [info["name"] for info in first["domainInfos"]] == ["b", "d"]
    _register_domain(swf_client, "a")
    _register_domain(swf_client, "e")
    second = swf_client.list_domains(
        registrationStatus="REGISTERED", maximumPageSize=2, nextPageToken=first["nextPageToken"]
    )
    assert [info["name"] for info in second["domainInfos"]] == ["e", "f"]
    assert "nextPageToken" not in second


def test_forged_page_token_is_refused(swf_client: Any) -> None:
    """A page token the endpoint did not issue answers ValidationException."""
    for name in ["a", "b"]:
        _register_domain(swf_client, name)
    token = swf_client.list_domains(registrationStatus="REGISTERED", maximumPageSize=1)["nextPageToken"]
    for forged in ["not-a-token", token[:-1] + ("0" if token[-1] != "0" else "1"), "e30." + token.split(".")[-1]]:
        assert _code(swf_client.list_domains, registrationStatus="REGISTERED", nextPageToken=forged) == (
            "ValidationException"
        )


def test_page_token_of_another_query_is_refused(swf_client: Any) -> None:
    """A token from the REGISTERED list is refused for the DEPRECATED list or in reverse order."""
    for name in ["a", "b"]:
        _register_domain(swf_client, name)
    token = swf_client.list_domains(registrationStatus="REGISTERED", maximumPageSize=1)["nextPageToken"]
    assert _code(swf_client.list_domains, registrationStatus="DEPRECATED", nextPageToken=token) == "ValidationException"
    assert _code(swf_client.list_domains, registrationStatus="REGISTERED", nextPageToken=token, reverseOrder=True) == (
        "ValidationException"
    )


# -- tags ---------------------------------------------------------------------------


def _arn(client: Any, domain: str) -> str:
    return str(client.describe_domain(name=domain)["domainInfo"]["arn"])


def test_tags_register_add_overwrite_and_remove(swf_client: Any, domain_name: str) -> None:
    """Tags given at registration, added, overwritten and removed read back from ListTagsForResource."""
    _register_domain(swf_client, domain_name, tags=[{"key": "team", "value": "billing"}])
    arn = _arn(swf_client, domain_name)
    assert swf_client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "billing"}]
    swf_client.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "orders"}, {"key": "env", "value": "dev"}])
    assert swf_client.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "orders"},
        {"key": "env", "value": "dev"},
    ]
    swf_client.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert swf_client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]


def test_more_than_fifty_tags_is_too_many_tags(swf_client: Any, domain_name: str) -> None:
    """Going over 50 tags answers TooManyTagsFault and keeps the tags as they were."""
    _register_domain(swf_client, domain_name, tags=[{"key": f"k{index}", "value": "v"} for index in range(49)])
    arn = _arn(swf_client, domain_name)
    extra = [{"key": "x1", "value": "v"}, {"key": "x2", "value": "v"}]
    assert _code(swf_client.tag_resource, resourceArn=arn, tags=extra) == "TooManyTagsFault"
    assert len(swf_client.list_tags_for_resource(resourceArn=arn)["tags"]) == 49
    many = [{"key": f"k{index}", "value": "v"} for index in range(51)]
    assert _code(swf_client.register_domain, name="tagged", workflowExecutionRetentionPeriodInDays="1", tags=many) == (
        "TooManyTagsFault"
    )
    assert _code(swf_client.describe_domain, name="tagged") == "UnknownResourceFault"


def test_tags_of_unknown_or_malformed_arn(swf_client: Any, domain_name: str) -> None:
    """An ARN of no domain answers UnknownResourceFault; a string that is no SWF ARN, ValidationException."""
    _register_domain(swf_client, domain_name)
    arn = _arn(swf_client, domain_name)
    assert _code(swf_client.list_tags_for_resource, resourceArn=arn + "x") == "UnknownResourceFault"
    other_region = arn.replace("us-east-1", "eu-west-1")
    assert _code(swf_client.list_tags_for_resource, resourceArn=other_region) == "UnknownResourceFault"
    assert _code(swf_client.list_tags_for_resource, resourceArn="arn:aws:s3:::bucket") == "ValidationException"


# -- lookups the engine uses ----------------------------------------------------------


def test_engine_lookups_return_records() -> None:
    """``domain``, ``workflow_type`` and ``activity_type`` return records with status, configuration, retention."""
    registry = Registry(lambda: 1000.0)
    registry.register_domain({"name": "d", "workflowExecutionRetentionPeriodInDays": "NONE"})
    registry.register_workflow_type(
        {"domain": "d", "name": "w", "version": "1", "defaultTaskList": {"name": "deciders"}}
    )
    registry.register_activity_type({"domain": "d", "name": "a", "version": "1", "defaultTaskHeartbeatTimeout": "10"})
    domain = registry.domain("d")
    assert (domain.status, domain.retention_days) == ("REGISTERED", 0)
    workflow = registry.workflow_type("d", "w", "1")
    assert (workflow.status, workflow.configuration) == ("REGISTERED", {"defaultTaskList": {"name": "deciders"}})
    activity = registry.activity_type("d", "a", "1")
    assert activity.configuration == {"defaultTaskHeartbeatTimeout": "10"}
    assert activity.info()["creationDate"] == 1000.0


@pytest.mark.parametrize(
    "lookup",
    [
        lambda registry: registry.domain("missing"),
        lambda registry: registry.workflow_type("d", "missing", "1"),
        lambda registry: registry.activity_type("missing", "a", "1"),
    ],
)
def test_engine_lookups_of_missing_things_are_unknown_resource(lookup: Callable[[Registry], Any]) -> None:
    """A lookup of a missing domain or type raises ``Fault("UnknownResourceFault")``."""
    registry = Registry()
    registry.register_domain({"name": "d", "workflowExecutionRetentionPeriodInDays": "3"})
    with pytest.raises(Fault) as caught:
        lookup(registry)
    assert caught.value.code == "UnknownResourceFault"
