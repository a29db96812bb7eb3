"""swf.querysets.register: a domain and its types registered when missing, read back when present, racing safely."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.connection import call
from swf.exceptions import ValidationError
from swf.models import DEPRECATED, REGISTERED, ActivityType, Domain, WorkflowType
from swf.querysets import register


def _types(domain: Domain) -> list[WorkflowType | ActivityType]:
    return [
        WorkflowType(domain, "flow", "1", default_task_list="flow", default_child_policy="TERMINATE"),
        ActivityType(
            domain, "nap", "1", default_task_list="naps", default_task_start_to_close_timeout=timedelta(minutes=1)
        ),
    ]


def test_register_twice_leaves_what_exists_untouched(swf_client: Any, domain_name: str) -> None:
    """A second registration reads the domain and types back as SWF has them, defaults of the first kept."""
    domain = Domain(domain_name, retention_period=timedelta(days=2), client=swf_client)
    first = register(domain, _types(domain))
    assert first.deprecated() == ()
    again = Domain(domain_name, retention_period=timedelta(days=5), client=swf_client)
    changed = [ActivityType(again, "nap", "1", default_task_list="other")]
    second = register(again, changed)
    assert second.domain.retention_period == timedelta(days=2)
    assert [(t.default_task_list, t.status) for t in second.types] == [("naps", REGISTERED)]


def test_register_reports_a_deprecated_type(swf_client: Any, domain_name: str) -> None:
    """A type deprecated in SWF comes back with status DEPRECATED, in Registered.deprecated()."""
    domain = Domain(domain_name, client=swf_client)
    types = _types(domain)
    register(domain, types)
    call(swf_client, "DeprecateActivityType", domain=domain_name, activityType={"name": "nap", "version": "1"})
    registered = register(domain, types)
    assert [(m.name, m.status) for m in registered.deprecated()] == [("nap", DEPRECATED)]


def test_register_refuses_a_type_of_another_domain(swf_client: Any, domain_name: str) -> None:
    """A type of another domain is refused before any call."""
    domain = Domain(domain_name, client=swf_client)
    with pytest.raises(ValidationError, match="belongs to domain"):
        register(domain, [WorkflowType(Domain("other", client=swf_client), "flow", "1")])
    assert not domain.exists


def test_concurrent_registrations_all_succeed(swf_client: Any, domain_name: str) -> None:
    """Eight greenlets registering the same domain and types at once all return, each with every type."""
    domain = Domain(domain_name, client=swf_client)
    with gevent.Timeout(30):
        results = [gevent.spawn(register, domain, _types(domain)) for _ in range(8)]
        gevent.joinall(results, raise_error=True)
    assert all(len(g.value.types) == 2 and g.value.deprecated() == () for g in results)
