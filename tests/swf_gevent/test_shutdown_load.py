"""SIGTERM to the runner during a load of 1,000 activity tasks: none lost, none run twice.

The runner runs as a subprocess against a local endpoint in this process,
starting 100 executions of a workflow that schedules 10 activity tasks at
once: 8 short ones (0.1 s) and 2 that run until stopped. Once all 100
executions have scheduled their tasks and at least 250 tasks have started,
the test sends SIGTERM, then reads every history. The runner stops warmly,
so each of the 1,000 scheduled tasks ended one of three ways: completed
(every short task taken), failed back with the shutdown reason (every
long task taken: it outlives ``stop_timeout``), or still scheduled and
never started (not taken). No task started and was abandoned to time out.
The activity function records each of its runs in a file named for the
task; each file holds exactly one run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf.connection import call_pages
from swf_gevent._config import ConfigError, load
from swf_gevent.actors import SHUTDOWN_REASON

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)

EXECUTIONS = 100
TASKS = 10  # per execution
LONG = ("t8", "t9")  # the activity ids of the tasks that run until stopped
STARTED_BEFORE_SIGTERM = 250

_FLOW = '''
"""The load: 10 activity tasks per execution, each recording its runs in a file."""

import json
import os
from pathlib import Path

import gevent

from swf.models import decisions
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity

RUNS = Path(os.environ["LOAD_RUNS"])
DECIDED = Path(os.environ["LOAD_DECIDED"])
_OPEN = (TaskStatus.SCHEDULED, TaskStatus.STARTED, TaskStatus.CANCEL_REQUESTED)


@activity("work", version="1")
def work(payload, context):
    with open(RUNS / f"{context.workflow_execution.workflow_id}.{context.activity_id}", "a") as runs:
        runs.write("run\\n")
    gevent.sleep(payload["seconds"])
    return payload["seconds"]


class Load:
    def decide(self, task):
        state = task.history.state
        if not state.activities:
            (DECIDED / task.workflow_execution.workflow_id).touch()
            return [
                decisions.schedule_activity_task(
                    f"t{i}", ("work", "1"), input=json.dumps({"seconds": 600 if i >= 8 else 0.1})
                )
                for i in range(10)
            ]
        if any(attempt.status in _OPEN for attempt in state.activities.values()):
            return []
        return [decisions.complete_workflow_execution()]
'''


def _config(tmp_path: Path, endpoint_url: str, domain: str, processes: int) -> Path:
    path = tmp_path / "load.ini"
    path.write_text(
        f"""
[swf]
domain = {domain}
region = us-east-1
endpoint_url = {endpoint_url}
poll_timeout = 1
stop_timeout = 1
processes = {processes}
log_level = WARNING

[activities:load]
task_list = load
greenlets = {100 // processes}
modules = load_flow

[decider:load]
task_list = load-decisions
greenlets = {10 // processes}
class = load_flow.Load
workflow_type = load
workflow_version = 1

[executions]
workflow = load
count = {EXECUTIONS}
input = {{}}
timeout = 300
"""
    )
    (tmp_path / "load_flow.py").write_text(_FLOW)
    return path


def _wait_until(condition: Any, what: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Check ``condition()`` every 50 ms until true (gevent.Timeout: ``timeout`` s)."""
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while not condition():
            assert process.poll() is None, f"the runner ended early: {process.communicate()}"
            gevent.sleep(0.05)


def _histories(client: Any, domain: str) -> dict[str, list[dict[str, Any]]]:
    """``{workflowId: events}`` of every execution in the domain, open or closed."""
    oldest = {"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)}
    infos = [
        info
        for operation in ("ListOpenWorkflowExecutions", "ListClosedWorkflowExecutions")
        for page in call_pages(client, operation, domain=domain, startTimeFilter=oldest)
        for info in page["executionInfos"]
    ]
    return {
        info["execution"]["workflowId"]: [
            event
            for page in call_pages(client, "GetWorkflowExecutionHistory", domain=domain, execution=info["execution"])
            for event in page["events"]
        ]
        for info in infos
    }


def _outcomes(events: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """``{activityId: (event types after ActivityTaskScheduled, ...)}`` of one history, by scheduledEventId."""
    scheduled: dict[int, str] = {}
    outcomes: dict[str, list[str]] = {}
    for event in events:
        kind = event["eventType"]
        if kind == "ActivityTaskScheduled":
            activity_id = event["activityTaskScheduledEventAttributes"]["activityId"]
            assert activity_id not in outcomes, f"{activity_id} scheduled twice"
            scheduled[event["eventId"]] = activity_id
            outcomes[activity_id] = []
        elif kind.startswith("ActivityTask"):
            attributes = event[kind[0].lower() + kind[1:] + "EventAttributes"]
            activity_id = scheduled[attributes["scheduledEventId"]]
            detail = attributes.get("reason", "") if kind == "ActivityTaskFailed" else ""
            outcomes[activity_id].append(f"{kind}:{detail}" if detail else kind)
    return {activity_id: tuple(kinds) for activity_id, kinds in outcomes.items()}


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_under_load_loses_no_task_and_runs_none_twice(
    tmp_path: Path, local_swf: Any, swf_client: Any, domain_name: str, processes: int
) -> None:
    """After SIGTERM mid-load, each of 1,000 tasks is completed, failed back, or never started; each ran at most once."""
    runs, decided = tmp_path / "runs", tmp_path / "decided"
    runs.mkdir()
    decided.mkdir()
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        ),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "LOAD_RUNS": str(runs),
        "LOAD_DECIDED": str(decided),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "swf_gevent.run",
            str(_config(tmp_path, local_swf.endpoint_url, domain_name, processes)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    try:
        _wait_until(lambda: len(os.listdir(decided)) == EXECUTIONS, "every execution's first decision", process)
        _wait_until(
            lambda: len(os.listdir(runs)) >= STARTED_BEFORE_SIGTERM, f"{STARTED_BEFORE_SIGTERM} tasks started", process
        )
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, stderr  # some executions could not complete: their tasks were never run
    assert "interrupted by a signal" in stdout

    histories = _histories(swf_client, domain_name)
    assert len(histories) == EXECUTIONS
    endings: Counter[str] = Counter()
    for workflow_id, events in histories.items():
        outcomes = _outcomes(events)
        assert sorted(outcomes) == sorted(f"t{i}" for i in range(TASKS)), workflow_id
        for activity_id, kinds in outcomes.items():
            record = runs / f"{workflow_id}.{activity_id}"
            ran = record.read_text().count("run\n") if record.exists() else 0
            assert ran <= 1, f"{workflow_id} {activity_id} ran {ran} times"
            if kinds == ():
                assert ran == 0, f"{workflow_id} {activity_id} ran without being started"
                endings["never started"] += 1
            elif activity_id in LONG:
                assert len(kinds) == 2 and kinds[0] == "ActivityTaskStarted", (workflow_id, activity_id, kinds)
                assert kinds[1] == f"ActivityTaskFailed:{SHUTDOWN_REASON}", kinds
                endings["failed back"] += 1
            else:
                assert kinds == ("ActivityTaskStarted", "ActivityTaskCompleted"), (workflow_id, activity_id, kinds)
                assert ran == 1
                endings["completed"] += 1
    assert sum(endings.values()) == EXECUTIONS * TASKS
    assert endings["completed"] > 0 and endings["failed back"] > 0 and endings["never started"] > 0, endings
    assert len(os.listdir(runs)) <= endings["completed"] + endings["failed back"]


def test_stop_timeout_is_read_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``[swf] stop_timeout`` is seconds (10 by default); zero or a word is a config error naming the key."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("LOAD_RUNS", str(tmp_path))
    monkeypatch.setenv("LOAD_DECIDED", str(tmp_path))
    path = _config(tmp_path, "local", "stop-timeout", 1)
    try:
        assert load(str(path)).stop_timeout == 1.0
        path.write_text(path.read_text().replace("stop_timeout = 1\n", ""))
        assert load(str(path)).stop_timeout == 10.0
        for bad in ("0", "soon"):
            path.write_text(path.read_text().replace("[swf]\n", f"[swf]\nstop_timeout = {bad}\n", 1))
            with pytest.raises(
                ConfigError, match=rf"\[swf\] stop_timeout: must be a positive number of seconds, got '{bad}'"
            ):
                load(str(path))
            path.write_text(path.read_text().replace(f"stop_timeout = {bad}\n", ""))
    finally:
        sys.modules.pop("load_flow", None)  # written for this test only
