"""A held PollFor*Task whose client closed its connection is withdrawn, so no task goes to it."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from gevent.event import Event

from swf_gevent.local import LocalSWF
from swf_gevent.local._tasks import TaskList, poller_gone
from tests.local.engine_support import ACTIVITIES, DECISIONS, decide, next_decision, register, schedule, start

#: Long enough that a task handed to a dead poll would blow every wait below.
_HELD = 30.0
#: Bound on every wait of these tests, well below :data:`_HELD`.
_WITHIN = 5.0


@pytest.fixture
def held_swf() -> Iterator[LocalSWF]:
    """A LocalSWF holding empty polls for 30 s."""
    server = LocalSWF(poll_timeout=_HELD)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(held_swf: LocalSWF) -> Any:
    """A boto3 client to :func:`held_swf` that waits out a held poll."""
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=held_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        read_timeout=_HELD + 10,
        poll_hold=_HELD,
        max_attempts=1,
    )


def _request(operation: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        "POST / HTTP/1.1\r\nHost: localhost\r\n"
        f"X-Amz-Target: SimpleWorkflowService.{operation}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def _park(server: LocalSWF, operation: str, body: dict[str, Any]) -> socket.socket:
    """Send a poll over a raw connection and return once the endpoint holds it."""
    sock = socket.create_connection((server.host, server.port))
    sock.sendall(_request(operation, body))
    _wait_parked(server, 1)
    return sock


def _wait_parked(server: LocalSWF, count: int) -> None:
    with gevent.Timeout(_WITHIN):
        while server.parked_polls != count:
            gevent.sleep(0.01)


class _Task:
    """A queueable stand-in with the two members a task list reads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.priority = 0

    def is_waiting(self) -> bool:
        return True


def _take_until(tasks: TaskList[_Task], gone: Event) -> _Task | None:
    token = poller_gone.set(gone)
    try:
        return tasks.take(_HELD)
    finally:
        poller_gone.reset(token)


def test_gone_poller_stops_waiting_and_takes_nothing() -> None:
    """Once its ``poller_gone`` event is set, a parked take answers ``None`` and a later task is queued."""
    tasks: TaskList[_Task] = TaskList("domain", "list")
    gone = Event()
    with gevent.Timeout(_WITHIN):
        poller = gevent.spawn(_take_until, tasks, gone)
        gevent.sleep(0)  # let the poller park
        gone.set()
        assert poller.get() is None
        task = _Task("t")
        tasks.put(task)
        assert len(tasks) == 1
        assert tasks.take(0.1) is task


def test_gone_poller_gives_a_just_handed_task_back() -> None:
    """A task handed to a poller whose client went before it ran goes back to the front of the list."""
    tasks: TaskList[_Task] = TaskList("domain", "list")
    gone = Event()
    with gevent.Timeout(_WITHIN):
        poller = gevent.spawn(_take_until, tasks, gone)
        gevent.sleep(0)
        task = _Task("t")
        tasks.put(task)  # handed to the parked poller, which has not run yet
        gone.set()
        tasks.put(_Task("later"))
        assert poller.get() is None
        assert tasks.take(0.1) is task


def test_closed_activity_poll_gets_no_task(held_swf: LocalSWF, client: Any, domain_name: str) -> None:
    """An activity task scheduled after a held poll's client closed goes to the next live poller at once."""
    register(client, domain_name)
    start(client, domain_name)
    task = next_decision(client, domain_name)
    sock = _park(held_swf, "PollForActivityTask", {"domain": domain_name, "taskList": {"name": ACTIVITIES}})
    sock.close()
    _wait_parked(held_swf, 0)

    decide(client, task, schedule("a1"))
    with gevent.Timeout(_WITHIN):
        activity = client.poll_for_activity_task(domain=domain_name, taskList={"name": ACTIVITIES})
    assert activity["activityId"] == "a1"


def test_closed_decision_poll_gets_no_task(held_swf: LocalSWF, client: Any, domain_name: str) -> None:
    """A decision task scheduled after a held poll's client closed goes to the next live poller at once."""
    register(client, domain_name)
    sock = _park(held_swf, "PollForDecisionTask", {"domain": domain_name, "taskList": {"name": DECISIONS}})
    sock.close()
    _wait_parked(held_swf, 0)

    run = start(client, domain_name)
    with gevent.Timeout(_WITHIN):
        task = client.poll_for_decision_task(domain=domain_name, taskList={"name": DECISIONS})
    assert task["workflowExecution"] == run


def test_pipelined_request_keeps_the_poll(held_swf: LocalSWF, client: Any, domain_name: str) -> None:
    """A client sending its next request while its poll is held still gets the task (data is not EOF)."""
    register(client, domain_name)
    start(client, domain_name)
    task = next_decision(client, domain_name)
    sock = _park(held_swf, "PollForActivityTask", {"domain": domain_name, "taskList": {"name": ACTIVITIES}})
    try:
        sock.sendall(_request("CountPendingActivityTasks", {"domain": domain_name, "taskList": {"name": ACTIVITIES}}))
        decide(client, task, schedule("a1"))
        with gevent.Timeout(_WITHIN):
            response = http.client.HTTPResponse(sock)
            response.begin()
            answer = json.loads(response.read())
        assert response.status == 200
        assert answer["activityId"] == "a1"
    finally:
        sock.close()
