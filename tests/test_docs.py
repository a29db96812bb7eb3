"""The documentation builds without a warning, and every example it shows runs.

Python in the docs comes only from files under ``docs/examples`` (included
with ``literalinclude``); each is run here: scripts as scripts, tests with
pytest, ini files with the runner, deployment files checked against the
files they name. The troubleshooting outputs are made by the build itself.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)
INCLUDE = re.compile(r"^\s*\.\. literalinclude:: (\S+)", re.M)
#: The example files that are modules other examples import or name, by directory.
IMPORT = re.compile(r"^\s*(?:from (\w+) import|import (\w+))|^modules = (\w+)|= (\w+)\.\w+\s*(?:;.*)?$", re.M)
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}


def _included() -> set[Path]:
    found = set()
    for page in PAGES:
        for target in INCLUDE.findall(page.read_text()):
            found.add((DOCS / target[1:] if target.startswith("/") else page.parent / target).resolve())
    return found


def _examples(pattern: str) -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob(pattern) if "__pycache__" not in p.parts)


def _modules(directory: Path) -> set[str]:
    """Names of the directory's own modules that its other files import or name."""
    own = {p.stem for p in directory.glob("*.py")}
    named = set()
    for path in [*directory.glob("*.py"), *directory.glob("*.ini")]:
        for groups in IMPORT.findall(path.read_text()):
            named.update(g for g in groups if g in own and g != path.stem)
    return named


def _scripts() -> list[Path]:
    scripts = []
    for path in _examples("*.py"):
        if path.name == "conftest.py" or path.name.startswith("test_"):
            continue
        if path.stem in _modules(path.parent) and "__main__" not in path.read_text():
            continue
        scripts.append(path)
    return scripts


def _env() -> dict[str, str]:
    env = dict(os.environ, **LOCAL_CREDENTIALS, PYTHONPATH=str(ROOT))
    env.pop("AWS_ENDPOINT_URL_SWF", None)
    return env


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """sphinx -W builds the site: no broken reference, docstring or include."""
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "html" / "reference" / "signals.html").read_text().count("swf_gevent.signals.") > 20


def test_python_in_the_docs_comes_from_example_files() -> None:
    """No page holds Python of its own, every include exists, and every example file is shown or used."""
    for page in PAGES:
        text = page.read_text()
        assert ".. code-block:: python" not in text, page
        for block in re.findall(r"::\n\n((?:    .*\n|\n)+)", text):
            assert not re.search(r"^    (>>>|from \w+ import|import \w+$|def |class )", block, re.M), (page, block)
    included = _included()
    assert all(path.is_file() for path in included), sorted(str(p) for p in included if not p.is_file())
    for path in _examples("*"):
        if path.is_file() and path.suffix != ".pyc":
            used = (
                path in included
                or path.stem in _modules(path.parent)
                or path.parent.name == "troubleshooting"  # run by the build (runner-output)
                or path.name.startswith("test_")  # run by test_example_tests_pass
                or (path.name == "conftest.py" and any(path.parent.glob("test_*.py")))
            )
            assert used, f"{path.relative_to(ROOT)} is neither shown in the docs nor used by an example"


@pytest.mark.parametrize("script", _scripts(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_script_runs(script: Path) -> None:
    """Each example script runs to the end, on the embedded endpoint it starts."""
    done = subprocess.run(
        [sys.executable, script.name], cwd=script.parent, capture_output=True, text=True, timeout=120, env=_env()
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize(
    "directory",
    sorted({p.parent for p in _examples("test_*.py")}),
    ids=lambda p: str(p.relative_to(EXAMPLES)),
)
def test_example_tests_pass(directory: Path) -> None:
    """The tests the docs show pass with pytest, run as a reader would in that directory."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "."],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_tutorial_fleet_runs_its_executions() -> None:
    """orders-local.ini runs its 20 executions on the embedded endpoint and exits 0."""
    orders = EXAMPLES / "orders"
    done = subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", "orders-local.ini"],
        cwd=orders,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "20/20 started, 20 completed" in done.stdout


def _serve_then_stop(
    config: Path, endpoint_url: str | None, replace: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the runner on a copy of ``config`` (``replace`` applied), wait until it polls, SIGTERM it."""
    text = config.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    copy = config.with_name(f".test-{config.name}")
    copy.write_text(text)
    env = _env()
    if endpoint_url:
        env["AWS_ENDPOINT_URL_SWF"] = endpoint_url
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "swf_gevent.run", copy.name],
            cwd=config.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()  # printed once every greenlet polls
            assert "polling domain 'orders'" in first, first + (process.stderr.read() if process.stderr else "")
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        return subprocess.CompletedProcess(process.args, process.returncode, first + out, err)
    finally:
        copy.unlink()


def test_production_config_serves_and_stops_warmly(local_swf: Any) -> None:
    """orders.ini (4 worker processes) serves against an endpoint from the environment and stops on SIGTERM, exit 0.

    The Prometheus port becomes 0 (any free port) so the test cannot collide with a service on 9100.
    """
    replace = {"127.0.0.1:9100": "127.0.0.1:0"}
    done = _serve_then_stop(EXAMPLES / "orders" / "orders.ini", local_swf.endpoint_url, replace)
    assert done.returncode == 0, done.stderr[-3000:]


def test_dev_config_points_at_the_dev_server(local_swf: Any) -> None:
    """orders-dev.ini runs against a dev server; here on a free port in place of 8765."""
    url = local_swf.endpoint_url
    text_url = "http://127.0.0.1:8765"
    orders = EXAMPLES / "orders"
    copy = orders / ".test-orders-dev.ini"
    copy.write_text((orders / "orders-dev.ini").read_text().replace(text_url, url))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "swf_gevent.run", copy.name],
            cwd=orders,
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
        )
    finally:
        copy.unlink()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "20/20 started, 20 completed" in done.stdout


def test_deployment_files_name_what_exists() -> None:
    """The systemd unit and the container run the runner on files that exist; the IAM actions are SWF's."""
    orders = EXAMPLES / "orders"
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string((orders / "orders.service").read_text())
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[1:4] == ["-m", "swf_gevent.run", "orders.ini"]
    docker = (orders / "Dockerfile").read_text()
    [copied] = re.findall(r"^COPY (.+) \./$", docker, re.M)
    assert all((orders / name).is_file() for name in copied.split())
    assert '"-m", "swf_gevent.run", "orders.ini"' in docker
    policy = json.loads((orders / "iam-policy.json").read_text())
    operations = set(botocore.session.get_session().get_service_model("swf").operation_names)
    actions = [a for statement in policy["Statement"] for a in statement["Action"]]
    assert actions and all(a.startswith("swf:") and a[4:] in operations for a in actions)


def test_every_key_example_names_every_key_the_runner_takes() -> None:
    """The reference's every-key.ini shows (set or commented) every key of every section the runner accepts."""
    from swf_gevent._config import _KEYS

    text = (EXAMPLES / "orders" / "every-key.ini").read_text()
    shown = set(re.findall(r"^;? ?(\w+) = ", text, flags=re.MULTILINE))
    for required, optional in _KEYS.values():
        assert required | optional <= shown, sorted((required | optional) - shown)
    assert {"logging", "prometheus", "statsd", "statsd_prefix"} <= shown  # [handlers]


def test_worker_in_code_example_patches_first() -> None:
    """The worker-in-code example lets gevent patch before any other import."""
    statements = [
        line for line in (EXAMPLES / "activities" / "serve.py").read_text().splitlines() if line and line[0] != '"'
    ]
    code = [line for line in statements if not line.startswith(("#", '"""'))]
    assert code[:2] == ["from gevent import monkey", code[1]] and code[1].startswith("monkey.patch_all()")


def test_actor_states_named_in_the_activities_guide_are_actorstate_members() -> None:
    """The activities guide lists ActorState's members, in order."""
    from swf_gevent.actors import ActorState

    text = " ".join((DOCS / "guides" / "activities.rst").read_text().split())
    assert "``, ``".join(member.name for member in ActorState) in text


def _pipeline_outcome(client: Any, domain: str, register_fetch: bool) -> dict[str, Any]:
    """One execution decided by the low-level guide's Pipeline (a worker answers ``fetch``): its last event."""
    from datetime import timedelta

    import gevent

    from swf.actors import ActivityWorker, Decider
    from swf.connection import call
    from swf.models import NO_LIMIT, ActivityType, Domain, WorkflowType
    from swf.querysets import register

    sys.path.insert(0, str(EXAMPLES / "lowlevel"))
    try:
        from decider import Pipeline  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLES / "lowlevel"))
    model = Domain(domain, client=client)
    types: list[Any] = [
        WorkflowType(
            model,
            "flow",
            "1",
            default_task_list="deciders",
            default_execution_start_to_close_timeout=timedelta(minutes=10),
            default_task_start_to_close_timeout=timedelta(seconds=30),
            default_child_policy="TERMINATE",
        )
    ]
    if register_fetch:
        types.append(
            ActivityType(
                model,
                "fetch",
                "1",
                default_task_list="workers",
                default_task_schedule_to_start_timeout=NO_LIMIT,
                default_task_schedule_to_close_timeout=NO_LIMIT,
                default_task_heartbeat_timeout=NO_LIMIT,
            )
        )
    register(model, types)
    execution = types[0].start_execution("pipeline-1", '"http://example.invalid/"')
    decider, worker, pipeline = (
        Decider(domain, "deciders", client),
        ActivityWorker(domain, "workers", client),
        Pipeline(),
    )
    with gevent.Timeout(30):
        while execution.upstream().status == "OPEN":
            task = decider.poll()
            if task is None:
                continue
            decider.complete(task.task_token, pipeline.decide(task))
            if register_fetch and task.history.state.activities.get("fetch") is None:
                activity = None
                while activity is None:
                    activity = worker.poll()
                worker.complete(activity.task_token, f'"body of {activity.input[1:-1]}"')
    last = call(
        client,
        "GetWorkflowExecutionHistory",
        domain=domain,
        execution={"workflowId": "pipeline-1", "runId": execution.run_id},
        reverseOrder=True,
        maximumPageSize=1,
    )["events"][0]
    return {"type": last["eventType"], **next(v for k, v in last.items() if k.endswith("EventAttributes"))}


def test_low_level_pipeline_fails_when_fetch_cannot_be_scheduled(swf_client: Any, domain_name: str) -> None:
    """The guide's hand-written Pipeline fails its execution with SWF's cause when fetch is not registered."""
    closed = _pipeline_outcome(swf_client, domain_name, register_fetch=False)
    assert closed["type"] == "WorkflowExecutionFailed"
    assert (closed["reason"], closed["details"]) == ("fetch SCHEDULE_FAILED", "ACTIVITY_TYPE_DOES_NOT_EXIST")


def test_low_level_pipeline_completes_with_the_fetched_result(swf_client: Any, domain_name: str) -> None:
    """The guide's hand-written Pipeline completes its execution with fetch's result."""
    closed = _pipeline_outcome(swf_client, domain_name, register_fetch=True)
    assert (closed["type"], closed["result"]) == ("WorkflowExecutionCompleted", '"body of http://example.invalid/"')
