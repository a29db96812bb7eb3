"""WorkflowEnvironment: workflows on the embedded endpoint with time skipping, results, and the replay check."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.models import History
from swf_gevent import workflow as wf
from swf_gevent.activities import activity
from swf_gevent.workflow.testing import WorkflowEnvironment, WorkflowRun, replay
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.support import attributes

DAY = 86400
#: Flipped by a test after a run, to change the code of :func:`changing` between run and replay.
CHANGED = {"now": False}


@wf.workflow("month", version="1")
def month(ctx: wf.Context, _: Any) -> str:
    ctx.sleep(timedelta(days=30))
    return "woke"


@wf.workflow("retry-10s", version="1")
def retry_10s(ctx: wf.Context, _: Any) -> str:
    policy = wf.RetryPolicy(initial_interval=timedelta(seconds=10), backoff=2.0, max_attempts=3)
    try:
        ctx.execute(flows.flaky, {"x": 1}, retry=policy)
    except wf.ActivityFailed as err:
        return f"{err.activity_id} attempt {err.attempt}"
    return "done"


@wf.workflow("approval", version="1")
def approval(ctx: wf.Context, _: Any) -> Any:
    return ctx.wait_signal("approval")


@wf.workflow("hour", version="1")
def hour(ctx: wf.Context, _: Any) -> str:
    ctx.sleep(timedelta(hours=1))
    return "an hour later"


@wf.workflow("refusing", version="1")
def refusing(ctx: wf.Context, _: Any) -> None:
    raise wf.Fail("out of stock", "sku 42")


@wf.workflow("short-lived", version="1", execution_timeout=timedelta(hours=1))
def short_lived(ctx: wf.Context, _: Any) -> Any:
    return ctx.wait_signal("never")


@wf.workflow("relay", version="1")
def relay(ctx: wf.Context, left: int) -> int:
    if left:
        ctx.continue_as_new(left - 1)
    return int(ctx.execute(flows.double, 21))


@wf.workflow("changing", version="1")
def changing(ctx: wf.Context, _: Any) -> int:
    if CHANGED["now"]:
        ctx.sleep(timedelta(seconds=1))
    return int(ctx.execute(flows.double, 1))


@activity("heartbeating", version="1", heartbeat_timeout=timedelta(seconds=30))
def heartbeating(beats: int, context: Any) -> int:
    for beat in range(beats):
        gevent.sleep(0.02)
        context.heartbeat(str(beat))
    return beats


@wf.workflow("cancelling", version="1")
def cancelling(ctx: wf.Context, _: Any) -> list[str]:
    """Cancels an activity before it is sent, then one that runs; reports each outcome."""
    seen = []
    for handle in (ctx.start(flows.double, 1), None):
        if handle is None:
            handle = ctx.start(heartbeating, 10_000)
            ctx.sleep(timedelta(seconds=0))  # the activity is sent and runs
        handle.cancel()
        try:
            seen.append(f"result {handle.result()}")
        except wf.ActivityFailed as err:
            seen.append(f"{err.activity_id} {err.reason}")
    return seen


ALL = [month, retry_10s, approval, hour, refusing, short_lived, relay, changing, cancelling]
ACTIVITIES = [flows.double, flows.flaky, heartbeating]


def _env() -> WorkflowEnvironment:
    return WorkflowEnvironment(workflows=ALL, activities=ACTIVITIES, time_skipping=True)


def _wait_for(run: WorkflowRun, event_type: str) -> History:
    """Read the run's history every 20 ms until it holds ``event_type`` (bounded by the caller's timeout)."""
    while True:
        events = run.history()
        if events.filter(event_type):
            return events
        gevent.sleep(0.02)


def test_30_day_sleep_takes_under_a_second(capsys: Any) -> None:
    """A 30-day ctx.sleep completes at once: its timer is 30 days on the skipped clock, under 1 s of wall time."""
    with gevent.Timeout(30), _env() as env:
        began = time.monotonic()
        run = env.start(month, None)
        assert run.result(timeout=10) == "woke"
        wall = time.monotonic() - began
        events = run.history()
    [started] = attributes(events, "TimerStarted")
    assert started["startToFireTimeout"] == str(30 * DAY)
    fired, begun = events.filter("TimerFired")[0], events.filter("TimerStarted")[0]
    assert fired.timestamp - begun.timestamp >= timedelta(days=30)
    with capsys.disabled():
        print(f"\n30-day sleep: {wall:.3f} s wall time")
    assert wall < 1.0


def test_retry_policy_records_10_and_20_second_timers() -> None:
    """A retry policy of 10 s x2 records timers of 10 and 20 s and schedules every attempt with one activity id."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(retry_10s, None)
        assert run.result(timeout=20) == "flaky-1 attempt 3"
        events = run.history()
    assert [t["startToFireTimeout"] for t in attributes(events, "TimerStarted")] == ["10", "20"]
    assert [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")] == ["flaky-1"] * 3


def test_signal_sent_while_waiting_is_consumed() -> None:
    """A signal sent while the run waits for it is consumed: its input is the result."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(approval, None, workflow_id="o-1")
        _wait_for(run, "DecisionTaskCompleted")
        run.signal("approval", {"ok": True})
        assert run.result(timeout=10) == {"ok": True}
        assert [s["signalName"] for s in attributes(run.history(), "WorkflowExecutionSignaled")] == ["approval"]


def test_manual_sleep_fires_a_one_hour_timer() -> None:
    """env.sleep(1 h) fires a 1-hour timer that real time would not have reached."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(hour, None)
        _wait_for(run, "TimerStarted")
        assert not run.history().filter("TimerFired")
        env.sleep(timedelta(hours=1))
        events = _wait_for(run, "TimerFired")
        assert attributes(events, "TimerStarted")[0]["startToFireTimeout"] == "3600"
        assert run.result(timeout=10) == "an hour later"


def test_result_raises_workflow_failed_with_reason() -> None:
    """A run that fails on purpose makes result() raise WorkflowFailed with status FAILED, reason and details."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(refusing, None)
        with pytest.raises(wf.WorkflowFailed) as caught:
            run.result(timeout=10)
    assert (caught.value.status, caught.value.reason, caught.value.details) == ("FAILED", "out of stock", "sku 42")


def test_cancel_closes_canceled() -> None:
    """run.cancel() on a run waiting for a signal closes it CANCELED; result() says so."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(approval, None)
        _wait_for(run, "DecisionTaskCompleted")
        run.cancel()
        with pytest.raises(wf.WorkflowFailed) as caught:
            run.result(timeout=10)
    assert caught.value.status == "CANCELED"


def test_terminate_closes_terminated_with_reason() -> None:
    """run.terminate(reason) closes the run TERMINATED; result() gives the reason."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(approval, None)
        run.terminate("no longer wanted")
        with pytest.raises(wf.WorkflowFailed) as caught:
            run.result(timeout=10)
    assert (caught.value.status, caught.value.reason) == ("TERMINATED", "no longer wanted")


def test_idle_run_times_out_while_result_waits() -> None:
    """A run waiting for a signal that never comes reaches its 1-hour execution timeout at once: TIMED_OUT."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(short_lived, None)
        with pytest.raises(wf.WorkflowFailed) as caught:
            run.result(timeout=10)
    assert caught.value.status == "TIMED_OUT"


def test_result_follows_continue_as_new() -> None:
    """result() follows continue-as-new to the last run and history() gives that run's events."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(relay, 2)
        assert run.result(timeout=10) == 42
        last = run.history()
    assert last.state.started is not None and last.filter("WorkflowExecutionCompleted")
    assert attributes(last, "WorkflowExecutionStarted")[0]["continuedExecutionRunId"] != run.run_id


def test_history_replays_after_the_environment_closes() -> None:
    """run.history() replays with the same code outside the environment, returning no new decisions."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(retry_10s, None)
        run.result(timeout=20)
        history = run.history()
    assert replay(history, workflows=ALL) == []


def test_closing_replays_and_catches_changed_code() -> None:
    """Code changed after a run (a timer inserted) makes closing the environment raise NondeterminismError at file:line."""
    try:
        with pytest.raises(wf.NondeterminismError) as caught, gevent.Timeout(30), _env() as env:
            run = env.start(changing, None, workflow_id="changing-1")
            assert run.result(timeout=10) == 2
            CHANGED["now"] = True
    finally:
        CHANGED["now"] = False
    assert caught.value.site.startswith(f"{__file__}:")
    assert "changing-1" in str(caught.value)
    assert "test_environment.py:" in str(caught.value)


def test_unpatched_process_gets_a_clear_error() -> None:
    """Entering the environment in a process gevent has not patched raises one clear RuntimeError."""
    code = (
        "from swf_gevent import workflow as wf\n"
        "from swf_gevent.workflow.testing import WorkflowEnvironment\n"
        "w = wf.workflow('w')(lambda ctx: None)\n"
        "try:\n"
        "    WorkflowEnvironment([w]).__enter__()\n"
        "except RuntimeError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "gevent.monkey.patch_all()" in out.stdout


def test_sleep_settles_a_started_run_before_skipping() -> None:
    """env.sleep right after a start lets the first decision task run before the skip: none times out under it."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(approval, None, workflow_id="o-2")
        env.sleep(timedelta(hours=5))
        run.signal("approval", "yes")
        assert run.result(timeout=10) == "yes"
        events = run.history()
    assert not events.filter("DecisionTaskTimedOut")
    assert events[-1].timestamp - events[0].timestamp >= timedelta(hours=5)


def test_cancelling_an_activity_reaches_its_worker() -> None:
    """handle.cancel() drops an activity not yet sent, and sends RequestCancelActivityTask for a running one."""
    with gevent.Timeout(30), _env() as env:
        run = env.start(cancelling, None)
        assert run.result(timeout=20) == ["double-1 canceled", "heartbeating-1 canceled"]
        events = run.history()
    assert [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")] == ["heartbeating-1"]
    assert [a["activityId"] for a in attributes(events, "ActivityTaskCancelRequested")] == ["heartbeating-1"]
    assert len(events.filter("ActivityTaskCanceled")) == 1


@wf.workflow("buggy", version="1")
def buggy(ctx: wf.Context, _: Any) -> None:
    ctx.sleep(timedelta(seconds=1))
    raise KeyError("missing-key")


def test_result_raises_a_held_task_at_once() -> None:
    """A bug holds the decision task; run.result() raises its error with file:line instead of timing out."""
    with gevent.Timeout(30), WorkflowEnvironment(workflows=[buggy], activities=ACTIVITIES) as env:
        run = env.start(buggy, None, workflow_id="buggy-1")
        began = time.monotonic()
        with pytest.raises(
            wf.WorkflowCodeError,
            match=r"buggy-1 run .*: its decision task was held: .*KeyError: 'missing-key' \(at .*test_environment\.py:\d+\)",
        ):
            run.result(timeout=20)
        assert time.monotonic() - began < 5
