"""Replaying recorded histories: unchanged code matches; each kind of change is named with file:line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf.models import History
from swf.models.events import ExecutionRef
from swf_gevent import workflow as wf
from swf_gevent.workflow.testing import replay
from tests.swf_gevent.workflow import flows, mutations
from tests.swf_gevent.workflow.support import running, start, wait_closed

ROOT = Path(__file__).resolve().parents[3]
#: The ids of the recorded execution (children ids derive from the workflow id).
EXECUTION = ExecutionRef("mutable-1", "recorded")


@pytest.fixture(scope="module")
def recorded() -> Iterator[History]:
    """The history of one completed execution of ``flows.mutable`` on the embedded endpoint."""
    import uuid

    from swf.connection import make_client
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=1.0)
    server.start()
    try:
        client = make_client(
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            max_attempts=1,
        )
        domain = f"test-{uuid.uuid4().hex[:12]}"
        workflows = [flows.mutable, flows.child_ok]
        with gevent.Timeout(30), running(client, domain, workflows, [flows.double, flows.add, flows.undo]):
            run_id = start(client, domain, flows.mutable, None, "mutable-1")
            yield wait_closed(client, domain, "mutable-1", run_id)
    finally:
        server.stop()


def _marked_line(name: str) -> str:
    source = Path(mutations.__file__)
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if line.rstrip().endswith(f"# <- {name}"):
            return f"{source}:{number}"
    raise AssertionError(f"no line marked {name}")


def test_unchanged_code_replays_clean(recorded: History) -> None:
    """The code that recorded a history replays it with no error and nothing left to decide."""
    assert recorded.state.close_event is not None
    assert recorded.state.close_event.event_type == "WorkflowExecutionCompleted"
    assert replay(recorded, workflows=[flows.mutable], workflow_execution=EXECUTION) == []


@pytest.mark.parametrize("name", sorted(mutations.MUTATIONS))
def test_mutation_is_reported_with_file_and_line(recorded: History, name: str) -> None:
    """Each change (reorder, activity type, removed timer, inserted activity, child type) names its file:line."""
    with pytest.raises(wf.NondeterminismError) as caught:
        replay(recorded, workflows=[mutations.MUTATIONS[name]], workflow_execution=EXECUTION)
    error = caught.value
    assert error.site == _marked_line(name)
    message = str(error)
    assert "workflow mutable/1" in message
    assert error.site in message
    assert "ctx.patched" in message


def test_replay_command_replays_a_workflow(recorded: History, tmp_path: Path) -> None:
    """``python -m swf.replay history.json module:workflow --each`` exits 0 for the code that recorded it, 1 naming file:line for a change."""
    path = tmp_path / "history.json"
    path.write_text(recorded.to_json())
    command = [sys.executable, "-m", "swf.replay", str(path), "--workflow-id", "mutable-1"]
    same = subprocess.run(
        [*command, "tests.swf_gevent.workflow.flows:mutable", "--each"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert same.returncode == 0, same.stderr
    changed = subprocess.run(
        [*command, "tests.swf_gevent.workflow.mutations:reordered", "--each"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert changed.returncode == 1
    assert "NondeterminismError" in changed.stderr
    assert _marked_line("reordered") in changed.stderr


def test_patched_keeps_old_histories_replaying(recorded: History) -> None:
    """A change guarded by ctx.patched takes the old path over a history recorded before it."""

    @wf.workflow("mutable", version="1")
    def guarded(ctx: wf.Context, _: Any) -> int:
        a = ctx.execute(flows.double, 1)
        if ctx.patched("extra-double"):
            ctx.execute(flows.double, 5)
        ctx.sleep(__import__("datetime").timedelta(seconds=1))
        b = ctx.execute(flows.add, [a, a])
        result: int = ctx.child(flows.child_ok, b)
        return result

    assert replay(recorded, workflows=[guarded], workflow_execution=EXECUTION) == []
