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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import gevent
import pytest

from swf.connection import call, call_pages
from swf_gevent._config import load
from swf_gevent._runner import _register
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

    count_type = call(
        swf_client, "DescribeActivityType", domain=domain_name, activityType={"name": "count", "version": "1"}
    )
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


def test_registration_adds_what_is_missing_and_leaves_existing_types_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """_register registers missing types (unlimited timeouts as "NONE"), keeps an earlier one as is, and may run twice."""
    from datetime import timedelta

    from swf.models import NO_LIMIT, ActivityType, Domain, WorkflowType

    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    domain = Domain(domain_name, retention_period=timedelta(days=2), client=swf_client)
    domain.save()
    earlier = ActivityType(domain, "count", "1", default_task_heartbeat_timeout=timedelta(seconds=9))
    earlier.save()
    config = load(_config(tmp_path, local_swf.endpoint_url, domain_name))
    _register(swf_client, config)
    _register(swf_client, config)  # everything exists now: nothing raises, nothing changes

    assert earlier.is_synced is True
    assert domain.upstream().retention_period == timedelta(days=2)
    split = ActivityType(domain, "split", "1").upstream()
    assert (
        split.default_task_list,
        split.default_task_heartbeat_timeout,
        split.default_task_start_to_close_timeout,
    ) == (
        "text",
        NO_LIMIT,
        timedelta(minutes=5),
    )
    pipeline = WorkflowType(domain, "text-pipeline", "1").upstream()
    assert (
        pipeline.default_task_list,
        pipeline.default_execution_start_to_close_timeout,
        pipeline.default_task_start_to_close_timeout,
        pipeline.default_child_policy,
    ) == ("pipeline", timedelta(hours=1), timedelta(minutes=1), "TERMINATE")


def test_command_line_with_embedded_endpoint(tmp_path: Path) -> None:
    """``python -m swf_gevent.run`` with ``endpoint_url = local`` runs its executions, prints the summary, exits 0."""
    result = _run_subprocess(_config(tmp_path, "local", "cli-demo", executions=6))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = lines[next(i for i, line in enumerate(lines) if line.startswith("simple-workflow run:")) :]
    assert re.fullmatch(r"simple-workflow run: .* on the local endpoint http://127\.0\.0\.1:\d+", summary[0])
    assert re.search(r"^web UI of the local endpoint: http://127\.0\.0\.1:\d+/ui/$", result.stderr, re.MULTILINE)
    assert "6/6 started, 6 completed, 0 failed, 0 still open" in summary[1]
    assert re.search(r"activity tasks \d+ in [\d.]+ s: [\d.]+ tasks/s", summary[2])
    assert re.search(r"latency +p50 [\d.]+ ms, p95 [\d.]+ ms", summary[3])


def test_sigterm_stops_the_fleet_cleanly(tmp_path: Path) -> None:
    """Without [executions] the start line prints at once; SIGTERM stops every actor, prints the summary, exits 0."""
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
            if started == 2:  # one actor per group
                break
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert re.match(
        r"11 task slots on up to 11 pollers polling domain 'cli-signal' at the local endpoint http://127\.0\.0\.1:\d+; ",
        stdout,
    )
    assert "interrupted by a signal" in stdout
    assert stderr.count("actor-stopped") == 2


def _with_local_db(path: str, db: Path) -> str:
    text = Path(path).read_text().replace("[swf]\n", f"[swf]\nlocal_db = {db}\n", 1)
    Path(path).write_text(text)
    return path


def test_local_db_keeps_the_embedded_endpoints_executions_across_runs(tmp_path: Path) -> None:
    """With ``local_db``, a second run finds the first run's executions; the file holds both runs' histories."""
    from swf_gevent.local import LocalSWF

    db = tmp_path / "runs.sqlite3"
    for _ in range(2):
        result = _run_subprocess(_with_local_db(_config(tmp_path, "local", "kept-runs", executions=3), db))
        assert result.returncode == 0, result.stderr
        assert "3/3 started, 3 completed, 0 failed, 0 still open" in result.stdout
    with LocalSWF(poll_timeout=0.5, db=str(db)) as local:
        client = boto3.client(
            "swf",
            endpoint_url=local.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        closed = [
            info
            for page in call_pages(
                client,
                "ListClosedWorkflowExecutions",
                domain="kept-runs",
                startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
            )
            for info in page["executionInfos"]
        ]
    assert [info["closeStatus"] for info in closed] == ["COMPLETED"] * 6


def test_local_db_that_cannot_be_used_exits_2_with_one_line(tmp_path: Path) -> None:
    """Another program's file as ``local_db``: one line naming the file, section and key; exit 2; the file untouched."""
    db = tmp_path / "notes.txt"
    db.write_text("not a database, and it stays as it is\n" * 20)
    path = _with_local_db(_config(tmp_path, "local", "refused", executions=3), db)
    result = _run_subprocess(path)
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [
        f"{path}: [swf] local_db: {db}: not a database or corrupt: file is not a database"
    ]
    assert db.read_text().startswith("not a database, and it stays")


def test_local_db_needs_the_embedded_endpoint(tmp_path: Path) -> None:
    path = _with_local_db(_config(tmp_path, "http://127.0.0.1:1", "refused"), tmp_path / "x.sqlite3")
    result = _run_subprocess(path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}: [swf] local_db: the embedded endpoint's database: give it with endpoint_url = local"
    ]


def test_demo_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/demo.ini loads: embedded endpoint, 20 decider and 200 activity greenlets, 500 executions."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    config = load(str(EXAMPLES / "demo.ini"))
    assert config.local
    assert [(g.slots, str(g.pollers)) for g in config.deciders] == [(20, "1..20")]
    assert [(g.slots, str(g.pollers)) for g in config.activities] == [(200, "1..20")]
    assert config.executions is not None and config.executions.count == 500


def test_package_import_leaves_ssl_and_botocore_alone() -> None:
    """Importing swf_gevent imports neither ssl nor botocore, so the runner can patch first."""
    probe = "import sys, swf_gevent; print('ssl' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.split() == ["False", "False"]


def test_missing_credentials_exit_1_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no credentials anywhere in boto3's chain, the run ends with status 1 and one line naming the config."""
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
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
        '[executions]\nworkflow = idle\ncount = 3\ninput = {"x": 1}\ntimeout = 1\n'
    )
    out = io.StringIO()
    assert main([str(path)], stdout=out) == 1
    assert "3/3 started, 0 completed, 0 failed, 3 still open" in out.getvalue()


FLOWS = '''
import json
import time

from swf.models import decisions
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity


@activity("nap", version="1")
def nap(payload):
    time.sleep(payload["seconds"])
    return None


class Nap:
    """Schedules one nap with the execution's input; completes once it completed."""

    def decide(self, task):
        state = task.history.state
        attempt = state.activities.get("nap")
        if attempt is None:
            return [decisions.schedule_activity_task("nap", ("nap", "1"), input=state.input or "{}")]
        if attempt.status is TaskStatus.COMPLETED:
            return [decisions.complete_workflow_execution()]
        return []


class Refuse:
    """Fails every execution at once."""

    def decide(self, task):
        return [decisions.fail_workflow_execution("bad input", "the input names no file")]


class Exploding:
    """A handler class whose constructor fails."""

    def __init__(self):
        raise RuntimeError("no statsd here")

    def connect(self):
        pass

    def disconnect(self):
        pass


def failing_input(index):
    if index == 2:
        raise KeyError("file")
    return {"seconds": 0}


def odd_input(index):
    return {"at": object()}
'''


def _flows(tmp_path: Path, swf: str, decider: str = "Nap", executions: str = "", extra: str = "") -> str:
    """A config running the ``flows`` module written next to it."""
    (tmp_path / "flows.py").write_text(FLOWS)
    path = tmp_path / "flows.ini"
    path.write_text(
        f"[swf]\n{swf}\n\n"
        "[activities:naps]\ntask_list = naps\ngreenlets = 2\nmodules = flows\n\n"
        f"[decider:flow]\ntask_list = flow\nclass = flows.{decider}\nworkflow_type = flow\nworkflow_version = 1\n\n"
        + (f"[executions]\nworkflow = flow\n{executions}\n\n" if executions else "")
        + extra
    )
    return str(path)


def _main(path: str) -> tuple[int, str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    with gevent.Timeout(60):
        code = main([path], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue().splitlines()


@pytest.fixture
def _flows_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "flows", raising=False)


@pytest.fixture
def _no_aws_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No region, endpoint or key pair in the environment, ~/.swf or ~/.aws; the new HOME."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home


@pytest.mark.usefixtures("_flows_importable")
def test_no_region_anywhere_exits_2_naming_region(tmp_path: Path, _no_aws_settings: Path) -> None:
    """An endpoint URL with no region in the config, the environment, ~/.swf or ~/.aws exits 2 naming [swf] region."""
    path = _flows(tmp_path, "domain = d\nendpoint_url = http://127.0.0.1:9\npoll_timeout = 1")
    code, out, err = _main(path)
    assert (code, out) == (2, "")
    assert err == [
        f"{path}: [swf] region: no AWS region: set it here, in AWS_DEFAULT_REGION, in [defaults] of ~/.swf, or in ~/.aws/config"
    ]


@pytest.mark.usefixtures("_flows_importable")
def test_bad_region_from_swf_file_exits_2(tmp_path: Path, _no_aws_settings: Path) -> None:
    """A region botocore refuses, coming from ~/.swf rather than the config, still exits 2 with one line naming it."""
    swf_file = _no_aws_settings / ".swf"
    swf_file.write_text("[defaults]\nregion = not a region!\n")
    swf_file.chmod(0o600)
    path = _flows(tmp_path, "domain = d\nendpoint_url = http://127.0.0.1:9\npoll_timeout = 1")
    code, out, err = _main(path)
    assert (code, out) == (2, "")
    assert err == [
        f"{path}: [swf] region: not set here, and {swf_file} [defaults] region = 'not a region!' "
        "is not an AWS region such as 'us-east-1'"
    ]


@pytest.mark.usefixtures("_flows_importable")
def test_settings_come_from_the_swf_file(tmp_path: Path, _no_aws_settings: Path, local_swf: Any) -> None:
    """Without region and endpoint_url in the config, ~/.swf's key pair, region and endpoint are used."""
    swf_file = _no_aws_settings / ".swf"
    swf_file.write_text(
        "[credentials]\naws_access_key_id = local\naws_secret_access_key = local\n\n"
        f"[defaults]\nregion = us-east-1\nendpoint_url = {local_swf.endpoint_url}\n"
    )
    swf_file.chmod(0o600)
    path = _flows(tmp_path, "domain = from-swf-file\npoll_timeout = 1", executions='count = 2\ninput = {"seconds": 0}')
    code, out, err = _main(path)
    assert code == 0, err
    assert f"on {local_swf.endpoint_url}" in out
    assert "2/2 started, 2 completed, 0 failed, 0 still open" in out


@pytest.mark.usefixtures("_flows_importable")
def test_handler_failing_to_build_exits_2(tmp_path: Path) -> None:
    """A handler class whose constructor raises exits 2 with one line naming [handlers] and its key."""
    path = _flows(
        tmp_path, "domain = d\nendpoint_url = local\npoll_timeout = 1", extra="[handlers]\nmine = flows.Exploding\n"
    )
    assert _main(path) == (2, "", [f"{path}: [handlers] mine: cannot start the handler: RuntimeError: no statsd here"])


@pytest.mark.usefixtures("_flows_importable")
@pytest.mark.parametrize(
    ("factory", "problem"),
    [
        ("failing_input", "failed for execution 2: KeyError: 'file' (2 executions started before it left open)"),
        ("odd_input", "failed for execution 0: TypeError: Object of type object is not JSON serializable"),
    ],
)
def test_input_factory_failing_exits_2(tmp_path: Path, factory: str, problem: str) -> None:
    """An input factory that raises, or returns what JSON cannot hold, exits 2 with one line; no traceback."""
    path = _flows(
        tmp_path,
        "domain = d\nendpoint_url = local\npoll_timeout = 1",
        executions=f"count = 5\ninput_factory = flows.{factory}",
    )
    assert _main(path) == (2, "", [f"{path}: [executions] input_factory: {problem}"])


@pytest.mark.usefixtures("_flows_importable")
def test_config_timeouts_beat_a_type_registered_without_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """A workflow type registered earlier without default timeouts still runs: each start sends the config's."""
    call(swf_client, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    call(swf_client, "RegisterWorkflowType", domain=domain_name, name="flow", version="1")
    swf = f"domain = {domain_name}\nregion = us-east-1\nendpoint_url = {local_swf.endpoint_url}\npoll_timeout = 1"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    code, out, err = _main(_flows(tmp_path, swf, executions='count = 3\ninput = {"seconds": 0}'))
    assert code == 0, err
    assert "3/3 started, 3 completed, 0 failed, 0 still open" in out


@pytest.mark.usefixtures("_flows_importable")
def test_deprecated_type_stops_at_the_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """A deprecated workflow type refuses every start: one line naming [executions] workflow, exit 2, not one per execution."""
    call(swf_client, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    call(swf_client, "RegisterWorkflowType", domain=domain_name, name="flow", version="1")
    call(swf_client, "DeprecateWorkflowType", domain=domain_name, workflowType={"name": "flow", "version": "1"})
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    swf = f"domain = {domain_name}\nregion = us-east-1\nendpoint_url = {local_swf.endpoint_url}\npoll_timeout = 1"
    path = _flows(tmp_path, swf, executions='count = 200\ninput = {"seconds": 0}')
    code, out, err = _main(path)
    assert (code, out, len(err)) == (2, "", 1)
    assert err[0].startswith(
        f"{path}: [executions] workflow: cannot start 'flow' version '1' in domain {domain_name!r}: "
    )


@pytest.mark.usefixtures("_flows_importable")
def test_summary_gives_the_first_failure_reason(tmp_path: Path) -> None:
    """Failed executions are counted and one is shown with the reason and details its history gives."""
    path = _flows(
        tmp_path, "domain = d\nendpoint_url = local\npoll_timeout = 1", decider="Refuse", executions="count = 3"
    )
    code, out, _ = _main(path)
    assert code == 1
    assert "3/3 started, 0 completed, 3 failed, 0 still open" in out
    assert re.search(r"e\.g\. failed +flow-\w+-\d: bad input: the input names no file", out)


@pytest.mark.usefixtures("_flows_importable")
def test_done_work_does_not_wait_for_parked_polls(tmp_path: Path) -> None:
    """With polls held 60 s, the run ends once its executions closed, and the rate counts the work's time only."""
    path = _flows(
        tmp_path, "domain = d\nendpoint_url = local\npoll_timeout = 60", executions='count = 3\ninput = {"seconds": 0}'
    )
    code, out, err = _main(path)  # under a 60 s gevent.Timeout: waiting out a parked poll would exceed it
    assert code == 0, err
    seconds = float(re.search(r"activity tasks 3 in ([\d.]+) s", out).group(1))  # type: ignore[union-attr]
    assert seconds < 30


def _spawn(path: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_environment(),
    )


def _until(process: subprocess.Popen[str], marker: str) -> None:
    """Read the child's stderr until a line holds ``marker``."""
    assert process.stderr is not None
    for line in process.stderr:
        if marker in line:
            return
    raise AssertionError(f"the runner ended before logging {marker!r}")


def _finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_second_sigterm_during_the_drain_still_prints_the_summary(tmp_path: Path) -> None:
    """A second SIGTERM while running tasks drain stops at once, prints the summary, and exits normally."""
    path = _flows(
        tmp_path,
        "domain = d\nendpoint_url = local\npoll_timeout = 1\nstop_timeout = 50\nlog_level = WARNING",
        executions='count = 2\ninput = {"seconds": 40}',
        extra="[handlers]\nlogging = DEBUG\n",
    )
    process = _spawn(path)
    _until(process, "activity-task-received")
    process.send_signal(signal.SIGTERM)
    _until(process, "SIGTERM received: stopping the fleet")
    process.send_signal(signal.SIGTERM)
    stdout, stderr = _finish(process, timeout=30)  # well before the 40 s nap or the 50 s stop timeout
    assert process.returncode == 1, stderr  # the executions did not complete
    assert "interrupted by a signal (twice: running tasks left to their SWF timeouts)" in stdout
    assert "Traceback" not in stderr


def test_sigterm_during_the_start_phase_stops_promptly(tmp_path: Path) -> None:
    """SIGTERM while a million executions are being started stops the starts and prints the summary."""
    path = _flows(
        tmp_path,
        "domain = d\nendpoint_url = local\npoll_timeout = 1\nlog_level = INFO",
        executions='count = 1000000\ninput = {"seconds": 0}',
    )
    process = _spawn(path)
    _until(process, "actors polling domain")
    process.send_signal(signal.SIGTERM)
    stdout, stderr = _finish(process, timeout=60)
    assert process.returncode == 1, stderr
    started = re.search(r"executions +(\d+)/1000000 started", stdout)
    assert started is not None and int(started.group(1)) < 1000000
    assert "interrupted by a signal" in stdout and "Traceback" not in stderr


def test_sigint_while_retrying_an_unreachable_endpoint_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C while registration retries an unreachable endpoint ends with one line, status 1, no traceback."""
    path = _flows(tmp_path, "domain = d\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9\nlog_level = INFO")
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**_environment(), "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
    )
    _until(process, "retrying in")
    process.send_signal(signal.SIGINT)
    stdout, stderr = _finish(process, timeout=30)
    assert process.returncode == 1
    assert stderr.splitlines()[-1] == f"{path}: interrupted by SIGINT before the fleet was running"
    assert "Traceback" not in stderr and stdout == ""


def test_done_work_does_not_wait_for_parked_polls_in_child_processes(tmp_path: Path) -> None:
    """With two worker processes and polls held 60 s, the run ends once its executions closed."""
    path = _flows(
        tmp_path,
        "domain = d\nendpoint_url = local\npoll_timeout = 60\nprocesses = 2",
        executions='count = 3\ninput = {"seconds": 0}',
    )
    process = _spawn(path)
    stdout, stderr = _finish(process, timeout=45)  # waiting out a parked poll would take 60 s
    assert process.returncode == 0, stderr
    assert "3/3 started, 3 completed, 0 failed, 0 still open" in stdout
    assert "processes      2, 0 restarts" in stdout


def _results(swf_client: Any, domain: str) -> dict[int, Any]:
    """The result of every closed execution of ``domain``, by the index ending its workflow id."""
    results = {}
    for page in call_pages(
        swf_client,
        "ListClosedWorkflowExecutions",
        domain=domain,
        startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=timezone.utc)},
    ):
        for info in page["executionInfos"]:
            execution = info["execution"]
            last = call(
                swf_client,
                "GetWorkflowExecutionHistory",
                domain=domain,
                execution=execution,
                reverseOrder=True,
                maximumPageSize=1,
            )["events"][0]
            assert last["eventType"] == "WorkflowExecutionCompleted", last
            index = int(execution["workflowId"].rsplit("-", 1)[1])
            results[index] = json.loads(last["workflowExecutionCompletedEventAttributes"]["result"])
    return results


def test_demo_workflow_and_its_hand_written_decider_give_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """examples/demo.ini (workflow =) and demo_decider.ini (class =) complete 20 of 20 with equal results."""
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    results = []
    for name in ("demo.ini", "demo_decider.ini"):
        domain = f"{domain_name}-{name.split('.')[0]}"
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        for old, new in {
            "endpoint_url = local": f"endpoint_url = {local_swf.endpoint_url}",
            "domain = demo": f"domain = {domain}",
            "count = 500": "count = 20",
            "greenlets = 200": "greenlets = 20",
        }.items():
            assert old in text, (name, old)
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        assert main([str(path)], stdout=out) == 0, out.getvalue()
        assert "20/20 started, 20 completed, 0 failed, 0 still open" in out.getvalue()
        results.append(_results(swf_client, domain))
    workflow, decider = results
    assert sorted(workflow) == list(range(20))
    assert workflow == decider


def test_workflow_group_registers_its_types_and_the_activity_types_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """A workflow = group alone registers its workflow type and the activity types it schedules that name a task list."""
    from swf.models import ActivityType, Domain, WorkflowType

    (tmp_path / "shop_flows.py").write_text(
        "from datetime import timedelta\n"
        "from swf_gevent import workflow as wf\n"
        "from swf_gevent.activities import activity\n\n\n"
        '@activity("pack", version="3", task_list="warehouse")\n'
        "def pack(order):\n    return order\n\n\n"
        '@activity("listless", version="1")\n'
        "def listless(order):\n    return order\n\n\n"
        '@wf.workflow("shop", version="2", task_list="shop", decision_timeout=timedelta(seconds=20))\n'
        "def shop(ctx, order):\n    ctx.execute(listless, order)\n    return ctx.execute(pack, order)\n"
    )
    config_path = tmp_path / "shop.ini"
    config_path.write_text(
        f"[swf]\ndomain = {domain_name}\nendpoint_url = {local_swf.endpoint_url}\n\n"
        "[decider:shop]\nworkflow = shop_flows.shop\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))
    _register(swf_client, load(str(config_path)))
    domain = Domain(domain_name, client=swf_client)
    shop = WorkflowType(domain, "shop", "2").upstream()
    assert (shop.default_task_list, shop.default_task_start_to_close_timeout) == ("shop", timedelta(seconds=20))
    assert ActivityType(domain, "pack", "3").upstream().default_task_list == "warehouse"
    assert not ActivityType(domain, "listless", "1").exists  # no task list to register it with
