"""Activities that run long: heartbeats and cancellation, blocking and CPU-bound work off the hub."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import gevent

from swf_gevent import workflow as wf
from swf_gevent.activities import ActivityCanceled, activity


@activity("transcode", version="1", task_list="media", heartbeat_timeout=timedelta(seconds=30))
def transcode(video: dict, context) -> dict:
    """A long task: reports progress with heartbeats; a cancel request reaches it at the next one."""
    done = 0
    try:
        for done in range(1, video["parts"] + 1):
            gevent.sleep(0.05)  # cooperative work; blocking work goes to executor="thread"
            context.heartbeat(f"{done}/{video['parts']}")  # RecordActivityTaskHeartbeat
    except ActivityCanceled:
        # Clean up, then return or re-raise: re-raising answers RespondActivityTaskCanceled.
        raise
    return {"parts": done}


@activity("checksum", version="1", task_list="media", executor="thread")
def checksum(path: str) -> str:
    """Blocking work (a file read, a C library call) in a thread of the process, so heartbeats go on."""
    time.sleep(0.05)  # stands for blocking I/O
    return hashlib.sha256(path.encode()).hexdigest()


@activity("fingerprint", version="1", task_list="media", executor="process")
def fingerprint(samples: list[int]) -> int:
    """CPU-bound work in a worker process (takes no context; its input and result cross as JSON)."""
    return sum(s * s for s in samples) % 65_521


@wf.workflow("publish", version="1", task_list="media")
def publish(ctx: wf.Context, video: dict) -> dict:
    digest = ctx.execute(checksum, video["path"])
    mark = ctx.execute(fingerprint, list(range(1000)))
    job = ctx.start(transcode, video)
    try:
        parts = job.result()
    except wf.Cancelled:  # the execution's cancel was requested while it waited
        job.cancel()  # RequestCancelActivityTask: the worker sees it at its next heartbeat
        try:
            job.result()
        except wf.ActivityFailed as err:  # reason "canceled", once the worker answered so
            return {"digest": digest, "transcode": err.reason}
        raise
    return {"digest": digest, "fingerprint": mark, **parts}
