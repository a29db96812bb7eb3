"""The long-task activities under a workflow, on the embedded endpoint."""

from __future__ import annotations

import gevent
from long_tasks import checksum, fingerprint, publish, transcode

from swf_gevent.workflow.testing import WorkflowEnvironment

ACTIVITIES = [transcode, checksum, fingerprint]


def test_publish_runs_every_executor() -> None:
    with WorkflowEnvironment(workflows=[publish], activities=ACTIVITIES) as env:
        result = env.start(publish, {"path": "cat.mp4", "parts": 3}).result(timeout=30)
    assert result["parts"] == 3 and len(result["digest"]) == 64


def test_cancel_reaches_the_heartbeating_task() -> None:
    with WorkflowEnvironment(workflows=[publish], activities=ACTIVITIES) as env:
        run = env.start(publish, {"path": "long.mp4", "parts": 400})
        while not run.history().filter("ActivityTaskStarted")[2:]:  # transcode is running
            gevent.sleep(0.05)
        run.cancel()
        assert run.result(timeout=30)["transcode"] == "canceled"
        assert run.history().filter("ActivityTaskCanceled")
