"""Shared fixtures: the embedded local SWF endpoint on loopback, and clients to it.

gevent patches first, as every entry point of the toolkit does, so that
greenlet tests and botocore share one cooperative socket layer.
"""

from gevent import monkey

monkey.patch_all()

import uuid
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def local_swf() -> Iterator[Any]:
    """A running :class:`swf_gevent.local.LocalSWF` with a 1 s poll timeout."""
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=1.0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def swf_client(local_swf: Any) -> Any:
    """A boto3 SWF client to :func:`local_swf` (dummy credentials, us-east-1)."""
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=local_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_pool_connections=64,
        max_attempts=1,
    )


@pytest.fixture
def domain_name() -> str:
    """A fresh domain name for one test."""
    return f"test-{uuid.uuid4().hex[:12]}"
