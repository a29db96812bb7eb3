"""The runner's worker processes: ``[swf] processes = N`` / ``--processes N``, end to end over loopback HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf.connection import call_pages
from swf_gevent._config import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.timeout(90)

_STARTED = re.compile(r"process (\d+) started \(pid (\d+)\)")


def _config(tmp_path: Path, endpoint_url: str, domain: str, processes: int | None, executions: int = 0) -> str:
    text = f"""
[swf]
domain = {domain}
region = us-east-1
endpoint_url = {endpoint_url}
poll_timeout = 1
stop_timeout = 5
log_level = INFO

[activities:text]
task_list = text
greenlets = 4
modules = text_pipeline

[decider:pipeline]
task_list = pipeline
greenlets = 2
class = text_pipeline.TextPipeline
workflow_type = text-pipeline
workflow_version = 1
"""
    if processes is not None:
        text = text.replace("[swf]\n", f"[swf]\nprocesses = {processes}\n")
    if executions:
        text += f"""
[executions]
workflow = pipeline
count = {executions}
input_factory = text_pipeline.execution_input
timeout = 60
"""
    path = tmp_path / "fleet.ini"
    path.write_text(text)
    return str(path)


def _environment() -> dict[str, str]:
    """The environment with examples/ importable and dummy credentials (boto3's chain, as against SWF)."""
    paths = [str(EXAMPLES)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_environment(),
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class _Log:
    """The runner's standard error, read line by line as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self.stream = process.stderr
        self.lines: list[str] = []

    def wait_for(self, pattern: re.Pattern[str], count: int = 1) -> list[re.Match[str]]:
        """Read until ``count`` lines in all match ``pattern`` (gevent.Timeout: 30 s); the matches."""
        try:
            with gevent.Timeout(30):
                while True:
                    found = [m for m in map(pattern.search, self.lines) if m]
                    if len(found) >= count:
                        return found
                    line = self.stream.readline()
                    assert line, "the runner's stderr ended:\n" + "".join(self.lines)
                    self.lines.append(line)
        except gevent.Timeout:
            raise AssertionError(
                f"no {count} lines matching {pattern.pattern!r} in 30 s:\n" + "".join(self.lines)
            ) from None


def _activity_workers(client: Any, domain: str) -> set[str]:
    """The ``host:pid`` parts of the identities that started an activity task in the domain."""
    identities = set()
    for page in call_pages(
        client,
        "ListClosedWorkflowExecutions",
        domain=domain,
        startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
    ):
        for info in page["executionInfos"]:
            for events in call_pages(client, "GetWorkflowExecutionHistory", domain=domain, execution=info["execution"]):
                for event in events["events"]:
                    if event["eventType"] == "ActivityTaskStarted":
                        identities.add(event["activityTaskStartedEventAttributes"]["identity"].split(":activities:")[0])
    return identities


def test_two_processes_share_the_executions(tmp_path: Path, local_swf: Any, swf_client: Any, domain_name: str) -> None:
    """With ``processes = 2`` every execution completes, both children (not the parent) do the work, counts add up."""
    process = _start(_config(tmp_path, local_swf.endpoint_url, domain_name, processes=2, executions=12))
    stdout, stderr = process.communicate(timeout=80)
    assert process.returncode == 0, stderr
    assert "2 processes of 6 task slots on up to 6 pollers polling" in stdout
    assert "12/12 started, 12 completed, 0 failed, 0 still open" in stdout
    assert "processes      2, 0 restarts" in stdout
    child_pids = {int(m.group(2)) for m in _STARTED.finditer(stderr)}
    assert len(child_pids) == 2 and process.pid not in child_pids

    workers = _activity_workers(swf_client, domain_name)
    assert {int(worker.rsplit(":", 1)[1]) for worker in workers} == child_pids
    answered = int(re.search(r"activity tasks (\d+) in", stdout).group(1))  # type: ignore[union-attr]
    history_count = sum(
        1
        for page in call_pages(
            swf_client,
            "ListClosedWorkflowExecutions",
            domain=domain_name,
            startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
        )
        for info in page["executionInfos"]
        for events in call_pages(
            swf_client, "GetWorkflowExecutionHistory", domain=domain_name, execution=info["execution"]
        )
        for event in events["events"]
        if event["eventType"] == "ActivityTaskCompleted"
    )
    assert answered == history_count


def test_processes_flag_with_the_embedded_endpoint(tmp_path: Path) -> None:
    """``--processes 2`` with ``endpoint_url = local``: one endpoint in the parent, both children use it."""
    process = _start(_config(tmp_path, "local", "multi-local", processes=None, executions=6), "--processes", "2")
    stdout, stderr = process.communicate(timeout=80)
    assert process.returncode == 0, stderr
    assert "6/6 started, 6 completed, 0 failed, 0 still open" in stdout
    assert "processes      2, 0 restarts" in stdout
    assert stderr.count("Local SWF endpoint listening on") == 1


def test_crashed_process_is_restarted_and_sigterm_reaches_every_child(
    tmp_path: Path, local_swf: Any, domain_name: str
) -> None:
    """A child killed with SIGKILL is restarted after a backoff; SIGTERM to the parent stops every child, exit 0."""
    process = _start(_config(tmp_path, local_swf.endpoint_url, domain_name, processes=2))
    try:
        log = _Log(process)
        first = [int(m.group(2)) for m in log.wait_for(_STARTED, 2)]
        log.wait_for(re.compile(r"actors polling domain"), 2)
        os.kill(first[0], signal.SIGKILL)
        log.wait_for(re.compile(r"process \d ended with status -9; restarting it in 1\.0 s"))
        pids = [int(m.group(2)) for m in log.wait_for(_STARTED, 3)]
        replacement = pids[2]
        assert replacement not in first
        log.wait_for(re.compile(r"actors polling domain"), 3)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "processes      2, 1 restart" in stdout
    assert "interrupted by a signal" in stdout
    assert stderr.count("SIGTERM received") == 3  # the parent and both children now running
    assert not any(_alive(pid) for pid in [first[1], replacement])


def test_parent_exits_once_every_child_stopped(tmp_path: Path, local_swf: Any, domain_name: str) -> None:
    """Children stopped one by one with SIGTERM are not restarted; the parent then exits 0 by itself."""
    process = _start(_config(tmp_path, local_swf.endpoint_url, domain_name, processes=2))
    try:
        log = _Log(process)
        pids = [int(m.group(2)) for m in log.wait_for(_STARTED, 2)]
        log.wait_for(re.compile(r"actors polling domain"), 2)
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "processes      2, 0 restarts" in stdout
    assert "every process ended: stopping" in stderr
    assert "interrupted by a signal" not in stdout


def test_processes_must_be_a_positive_integer(tmp_path: Path, local_swf: Any) -> None:
    """``processes = 0`` is a config error naming the key; ``--processes 0`` exits 2."""
    path = _config(tmp_path, local_swf.endpoint_url, "bad-processes", processes=0)
    sys_path = list(sys.path)
    sys.path.insert(0, str(EXAMPLES))
    try:
        with pytest.raises(ConfigError, match=r"\[swf\] processes: must be a positive integer, got '0'"):
            load(path)
    finally:
        sys.path[:] = sys_path
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "swf_gevent.run",
            _config(tmp_path, local_swf.endpoint_url, "bad", None),
            "--processes",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=_environment(),
    )
    assert result.returncode == 2
    assert "--processes: must be a positive integer, got '0'" in result.stderr


def test_children_stop_when_the_parent_is_killed(tmp_path: Path, local_swf: Any, domain_name: str) -> None:
    """Children whose parent died (SIGKILL, no signal passed on) notice it and stop warmly by themselves."""
    process = _start(_config(tmp_path, local_swf.endpoint_url, domain_name, processes=2))
    try:
        log = _Log(process)
        log.wait_for(_STARTED, 2)
        log.wait_for(re.compile(r"actors polling domain"), 2)
        process.kill()
        process.wait(30)
        log.wait_for(re.compile(r"the parent process \d+ is gone: stopping"), 2)
        with gevent.Timeout(30):
            rest = log.stream.read()  # returns at EOF: every child has exited and closed its stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in "".join(log.lines) + rest
