"""The runner end to end: real greenlet fleets running the demo pipeline over loopback HTTP."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from swf.connection import call, call_pages
from swf_gevent._config import load
from swf_gevent.run import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.timeout(120)


def _config(tmp_path: Path, endpoint_url: str, domain: str, executions: int = 0) -> str:
    text = f"""
[swf]
domain = {domain}
region = us-east-1
endpoint_url = {endpoint_url}
poll_timeout = 1

[activities:text]
task_list = text
greenlets = 8
modules = text_pipeline

[decider:pipeline]
task_list = pipeline
greenlets = 3
class = text_pipeline.TextPipeline
workflow_type = text-pipeline
workflow_version = 1
"""
    if executions:
        text += f"""
[executions]
workflow = pipeline
count = {executions}
input_factory = text_pipeline.execution_input
timeout = 60
"""
    else:
        text += """
[handlers]
log = swf_gevent.handlers.LoggingHandler
"""
    path = tmp_path / "fleet.ini"
    path.write_text(text.replace("[swf]", f"[swf]\nlog_level = {'WARNING' if executions else 'DEBUG'}"))
    return str(path)


def _expected(file_name: str) -> dict[str, Any]:
    """The word counts of a data file, computed here without the pipeline's code."""
    text = (EXAMPLES / "data" / file_name).read_text(encoding="utf-8").lower()
    counts = Counter(re.findall(r"[a-z]+(?:'[a-z]+)?", text))
    return {"file": file_name, "words": sum(counts.values()), "counts": dict(counts)}


def _environment() -> dict[str, str]:
    """The environment with examples/ importable (the config lives elsewhere)."""
    paths = [str(EXAMPLES)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _run_subprocess(path: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", path],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=_environment(),
    )


def test_runner_completes_every_execution_with_the_right_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """Against an endpoint URL, every execution the runner starts closes COMPLETED with the file's word counts."""
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")  # boto3's chain, as against real SWF
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    out = io.StringIO()
    assert main([_config(tmp_path, local_swf.endpoint_url, domain_name, executions=8)], stdout=out) == 0
    assert "8/8 started, 8 completed, 0 failed, 0 still open" in out.getvalue()

    count_type = call(swf_client, "DescribeActivityType", domain=domain_name, activityType={"name": "count", "version": "1"})
    assert count_type["configuration"]["defaultTaskList"] == {"name": "text"}
    assert count_type["configuration"]["defaultTaskStartToCloseTimeout"] == "300"
    assert count_type["configuration"]["defaultTaskHeartbeatTimeout"] == "NONE"

    closed = [
        info
        for page in call_pages(
            swf_client,
            "ListClosedWorkflowExecutions",
            domain=domain_name,
            startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
        )
        for info in page["executionInfos"]
    ]
    assert len(closed) == 8
    assert {info["closeStatus"] for info in closed} == {"COMPLETED"}
    files = sorted(p.name for p in (EXAMPLES / "data").glob("*.txt"))
    for info in closed:
        execution = info["execution"]
        index = int(execution["workflowId"].rsplit("-", 1)[1])
        history = call(
            swf_client,
            "GetWorkflowExecutionHistory",
            domain=domain_name,
            execution=execution,
            reverseOrder=True,
            maximumPageSize=1,
        )
        last = history["events"][0]
        assert last["eventType"] == "WorkflowExecutionCompleted"
        result = json.loads(last["workflowExecutionCompletedEventAttributes"]["result"])
        assert result == _expected(files[index % len(files)])


def test_command_line_with_embedded_endpoint(tmp_path: Path) -> None:
    """``python -m swf_gevent.run`` with ``endpoint_url = local`` runs its executions, prints the summary, exits 0."""
    result = _run_subprocess(_config(tmp_path, "local", "cli-demo", executions=6))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = lines[next(i for i, line in enumerate(lines) if line.startswith("simple-workflow run:")) :]
    assert summary[0].endswith("on the local endpoint")
    assert "6/6 started, 6 completed, 0 failed, 0 still open" in summary[1]
    assert re.search(r"activity tasks \d+ in [\d.]+ s: [\d.]+ tasks/s", summary[2])
    assert re.search(r"latency +p50 [\d.]+ ms, p95 [\d.]+ ms", summary[3])


def test_sigterm_stops_the_fleet_cleanly(tmp_path: Path) -> None:
    """SIGTERM stops every actor, prints the summary and exits 0."""
    path = _config(tmp_path, "local", "cli-signal")
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_environment(),
    )
    try:
        assert process.stderr is not None
        started = 0
        for line in process.stderr:  # the LoggingHandler reports each actor's start at DEBUG
            started += "actor-started" in line
            if started == 11:
                break
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "interrupted by a signal" in stdout
    assert stderr.count("actor-stopped") == 11


def test_demo_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/demo.ini loads: embedded endpoint, 20 decider and 200 activity greenlets, 500 executions."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    config = load(str(EXAMPLES / "demo.ini"))
    assert config.local
    assert [g.greenlets for g in config.deciders] == [20]
    assert [g.greenlets for g in config.activities] == [200]
    assert config.executions is not None and config.executions.count == 500


def test_package_import_leaves_ssl_and_botocore_alone() -> None:
    """Importing swf_gevent imports neither ssl nor botocore, so the runner can patch first."""
    probe = "import sys, swf_gevent; print('ssl' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.split() == ["False", "False"]


def test_missing_credentials_exit_1_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no credentials anywhere in boto3's chain, the run ends with status 1 and one line naming the config."""
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = _config(tmp_path, "http://127.0.0.1:9", "no-credentials", executions=1)
    err = io.StringIO()
    assert main([path], stdout=io.StringIO(), stderr=err) == 1
    assert err.getvalue().splitlines() == [f"{path}: Unable to locate credentials"]


def test_executions_timeout_reports_open_ones_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executions still open at ``timeout`` are counted as such, and the run exits 1."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "idle_flow.py").write_text(
        "from swf_gevent.activities import activity\n\n\n"
        "@activity('nothing', version='1')\n"
        "def nothing(payload):\n    return None\n\n\n"
        "class Idle:\n    def decide(self, task):\n        return []\n"
    )
    path = tmp_path / "idle.ini"
    path.write_text(
        "[swf]\ndomain = idle\nendpoint_url = local\npoll_timeout = 0.5\n\n"
        "[activities:a]\ntask_list = a\nmodules = idle_flow\n\n"
        "[decider:idle]\ntask_list = d\nclass = idle_flow.Idle\nworkflow_type = idle\nworkflow_version = 1\n\n"
        "[executions]\nworkflow = idle\ncount = 3\ninput = {\"x\": 1}\ntimeout = 1\n"
    )
    out = io.StringIO()
    assert main([str(path)], stdout=out) == 1
    assert "3/3 started, 0 completed, 0 failed, 3 still open" in out.getvalue()
