"""Workflows showing each feature of ``swf_gevent.workflow``: parallel activities, timers, children, side effects."""

from __future__ import annotations

import uuid
from datetime import timedelta

from swf_gevent import workflow as wf
from swf_gevent.activities import activity


@activity("count", version="1", task_list="words")
def count(text: str) -> int:
    return len(text.split())


@activity("undo", version="1", task_list="words")
def undo(what: str) -> str:
    return f"undone {what}"


@wf.workflow("fan-out", version="1", task_list="words")
def fan_out(ctx: wf.Context, chunks: list[str]) -> dict:
    counts = ctx.map(count, chunks, max_concurrency=200)  # parallel, results in input order
    first, second = ctx.start(count, chunks[0]), ctx.start(count, chunks[-1])  # handles
    both = ctx.gather(first, second)  # wait for every handle, results in order
    deadline = ctx.timer(timedelta(minutes=5))
    quick = ctx.start(count, "a b")
    done = ctx.wait_any(quick, deadline)  # the first handle done, in argument order
    deadline.cancel()  # CancelTimer; no-op once fired
    return {"counts": counts, "both": both, "in time": done is quick}


@wf.workflow("reminder", version="1", task_list="words")
def reminder(ctx: wf.Context, _: None) -> str:
    timer = ctx.timer(timedelta(days=1))  # a cancellable timer
    try:
        approver = ctx.wait_signal("approve", timeout=timedelta(hours=2))
        timer.cancel()  # CancelTimer
        return f"approved by {approver}"
    except wf.TimedOut:
        timer.result()  # waits until the timer fires
        return "reminded after a day"


@wf.workflow("parent", version="1", task_list="words")
def parent(ctx: wf.Context, texts: list[str]) -> dict:
    request_id = ctx.side_effect(lambda: str(uuid.uuid4()))  # recorded once as a marker; replays read it
    one = ctx.child(fan_out, texts, workflow_id=f"{ctx.info.workflow_id}-words")
    try:
        ctx.child(failing_child, None)
    except wf.ChildFailed as err:
        failed = err.reason
    if ctx.patched("count-total"):  # new executions take the new path; recorded ones replay the old
        total = sum(one["counts"])
    else:
        total = None
    return {"request_id_length": len(request_id), "counts": one["counts"], "child failed": failed, "total": total}


@wf.workflow("failing-child", version="1", task_list="words")
def failing_child(ctx: wf.Context, _: None) -> None:
    raise wf.Fail("out of stock", "sku 42")


@wf.workflow("compensating", version="1", task_list="words")
def compensating(ctx: wf.Context, _: None) -> None:
    ctx.execute(count, "reserve two items")
    try:
        ctx.wait_signal("ship")
    except wf.Cancelled:
        ctx.execute(undo, "reserve")  # compensation still runs activities
        raise  # the execution closes CANCELED


@wf.workflow("batches", version="1", task_list="words", continue_as_new_after=500)
def batches(ctx: wf.Context, state: dict) -> int:
    while state["done"] < state["total"]:
        if ctx.info.continue_as_new_suggested:  # the history is past 500 events
            ctx.continue_as_new(state)  # a new run with this input; unconsumed signals move along
        state["done"] += ctx.execute(count, "one two three")
    return state["done"]
