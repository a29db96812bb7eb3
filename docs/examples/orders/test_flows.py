"""Tests of the order workflow on the embedded endpoint, with time skipping: days pass in milliseconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from activities import charge, reserve, ship
from flows import order

from swf_gevent import workflow as wf
from swf_gevent.activities import activity
from swf_gevent.workflow.testing import WorkflowEnvironment

SMALL = {"id": "o-1", "items": ["pen"], "total": 20}
LARGE = {"id": "o-2", "items": ["desk", "chair"], "total": 900}


def test_small_order_is_shipped() -> None:
    with WorkflowEnvironment(workflows=[order], activities=[reserve, charge, ship]) as env:
        run = env.start(order, SMALL, workflow_id="order-o-1")
        assert run.result(timeout=10) == {
            "items": ["pen"],
            "payment": "pay-o-1",
            "tracking": "track-o-1",
            "approved_by": None,
        }


def test_large_order_waits_for_approval_then_an_hour() -> None:
    with WorkflowEnvironment(workflows=[order], activities=[reserve, charge, ship]) as env:
        run = env.start(order, LARGE, workflow_id="order-o-2")
        env.sleep(timedelta(hours=5))  # nothing happens without the signal
        run.signal("approve", "ann")
        assert run.result(timeout=10)["approved_by"] == "ann"
        history = run.history()
    timers = [e for e in history if e.event_type == "TimerStarted"]
    assert [t.raw["timerStartedEventAttributes"]["startToFireTimeout"] for t in timers] == [
        str(2 * 24 * 3600),  # the approval's 2-day timeout, cancelled by the signal
        "3600",  # the cooling-off hour
    ]


def test_unapproved_order_fails_after_two_days() -> None:
    with WorkflowEnvironment(workflows=[order], activities=[reserve, charge, ship]) as env:
        run = env.start(order, LARGE)
        with pytest.raises(wf.WorkflowFailed) as failed:
            run.result(timeout=10)  # two days skip in milliseconds
    assert failed.value.reason == "not approved"


def test_charge_is_retried_on_timers() -> None:
    attempts = []

    @activity("charge", version="1", task_list="order-activities")  # a stand-in for the real charge
    def flaky_charge(o: dict) -> str:
        attempts.append(o["id"])
        if len(attempts) < 3:
            raise ConnectionError("payment gateway unreachable")
        return "pay-after-retries"

    with WorkflowEnvironment(workflows=[order], activities=[reserve, flaky_charge, ship]) as env:
        run = env.start(order, SMALL)
        assert run.result(timeout=10)["payment"] == "pay-after-retries"
        history = run.history()
    waits = [
        e.raw["timerStartedEventAttributes"]["startToFireTimeout"] for e in history if e.event_type == "TimerStarted"
    ]
    assert waits == ["10", "20"]  # CHARGE_RETRY: 10 s, then 20 s
    assert len(attempts) == 3


def test_declined_card_is_not_retried() -> None:
    with WorkflowEnvironment(workflows=[order], activities=[reserve, charge, ship]) as env:
        run = env.start(order, {"id": "o-3", "items": ["car"], "total": 20_000})
        env.sleep(timedelta(0))
        run.signal("approve", "ann")
        with pytest.raises(wf.WorkflowFailed) as failed:
            run.result(timeout=10)
    assert failed.value.reason.startswith("ActivityFailed: activity charge-1 attempt 1")
