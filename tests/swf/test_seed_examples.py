"""Every example of the original documentation, run as written against the local endpoint.

The examples are kept as doctests, verbatim but for what must exist for them
to run: the domains and types they list are registered first, the credentials
point at the local endpoint, and ``DomainQuery`` (a name the original text
uses without importing it) is spelled ``DomainQuerySet``, the class it means.
"""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from swf.connection import reset_default_client
from swf.credentials import clear_aws_credentials, set_aws_credentials
from swf.models import Domain, WorkflowType

CREDENTIALS = """
>>> from swf.credentials import set_aws_credentials
>>> set_aws_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, region_name=REGION, endpoint_url=ENDPOINT_URL)

# And then you're good to go...
>>> from swf.querysets import DomainQuerySet
>>> queryset = DomainQuerySet()
>>> queryset.all()
[Domain('test1'), Domain('test2')]
"""

MODELS = """
# Models resides in swf.models module
>>> from swf.models import Domain, WorkflowType, WorkflowExecution, ActivityType

# Once imported you're ready to create a local model instance
>>> D = Domain("MyTestDomain", description="seed", retention_period=timedelta(days=10))

# a Domain model local instance has been created, but nothing has been
# sent to amazon. To do so, you have to save it.
>>> D.save()

# Exists method let's you know if you're model instance has an upstream version
>>> D.exists
True

# What if changes have been made to the remote object?
# synced  and changes methods help ensuring local and remote models
# are still synced and which changes have been maid.
>>> D.is_synced
True
>>> D.changes
[]
>>> deprecate_elsewhere(D.name)
>>> D.is_synced
False
>>> D.changes
[Difference('status', 'REGISTERED', 'DEPRECATED')]

# Let's pull the upstream version
>>> D = D.upstream()
>>> D.is_synced
True
>>> D.changes
[]
"""

QUERYSETS = """
>>> from swf.querysets import DomainQuerySet, WorkflowTypeQuerySet
>>> from swf.models import DEPRECATED

# Domain querysets can be instantiated directly
>>> domain_qs = DomainQuerySet()
>>> workflow_domain = domain_qs.get("MyTestDomain")  # and specific model retieved via .get method
>>> workflow_qs = WorkflowTypeQuerySet(workflow_domain)  # queryset built against model instance example

>>> workflow_qs.all()
[WorkflowType('TestType1', '1.0'), WorkflowType('TestType2', '1.0')]

>>> workflow_qs.filter(status=DEPRECATED)
[WorkflowType('TestType0', '1.0')]
"""


@pytest.fixture
def seeded(
    local_swf: Any, swf_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """The objects the examples name, and globals pointing them at the local endpoint."""
    monkeypatch.setenv("HOME", str(tmp_path))
    clear_aws_credentials()
    reset_default_client()

    def deprecate_elsewhere(name: str) -> None:
        Domain(name, client=swf_client).deprecate()

    yield {
        "ACCESS_KEY_ID": "local",
        "SECRET_ACCESS_KEY": "local",
        "REGION": "us-east-1",
        "ENDPOINT_URL": local_swf.endpoint_url,
        "timedelta": timedelta,
        "deprecate_elsewhere": deprecate_elsewhere,
    }
    clear_aws_credentials()
    reset_default_client()


def run(examples: str, name: str, globs: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    messages: list[str] = []
    runner.run(test, out=messages.append)
    assert runner.failures == 0, "".join(messages)
    assert runner.tries > 0


def test_credentials_example(seeded: dict[str, Any], swf_client: Any) -> None:
    """The credentials example: set_aws_credentials, then list the domains with no client given."""
    for name in ("test1", "test2"):
        Domain(name, client=swf_client).save()
    run(CREDENTIALS, "credentials", seeded)


def test_models_example(seeded: dict[str, Any]) -> None:
    """The models example: save, exists, is_synced, changes after a remote change, upstream()."""
    set_aws_credentials("local", "local", region_name="us-east-1", endpoint_url=seeded["ENDPOINT_URL"])
    run(MODELS, "models", seeded)


def test_querysets_example(seeded: dict[str, Any], swf_client: Any) -> None:
    """The querysets example: get a domain, list its workflow types, filter the deprecated ones."""
    set_aws_credentials("local", "local", region_name="us-east-1", endpoint_url=seeded["ENDPOINT_URL"])
    domain = Domain("MyTestDomain", client=swf_client)
    domain.save()
    for name in ("TestType0", "TestType1", "TestType2"):
        WorkflowType(domain, name, "1.0").save()
    WorkflowType(domain, "TestType0", "1.0").deprecate()
    run(QUERYSETS, "querysets", seeded)
