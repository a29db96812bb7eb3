"""The AWS CLI against the local endpoint, and ``python -m swf_gevent.local``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    """Dummy credentials and region, no user config, and this checkout importable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def _aws(tmp_path: Path, endpoint_url: str, *args: str) -> Any:
    """Run ``aws swf <args> --endpoint-url ...``; returns the JSON it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "swf", *args, "--endpoint-url", endpoint_url, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_aws_cli_lists_and_describes_domains(local_swf: Any, swf_client: Any, tmp_path: Path) -> None:
    """``aws swf list-domains`` and ``aws swf describe-domain`` print the endpoint's domains as JSON."""
    swf_client.register_domain(
        name="cli-domain", description="seen by the CLI", workflowExecutionRetentionPeriodInDays="3"
    )
    url = local_swf.endpoint_url
    listed = _aws(tmp_path, url, "list-domains", "--registration-status", "REGISTERED")
    assert listed == {
        "domainInfos": [
            {
                "name": "cli-domain",
                "status": "REGISTERED",
                "description": "seen by the CLI",
                "arn": "arn:aws:swf:us-east-1:123456789012:/domain/cli-domain",
            }
        ]
    }
    described = _aws(tmp_path, url, "describe-domain", "--name", "cli-domain")
    assert described["domainInfo"]["name"] == "cli-domain"
    assert described["configuration"] == {"workflowExecutionRetentionPeriodInDays": "3"}


def test_aws_cli_registers_a_domain_and_reports_faults(local_swf: Any, swf_client: Any, tmp_path: Path) -> None:
    """``aws swf register-domain`` registers; a second time the CLI exits non-zero naming DomainAlreadyExistsFault."""
    url = local_swf.endpoint_url
    _aws(tmp_path, url, "register-domain", "--name", "from-cli", "--workflow-execution-retention-period-in-days", "1")
    assert swf_client.describe_domain(name="from-cli")["domainInfo"]["status"] == "REGISTERED"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "swf",
            "register-domain",
            "--name",
            "from-cli",
            "--workflow-execution-retention-period-in-days",
            "1",
            "--endpoint-url",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode != 0
    assert "DomainAlreadyExistsFault" in result.stderr


def test_module_entry_point_serves_until_sigterm(tmp_path: Path) -> None:
    """``python -m swf_gevent.local`` prints its URL on one line, serves the CLI, and exits 0 on SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--port", "0", "--poll-timeout", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert _aws(tmp_path, url, "list-domains", "--registration-status", "REGISTERED") == {"domainInfos": []}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_module_entry_point_stops_on_sigint(tmp_path: Path) -> None:
    """SIGINT stops ``python -m swf_gevent.local`` cleanly with exit status 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1"])
def test_module_entry_point_refuses_remote_host_without_flag(tmp_path: Path, host: str) -> None:
    """A non-loopback ``--host`` without ``--allow-remote`` exits 2, naming the flag and the missing authentication."""
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.local", "--host", host],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "authentication" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "argument --port: must be from 0 to 65535, got 70000"),
        (["--port", "-1"], "argument --port: must be from 0 to 65535, got -1"),
        (["--port", "http"], "argument --port: must be an integer from 0 to 65535, got 'http'"),
        (["--poll-timeout", "nan"], "argument --poll-timeout: must be a finite number of seconds >= 0, got 'nan'"),
        (["--poll-timeout", "inf"], "argument --poll-timeout: must be a finite number of seconds >= 0, got 'inf'"),
        (["--poll-timeout=-1"], "argument --poll-timeout: must be a finite number of seconds >= 0, got '-1'"),
    ],
)
def test_module_entry_point_refuses_bad_numbers(tmp_path: Path, args: list[str], message: str) -> None:
    """An out-of-range port or a negative, infinite or NaN poll timeout exits 2 with argparse's one-line error, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.local", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"python -m swf_gevent.local: error: {message}"
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_module_entry_point_warns_once_with_allow_remote(tmp_path: Path) -> None:
    """``--allow-remote`` on a non-loopback host prints the no-authentication warning exactly once."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--host", "0.0.0.0", "--allow-remote", "--poll-timeout", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://0.0.0.0:")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert stderr.count("no authentication") == 1, stderr


def test_local_swf_refuses_bad_numbers() -> None:
    """``LocalSWF`` refuses a NaN, infinite or negative poll timeout and a port outside 0-65535, naming the field."""
    from swf_gevent.local import LocalSWF

    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="poll_timeout must be a finite number of seconds >= 0"):
            LocalSWF(poll_timeout=bad)
    for port in (-1, 65536):
        with pytest.raises(ValueError, match="port must be from 0 to 65535"):
            LocalSWF(port=port)
