"""The runner's fleet: lifecycle of its actors and handlers, and the one reading of SIGINT and SIGTERM."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf_gevent._config import load
from swf_gevent._fleet import Fleet, FleetState, StopRequests
from swf_gevent.actors import ActorState


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, domain_name: str) -> Any:
    """A config of one decider and two activity workers on the local endpoint."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "idle_flow", raising=False)
    (tmp_path / "idle_flow.py").write_text(
        "from swf_gevent.activities import activity\n\n\n"
        "@activity('nothing', version='1')\ndef nothing(payload):\n    return None\n\n\n"
        "class Idle:\n    def decide(self, task):\n        return []\n"
    )
    path = tmp_path / "idle.ini"
    path.write_text(
        f"[swf]\ndomain = {domain_name}\nendpoint_url = {local_swf.endpoint_url}\npoll_timeout = 1\n\n"
        "[activities:a]\ntask_list = a\ngreenlets = 2\nmodules = idle_flow\n\n"
        "[decider:idle]\ntask_list = d\nclass = idle_flow.Idle\nworkflow_type = idle\nworkflow_version = 1\n"
    )
    return load(str(path))


def test_fleet_lifecycle(config: Any, swf_client: Any) -> None:
    """start runs every actor; starting twice raises; stop(idle=True) ends idle polls at once and is safe twice."""
    fleet = Fleet(config, swf_client)
    assert fleet.state is FleetState.NEW
    with gevent.Timeout(20):
        fleet.start()
        assert [a.state for a in fleet.actors] == [ActorState.STARTED] * 2  # one actor per group
        with pytest.raises(RuntimeError, match="cannot start: it is started"):
            fleet.start()
        gevent.sleep(0)
        fleet.stop(5, idle=True)
        fleet.stop(5)
    assert fleet.state is FleetState.STOPPED and fleet.wait(0)
    assert all(a.state is ActorState.STOPPED for a in fleet.actors)


def test_fleet_stop_before_start(config: Any, swf_client: Any) -> None:
    """stop() before start() leaves a stopped fleet that starts nothing."""
    fleet = Fleet(config, swf_client)
    fleet.stop()
    assert (fleet.state, fleet.actors, fleet.wait(0)) == (FleetState.STOPPED, [], True)
    with pytest.raises(RuntimeError):
        fleet.start()


def test_first_stop_request_stops_the_second_kills() -> None:
    """SIGTERM then SIGINT: the first calls stop, the second kill, a third nothing; none once uninstalled."""
    calls: list[tuple[str, str]] = []

    def record(kind: str) -> Any:
        return lambda name: calls.append((kind, name))

    with gevent.Timeout(10), StopRequests(record("stop"), record("kill")) as requests:
        for count, signum in enumerate((signal.SIGTERM, signal.SIGINT, signal.SIGTERM), start=1):
            os.kill(os.getpid(), signum)
            while requests.received < count:  # the hub runs the handler at its next turn
                gevent.sleep(0.01)
    assert calls == [("stop", "SIGTERM"), ("kill", "SIGINT")]
    assert requests.received == 3
