"""The endpoint with a database: what a restart finds again, and one-line errors for files it cannot use.

Each test serves from a SQLite file in its temporary directory, stops (or
is refused), and starts again on the same file; everything is observed
through a real boto3 client, as a user would.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from swf_gevent.local import LocalSWF, StoreError
from tests.local.engine_support import (
    attrs,
    client_for,
    decide,
    decision,
    describe,
    history,
    last,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
    types,
)

DOMAIN = "kept"
REPO_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(db: Path, **options: Any) -> Iterator[tuple[LocalSWF, Any]]:
    """A LocalSWF on ``db`` (0.5 s polls) and a client to it; stopped on exit."""
    local = LocalSWF(poll_timeout=0.5, db=str(db), **options)
    local.start()
    try:
        yield local, client_for(local.endpoint_url)
    finally:
        local.stop()


def _on(name: str) -> dict[str, Any]:
    """Start options putting an execution's decision tasks on a task list of its own."""
    return {"taskList": {"name": f"d-{name}"}}


def _decision_of(client: Any, name: str) -> dict[str, Any]:
    return next_decision(client, DOMAIN, task_list=f"d-{name}")


def _parent_of_child(client: Any) -> dict[str, str]:
    """Start execution "parent", whose first decision starts child workflow "child"; the parent's reference."""
    parent = start(client, DOMAIN, "parent", **_on("parent"))
    child = decision(
        "StartChildWorkflowExecution", workflowType={"name": "flow", "version": "1"}, workflowId="child", **_on("child")
    )
    decide(client, _decision_of(client, "parent"), child)
    return parent


def _seen(local: LocalSWF, client: Any, refs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What a user can read of each execution: its history, its description, and the pending task counts."""
    return {
        name: {
            "history": history(client, DOMAIN, ref),
            "described": describe(client, DOMAIN, ref) | {"ResponseMetadata": None},
            "pending decisions": client.count_pending_decision_tasks(domain=DOMAIN, taskList={"name": f"d-{name}"})[
                "count"
            ],
        }
        for name, ref in refs.items()
    }


def test_restart_takes_back_registry_and_every_open_state(tmp_path: Path) -> None:
    """After a stop and a start on the same file, every execution reads the same and goes on from where it was."""
    db = tmp_path / "swf.sqlite3"
    refs: dict[str, dict[str, str]] = {}
    with serving(db) as (local, client):
        register(client, DOMAIN, workflow_defaults={"defaultExecutionStartToCloseTimeout": "7200"})
        client.register_activity_type(domain=DOMAIN, name="old", version="1")
        client.deprecate_activity_type(domain=DOMAIN, activityType={"name": "old", "version": "1"})
        arn = client.describe_domain(name=DOMAIN)["domainInfo"]["arn"]
        client.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "blue"}])

        refs["done"] = start(client, DOMAIN, "done", **_on("done"))
        decide(client, _decision_of(client, "done"), decision("CompleteWorkflowExecution", result="finished"))

        refs["held"] = start(client, DOMAIN, "held", **_on("held"))
        decide(
            client,
            _decision_of(client, "held"),
            schedule("a1", taskList={"name": "held-work"}),
            executionContext="ctx-1",
        )
        held = next_activity(client, DOMAIN, "held-work")
        client.record_activity_task_heartbeat(taskToken=held["taskToken"], details="half way")

        refs["queued"] = start(client, DOMAIN, "queued", **_on("queued"))
        decide(client, _decision_of(client, "queued"), schedule("a1", taskList={"name": "queued-work"}))

        refs["timer"] = start(client, DOMAIN, "timer", **_on("timer"))
        decide(client, _decision_of(client, "timer"), decision("StartTimer", timerId="t1", startToFireTimeout="3600"))

        refs["waiting"] = start(client, DOMAIN, "waiting", **_on("waiting"))
        client.signal_workflow_execution(domain=DOMAIN, workflowId="waiting", signalName="go", input="now")
        client.request_cancel_workflow_execution(domain=DOMAIN, workflowId="waiting")

        refs["parent"] = _parent_of_child(client)
        child_run = last(history(client, DOMAIN, refs["parent"]), "ChildWorkflowExecutionStarted")["workflowExecution"]
        refs["child"] = dict(child_run)
        before = _seen(local, client, refs)

    with serving(db) as (local, client):
        assert _seen(local, client, refs) == before
        assert (
            client.describe_activity_type(domain=DOMAIN, activityType={"name": "old", "version": "1"})["typeInfo"][
                "status"
            ]
            == "DEPRECATED"
        )
        arn = client.describe_domain(name=DOMAIN)["domainInfo"]["arn"]
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "blue"}]
        closed = client.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter={"oldestDate": 0})
        assert [info["execution"]["workflowId"] for info in closed["executionInfos"]] == ["done"]

        # The worker holding a task across the restart answers it with the token it had.
        client.respond_activity_task_completed(taskToken=held["taskToken"], result="r1")
        task = _decision_of(client, "held")
        assert last(task["events"], "ActivityTaskCompleted")["result"] == "r1"
        assert task["previousStartedEventId"] == before["held"]["history"][2]["eventId"]

        # A scheduled activity task is handed out.
        queued = next_activity(client, DOMAIN, "queued-work")
        assert queued["workflowExecution"] == refs["queued"]

        # A scheduled decision task is handed out, with the signal and the cancel request before it.
        waiting = _decision_of(client, "waiting")
        assert types(waiting["events"])[-3:-1] == ["WorkflowExecutionSignaled", "WorkflowExecutionCancelRequested"]

        # The timer still fires an hour after it started.
        local.skip(datetime.timedelta(hours=1))
        fired = _decision_of(client, "timer")["events"]
        started_at = next(event for event in fired if event["eventType"] == "TimerStarted")["eventTimestamp"]
        fired_at = next(event for event in fired if event["eventType"] == "TimerFired")["eventTimestamp"]
        assert (fired_at - started_at).total_seconds() >= 3600

        # The child reports to its parent.
        decide(client, _decision_of(client, "child"), decision("CompleteWorkflowExecution", result="grown"))
        parent_task = _decision_of(client, "parent")
        assert last(parent_task["events"], "ChildWorkflowExecutionCompleted")["result"] == "grown"


def test_restart_keeps_what_is_half_way(tmp_path: Path) -> None:
    """A decision task scheduled while another runs, a cancel request to a running activity, a child that continued
    as new: each goes on after a restart as it would have without one."""
    db = tmp_path / "swf.sqlite3"
    with serving(db) as (local, client):
        register(client, DOMAIN)
        busy = start(client, DOMAIN, "busy", **_on("busy"))
        running = _decision_of(client, "busy")
        client.signal_workflow_execution(domain=DOMAIN, workflowId="busy", signalName="meanwhile")

        start(client, DOMAIN, "cancelled", **_on("cancelled"))
        decide(client, _decision_of(client, "cancelled"), schedule("a1", taskList={"name": "cancelled-work"}))
        working = next_activity(client, DOMAIN, "cancelled-work")
        client.signal_workflow_execution(domain=DOMAIN, workflowId="cancelled", signalName="stop it")
        decide(client, _decision_of(client, "cancelled"), decision("RequestCancelActivityTask", activityId="a1"))

        parent = _parent_of_child(client)
        decide(client, _decision_of(client, "child"), decision("ContinueAsNewWorkflowExecution", **_on("child")))

    with serving(db) as (local, client):
        assert client.record_activity_task_heartbeat(taskToken=working["taskToken"])["cancelRequested"] is True
        decide(client, running)  # the decision task that ran across the restart
        after = _decision_of(client, "busy")
        assert types(after["events"])[-5:] == [
            "DecisionTaskStarted",
            "WorkflowExecutionSignaled",
            "DecisionTaskScheduled",
            "DecisionTaskCompleted",
            "DecisionTaskStarted",
        ]
        assert types(history(client, DOMAIN, busy)).count("DecisionTaskScheduled") == 2

        decide(client, _decision_of(client, "child"), decision("CompleteWorkflowExecution", result="second run"))
        reported = _decision_of(client, "parent")["events"]
        assert last(reported, "ChildWorkflowExecutionCompleted")["result"] == "second run"
        assert describe(client, DOMAIN, parent)["openCounts"]["openChildWorkflowExecutions"] == 0


def test_web_ui_shows_an_execution_read_back_from_the_database(tmp_path: Path) -> None:
    """After a restart, the UI's execution page shows the same history and timeline rows as before it."""
    from tests.local.ui_support import get, retried_order

    db = tmp_path / "swf.sqlite3"
    pages = []
    execution: dict[str, str] = {}
    for _ in range(2):
        with serving(db, ui=True) as (local, client):
            execution = execution or retried_order(client, DOMAIN)
            query = urllib.parse.urlencode({"domain": DOMAIN, **execution})
            status, body = get(f"{local.ui_url}execution?{query}")
            assert status == 200
            pages.append(body)
            assert f"State is kept in {db}" in get(local.ui_url)[1]
    events = [re.findall(r"\b[A-Z][A-Za-z]+(?:Started|Scheduled|Completed|Failed|Fired)\b", page) for page in pages]
    assert events[0] == events[1] and "TimerStarted" in events[0] and "ActivityTaskFailed" in events[0]
    rows = [re.findall(r"(charge|cool-off|order-1-invoice)", page) for page in pages]
    assert rows[0] == rows[1] and {"charge", "cool-off", "order-1-invoice"} <= set(rows[0])


def test_timeouts_count_from_the_recorded_times(tmp_path: Path) -> None:
    """A timer due while the endpoint was down fires at once; task timeouts count from when the task started.

    The endpoint stays down 1.5 s: a start-to-close timeout of 3 s then fires
    3 s after ActivityTaskStarted (not 3 s after the restart), and a 2 s
    heartbeat timeout 2 s after the latest heartbeat, keeping its details.
    """
    db = tmp_path / "swf.sqlite3"
    with serving(db) as (local, client):
        register(client, DOMAIN)
        start(client, DOMAIN, "timer", **_on("timer"))
        decide(client, _decision_of(client, "timer"), decision("StartTimer", timerId="t1", startToFireTimeout="1"))
        start(client, DOMAIN, "slow", **_on("slow"))
        decide(client, _decision_of(client, "slow"), schedule("a1", taskList={"name": "slow"}, startToCloseTimeout="3"))
        next_activity(client, DOMAIN, "slow")
        start(client, DOMAIN, "quiet", **_on("quiet"))
        decide(client, _decision_of(client, "quiet"), schedule("a1", taskList={"name": "quiet"}, heartbeatTimeout="2"))
        beating = next_activity(client, DOMAIN, "quiet")
        client.record_activity_task_heartbeat(taskToken=beating["taskToken"], details="step 7")
        stopped_at = time.monotonic()
    time.sleep(max(0.0, 1.5 - (time.monotonic() - stopped_at)))  # the endpoint is down: time passes, nothing runs

    with serving(db) as (local, client):
        events = _decision_of(client, "timer")["events"]
        assert "TimerFired" in types(events)
        events = _decision_of(client, "slow")["events"]
        started = next(event for event in events if event["eventType"] == "ActivityTaskStarted")
        timed_out = next(event for event in events if event["eventType"] == "ActivityTaskTimedOut")
        assert attrs(timed_out)["timeoutType"] == "START_TO_CLOSE"
        assert 3.0 <= (timed_out["eventTimestamp"] - started["eventTimestamp"]).total_seconds() < 4.4
        events = _decision_of(client, "quiet")["events"]
        timed_out = next(event for event in events if event["eventType"] == "ActivityTaskTimedOut")
        assert attrs(timed_out)["timeoutType"] == "HEARTBEAT" and attrs(timed_out)["details"] == "step 7"


def test_time_skipped_stays_skipped(tmp_path: Path) -> None:
    """The clock does not go back on restart: a 30-day skip is still there, and events keep their order in time."""
    db = tmp_path / "swf.sqlite3"
    with serving(db) as (local, client):
        register(client, DOMAIN)
        local.skip(datetime.timedelta(days=30))
        skipped_to = local.now()
    with serving(db) as (local, client):
        assert local.now() >= skipped_to


def test_retention_forgets_closed_executions_in_the_file(tmp_path: Path) -> None:
    """A closed execution past its domain's retention leaves the file too; open ones stay."""
    db = tmp_path / "swf.sqlite3"
    with serving(db) as (local, client):
        register(client, DOMAIN, retention="NONE")
        start(client, DOMAIN, "gone", **_on("gone"))
        decide(client, _decision_of(client, "gone"), decision("CompleteWorkflowExecution"))
        kept = start(client, DOMAIN, "kept", **_on("kept"))
        client.describe_domain(name=DOMAIN)  # any call on the domain forgets what retention let go
        client.count_open_workflow_executions(domain=DOMAIN, startTimeFilter={"oldestDate": 0})
    with closing(sqlite3.connect(db)) as stored:
        assert stored.execute("SELECT workflow_id FROM executions").fetchall() == [("kept",)]
        assert {row[0] for row in stored.execute("SELECT DISTINCT execution FROM events")} == {
            row[0] for row in stored.execute("SELECT id FROM executions")
        }
    with serving(db) as (local, client):
        closed = client.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter={"oldestDate": 0})
        assert closed["executionInfos"] == []
        assert describe(client, DOMAIN, kept)["executionInfo"]["executionStatus"] == "OPEN"


def test_command_line_serves_from_its_database_and_stops_on_sigterm(tmp_path: Path) -> None:
    """``--db`` prints the database's path after the URL; a domain registered survives SIGTERM and a new start."""
    db = tmp_path / "cli.sqlite3"
    for round_ in range(2):
        process = subprocess.Popen(
            [sys.executable, "-m", "swf_gevent.local", "--db", str(db), "--poll-timeout", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert process.stdout.readline() == f"database: {db}\n"
            client = client_for(url)
            if round_ == 0:
                client.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
            else:
                assert client.describe_domain(name=DOMAIN)["configuration"] == {
                    "workflowExecutionRetentionPeriodInDays": "1"
                }
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


# -- files it cannot use ------------------------------------------------------------------


def _serve_cli(db: Path, *prefix: str, port: int = 0) -> subprocess.CompletedProcess[str]:
    """``python -m swf_gevent.local --db <db> --port <port>`` expected to refuse at once."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "swf_gevent.local", "--db", str(db), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )


def _refused(result: subprocess.CompletedProcess[str], why: str) -> str:
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --db ") and why in lines[0], result.stderr
    return lines[0]


@pytest.fixture
def kept_file(tmp_path: Path) -> Path:
    """A database the endpoint made, holding a domain and 50 executions."""
    db = tmp_path / "made.sqlite3"
    with serving(db) as (local, client):
        register(client, DOMAIN)
        for index in range(50):
            start(client, DOMAIN, f"w-{index}", input="x" * 400)
    return db


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(db)) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
        other.execute("INSERT INTO notes VALUES ('keep me')")
        other.commit()
    before = db.read_bytes()
    _refused(_serve_cli(db), "not a database of the local SWF endpoint")
    assert db.read_bytes() == before


def test_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("just some text, long enough to be read as a header" * 10)
    _refused(_serve_cli(db), "not a database")
    assert db.read_text().startswith("just some text")


def test_a_corrupt_database_is_refused(kept_file: Path) -> None:
    """Bytes overwritten inside a table's pages, or the file cut short: refused, never served half."""
    damaged = kept_file.with_name("damaged.sqlite3")
    with closing(sqlite3.connect(kept_file)) as stored:
        page_size = stored.execute("PRAGMA page_size").fetchone()[0]
        root = stored.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    shutil.copy(kept_file, damaged)
    with open(damaged, "r+b") as file:
        file.seek((root - 1) * page_size + 8)  # the events table's root page, past its header
        file.write(b"\xff" * 64)
    _refused(_serve_cli(damaged), "corrupt")

    cut = kept_file.with_name("cut.sqlite3")
    shutil.copy(kept_file, cut)
    with open(cut, "r+b") as file:
        file.truncate(os.path.getsize(kept_file) // 2)
    _refused(_serve_cli(cut), "malformed")


def test_a_database_from_a_newer_version_is_refused(kept_file: Path) -> None:
    with closing(sqlite3.connect(kept_file)) as stored:
        stored.execute("PRAGMA user_version = 99")
    _refused(_serve_cli(kept_file), "newer version of the local SWF endpoint (schema 99")


def test_a_database_in_use_is_refused(kept_file: Path) -> None:
    """A second endpoint on a file in use is refused (the CLI and LocalSWF alike); the first serves on."""
    with serving(kept_file) as (local, client):
        _refused(_serve_cli(kept_file), "in use by another process")
        with pytest.raises(StoreError, match="in use by another process"):
            LocalSWF(db=str(kept_file)).start()
        assert client.count_open_workflow_executions(domain=DOMAIN, startTimeFilter={"oldestDate": 0})["count"] == 50


def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    """A database in a directory the process cannot write (SQLite keeps its log beside it) is refused.

    As root, the endpoint runs under ``setpriv`` without the capabilities
    that let root write anywhere, so the directory's mode applies to it.
    """
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and util-linux's setpriv is missing: root writes in any directory")
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")
    try:
        _refused(_serve_cli(directory / "swf.sqlite3", *prefix), "is not writable")
    finally:
        directory.chmod(0o755)
    assert not (directory / "swf.sqlite3").exists()


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    _refused(_serve_cli(tmp_path / "nowhere" / "swf.sqlite3"), "does not exist")


def test_a_busy_port_is_refused_before_a_database_is_made(tmp_path: Path) -> None:
    """The address is taken first: a busy port exits 2 with one line and leaves no new file behind."""
    db = tmp_path / "new.sqlite3"
    with LocalSWF(poll_timeout=0.5) as other:
        result = _serve_cli(db, port=other.port)
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [f"error: cannot listen on 127.0.0.1:{other.port}: Address already in use"]
    assert list(tmp_path.iterdir()) == []


def test_an_empty_database_path_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.local", "--db", ""], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --db: empty;") and len(result.stderr.splitlines()) == 1
    with pytest.raises(ValueError, match="db must name a file"):
        LocalSWF(db="")


def test_without_a_database_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default endpoint keeps its state in memory: no file appears, and a restart starts empty."""
    monkeypatch.chdir(tmp_path)
    with LocalSWF(poll_timeout=0.5) as local:
        assert local.db is None
    assert list(tmp_path.iterdir()) == []
