"""The runner under faults: stop requests at start-up, an endpoint that forgot the domain, deprecated
activity types, read timeouts under SWF's hold, control characters in the file, botocore at DEBUG, moto."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import gevent
import pytest
from gevent.event import Event

from swf.connection import call
from swf_gevent import signals
from swf_gevent.local import LocalSWF
from swf_gevent.run import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)

FLOWS = '''
from swf.models import decisions
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity


@activity("nap", version="1")
def nap(payload):
    return None


class Nap:
    """Schedules one nap; completes once it completed."""

    def decide(self, task):
        state = task.history.state
        attempt = state.activities.get("nap")
        if attempt is None:
            return [decisions.schedule_activity_task("nap", ("nap", "1"), input="{}")]
        if attempt.status is TaskStatus.COMPLETED:
            return [decisions.complete_workflow_execution()]
        return []
'''


def _flows(tmp_path: Path, swf: str, extra: str = "") -> str:
    """A config running the ``flows`` module written next to it."""
    (tmp_path / "flows.py").write_text(FLOWS)
    path = tmp_path / "flows.ini"
    path.write_text(
        f"[swf]\n{swf}\n\n"
        "[activities:naps]\ntask_list = naps\ngreenlets = 2\nmodules = flows\n\n"
        "[decider:flow]\ntask_list = flow\nclass = flows.Nap\nworkflow_type = flow\nworkflow_version = 1\n\n" + extra
    )
    return str(path)


@pytest.fixture(autouse=True)
def _flows_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "flows", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


def _main(path: str, timeout: float = 60) -> tuple[int, str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    with gevent.Timeout(timeout):
        code = main([path], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue().splitlines()


def test_stop_request_while_the_endpoint_never_answers_ends_the_run_at_once(tmp_path: Path) -> None:
    """SIGTERM while registration waits on an endpoint that accepts and never answers: exit 1 at once, one line."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(30)
        port = server.getsockname()[1]
        path = _flows(tmp_path, f"domain = d\nregion = us-east-1\nendpoint_url = http://127.0.0.1:{port}")
        process = subprocess.Popen(
            [sys.executable, "-m", "swf_gevent.run", path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
        )
        try:
            connection, _ = server.accept()  # the runner's first call is on the wire, waiting for its answer
            with connection:
                connection.recv(65536)
                process.send_signal(signal.SIGTERM)
                stdout, stderr = process.communicate(timeout=8)  # not the call's 10 s read timeout, nor its retries
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 1, stderr
    assert stderr.splitlines()[-1] == f"{path}: interrupted by SIGTERM before the fleet was running"
    assert "Traceback" not in stderr and stdout == ""


def test_endpoint_that_forgot_the_domain_ends_the_run_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An endpoint restarted empty: the actors' warnings are rate-limited, and the run exits 1 naming the domain."""
    first = LocalSWF(poll_timeout=0.5)
    first.start()
    port = first.port
    path = _flows(
        tmp_path,
        f"domain = forgotten\nregion = us-east-1\nendpoint_url = http://127.0.0.1:{port}\npoll_timeout = 0.5\n"
        "unknown_domain_timeout = 3",
    )
    polling = Event()

    def started(sender: Any, **payload: Any) -> None:
        polling.set()

    signals.poll_empty.connect(started)
    out, err = io.StringIO(), io.StringIO()
    second: LocalSWF | None = None
    try:
        with gevent.Timeout(60):
            run = gevent.spawn(main, [path], stdout=out, stderr=err)
            polling.wait()
            first.stop()
            second = LocalSWF(port=port, poll_timeout=0.5)  # the same address, nothing registered
            second.start()
            code = run.get()
    finally:
        signals.poll_empty.disconnect(started)
        first.stop()
        if second is not None:
            second.stop()
    assert code == 1, err.getvalue()
    assert err.getvalue().splitlines() == [
        f"{path}: domain 'forgotten' unknown to the endpoint: every poll for 3 s answered UnknownResourceFault "
        "(an endpoint restarted empty?); stopping"
    ]
    warnings = [r for r in caplog.records if r.name == "swf_gevent.actors" and r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 2  # 4 pollers refused for 3 s: one warning, and one for a poll cut by the restart


def test_endpoint_that_forgot_the_domain_ends_a_run_of_worker_processes(tmp_path: Path) -> None:
    """With two worker processes, an endpoint restarted empty ends the parent's run: exit 1, one line naming the domain."""
    first = LocalSWF(poll_timeout=0.5)
    first.start()
    port = first.port
    path = _flows(
        tmp_path,
        f"domain = forgotten\nregion = us-east-1\nendpoint_url = http://127.0.0.1:{port}\npoll_timeout = 0.5\n"
        "unknown_domain_timeout = 2\nprocesses = 2\nlog_level = INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    second: LocalSWF | None = None
    lines: list[str] = []
    try:
        with gevent.Timeout(60):
            assert process.stderr is not None
            while sum("actors polling domain" in line for line in lines) < 2:  # both children poll
                line = process.stderr.readline()
                assert line, "".join(lines)
                lines.append(line)
            first.stop()
            second = LocalSWF(port=port, poll_timeout=0.5)  # the same address, nothing registered
            second.start()
            stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        first.stop()
        if second is not None:
            second.stop()
    assert process.returncode == 1, stderr
    assert stderr.splitlines()[-1] == (
        f"{path}: domain 'forgotten' unknown to the endpoint: every poll of a worker process was answered "
        "UnknownResourceFault for 2 s (an endpoint restarted empty?); stopping"
    )
    assert "Traceback" not in stderr


def test_deprecated_activity_type_exits_2_with_one_line(
    tmp_path: Path, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """An activity type deprecated in SWF ends the start-up: exit 2, one line naming the group's modules."""
    call(swf_client, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    call(swf_client, "RegisterActivityType", domain=domain_name, name="nap", version="1")
    call(swf_client, "DeprecateActivityType", domain=domain_name, activityType={"name": "nap", "version": "1"})
    swf = f"domain = {domain_name}\nregion = us-east-1\nendpoint_url = {local_swf.endpoint_url}\npoll_timeout = 1"
    path = _flows(tmp_path, swf, extra="[executions]\nworkflow = flow\ncount = 1\ninput = {}\ntimeout = 3\n")
    assert _main(path) == (
        2,
        "",
        [
            f"{path}: [activities:naps] modules: activity type 'nap' version '1' is deprecated in domain "
            f"{domain_name!r}: SWF schedules no task of it; give the @activity a new version"
        ],
    )


@pytest.mark.parametrize("read_timeout", ["60", "30"])
def test_read_timeout_at_or_under_the_hold_is_refused(tmp_path: Path, read_timeout: str) -> None:
    """A read timeout at or under SWF's 60 s hold exits 2 with one line naming [swf] read_timeout."""
    path = _flows(
        tmp_path, f"domain = d\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9\nread_timeout = {read_timeout}"
    )
    assert _main(path) == (
        2,
        "",
        [
            f"{path}: [swf] read_timeout: must be above the 60 s the endpoint holds an empty poll (poll_timeout; "
            "SWF's is 60): a poll timing out as a task is handed to it loses that task until its own timeout; "
            f"got {read_timeout!r}"
        ],
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[swf]\ndomain = d\n\n[sw\x1b[31mf]\nx = 1\n", "[sw\\x1b[31mf]"),
        ("[swf]\ndomain = d\n[a\x07b]\n", "[a\\x07b]"),
    ],
)
def test_config_error_lines_escape_control_characters(tmp_path: Path, text: str, shown: str) -> None:
    """A config error line shows the file's control characters (an ANSI escape, a bell) escaped, never raw."""
    path = tmp_path / "bad.ini"
    path.write_text(text)
    code, out, err = _main(str(path))
    assert (code, out, len(err)) == (2, "", 1)
    assert err[0].isprintable()
    assert shown in err[0]


def test_nul_in_the_file_is_escaped(tmp_path: Path) -> None:
    """A NUL in a section name is shown escaped in the one error line."""
    path = tmp_path / "bad.ini"
    path.write_bytes(b"[swf]\ndomain = d\n[a\x00b]\n")
    code, _, err = _main(str(path))
    assert (code, len(err)) == (2, 1)
    assert err[0].isprintable() and "\x00" not in err[0]


def _debug_run(tmp_path: Path, debug_loggers: str) -> str:
    """The stderr of a run of one execution on the embedded endpoint at ``log_level = DEBUG``."""
    swf = "domain = d\nendpoint_url = local\npoll_timeout = 0.5\nlog_level = DEBUG" + debug_loggers
    path = _flows(tmp_path, swf, extra="[executions]\nworkflow = flow\ncount = 1\ninput = {}\ntimeout = 30\n")
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", path], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_debug_level_keeps_botocore_quiet_unless_named(tmp_path: Path) -> None:
    """At log_level = DEBUG no task token reaches the log; debug_loggers = botocore lets botocore's lines through."""
    quiet = _debug_run(tmp_path, "")
    assert "taskToken" not in quiet and "botocore" not in quiet
    assert "DEBUG" in quiet  # the toolkit's own loggers are at DEBUG
    loud = _debug_run(tmp_path, "\ndebug_loggers = botocore")
    assert "taskToken" in loud


@pytest.fixture
def moto_endpoint() -> Any:
    """The URL of a moto server on a free loopback port."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_executions_against_moto_end_by_listing_when_counting_fails(
    tmp_path: Path, moto_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    """moto answers CountOpenWorkflowExecutions with HTTP 500: the run lists instead, says so once, and exits 0."""
    swf = f"domain = d\nregion = us-east-1\nendpoint_url = {moto_endpoint}\npoll_timeout = 1\nstop_timeout = 1"
    path = _flows(tmp_path, swf, extra="[executions]\nworkflow = flow\ncount = 2\ninput = {}\ntimeout = 60\n")
    code, out, err = _main(path, timeout=90)
    assert code == 0, err
    assert "2/2 started, 2 completed, 0 failed, 0 still open" in out
    said = [r for r in caplog.records if "cannot count the open executions" in r.getMessage()]
    assert len(said) == 1
