"""The runner outlives activity functions that call sys.exit (subprocess, embedded endpoint)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)

QUITTERS = '''
import sys

from swf.models import decisions
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity


@activity("quit-in-hub", version="1")
def quit_in_hub(payload):
    sys.exit(3)


@activity("quit-in-thread", version="1", executor="thread")
def quit_in_thread(payload):
    sys.exit(4)


class Quitters:
    """Schedules both quitters; completes with their failure reasons once both failed."""

    def decide(self, task):
        state = task.history.state
        if not state.activities:
            return [
                decisions.schedule_activity_task(name, (name, "1"))
                for name in ("quit-in-hub", "quit-in-thread")
            ]
        if all(a.status is TaskStatus.FAILED for a in state.activities.values()):
            reasons = sorted(a.reason for a in state.activities.values())
            return [decisions.complete_workflow_execution(", ".join(reasons))]
        return []
'''


def test_activities_calling_sys_exit_do_not_end_the_runner(tmp_path: Path) -> None:
    """Activities calling sys.exit in the hub and in a thread fail their tasks; every execution completes, exit 0."""
    (tmp_path / "quitters.py").write_text(QUITTERS)
    path = tmp_path / "quitters.ini"
    path.write_text(
        "[swf]\ndomain = d\nendpoint_url = local\npoll_timeout = 1\nlog_level = WARNING\n\n"
        "[activities:quitters]\ntask_list = quitters\ngreenlets = 2\nmodules = quitters\n\n"
        "[decider:flow]\ntask_list = flow\nclass = quitters.Quitters\nworkflow_type = flow\nworkflow_version = 1\n\n"
        "[executions]\nworkflow = flow\ncount = 3\ntimeout = 60\n"
    )
    paths = [str(tmp_path)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    done = subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", str(path)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "3/3 started, 3 completed, 0 failed, 0 still open" in done.stdout
