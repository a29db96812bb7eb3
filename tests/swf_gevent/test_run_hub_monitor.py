"""The runner watches its gevent hub: ``[swf] hub_block_threshold``, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(90)

_FLOW = """
import time

from swf.models import decisions
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity


@activity("spin", version="1")
def spin(payload):
    began = time.perf_counter()
    while time.perf_counter() - began < 0.6:  # holds the hub: no yield
        pass
    return "spun"


class Spin:
    def decide(self, task):
        attempt = task.history.state.activities.get("spin")
        if attempt is None:
            return [decisions.schedule_activity_task("spin", ("spin", "1"))]
        if attempt.status is TaskStatus.COMPLETED:
            return [decisions.complete_workflow_execution(attempt.result)]
        return []
"""


@pytest.mark.parametrize("threshold, reported", [(0.2, True), (5, False)])
def test_a_greenlet_holding_the_hub_is_reported(tmp_path: Path, threshold: float, reported: bool) -> None:
    """An activity spinning 0.6 s in the hub is reported as holding it when the threshold is 0.2 s, not at 5 s."""
    (tmp_path / "spin_flow.py").write_text(_FLOW)
    config = tmp_path / "spin.ini"
    config.write_text(
        f"""
[swf]
domain = spin
endpoint_url = local
poll_timeout = 1
hub_block_threshold = {threshold}

[activities:spin]
task_list = spin
modules = spin_flow

[decider:spin]
task_list = spin-decisions
class = spin_flow.Spin
workflow_type = spin
workflow_version = 1

[executions]
workflow = spin
count = 1
timeout = 60
"""
    )
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", str(config)],
        capture_output=True,
        text=True,
        timeout=80,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])},
    )
    assert result.returncode == 0, result.stderr
    assert "1/1 started, 1 completed" in result.stdout
    held = [float(m) for m in re.findall(rf"held the hub for ([\d.]+) s \(limit {threshold:.3f} s\)", result.stderr)]
    if reported:
        assert any(seconds >= 0.6 for seconds in held), result.stderr
    else:
        assert "held the hub" not in result.stderr
