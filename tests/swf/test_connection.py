"""swf.connection: the connection value, its two clients' timeouts, empty polls on a read timeout, pool sizing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import boto3
import gevent
import pytest
from botocore.config import Config
from gevent.server import StreamServer

from swf.actors import ActivityWorker, Decider
from swf.connection import (
    DEFAULT_CALL_READ_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    Connection,
    call,
    make_client,
)
from swf.exceptions import ConnectionError  # noqa: A004 -- the toolkit's own error tree
from swf.retry import DEFAULT_RETRY, RetryPolicy


class Silent:
    """A loopback TCP server that accepts connections and reads requests but never answers.

    ``requests`` counts the HTTP requests received (one ``X-Amz-Target`` header each).
    """

    def __init__(self) -> None:
        self.requests = 0
        self.server = StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def _handle(self, sock: Any, _address: Any) -> None:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            self.requests += data.count(b"X-Amz-Target")

    def close(self) -> None:
        self.server.stop(timeout=1)


@pytest.fixture
def silent() -> Iterator[Silent]:
    """A :class:`Silent` endpoint, stopped after the test."""
    server = Silent()
    try:
        yield server
    finally:
        server.close()


def _connect(url: str, **kwargs: Any) -> Connection:
    return make_client(
        region_name="us-east-1", endpoint_url=url, aws_access_key_id="x", aws_secret_access_key="x", **kwargs
    )


def test_a_call_to_a_silent_endpoint_fails_within_the_short_read_timeout(silent: Silent) -> None:
    """DescribeDomain to an endpoint that never answers raises ConnectionError after call_read_timeout, not 70 s."""
    connection = _connect(silent.url, call_read_timeout=0.5, retry=None)
    with gevent.Timeout(5, AssertionError("the call waited past its short read timeout")):
        with pytest.raises(ConnectionError, match="[Rr]ead timeout"):
            call(connection, "DescribeDomain", name="orders")
    assert silent.requests == 1


def test_the_two_clients_have_the_poll_and_the_call_read_timeouts() -> None:
    """make_client's defaults: long polls read for 70 s, every other call for 10 s, botocore's retries off."""
    connection = _connect("http://127.0.0.1:9")
    assert connection.poll_client.meta.config.read_timeout == DEFAULT_READ_TIMEOUT == 70
    assert connection.client.meta.config.read_timeout == DEFAULT_CALL_READ_TIMEOUT == 10
    assert connection.client_for("PollForActivityTask") is connection.poll_client
    assert connection.client_for("RespondActivityTaskCompleted") is connection.client
    assert connection.client.meta.config.retries["total_max_attempts"] == 1


def test_a_poll_whose_read_times_out_is_one_request_and_an_empty_poll(silent: Silent) -> None:
    """A long poll timing out (default retry policy on) is not retried: one request, and poll() returns None."""
    retried: list[str] = []
    policy = RetryPolicy(on_retry=lambda operation, *_: retried.append(operation))
    with pytest.warns(UserWarning, match="read_timeout=0.5 s is not above"):
        connection = _connect(silent.url, read_timeout=0.5, poll_hold=60, retry=policy)
    worker = ActivityWorker("orders", "work", client=connection)
    with gevent.Timeout(5, AssertionError("the poll was retried after its read timeout")):
        assert worker.poll() is None
    assert silent.requests == 1
    assert retried == []


def test_a_history_page_whose_read_times_out_is_an_error(silent: Silent) -> None:
    """PollForDecisionTask with a nextPageToken (a task in hand) timing out raises ConnectionError, not an empty poll."""
    with pytest.warns(UserWarning):
        connection = _connect(silent.url, read_timeout=0.5, retry=None)
    with gevent.Timeout(5), pytest.raises(ConnectionError):
        call(connection, "PollForDecisionTask", domain="d", taskList={"name": "t"}, nextPageToken="page-2")


def test_make_client_warns_for_a_read_timeout_within_the_poll_hold() -> None:
    """read_timeout at or under the endpoint's hold warns with the fix; above it, nothing is said."""
    with pytest.warns(UserWarning, match=r"read_timeout=60 s .* pass read_timeout=70 or more"):
        _connect("http://127.0.0.1:9", read_timeout=60)
    with pytest.warns(UserWarning, match=r"read_timeout=5 s is not above the 5 s"):
        _connect("http://127.0.0.1:9", read_timeout=5, poll_hold=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _connect("http://127.0.0.1:9")
        _connect("http://127.0.0.1:9", read_timeout=2, poll_hold=1)


@pytest.mark.parametrize(
    ("kwargs", "pool"),
    [
        ({}, 10),
        ({"concurrency": 3}, 10),
        ({"concurrency": 40}, 44),
        ({"concurrency": 40, "max_pool_connections": 8}, 8),
    ],
)
def test_pool_size_follows_the_callers_sharing_the_connection(kwargs: dict[str, Any], pool: int) -> None:
    """Each client keeps concurrency + 4 connections (at least 10), unless max_pool_connections says otherwise."""
    connection = _connect("http://127.0.0.1:9", **kwargs)
    assert connection.client.meta.config.max_pool_connections == pool
    assert connection.poll_client.meta.config.max_pool_connections == pool


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"max_pool_connections": 0}, {"call_read_timeout": 0}, {"read_timeout": float("nan")}],
)
def test_make_client_refuses_bad_sizes_and_timeouts(kwargs: dict[str, Any]) -> None:
    """A pool below 1 or a timeout that is not a positive number of seconds is a one-line ValueError naming it."""
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        _connect("http://127.0.0.1:9", **kwargs)


def test_a_connection_passes_boto3_attributes_to_the_right_client() -> None:
    """connection.poll_for_* is the poll client's method, every other operation and .meta the call client's."""
    connection = _connect("http://127.0.0.1:9")
    assert connection.poll_for_activity_task.__self__ is connection.poll_client
    assert connection.describe_domain.__self__ is connection.client
    assert connection.meta is connection.client.meta
    with pytest.raises(AttributeError):
        _ = connection._private


def test_a_plain_boto3_client_is_a_connection_with_the_default_policy(local_swf: Any, domain_name: str) -> None:
    """Connection.of(boto3 client) sends everything through it under DEFAULT_RETRY; call() accepts it as is."""
    plain = boto3.client(
        "swf",
        region_name="us-east-1",
        endpoint_url=local_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(read_timeout=10),
    )
    connection = Connection.of(plain)
    assert connection.client is connection.poll_client is plain
    assert connection.retry is DEFAULT_RETRY
    assert Connection.of(connection) is connection
    call(plain, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    assert call(plain, "DescribeDomain", name=domain_name)["domainInfo"]["name"] == domain_name
    assert ActivityWorker(domain_name, "work", client=plain).retry_policy is DEFAULT_RETRY
    plain.close()


def test_an_empty_poll_with_an_empty_task_token_is_none(swf_client: Any, domain_name: str) -> None:
    """The local endpoint's empty poll carries taskToken "" (as SWF's); both actors read it as no task."""
    call(swf_client, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    answer = call(swf_client, "PollForActivityTask", domain=domain_name, taskList={"name": "work"})
    assert answer["taskToken"] == ""
    assert ActivityWorker(domain_name, "work", client=swf_client).poll() is None
    assert Decider(domain_name, "deciders", client=swf_client).poll() is None
