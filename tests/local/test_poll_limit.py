"""SWF's quota on concurrent polls per task list: one poll past it is answered LimitExceededException."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gevent
import pytest

from swf_gevent.local import LocalSWF
from tests.local.engine_support import DECISIONS, error_code, register, start

#: Long enough that no empty poll comes back during a test.
_HELD = 30.0
#: Bound on every wait of these tests, well below :data:`_HELD`.
_WITHIN = 5.0
_LIMIT = 3


@pytest.fixture
def limited_swf() -> Iterator[LocalSWF]:
    """A LocalSWF holding empty polls for 30 s and allowing 3 polls per task list."""
    server = LocalSWF(poll_timeout=_HELD, max_polls_per_task_list=_LIMIT)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(limited_swf: LocalSWF) -> Any:
    """A boto3 client to :func:`limited_swf` that waits out a held poll and does not retry."""
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=limited_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        read_timeout=_HELD + 10,
        poll_hold=_HELD,
        max_attempts=1,
        max_pool_connections=16,
    )


def _wait_parked(server: LocalSWF, count: int) -> None:
    with gevent.Timeout(_WITHIN):
        while server.parked_polls != count:
            gevent.sleep(0.01)


def _poll_decisions(client: Any, domain: str, task_list: str) -> dict[str, Any]:
    return dict(client.poll_for_decision_task(domain=domain, taskList={"name": task_list}, identity="t"))


def test_poll_past_the_limit_is_refused_and_the_others_stay_parked(
    limited_swf: LocalSWF, client: Any, domain_name: str
) -> None:
    """With the limit's worth of polls parked on a task list, one more fails LimitExceededException."""
    register(client, domain_name)
    polls = [gevent.spawn(_poll_decisions, client, domain_name, DECISIONS) for _ in range(_LIMIT)]
    try:
        _wait_parked(limited_swf, _LIMIT)
        with gevent.Timeout(_WITHIN), pytest.raises(Exception) as refused:
            _poll_decisions(client, domain_name, DECISIONS)
        assert error_code(refused.value) == "LimitExceededException"
        assert "3 pollers" in str(refused.value)
        assert limited_swf.parked_polls == _LIMIT
        assert not any(poll.ready() for poll in polls)
    finally:
        gevent.killall(polls)


def test_the_limit_counts_each_task_list_apart(limited_swf: LocalSWF, client: Any, domain_name: str) -> None:
    """A full task list does not refuse a poll on another task list of the same domain."""
    register(client, domain_name)
    polls = [gevent.spawn(_poll_decisions, client, domain_name, DECISIONS) for _ in range(_LIMIT)]
    try:
        _wait_parked(limited_swf, _LIMIT)
        polls.append(gevent.spawn(_poll_decisions, client, domain_name, "other"))
        _wait_parked(limited_swf, _LIMIT + 1)
    finally:
        gevent.killall(polls)


def test_a_poll_that_answered_frees_its_place(limited_swf: LocalSWF, client: Any, domain_name: str) -> None:
    """Once one of the parked polls is handed a task, a new poll on that task list is accepted again."""
    register(client, domain_name)
    polls = [gevent.spawn(_poll_decisions, client, domain_name, DECISIONS) for _ in range(_LIMIT)]
    try:
        _wait_parked(limited_swf, _LIMIT)
        start(client, domain_name)
        with gevent.Timeout(_WITHIN):
            answered = next(iter(gevent.wait(polls, count=1)))
        assert answered.get()["taskToken"]
        _wait_parked(limited_swf, _LIMIT - 1)
        polls.append(gevent.spawn(_poll_decisions, client, domain_name, DECISIONS))
        _wait_parked(limited_swf, _LIMIT)
    finally:
        gevent.killall(polls)


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_a_limit_that_is_not_a_positive_int_is_refused(limit: Any) -> None:
    """LocalSWF refuses a poll limit that is not an int of at least 1 with a one-line ValueError."""
    with pytest.raises(ValueError, match="max_polls_per_task_list"):
        LocalSWF(max_polls_per_task_list=limit)
