"""The querysets against the local SWF endpoint: laziness, paging, filters, get_or_create."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import gevent
import gevent.event
import pytest

from swf.exceptions import DoesNotExistError, ValidationError
from swf.models import ActivityType, Domain, WorkflowExecution, WorkflowType
from swf.querysets import (
    CLOSED,
    DEPRECATED,
    OPEN,
    REGISTERED,
    ActivityTypeQuerySet,
    DomainQuerySet,
    WorkflowExecutionQuerySet,
    WorkflowTypeQuerySet,
)


@pytest.fixture
def calls(swf_client: Any) -> Counter[str]:
    """Counts the SWF operations the client sends, by operation name."""
    sent: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        sent[model.name] += 1

    swf_client.meta.events.register("before-call.swf", count)
    return sent


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> Domain:
    """A registered domain bound to the local endpoint's client."""
    return DomainQuerySet(client=swf_client).create(domain_name, retention_period=timedelta(days=1))


@pytest.fixture
def workflow_type(domain: Domain) -> WorkflowType:
    """A workflow type with the defaults needed to start it."""
    return WorkflowTypeQuerySet(domain).create(
        "Flow",
        "1",
        default_task_list="deciders",
        default_execution_start_to_close_timeout=timedelta(hours=1),
        default_task_start_to_close_timeout=timedelta(minutes=1),
        default_child_policy="TERMINATE",
    )


def hold_until_both(swf_client: Any, operation: str) -> Callable[[], int]:
    """Make the first two ``operation`` calls wait for each other, so both race; returns a call counter."""
    arrived = []
    both = gevent.event.Event()

    def wait(**_: Any) -> None:
        arrived.append(1)
        if len(arrived) == 2:
            both.set()
        both.wait(timeout=5)

    swf_client.meta.events.register(f"before-call.swf.{operation}", wait)
    return lambda: len(arrived)


# -- laziness and paging -------------------------------------------------------------


def test_querysets_send_nothing_until_iterated(swf_client: Any, domain: Domain, calls: Counter[str]) -> None:
    """Building, filtering and chaining send nothing; iterating sends the listing."""
    calls.clear()
    domains = DomainQuerySet(client=swf_client).all().filter(status=REGISTERED)
    types = WorkflowTypeQuerySet(domain).filter(name="x").filter(version="1")
    executions = WorkflowExecutionQuerySet(domain).filter(tag="t").filter(status=CLOSED)
    assert calls == Counter()
    assert list(domains) == [domain]
    assert (list(types), list(executions)) == ([], [])
    assert calls == Counter({"ListDomains": 1, "ListWorkflowTypes": 1, "ListClosedWorkflowExecutions": 1})


def test_domain_listing_spans_pages(swf_client: Any, domain_name: str, calls: Counter[str]) -> None:
    """With 2 domains a page, 5 domains take 3 ListDomains calls and all are listed."""
    names = [f"{domain_name}-{n}" for n in range(5)]
    for name in names:
        Domain(name, client=swf_client).save()
    calls.clear()
    listed = list(DomainQuerySet(client=swf_client, page_size=2))
    assert sorted(d.name for d in listed) == names
    assert calls["ListDomains"] == 3


def test_type_listing_spans_pages(domain: Domain, calls: Counter[str]) -> None:
    """With 2 types a page, 5 activity types are all listed over 3 calls."""
    for n in range(5):
        ActivityType(domain, f"A{n}", "1").save()
    calls.clear()
    listed = list(ActivityTypeQuerySet(domain, page_size=2).all())
    assert sorted(t.name for t in listed) == [f"A{n}" for n in range(5)]
    assert calls["ListActivityTypes"] == 3


def test_execution_listing_and_count_span_pages(workflow_type: WorkflowType, calls: Counter[str]) -> None:
    """With 2 executions a page, 5 open executions are all listed; count() agrees."""
    for n in range(5):
        workflow_type.start_execution(f"run-{n}")
    calls.clear()
    executions = WorkflowExecutionQuerySet(workflow_type.domain, page_size=2)
    assert sorted(e.workflow_id for e in executions) == [f"run-{n}" for n in range(5)]
    assert calls["ListOpenWorkflowExecutions"] == 3
    assert executions.count() == 5


def test_page_size_is_checked() -> None:
    """A page size outside 1..1000 raises ValidationError naming page_size."""
    for bad in (0, 1001, "10"):
        with pytest.raises(ValidationError, match="^page_size must be an int from 1 to 1000"):
            DomainQuerySet(page_size=bad)  # type: ignore[arg-type]


def test_repr_and_iteration_reask_swf(swf_client: Any, domain: Domain, calls: Counter[str]) -> None:
    """repr() shows the models as a list; each iteration asks SWF again."""
    queryset = DomainQuerySet(client=swf_client)
    assert repr(queryset.all()) == f"[Domain({domain.name!r})]"
    calls.clear()
    assert list(queryset) == list(queryset) == [domain]
    assert calls["ListDomains"] == 2
    assert bool(queryset) is True
    assert bool(queryset.filter(status=DEPRECATED)) is False


# -- domains -------------------------------------------------------------------------


def test_domain_get_and_filters(swf_client: Any, domain_name: str) -> None:
    """get() describes one domain; filter() narrows by status and name."""
    queryset = DomainQuerySet(client=swf_client)
    kept = queryset.create(f"{domain_name}-kept", description="kept", tags={"k": "v"})
    gone = queryset.create(f"{domain_name}-gone")
    gone.deprecate()
    got = queryset.get(kept.name)
    assert (got, got.description, dict(got.tags or {}), got.retention_period) == (
        kept,
        "kept",
        {"k": "v"},
        timedelta(days=30),
    )
    assert list(queryset.all()) == [kept]
    assert list(queryset.filter(status=DEPRECATED)) == [gone]
    assert list(queryset.filter(name=kept.name)) == [kept]
    assert list(queryset.filter(status=DEPRECATED, name=kept.name)) == []
    assert queryset.filter(status=DEPRECATED).count() == 1


def test_listed_domains_are_synced(swf_client: Any, domain: Domain) -> None:
    """A listed domain (no retention in the listing) is in sync: unknown attributes are not compared."""
    (listed,) = DomainQuerySet(client=swf_client)
    assert listed.retention_period is None
    assert (listed.is_synced, listed.changes) == (True, [])


def test_domain_get_unknown_raises(swf_client: Any, domain_name: str) -> None:
    """get() of an unknown domain raises DoesNotExistError (a LookupError)."""
    with pytest.raises(DoesNotExistError) as caught:
        DomainQuerySet(client=swf_client).get(domain_name)
    assert isinstance(caught.value, LookupError)


def test_domain_get_or_create_existing(domain: Domain, swf_client: Any, calls: Counter[str]) -> None:
    """get_or_create() of an existing domain returns it untouched and registers nothing."""
    calls.clear()
    got = DomainQuerySet(client=swf_client).get_or_create(domain.name, description="ignored")
    assert (got, got.description) == (domain, None)
    assert calls["RegisterDomain"] == 0


def test_domain_get_or_create_race(swf_client: Any, domain_name: str) -> None:
    """Two greenlets racing get_or_create() both get the domain; it is registered once."""
    queryset = DomainQuerySet(client=swf_client)
    registrations = hold_until_both(swf_client, "RegisterDomain")
    with gevent.Timeout(10):
        racers = [gevent.spawn(queryset.get_or_create, domain_name, description="race") for _ in range(2)]
        gevent.joinall(racers, raise_error=True)
    first, second = (racer.value for racer in racers)
    assert first == second == Domain(domain_name)
    assert first.description == second.description == "race"
    assert registrations() == 2  # both tried; one lost with DomainAlreadyExists and re-read
    assert [d.name for d in queryset.filter(name=domain_name)] == [domain_name]


def test_bad_filters_are_refused() -> None:
    """An unknown registration status raises ValidationError naming status."""
    with pytest.raises(ValidationError, match="^status must be one of REGISTERED, DEPRECATED"):
        DomainQuerySet().filter(status="GONE")
    with pytest.raises(ValidationError, match="^status must be one of"):
        WorkflowTypeQuerySet("d").filter(status="OPEN")


# -- types ---------------------------------------------------------------------------


def test_type_filters(domain: Domain) -> None:
    """Type listings filter by registration status, name and version."""
    queryset = WorkflowTypeQuerySet(domain)
    for name, version in (("A", "1"), ("A", "2"), ("B", "1")):
        queryset.create(name, version)
    WorkflowType(domain, "A", "2").deprecate()
    assert sorted(map(repr, queryset.all())) == ["WorkflowType('A', '1')", "WorkflowType('B', '1')"]
    assert list(queryset.filter(status=DEPRECATED)) == [WorkflowType(domain, "A", "2")]
    assert list(queryset.filter(name="A")) == [WorkflowType(domain, "A", "1")]
    assert sorted(map(repr, queryset.filter(version="1"))) == ["WorkflowType('A', '1')", "WorkflowType('B', '1')"]
    assert list(queryset.filter(name="B", version="2")) == []
    assert queryset.count() == 2


def test_type_get_reads_defaults_and_listing_leaves_them_unknown(workflow_type: WorkflowType) -> None:
    """get() gives the registered defaults; a listed type leaves them unknown yet is in sync."""
    queryset = WorkflowTypeQuerySet(workflow_type.domain)
    got = queryset.get("Flow", "1")
    assert (got.default_task_list, got.default_execution_start_to_close_timeout) == ("deciders", timedelta(hours=1))
    (listed,) = queryset.all()
    assert (listed.default_task_list, listed.is_synced) == (None, True)
    assert listed.creation_date == got.creation_date


def test_type_get_unknown_raises(domain: Domain, swf_client: Any, domain_name: str) -> None:
    """get() of an unknown type, or in an unknown domain, raises DoesNotExistError."""
    with pytest.raises(DoesNotExistError):
        ActivityTypeQuerySet(domain).get("Nope", "1")
    with pytest.raises(DoesNotExistError):
        ActivityTypeQuerySet(Domain(f"{domain_name}-x", client=swf_client)).get("Nope", "1")


def test_type_version_checked_before_any_call(domain: Domain, calls: Counter[str]) -> None:
    """create() and get() with a 65-character version raise ValidationError naming version, sending nothing."""
    calls.clear()
    with pytest.raises(ValidationError, match="^version "):
        WorkflowTypeQuerySet(domain).create("T", "v" * 65)
    with pytest.raises(ValidationError, match="^version "):
        ActivityTypeQuerySet(domain).get("T", "v" * 65)
    assert calls == Counter()


def test_type_get_or_create_race(domain: Domain, swf_client: Any) -> None:
    """Two greenlets racing get_or_create() both get the type; it is registered once."""
    queryset = ActivityTypeQuerySet(domain)
    registrations = hold_until_both(swf_client, "RegisterActivityType")
    with gevent.Timeout(10):
        racers = [gevent.spawn(queryset.get_or_create, "Raced", "1", default_task_list="w") for _ in range(2)]
        gevent.joinall(racers, raise_error=True)
    first, second = (racer.value for racer in racers)
    assert first == second == ActivityType(domain, "Raced", "1")
    assert first.default_task_list == second.default_task_list == "w"
    assert registrations() == 2
    assert list(queryset.filter(name="Raced")) == [first]


# -- executions ----------------------------------------------------------------------


@pytest.fixture
def executions(workflow_type: WorkflowType) -> dict[str, WorkflowExecution]:
    """Four executions: two open (tagged), one terminated, one cancel-requested then terminated."""
    other = WorkflowTypeQuerySet(workflow_type.domain).create(
        "Other",
        "1",
        default_task_list="deciders",
        default_execution_start_to_close_timeout=timedelta(hours=1),
        default_task_start_to_close_timeout=timedelta(minutes=1),
        default_child_policy="TERMINATE",
    )
    made = {
        "open-a": workflow_type.start_execution("open-a", tag_list=["blue"]),
        "open-b": other.start_execution("open-b", tag_list=["green"]),
        "ended": workflow_type.start_execution("ended"),
    }
    made["ended"].terminate(reason="done")
    return made


def test_execution_filters(executions: dict[str, WorkflowExecution], workflow_type: WorkflowType) -> None:
    """Open/closed executions filter by workflow id, type, tag and close status."""
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)

    def ids(executions: WorkflowExecutionQuerySet) -> list[str]:
        return sorted(e.workflow_id for e in executions)

    assert ids(queryset.all()) == ["open-a", "open-b"]
    assert ids(queryset.filter(status=CLOSED)) == ["ended"]
    assert ids(queryset.filter(workflow_id="open-b")) == ["open-b"]
    assert ids(queryset.filter(workflow_type=workflow_type)) == ["open-a"]
    assert ids(queryset.filter(workflow_type="Other")) == ["open-b"]
    assert ids(queryset.filter(tag="blue")) == ["open-a"]
    assert ids(queryset.filter(close_status="TERMINATED")) == ["ended"]
    assert ids(queryset.filter(close_status="COMPLETED")) == []
    assert queryset.filter(status=CLOSED).count() == 1
    assert queryset.filter(tag="green").count() == 1
    (ended,) = queryset.filter(status=CLOSED)
    assert (ended.status, ended.close_status, ended.workflow_type) == (CLOSED, "TERMINATED", workflow_type)


def test_execution_time_windows(executions: dict[str, WorkflowExecution], workflow_type: WorkflowType) -> None:
    """Start and close windows select by aware datetimes."""
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)
    now = datetime.now(timezone.utc)
    hour = timedelta(hours=1)
    assert queryset.filter(started_after=now - hour).count() == 2
    assert queryset.filter(started_after=now + hour).count() == 0
    assert queryset.filter(started_after=now - 2 * hour, started_before=now - hour).count() == 0
    assert [e.workflow_id for e in queryset.filter(closed_after=now - hour)] == ["ended"]
    assert queryset.filter(closed_before=now - hour).count() == 0


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"workflow_id": "a", "tag": "b"},
            "SWF accepts only one of workflow_id, workflow_type, tag and close_status; got workflow_id and tag",
        ),
        ({"workflow_type": "T", "close_status": "FAILED"}, "got workflow_type and close_status"),
        ({"status": OPEN, "close_status": "FAILED"}, "close_status apply only to closed executions, not status=OPEN"),
        (
            {"status": OPEN, "closed_after": datetime(2024, 1, 1, tzinfo=timezone.utc)},
            "closed_after apply only to closed",
        ),
        (
            {
                "started_after": datetime(2024, 1, 1, tzinfo=timezone.utc),
                "closed_before": datetime(2024, 2, 1, tzinfo=timezone.utc),
            },
            r"a start window \(started_after\) and a close window \(closed_before\) exclude each other",
        ),
        ({"started_after": datetime(2024, 1, 1)}, "started_after must be timezone-aware"),
        (
            {
                "started_after": datetime(2024, 2, 1, tzinfo=timezone.utc),
                "started_before": datetime(2024, 1, 1, tzinfo=timezone.utc),
            },
            "started_after must not be later than started_before",
        ),
        ({"close_status": "DONE"}, "close_status must be one of"),
        ({"status": "RUNNING"}, "status must be one of OPEN, CLOSED"),
    ],
)
def test_execution_filter_rules_checked_before_any_call(
    swf_client: Any, calls: Counter[str], filters: dict[str, Any], message: str
) -> None:
    """Filter combinations SWF refuses raise ValidationError naming them, before any call."""
    with pytest.raises(ValidationError, match=message):
        WorkflowExecutionQuerySet(Domain("d", client=swf_client)).filter(**filters)
    assert calls == Counter()


def test_chained_filters_are_checked_together(swf_client: Any) -> None:
    """Filters given in two filter() calls are checked as one set."""
    queryset = WorkflowExecutionQuerySet(Domain("d", client=swf_client)).filter(tag="t")
    with pytest.raises(ValidationError, match="got workflow_id and tag"):
        queryset.filter(workflow_id="w")


def test_execution_get(executions: dict[str, WorkflowExecution], workflow_type: WorkflowType) -> None:
    """get() finds a run by id (open first, else latest closed), or by workflow id and run id."""
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)
    opened = queryset.get("open-a")
    assert (opened, opened.tags, opened.task_list) == (executions["open-a"], ("blue",), "deciders")
    assert queryset.get("ended").close_status == "TERMINATED"
    run_id = executions["ended"].run_id
    assert queryset.get("ended", run_id) == executions["ended"]
    with pytest.raises(DoesNotExistError):
        queryset.get("never-started")
    with pytest.raises(DoesNotExistError):
        queryset.get("open-a", "not-its-run")
    assert queryset.filter(tag="green").get("open-a") == executions["open-a"]  # get() ignores filters


def test_execution_create_and_get_or_create(workflow_type: WorkflowType, calls: Counter[str]) -> None:
    """create() starts a run; get_or_create() returns the open run instead of starting another."""
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)
    started = queryset.create(workflow_type, "job", input="x")
    calls.clear()
    again = queryset.get_or_create(workflow_type, "job", input="y")
    assert (again, again.input) == (started, "x")
    assert calls["StartWorkflowExecution"] == 0
    fresh = queryset.get_or_create(workflow_type, "job-2", input="z")
    assert (fresh.workflow_id, fresh.input, fresh.status) == ("job-2", "z", OPEN)


def test_execution_get_or_create_race(workflow_type: WorkflowType, swf_client: Any) -> None:
    """Two greenlets racing get_or_create() both get one open run; only one is started."""
    queryset = WorkflowExecutionQuerySet(workflow_type.domain)
    starts = hold_until_both(swf_client, "StartWorkflowExecution")
    with gevent.Timeout(10):
        racers = [gevent.spawn(queryset.get_or_create, workflow_type, "single") for _ in range(2)]
        gevent.joinall(racers, raise_error=True)
    first, second = (racer.value for racer in racers)
    assert first == second
    assert starts() == 2
    assert queryset.filter(workflow_id="single").count() == 1
