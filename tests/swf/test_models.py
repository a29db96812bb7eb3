"""The models against the local SWF endpoint: registration, sync checks, executions."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from swf.connection import call
from swf.exceptions import (
    AlreadyExistsError,
    ConnectionError,  # noqa: A004 - swf's own, the one under test
    DoesNotExistError,
    DomainAlreadyExistsError,
    DomainDeprecatedError,
    ThrottlingError,
    TypeAlreadyExistsError,
    TypeDeprecatedError,
    ValidationError,
    WorkflowExecutionAlreadyStartedError,
)
from swf.models import (
    CLOSED,
    CONTINUED_AS_NEW,
    DEPRECATED,
    NO_LIMIT,
    OPEN,
    REGISTERED,
    TERMINATED,
    ActivityType,
    Difference,
    Domain,
    OpenCounts,
    WorkflowExecution,
    WorkflowType,
)
from swf.models.history import History


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> Domain:
    """A registered domain, bound to the local endpoint's client."""
    model = Domain(domain_name, description="models", retention_period=timedelta(days=3), client=swf_client)
    model.save()
    return model


@pytest.fixture
def workflow_type(domain: Domain) -> WorkflowType:
    """A registered workflow type with every default SWF needs to start it."""
    model = WorkflowType(
        domain,
        "Pipeline",
        "1.0",
        default_task_list="deciders",
        default_execution_start_to_close_timeout=timedelta(hours=1),
        default_task_start_to_close_timeout=timedelta(seconds=30),
        default_child_policy="TERMINATE",
    )
    model.save()
    return model


# -- identity and values ---------------------------------------------------------------


def test_identity_equality_hash_and_repr() -> None:
    """Models are equal, hash and repr on their SWF identifiers only."""
    assert Domain("test1", description="a") == Domain("test1", description="b")
    assert hash(Domain("test1", description="a")) == hash(Domain("test1"))
    assert repr(Domain("test1")) == "Domain('test1')"
    assert repr(WorkflowType(Domain("d"), "TestType1", "1.0")) == "WorkflowType('TestType1', '1.0')"
    assert WorkflowType(Domain("d"), "T", "1") == WorkflowType(Domain("d"), "T", "1", description="x")
    assert WorkflowType(Domain("d"), "T", "1") != WorkflowType(Domain("e"), "T", "1")
    assert WorkflowType(Domain("d"), "T", "1") != ActivityType(Domain("d"), "T", "1")
    assert repr(WorkflowExecution(Domain("d"), "order-1", "run-9")) == "WorkflowExecution('order-1', 'run-9')"
    assert {Domain("a"), Domain("a", status=DEPRECATED)} == {Domain("a")}


def test_domain_must_be_a_domain_model() -> None:
    """A type or execution built on anything but a Domain raises ValidationError naming domain."""
    with pytest.raises(ValidationError, match="^domain must be a Domain, not str"):
        WorkflowType("d", "T", "1")  # type: ignore[arg-type]


def test_models_are_immutable() -> None:
    """Assigning to a model attribute raises instead of silently diverging from SWF."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Domain("a").description = "changed"  # type: ignore[misc]


def test_client_is_injected_and_inherited(swf_client: Any) -> None:
    """A type or execution built on a domain uses the domain's client; none is created per model."""
    domain = Domain("d", client=swf_client)
    assert WorkflowType(domain, "T", "1").client is swf_client
    assert ActivityType(domain, "A", "1").client is swf_client
    assert WorkflowExecution(domain, "w", "r").client is swf_client
    assert Domain("d").client is None


def test_version_over_64_characters_is_refused_before_any_call() -> None:
    """A 65-character version raises ValidationError naming `version` at construction."""
    with pytest.raises(ValidationError, match=r"^version must be at most 64 characters \(got 65\)$"):
        WorkflowType(Domain("d"), "T", "v" * 65)
    with pytest.raises(ValidationError, match="^version "):
        ActivityType(Domain("d"), "A", "v" * 65)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retention_period": timedelta(days=-1)}, "retention_period must not be negative"),
        ({"retention_period": timedelta(days=91)}, "retention_period must be at most 90 days"),
        ({"retention_period": timedelta(hours=36)}, "retention_period must be whole days"),
        ({"retention_period": 7}, "retention_period must be a timedelta of whole days, not int"),
        ({"status": "ACTIVE"}, "status must be one of REGISTERED, DEPRECATED"),
        ({"description": "x" * 1025}, "description must be at most 1024 characters"),
    ],
)
def test_bad_domain_attributes_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Domain attributes SWF would refuse raise ValidationError naming the attribute."""
    with pytest.raises(ValidationError, match=f"^{message}"):
        Domain("d", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"default_task_start_to_close_timeout": timedelta(seconds=-1)}, "default_task_start_to_close_timeout"),
        ({"default_task_start_to_close_timeout": 30}, "default_task_start_to_close_timeout must be a timedelta"),
        ({"default_child_policy": "KILL"}, "default_child_policy must be one of"),
        ({"default_task_priority": "high"}, "default_task_priority must be an int"),
        ({"default_task_list": "a:b"}, "default_task_list 'a:b' breaks SWF's naming rule"),
        (
            {"default_task_start_to_close_timeout": "NONE"},
            "default_task_start_to_close_timeout must be a timedelta or NO_LIMIT",
        ),
        (
            {"default_execution_start_to_close_timeout": NO_LIMIT},
            r"default_execution_start_to_close_timeout must be a timedelta \(SWF takes no NO_LIMIT here\)",
        ),
    ],
)
def test_bad_type_defaults_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Type defaults SWF would refuse raise ValidationError naming the default."""
    with pytest.raises(ValidationError, match=f"^{message}"):
        WorkflowType(Domain("d"), "T", "1", **kwargs)


def test_names_follow_swf_naming_rule() -> None:
    """Names with ':', '/', '|', control characters or edge whitespace, or 'arn', are refused."""
    for bad in ("a/b", "a|b", " lead", "tail ", "tab\there", "arn"):
        with pytest.raises(ValidationError, match="^name "):
            WorkflowType(Domain("d"), bad, "1")


# -- domains ---------------------------------------------------------------------------


def test_domain_save_registers_every_attribute(swf_client: Any, domain_name: str) -> None:
    """save() registers the domain; upstream() reads back description, retention and tags."""
    Domain(
        domain_name,
        description="orders",
        retention_period=timedelta(days=5),
        tags={"team": "ops", "empty": ""},
        client=swf_client,
    ).save()
    upstream = Domain(domain_name, client=swf_client).upstream()
    assert (upstream.status, upstream.description, upstream.retention_period, dict(upstream.tags or {})) == (
        REGISTERED,
        "orders",
        timedelta(days=5),
        {"team": "ops", "empty": ""},
    )
    assert upstream.arn and upstream.arn.endswith(domain_name)


def test_domain_falsy_values_are_sent(swf_client: Any, domain_name: str) -> None:
    """An empty description and a zero-day retention are sent as such, not dropped."""
    Domain(domain_name, description="", retention_period=timedelta(0), client=swf_client).save()
    upstream = Domain(domain_name, client=swf_client).upstream()
    assert (upstream.description, upstream.retention_period) == ("", timedelta(0))


def test_domain_exists_and_is_synced(swf_client: Any, domain_name: str) -> None:
    """exists and is_synced are False before save() and True right after it."""
    domain = Domain(domain_name, description="d", client=swf_client)
    assert (domain.exists, domain.is_synced) == (False, False)
    domain.save()
    assert (domain.exists, domain.is_synced, domain.changes) == (True, True, [])


def test_domain_changes_after_remote_deprecation(domain: Domain, swf_client: Any) -> None:
    """A deprecation made elsewhere shows as a status Difference; upstream() resyncs."""
    Domain(domain.name, client=swf_client).deprecate()
    assert domain.is_synced is False
    assert domain.changes == [Difference("status", REGISTERED, DEPRECATED)]
    fresh = domain.upstream()
    assert (fresh.status, fresh.is_synced, fresh.changes) == (DEPRECATED, True, [])


def test_domain_undeprecate(domain: Domain) -> None:
    """undeprecate() makes a deprecated domain registered again."""
    domain.deprecate()
    domain.undeprecate()
    assert domain.upstream().status == REGISTERED


def test_domain_duplicate_registration_raises(domain: Domain) -> None:
    """Registering a taken domain name raises DomainAlreadyExistsError, an AlreadyExistsError."""
    with pytest.raises(DomainAlreadyExistsError) as caught:
        Domain(domain.name, client=domain.client).save()
    assert isinstance(caught.value, AlreadyExistsError)
    assert caught.value.error_code == "DomainAlreadyExistsFault"


def test_domain_deprecate_twice_raises(domain: Domain) -> None:
    """deprecate() does not swallow errors: deprecating twice raises DomainDeprecatedError."""
    domain.deprecate()
    with pytest.raises(DomainDeprecatedError):
        domain.deprecate()


def test_save_deprecate_and_exists_do_not_hide_unexpected_errors(
    local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """save(), deprecate() and exists raise a throttled or dropped call instead of swallowing it."""
    domain = Domain(domain_name, client=swf_client)
    local_swf.inject_fault("RegisterDomain", "throttle")
    with pytest.raises(ThrottlingError):
        domain.save()
    assert domain.exists is False  # the throttled registration did not happen
    domain.save()
    local_swf.inject_fault("DeprecateDomain", "throttle")
    with pytest.raises(ThrottlingError):
        domain.deprecate()
    local_swf.inject_fault("DescribeDomain", "drop")
    with pytest.raises(ConnectionError):
        _ = domain.exists
    assert domain.upstream().status == REGISTERED


def test_unknown_domain(swf_client: Any, domain_name: str) -> None:
    """An unknown domain: exists is False, upstream() and deprecate() raise DoesNotExistError."""
    domain = Domain(domain_name, client=swf_client)
    assert domain.exists is False
    with pytest.raises(DoesNotExistError):
        domain.upstream()
    with pytest.raises(DoesNotExistError):
        domain.deprecate()
    with pytest.raises(DoesNotExistError):
        _ = domain.changes


# -- workflow and activity types -------------------------------------------------------


def test_workflow_type_round_trip(domain: Domain) -> None:
    """save() registers every default; upstream() reads them back as timedelta/int/str."""
    local = WorkflowType(
        domain,
        "Full",
        "2",
        description="all defaults",
        default_task_start_to_close_timeout=timedelta(minutes=5),
        default_execution_start_to_close_timeout=timedelta(days=2),
        default_task_list="decide",
        default_task_priority=-3,
        default_child_policy="ABANDON",
        default_lambda_role="arn:aws:iam::123456789012:role/swf-lambda",
    )
    local.save()
    upstream = local.upstream()
    assert [getattr(upstream, name) for name in WorkflowType._compared] == [
        REGISTERED,
        "all defaults",
        timedelta(minutes=5),
        timedelta(days=2),
        "decide",
        -3,
        "ABANDON",
        "arn:aws:iam::123456789012:role/swf-lambda",
    ]
    assert upstream.creation_date is not None and upstream.creation_date.tzinfo is not None
    assert (local.is_synced, local.changes) == (True, [])


def test_type_falsy_defaults_are_sent(domain: Domain) -> None:
    """A zero priority, a zero timeout and an empty description are registered, not dropped."""
    local = ActivityType(
        domain,
        "Zero",
        "1",
        description="",
        default_task_priority=0,
        default_task_start_to_close_timeout=timedelta(0),
    )
    local.save()
    upstream = local.upstream()
    assert (upstream.description, upstream.default_task_priority, upstream.default_task_start_to_close_timeout) == (
        "",
        0,
        timedelta(0),
    )


def test_activity_type_round_trip(domain: Domain) -> None:
    """An activity type's defaults survive save() and upstream()."""
    local = ActivityType(
        domain,
        "Resize",
        "1.0",
        default_task_list="workers",
        default_task_heartbeat_timeout=timedelta(seconds=20),
        default_task_schedule_to_start_timeout=timedelta(minutes=1),
        default_task_schedule_to_close_timeout=timedelta(minutes=10),
        default_task_start_to_close_timeout=timedelta(minutes=9),
        default_task_priority=7,
    )
    local.save()
    upstream = local.upstream()
    assert (
        upstream.default_task_list,
        upstream.default_task_heartbeat_timeout,
        upstream.default_task_schedule_to_start_timeout,
        upstream.default_task_schedule_to_close_timeout,
        upstream.default_task_start_to_close_timeout,
        upstream.default_task_priority,
    ) == ("workers", timedelta(seconds=20), timedelta(minutes=1), timedelta(minutes=10), timedelta(minutes=9), 7)
    assert local.is_synced is True


def test_unlimited_default_is_registered_as_none_and_reads_back_the_same(domain: Domain, swf_client: Any) -> None:
    """NO_LIMIT is registered as "NONE", read back as NO_LIMIT and in sync; an unset default stays None."""
    local = ActivityType(
        domain,
        "Unlimited",
        "1",
        default_task_heartbeat_timeout=NO_LIMIT,
        default_task_start_to_close_timeout=timedelta(minutes=5),
    )
    local.save()
    configuration = call(
        swf_client, "DescribeActivityType", domain=domain.name, activityType={"name": "Unlimited", "version": "1"}
    )["configuration"]
    assert configuration["defaultTaskHeartbeatTimeout"] == "NONE"
    assert "defaultTaskScheduleToStartTimeout" not in configuration
    upstream = local.upstream()
    assert (upstream.default_task_heartbeat_timeout, upstream.default_task_schedule_to_start_timeout) == (
        NO_LIMIT,
        None,
    )
    assert local.is_synced is True


def test_unlimited_default_differs_from_no_default(domain: Domain) -> None:
    """A type registered with NO_LIMIT is not in sync with a local model that registers no default."""
    ActivityType(domain, "Unlimited", "2", default_task_heartbeat_timeout=NO_LIMIT).save()
    local = ActivityType(domain, "Unlimited", "2")
    assert local.changes == [Difference("default_task_heartbeat_timeout", None, NO_LIMIT)]


def test_workflow_type_unlimited_decision_timeout_round_trip(domain: Domain) -> None:
    """A workflow type's default decision task timeout may be NO_LIMIT, and reads back the same."""
    local = WorkflowType(domain, "Unlimited", "1", default_task_start_to_close_timeout=NO_LIMIT)
    local.save()
    assert local.upstream().default_task_start_to_close_timeout is NO_LIMIT
    assert local.is_synced is True


def test_type_changes_deprecate_and_undeprecate(domain: Domain) -> None:
    """deprecate() (seen as a status Difference), undeprecate() restores; twice raises."""
    local = ActivityType(domain, "Flip", "1")
    local.save()
    local.deprecate()
    assert local.changes == [Difference("status", REGISTERED, DEPRECATED)]
    assert local.upstream().deprecation_date is not None
    with pytest.raises(TypeDeprecatedError):
        local.deprecate()
    local.undeprecate()
    assert local.is_synced is True


def test_type_changes_name_the_differing_default(domain: Domain) -> None:
    """A local default unlike the registered one is listed as a Difference."""
    ActivityType(domain, "Diff", "1", default_task_priority=1).save()
    local = ActivityType(domain, "Diff", "1", default_task_priority=2)
    assert local.changes == [Difference("default_task_priority", 2, 1)]


def test_type_duplicate_registration_raises(workflow_type: WorkflowType) -> None:
    """Registering a taken name and version raises TypeAlreadyExistsError."""
    with pytest.raises(TypeAlreadyExistsError):
        WorkflowType(workflow_type.domain, workflow_type.name, workflow_type.version).save()


def test_type_in_unknown_domain(swf_client: Any, domain_name: str) -> None:
    """Registering or describing a type of an unknown domain raises DoesNotExistError."""
    model = WorkflowType(Domain(domain_name, client=swf_client), "T", "1")
    with pytest.raises(DoesNotExistError):
        model.save()
    assert model.exists is False


# -- executions ------------------------------------------------------------------------


def test_start_execution_uses_defaults_and_overrides(workflow_type: WorkflowType) -> None:
    """start_execution() returns an open execution; SWF applies the type's defaults unless overridden."""
    execution = workflow_type.start_execution(
        "order-1",
        input='{"n": 1}',
        tag_list=["red", "blue"],
        task_list="priority-deciders",
        task_priority=0,
        task_start_to_close_timeout=timedelta(seconds=10),
    )
    assert (execution.workflow_id, execution.status, execution.workflow_type) == ("order-1", OPEN, workflow_type)
    upstream = execution.upstream()
    assert (
        upstream.input,
        upstream.tags,
        upstream.task_list,
        upstream.task_priority,
        upstream.task_start_to_close_timeout,
        upstream.execution_start_to_close_timeout,
        upstream.child_policy,
        upstream.status,
        upstream.close_status,
        upstream.parent,
    ) == (
        '{"n": 1}',
        ("red", "blue"),
        "priority-deciders",
        0,
        timedelta(seconds=10),
        timedelta(hours=1),
        "TERMINATE",
        OPEN,
        None,
        None,
    )
    assert upstream.open_counts == OpenCounts(0, 1, 0, 0, 0)
    assert upstream.start_timestamp is not None and upstream.start_timestamp.tzinfo is not None
    assert execution.is_synced is True


def test_no_input_sends_no_input(workflow_type: WorkflowType) -> None:
    """Without input nothing is sent: SWF records no input (never the string "null")."""
    execution = workflow_type.start_execution("no-input")
    started = execution.history()[0]
    assert started.event_type == "WorkflowExecutionStarted"
    assert "input" not in started.raw["workflowExecutionStartedEventAttributes"]
    assert execution.upstream().input is None


def test_empty_input_is_sent(workflow_type: WorkflowType) -> None:
    """An empty string input is sent as such."""
    execution = workflow_type.start_execution("empty-input", input="")
    assert execution.upstream().input == ""


def test_bad_start_input_is_refused_before_any_call(workflow_type: WorkflowType) -> None:
    """Bad start arguments raise ValidationError naming them; no execution is started."""
    with pytest.raises(ValidationError, match="^input must be a str"):
        workflow_type.start_execution("bad", input={"n": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="^tag_list must hold at most 5 tags"):
        workflow_type.start_execution("bad", tag_list=["a", "b", "c", "d", "e", "f"])
    with pytest.raises(ValidationError, match="^child_policy must be one of"):
        workflow_type.start_execution("bad", child_policy="KILL")
    with pytest.raises(ValidationError, match="^workflow_id must be at least 1 characters"):
        workflow_type.start_execution("")
    assert not WorkflowType(workflow_type.domain, "Other", "1").exists
    from swf.querysets import WorkflowExecutionQuerySet

    assert WorkflowExecutionQuerySet(workflow_type.domain).filter(workflow_id="bad").count() == 0


def test_duplicate_start_raises(workflow_type: WorkflowType) -> None:
    """Starting a second open execution with the same workflow id raises, naming the open run's id."""
    first = workflow_type.start_execution("dup")
    with pytest.raises(WorkflowExecutionAlreadyStartedError) as caught:
        workflow_type.start_execution("dup")
    assert isinstance(caught.value, AlreadyExistsError)
    assert (caught.value.workflow_id, caught.value.run_id) == ("dup", first.run_id)
    assert caught.value.error_code == "WorkflowExecutionAlreadyStartedFault"
    assert str(caught.value).endswith(f"(the open run is {first.run_id})")


def test_start_of_deprecated_type_raises(workflow_type: WorkflowType) -> None:
    """Starting an execution of a deprecated type raises TypeDeprecatedError."""
    workflow_type.deprecate()
    with pytest.raises(TypeDeprecatedError):
        workflow_type.start_execution("late")


def test_signal_is_recorded_with_its_input(workflow_type: WorkflowType) -> None:
    """signal() adds a WorkflowExecutionSignaled event with its name and input ("" and absent kept apart)."""
    execution = workflow_type.start_execution("signal-me")
    execution.signal("go", input="payload")
    execution.signal("empty", input="")
    execution.signal("bare")
    signals = [
        e.raw["workflowExecutionSignaledEventAttributes"]
        for e in execution.history()
        if e.event_type == "WorkflowExecutionSignaled"
    ]
    assert signals == [
        {"signalName": "go", "input": "payload"},
        {"signalName": "empty", "input": ""},
        {"signalName": "bare"},
    ]


def test_request_cancel(workflow_type: WorkflowType) -> None:
    """request_cancel() marks the execution cancel-requested and records the request."""
    execution = workflow_type.start_execution("cancel-me")
    execution.request_cancel()
    assert execution.upstream().cancel_requested is True
    assert execution.changes == [Difference("cancel_requested", False, True)]
    assert "WorkflowExecutionCancelRequested" in [e.event_type for e in execution.history()]


def test_terminate_closes_with_reason_details_and_policy(workflow_type: WorkflowType) -> None:
    """terminate() closes the run as TERMINATED, recording reason, details and child policy."""
    execution = workflow_type.start_execution("end-me")
    execution.terminate(reason="operator", details="", child_policy="ABANDON")
    upstream = execution.upstream()
    assert (upstream.status, upstream.close_status) == (CLOSED, TERMINATED)
    assert upstream.close_timestamp is not None
    last = execution.history()[-1]
    assert last.event_type == "WorkflowExecutionTerminated"
    assert last.raw["workflowExecutionTerminatedEventAttributes"] == {
        "reason": "operator",
        "details": "",
        "childPolicy": "ABANDON",
        "cause": "OPERATOR_INITIATED",
    }
    assert [d.attr for d in execution.changes][:2] == ["status", "close_status"]
    with pytest.raises(DoesNotExistError):
        execution.signal("too-late")


def test_history_follows_every_page(workflow_type: WorkflowType) -> None:
    """history() reads every page: 2 events a page still gives the whole history, in order."""
    execution = workflow_type.start_execution("long-history")
    for n in range(7):
        execution.signal(f"s{n}")
    whole = execution.history()
    paged = execution.history(page_size=2)
    newest_first = execution.history(page_size=3, reverse_order=True)
    assert isinstance(paged, History)
    assert len(whole) >= 9
    assert [e.event_id for e in paged] == [e.event_id for e in whole] == list(range(1, len(whole) + 1))
    assert [e.event_id for e in newest_first] == [e.event_id for e in whole]
    signal_names = [
        e.raw["workflowExecutionSignaledEventAttributes"]["signalName"]
        for e in paged
        if e.event_type == "WorkflowExecutionSignaled"
    ]
    assert signal_names == [f"s{n}" for n in range(7)]


def test_unknown_execution(domain: Domain) -> None:
    """An unknown execution: exists is False, upstream() and history() raise DoesNotExistError."""
    execution = WorkflowExecution(domain, "ghost", "no-such-run")
    assert execution.exists is False
    assert execution.is_synced is False
    with pytest.raises(DoesNotExistError):
        execution.upstream()
    with pytest.raises(DoesNotExistError):
        execution.history()


def test_continued_as_new_close_status(workflow_type: WorkflowType, swf_client: Any) -> None:
    """A run closed by continue-as-new reads back with close_status CONTINUED_AS_NEW and is found by it."""
    from swf.querysets import WorkflowExecutionQuerySet

    first = workflow_type.start_execution("renewed", input="generation-1")
    # A bare decider, straight on the client: poll once and continue as new.
    task = swf_client.poll_for_decision_task(domain=workflow_type.domain.name, taskList={"name": "deciders"})
    assert task["workflowExecution"]["runId"] == first.run_id
    swf_client.respond_decision_task_completed(
        taskToken=task["taskToken"],
        decisions=[
            {
                "decisionType": "ContinueAsNewWorkflowExecution",
                "continueAsNewWorkflowExecutionDecisionAttributes": {"input": "generation-2"},
            }
        ],
    )
    closed = first.upstream()
    assert CONTINUED_AS_NEW == "CONTINUED_AS_NEW"
    assert (closed.status, closed.close_status) == (CLOSED, CONTINUED_AS_NEW)
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)
    assert list(queryset.filter(close_status=CONTINUED_AS_NEW)) == [first]
    second = queryset.get("renewed")
    assert (second.status, second.input) == (OPEN, "generation-2")
    assert second.run_id != first.run_id


def test_execution_times_must_be_aware() -> None:
    """A naive start time is refused: times are timezone-aware."""
    with pytest.raises(ValidationError, match="^start_timestamp must be timezone-aware"):
        WorkflowExecution(Domain("d"), "w", "r", start_timestamp=datetime(2024, 1, 1))
    assert WorkflowExecution(
        Domain("d"), "w", "r", start_timestamp=datetime(2024, 1, 1, tzinfo=timezone.utc)
    ).start_timestamp


def test_terminate_truncates_long_reason_and_keeps_it_in_details(workflow_type: WorkflowType) -> None:
    """terminate() with a 300-character reason records 256 characters, marked, and the full text in details."""
    execution = workflow_type.start_execution(workflow_id="long-reason")
    reason = "r" * 300
    execution.terminate(reason=reason, details="more")
    event = execution.history()[-1]
    attributes = event.raw["workflowExecutionTerminatedEventAttributes"]
    assert len(attributes["reason"]) == 256
    assert "truncated" in attributes["reason"]
    assert attributes["details"] == reason + "\n\nmore"


def test_delete_warns_and_still_deprecates(domain: Domain) -> None:
    """The old delete() name emits a DeprecationWarning naming deprecate() and deprecates the type and the domain."""
    workflow_type = WorkflowType(domain, "OldName", "1")
    workflow_type.save()
    with pytest.warns(DeprecationWarning, match=r"WorkflowType\.delete\(\) deprecates; call deprecate\(\)"):
        workflow_type.delete()
    assert workflow_type.upstream().status == DEPRECATED
    with pytest.warns(DeprecationWarning, match=r"Domain\.delete\(\)"):
        domain.delete()
    assert domain.upstream().status == DEPRECATED
