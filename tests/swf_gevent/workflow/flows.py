"""Workflows and activities the workflow tests run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from swf_gevent import workflow as wf
from swf_gevent.activities import activity


class CardDeclined(Exception):
    """An activity failure that is never retried."""


@activity("double", version="1")
def double(n: int) -> int:
    return n * 2


@activity("add", version="1")
def add(pair: list[int]) -> int:
    return pair[0] + pair[1]


@activity("flaky", version="1")
def flaky(spec: dict[str, Any]) -> str:
    raise RuntimeError(f"fails always ({spec})")


@activity("decline", version="1")
def decline(_: Any) -> None:
    raise CardDeclined("card 4242 declined")


@activity("undo", version="1")
def undo(what: str) -> str:
    return f"undone {what}"


@wf.workflow("sequence", version="1")
def sequence(ctx: wf.Context, n: int) -> dict[str, Any]:
    a = ctx.execute(double, n)
    b = ctx.execute(double, a)
    c = ctx.execute(add, [a, b])
    return {"a": a, "b": b, "c": c}


@wf.workflow("fan-out", version="1")
def fan_out(ctx: wf.Context, count: int) -> int:
    return sum(ctx.map(double, range(count)))


@wf.workflow("retrying", version="1")
def retrying(ctx: wf.Context, _: Any) -> str:
    policy = wf.RetryPolicy(initial_interval=timedelta(seconds=1), backoff=2.0, max_attempts=3)
    try:
        ctx.execute(flaky, {"x": 1}, retry=policy)
    except wf.ActivityFailed as err:
        return f"{err.activity_id} failed on attempt {err.attempt}: {err.error_type}"
    return "succeeded"


@wf.workflow("non-retryable", version="1")
def non_retryable(ctx: wf.Context, _: Any) -> int:
    policy = wf.RetryPolicy(initial_interval=timedelta(seconds=1), max_attempts=5, non_retryable=("CardDeclined",))
    try:
        ctx.execute(decline, None, retry=policy)
    except wf.ActivityFailed as err:
        return err.attempt
    return 0


@wf.workflow("signals", version="1")
def two_signals(ctx: wf.Context, _: Any) -> list[Any]:
    first = ctx.wait_signal("step", timeout=timedelta(seconds=30))
    second = ctx.wait_signal("step", timeout=timedelta(seconds=30))
    try:
        third = ctx.wait_signal("step", timeout=timedelta(seconds=1))
    except wf.TimedOut:
        third = "timed out"
    return [first, second, third]


@wf.workflow("failing-child", version="1")
def failing_child(ctx: wf.Context, _: Any) -> None:
    raise wf.Fail("child gave up", "details of the child")


@wf.workflow("parent", version="1")
def parent(ctx: wf.Context, _: Any) -> dict[str, Any]:
    try:
        ctx.child(failing_child, None)
    except wf.ChildFailed as err:
        return {"child": err.workflow_id, "status": err.status, "reason": err.reason}
    return {}


@wf.workflow("compensating", version="1")
def compensating(ctx: wf.Context, _: Any) -> None:
    ctx.execute(double, 1)
    try:
        ctx.sleep(timedelta(seconds=60))
    except wf.Cancelled:
        ctx.execute(undo, "double")
        raise


@wf.workflow("failing", version="1")
def failing(ctx: wf.Context, _: Any) -> None:
    ctx.execute(decline, None)


@wf.workflow("child-ok", version="1")
def child_ok(ctx: wf.Context, n: int) -> int:
    return n + 1


@wf.workflow("other-child", version="1")
def other_child(ctx: wf.Context, n: int) -> int:
    return n + 2


@wf.workflow("mutable", version="1")
def mutable(ctx: wf.Context, _: Any) -> int:
    a = ctx.execute(double, 1)
    ctx.sleep(timedelta(seconds=1))
    b = ctx.execute(add, [a, a])
    result: int = ctx.child(child_ok, b)
    return result


@wf.workflow("busy", version="1")
def busy(ctx: wf.Context, n: int) -> dict[str, Any]:
    token = ctx.side_effect(lambda: __import__("uuid").uuid4().hex)
    doubled = ctx.map(double, range(n), max_concurrency=None if n > 50 else 3)
    handles = [ctx.start(double, i, id=f"fan-{i}") for i in range(3)]
    first = ctx.wait_any(*handles)
    timer = ctx.timer(timedelta(seconds=5))
    if ctx.patched("extra-add"):
        ctx.execute(add, [1, 2])
    rest = ctx.gather(*handles)
    try:
        got = ctx.wait_signal("go", timeout=timedelta(seconds=3))
    except wf.TimedOut:
        got = None
    timer.cancel()
    child = ctx.child(child_ok, sum(doubled))
    try:
        ctx.execute(flaky, {}, retry=wf.RetryPolicy(initial_interval=timedelta(seconds=1), max_attempts=2))
    except wf.ActivityFailed:
        pass
    return {"token": token, "first": first.activity_id, "rest": rest, "signal": got, "child": child}


@wf.workflow("looping", version="1")
def looping(ctx: wf.Context, state: dict[str, Any] | None) -> dict[str, Any]:
    if state is None:
        ctx.wait_signal("ready")
        ctx.continue_as_new({"run": 2})
    assert state is not None
    return {"run": state["run"], "go": ctx.wait_signal("go"), "history": ctx.info.history_length > 0}


@wf.workflow("ordered-map", version="1")
def ordered_map(ctx: wf.Context, n: int) -> dict[str, Any]:
    started = ctx.now().isoformat()
    replaying_at_start = ctx.info.is_replaying
    values = ctx.map(double, range(n), max_concurrency=4)
    children = [ctx.start_child(child_ok, i) for i in range(2)]
    return {
        "values": values,
        "children": [h.workflow_id for h in children] + ctx.gather(*children),
        "started": started,
        "replaying_at_start": replaying_at_start,
    }


@wf.workflow("long-reason", version="1")
def long_reason(ctx: wf.Context, _: Any) -> None:
    raise wf.Fail("x" * 1000, "the details")


@wf.workflow("branch-map", version="1")
def branch_map(ctx: wf.Context, n: int) -> list[int]:
    def twice_plus_one(i: int) -> int:
        return int(ctx.execute(double, i)) + 1

    return ctx.map(twice_plus_one, range(n), max_concurrency=3)


@wf.workflow("counter", version="1", continue_as_new_after=100)
def counter(ctx: wf.Context, state: dict[str, Any]) -> dict[str, Any]:
    while state["i"] < state["until"]:
        if ctx.info.continue_as_new_suggested:
            ctx.continue_as_new(state)
        ctx.sleep(timedelta(0))
        state["i"] += 1
        if state["i"] == state["until"] // 2:
            state["got"] = ctx.wait_signal("go")
    return state
