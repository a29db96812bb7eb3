"""The replay gate: executions on the embedded endpoint replayed with changed code, one line per broken one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf_gevent import workflow as wf
from swf_gevent.workflow.gate import main
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.support import running, signal, start, wait_closed

HERE = "tests.swf_gevent.workflow.test_gate"


@wf.workflow("gated", version="1")
def gated(ctx: wf.Context, _: Any) -> Any:
    ctx.execute(flows.double, 1)
    return ctx.wait_signal("go")


@wf.workflow("gated", version="1")
def gated_with_timer(ctx: wf.Context, _: Any) -> Any:
    ctx.sleep(timedelta(seconds=5))  # inserted before the activity: breaks every recorded run
    ctx.execute(flows.double, 1)
    return ctx.wait_signal("go")


@wf.workflow("gated", version="1")
def gated_with_log(ctx: wf.Context, _: Any) -> Any:
    ctx.execute(flows.double, 1)
    value = ctx.wait_signal("go")
    return value  # same commands in the same order: breaks nothing


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, local_swf: Any) -> list[str]:
    """The gate's connection arguments to the embedded endpoint, with dummy credentials in the environment."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    return ["--endpoint-url", local_swf.endpoint_url, "--region", "us-east-1"]


@pytest.fixture
def recorded(swf_client: Any, domain_name: str) -> dict[str, str]:
    """Two executions of ``gated``: ``open-1`` waiting for its signal, ``closed-1`` completed; their run ids."""
    with gevent.Timeout(30), running(swf_client, domain_name, [gated], [flows.double]):
        runs = {"open-1": start(swf_client, domain_name, gated, None, "open-1")}
        runs["closed-1"] = start(swf_client, domain_name, gated, None, "closed-1")
        signal(swf_client, domain_name, "closed-1", "go", "now")
        wait_closed(swf_client, domain_name, "closed-1", runs["closed-1"])
        while not swf_client.get_workflow_execution_history(
            domain=domain_name, execution={"workflowId": "open-1", "runId": runs["open-1"]}
        )["events"][-1]["eventType"].startswith("DecisionTaskCompleted"):
            gevent.sleep(0.02)
    return runs


def test_gate_reports_open_execution_broken_by_inserted_timer(
    settings: list[str], recorded: dict[str, str], domain_name: str, capsys: Any
) -> None:
    """An inserted timer breaks the open execution: one line with its ids and file:line, exit 1."""
    status = main([f"{HERE}:gated_with_timer", "--domain", domain_name, *settings])
    out, err = capsys.readouterr()
    assert status == 1
    [line] = out.splitlines()
    assert line.startswith(f"open-1 {recorded['open-1']}: ")
    assert "test_gate.py:" in line
    assert "1 executions replayed, 1 would break" in err


def test_gate_with_since_also_checks_closed_executions(
    settings: list[str], recorded: dict[str, str], domain_name: str, capsys: Any
) -> None:
    """--since adds the executions closed since then: both runs are reported."""
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    status = main([f"{HERE}:gated_with_timer", "--domain", domain_name, "--since", since, *settings])
    out, _ = capsys.readouterr()
    assert status == 1
    assert sorted(line.split(":")[0] for line in out.splitlines()) == sorted(
        f"{wid} {rid}" for wid, rid in recorded.items()
    )


def test_gate_passes_unchanged_commands(
    settings: list[str], recorded: dict[str, str], domain_name: str, capsys: Any
) -> None:
    """Code that issues the same commands breaks nothing: no line, exit 0."""
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    status = main([f"{HERE}:gated_with_log", "--domain", domain_name, "--since", since, *settings])
    out, err = capsys.readouterr()
    assert (status, out) == (0, "")
    assert "2 executions replayed, 0 would break" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([f"{HERE}:gated", "--domain", "d", "--since", "yesterday"], "--since must be an ISO 8601 time"),
        ([f"{HERE}:flows", "--domain", "d"], "has no decide(decision_task) method"),
        (["no.such.module:order", "--domain", "d"], "cannot import 'no.such.module'"),
        ([f"{HERE}:gated"], "the following arguments are required: --domain"),
    ],
)
def test_gate_bad_argument_one_line_exit_2(settings: list[str], args: list[str], expected: str, capsys: Any) -> None:
    """A bad argument or definition gets one line on stderr and exit status 2."""
    try:
        status = main([*args, *settings])
    except SystemExit as exited:  # argparse's own refusals exit from parse_args
        status = int(exited.code or 0)
    _, err = capsys.readouterr()
    assert status == 2
    assert expected in err and len(err.splitlines()) == 1


def test_gate_unknown_domain_exit_2(settings: list[str], capsys: Any) -> None:
    """A domain SWF does not know is one line and exit 2."""
    status = main([f"{HERE}:gated", "--domain", "no-such-domain", *settings])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.splitlines()) == 1
