"""StatsdHandler: signals of real tasks, received as UDP datagrams on a loopback socket."""

from __future__ import annotations

import io
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

pytest.importorskip("statsd")

from swf_gevent.run import main
from swf_gevent.statsd import StatsdHandler
from tests.swf_gevent._handler_support import fleet_config, register, run_one_task

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


@pytest.fixture
def daemon() -> Iterator[socket.socket]:
    """A UDP socket on a free loopback port, standing in for the statsd daemon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


def _lines_until(sock: socket.socket, done: Any) -> list[str]:
    """Every statsd line received until ``done(lines)`` is true (bounded by the test's Timeout)."""
    lines: list[str] = []
    while not done(lines):
        data, _ = sock.recvfrom(65536)
        lines += data.decode("ascii").splitlines()
    return lines


def test_a_real_task_is_counted_and_timed(swf_client: Any, domain_name: str, daemon: socket.socket) -> None:
    """One task through a worker sends its counters and a millisecond timer to the daemon."""
    register(swf_client, domain_name)
    handler = StatsdHandler("127.0.0.1", daemon.getsockname()[1], prefix="swf.test")
    handler.connect()
    try:
        run_one_task(swf_client, domain_name)
    finally:
        handler.disconnect()
    lines = _lines_until(daemon, lambda got: "swf.test.actors_stopped:1|c" in got)
    assert "swf.test.actors_started:1|c" in lines
    assert "swf.test.activity_tasks_received:1|c" in lines
    assert "swf.test.activity_tasks_completed:1|c" in lines
    timers = [line for line in lines if line.startswith("swf.test.activity_task_duration.completed:")]
    assert len(timers) == 1 and timers[0].endswith("|ms")
    milliseconds = float(timers[0].split(":")[1].split("|")[0])
    assert 0 < milliseconds < 10_000
    assert not any("SECRET" in line or "double-1" in line for line in lines)  # names only, no ids or tokens


def test_every_duration_is_a_timer(daemon: socket.socket) -> None:
    """Decision, empty poll and hub-blocked durations are sent as timers in milliseconds."""
    handler = StatsdHandler("127.0.0.1", daemon.getsockname()[1])
    handler.connect()
    try:
        handler.receive("decision-task-failed", None, {"duration": 0.25})
        handler.receive("poll-empty", None, {"duration": 1.0})
        handler.receive("hub-blocked", None, {"duration": 0.125, "greenlet": "<Greenlet>"})
        handler.receive("call-retried", None, {"operation": "PollForActivityTask", "attempt": 1, "delay": 0.1})
    finally:
        handler.disconnect()
    lines = _lines_until(daemon, lambda got: len(got) >= 7)
    assert lines == [
        "swf.decision_tasks_failed:1|c",
        "swf.decision_task_duration.failed:250.000000|ms",
        "swf.polls_empty:1|c",
        "swf.poll_empty_duration:1000.000000|ms",
        "swf.hub_blocked:1|c",
        "swf.hub_blocked:125.000000|ms",
        "swf.calls_retried:1|c",
    ]


def test_reconnect_sends_again(daemon: socket.socket) -> None:
    """disconnect() closes the socket; connect() opens a new one and sending resumes."""
    handler = StatsdHandler("127.0.0.1", daemon.getsockname()[1])
    handler.connect()
    handler.disconnect()
    handler.receive("poll-failed", None, {})  # not connected: nothing sent, nothing raised
    handler.connect()
    try:
        handler.receive("actor-crashed", None, {})
    finally:
        handler.disconnect()
    assert _lines_until(daemon, lambda got: len(got) >= 1) == ["swf.actors_crashed:1|c"]


def test_runner_sends_to_the_configured_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain_name: str, daemon: socket.socket
) -> None:
    """``statsd = 127.0.0.1:<port>`` in [handlers] makes the runner send its tasks' counters there."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    port = daemon.getsockname()[1]
    path = fleet_config(tmp_path, domain_name, {"statsd": f"127.0.0.1:{port}", "statsd_prefix": "fleet"}, executions=2)
    assert main([path], stdout=io.StringIO()) == 0
    lines = _lines_until(
        daemon, lambda got: got.count("fleet.actors_stopped:1|c") == 2
    )  # one actor per group (activities, decider): the last signals
    assert lines.count("fleet.activity_tasks_completed:1|c") == 2
    assert lines.count("fleet.decision_tasks_completed:1|c") >= 4  # schedule, then complete, per execution
