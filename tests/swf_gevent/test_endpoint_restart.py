"""A fleet run across a killed endpoint: ``kill -9`` mid-run, restart on the same file and port, nothing lost.

The endpoint (``python -m swf_gevent.local --db``) and the runner
(``python -m swf_gevent.run``) are processes of their own; the test starts
200 executions, reads every history as late as it can, kills the endpoint
with SIGKILL, starts it again on the same database and port, and counts the
outcome from the restarted endpoint's histories.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.local.engine_support import client_for, history

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "restarts"
EXECUTIONS = 200
STEPS = 3

pytestmark = pytest.mark.timeout(240)

FLOWS = '''
"""Three steps, each retried on a timeout: what a task lost with a killed endpoint comes to."""

import time
from datetime import timedelta

from swf_gevent import workflow as wf
from swf_gevent.activities import activity

RETRY = wf.RetryPolicy(initial_interval=timedelta(seconds=1), backoff=1.0, max_attempts=20)
STEPS = 3


@activity("step", version="1", task_list="restart-work", start_to_close_timeout=timedelta(seconds=4))
def step(n: int) -> int:
    time.sleep(0.05)
    return n + 1


@wf.workflow(
    "chain", version="1", task_list="restart-deciders",
    decision_timeout=timedelta(seconds=4), execution_timeout=timedelta(minutes=10),
)
def chain(ctx: wf.Context, n: int) -> int:
    for _ in range(STEPS):
        n = ctx.execute(step, n, retry=RETRY)
    return n
'''

FLEET = """
[swf]
domain = {domain}
region = us-east-1
endpoint_url = {url}
poll_timeout = 1
unknown_domain_timeout = 120

[activities:work]
task_list = restart-work
slots = 40
modules = restart_flows

[decider:chain]
slots = 10
workflow = restart_flows.chain
"""


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def _endpoint(db: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """``python -m swf_gevent.local --db <db> --port <port>``; returns it and the URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--db", str(db), "--port", str(port), "--poll-timeout", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_environment(),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), process.communicate(timeout=10)
    return process, url


def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        time.sleep(0.1)


def _closed(client: Any) -> int:
    return int(client.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter={"oldestDate": 0})["count"])


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes the test starts; any still running at the end is killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_kill_9_mid_run_loses_nothing_acknowledged(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Every execution completes after the endpoint is killed and restarted, its history going on from the kill."""
    db = tmp_path / "swf.sqlite3"
    (tmp_path / "restart_flows.py").write_text(FLOWS)
    endpoint, url = _endpoint(db, 0)
    processes.append(endpoint)
    port = int(url.rsplit(":", 1)[1])
    client = client_for(url)
    config = tmp_path / "fleet.ini"
    config.write_text(FLEET.format(domain=DOMAIN, url=url))
    fleet = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_environment(),
    )
    processes.append(fleet)

    def registered() -> bool:
        try:
            client.describe_workflow_type(domain=DOMAIN, workflowType={"name": "chain", "version": "1"})
        except client.exceptions.UnknownResourceFault:
            return False
        return True

    _until(registered, 60, "the runner registered the workflow type")
    runs = {}
    for index in range(EXECUTIONS):
        workflow_id = f"chain-{index}"
        started = client.start_workflow_execution(
            domain=DOMAIN, workflowId=workflow_id, workflowType={"name": "chain", "version": "1"}, input=str(index)
        )
        runs[workflow_id] = {"workflowId": workflow_id, "runId": started["runId"]}

    _until(lambda: _closed(client) >= EXECUTIONS // 4, 120, f"{EXECUTIONS // 4} executions closed before the kill")
    acknowledged = {workflow_id: history(client, DOMAIN, run) for workflow_id, run in runs.items()}
    endpoint.send_signal(signal.SIGKILL)
    endpoint.wait(timeout=10)
    closed_before = sum(
        1 for events in acknowledged.values() if events[-1]["eventType"] == "WorkflowExecutionCompleted"
    )

    endpoint, url = _endpoint(db, port)
    processes.append(endpoint)
    _until(lambda: _closed(client) == EXECUTIONS, 180, "every execution closed after the restart")

    outcomes = {}
    for workflow_id, run in runs.items():
        events = history(client, DOMAIN, run)
        before = acknowledged[workflow_id]
        assert events[: len(before)] == before, f"{workflow_id}: history differs from what was acknowledged"
        outcomes[workflow_id] = events[-1]
    completed = [event for event in outcomes.values() if event["eventType"] == "WorkflowExecutionCompleted"]
    assert len(completed) == EXECUTIONS
    assert {
        workflow_id: event["workflowExecutionCompletedEventAttributes"]["result"]
        for workflow_id, event in outcomes.items()
    } == {f"chain-{index}": str(index + STEPS) for index in range(EXECUTIONS)}
    print(
        f"{EXECUTIONS} executions: {closed_before} closed before the kill, all {len(completed)} completed after it; "
        f"{sum(len(events) for events in acknowledged.values())} events acknowledged before the kill, each kept"
    )

    fleet.send_signal(signal.SIGTERM)
    _, errors = fleet.communicate(timeout=60)
    assert fleet.returncode == 0, errors
