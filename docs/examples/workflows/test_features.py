"""Each feature workflow on the embedded endpoint, with time skipping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from features import batches, compensating, count, failing_child, fan_out, parent, reminder, undo

from swf_gevent import workflow as wf
from swf_gevent.workflow.testing import WorkflowEnvironment

WORKFLOWS = [fan_out, reminder, parent, failing_child, compensating, batches]


def env() -> WorkflowEnvironment:
    return WorkflowEnvironment(workflows=WORKFLOWS, activities=[count, undo])


def test_fan_out() -> None:
    with env() as e:
        run = e.start(fan_out, ["a b", "c d e", "f"])
        assert run.result(timeout=10) == {"counts": [2, 3, 1], "both": [2, 1], "in time": True}


def test_reminder_is_cancelled_by_the_signal() -> None:
    with env() as e:
        run = e.start(reminder, None)
        e.sleep(timedelta(minutes=30))
        run.signal("approve", "ann")
        assert run.result(timeout=10) == "approved by ann"
        assert run.history().filter("TimerCanceled")


def test_reminder_fires_after_a_day() -> None:
    with env() as e:
        assert e.start(reminder, None).result(timeout=10) == "reminded after a day"


def test_parent_gets_its_children() -> None:
    with env() as e:
        run = e.start(parent, ["a b", "c"], workflow_id="p-1")
        assert run.result(timeout=10) == {
            "request_id_length": 36,
            "counts": [2, 1],
            "child failed": "out of stock",
            "total": 3,
        }


def test_cancel_runs_compensation() -> None:
    with env() as e:
        run = e.start(compensating, None)
        e.sleep(timedelta(0))
        run.cancel()
        with pytest.raises(wf.WorkflowFailed) as closed:
            run.result(timeout=10)
        assert closed.value.status == "CANCELED"
        completed = [a for a in run.history() if a.event_type == "ActivityTaskCompleted"]
        assert len(completed) == 2  # the reservation and its undo


def test_batches_continue_as_new() -> None:
    with env() as e:
        run = e.start(batches, {"done": 0, "total": 300})
        assert run.result(timeout=60) == 300  # 100 activities of 3 words
        assert len(run.histories()) > 1
