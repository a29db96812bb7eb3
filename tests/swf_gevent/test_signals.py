"""The signal catalogue, the emit helper and the stock handlers."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from blinker import NamedSignal

from swf.models.events import ExecutionRef
from swf_gevent import signals
from swf_gevent.handlers import LoggingHandler, MetricsHandler, percentile

CATALOGUE = [value for value in vars(signals).values() if isinstance(value, NamedSignal)]


def test_catalogue_has_the_documented_signals() -> None:
    """Every signal the runtime promises exists in the one namespace, with a doc naming sender and payload."""
    names = {signal.name for signal in CATALOGUE}
    assert {
        "actor-started",
        "actor-stopped",
        "decision-task-received",
        "decision-task-completed",
        "activity-task-received",
        "activity-task-completed",
        "activity-task-failed",
        "heartbeat-sent",
    } <= names
    for signal in CATALOGUE:
        assert signals.signals[signal.name] is signal
        assert "Sender:" in signal.__doc__ and "Payload:" in signal.__doc__, signal.name


def test_emit_delivers_sender_and_payload() -> None:
    """emit() calls each receiver with the sender and the keyword payload."""
    got: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **payload: Any) -> None:
        got.append((sender, payload))

    signals.heartbeat_sent.connect(receiver)
    try:
        signals.emit(signals.heartbeat_sent, "worker", task="t", cancel_requested=False)
    finally:
        signals.heartbeat_sent.disconnect(receiver)
    assert got == [("worker", {"task": "t", "cancel_requested": False})]


def test_emit_logs_a_failing_receiver_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    """A receiver's exception is logged, not raised, and later receivers still run."""
    got: list[str] = []

    def broken(sender: Any, **payload: Any) -> None:
        raise RuntimeError("receiver bug")

    def fine(sender: Any, **payload: Any) -> None:
        got.append(sender)

    signals.actor_started.connect(broken)
    signals.actor_started.connect(fine)
    try:
        with caplog.at_level(logging.ERROR, logger="swf_gevent.signals"):
            signals.emit(signals.actor_started, "actor")
    finally:
        signals.actor_started.disconnect(broken)
        signals.actor_started.disconnect(fine)
    assert got == ["actor"]
    assert "actor-started" in caplog.text and "receiver bug" in caplog.text


def test_emit_without_receivers_does_nothing() -> None:
    """With nothing connected, emit() returns before looking for receivers."""

    class Untouchable(NamedSignal):
        def receivers_for(self, sender: Any) -> Any:
            raise AssertionError("emit looked for receivers of an unconnected signal")

    signals.emit(Untouchable("quiet"), "actor", task="t")


def _task(activity_id: str = "a-1") -> Any:
    return SimpleNamespace(workflow_execution=ExecutionRef("wf", "run"), activity_id=activity_id, task_token="SECRET")


def test_metrics_handler_counts_and_percentiles() -> None:
    """MetricsHandler counts signals and gives nearest-rank latency percentiles in seconds."""
    metrics = MetricsHandler()
    metrics.connect()
    try:
        for ms in range(1, 101):
            signals.emit(signals.activity_task_completed, "w", task=_task(), result=None, duration=ms / 1000)
        signals.emit(signals.activity_task_failed, "w", task=_task(), reason="X", details="", duration=1.0)
        signals.emit(signals.decision_task_completed, "d", task=_task(), decisions=[], duration=0.001)
    finally:
        metrics.disconnect()
    signals.emit(signals.activity_task_completed, "w", task=_task(), result=None, duration=9.0)  # not counted
    assert metrics.counts["activity-task-completed"] == 100
    assert metrics.counts["activity-task-failed"] == 1
    assert metrics.counts["decision-task-completed"] == 1
    assert metrics.activity_tasks == 101
    assert metrics.latency(0.5) == pytest.approx(0.051)
    assert metrics.latency(0.95) == pytest.approx(0.096)
    histogram = dict(metrics.histogram((0.01, 0.1)))
    assert histogram == {0.01: 10, 0.1: 90, float("inf"): 1}


def test_percentile_of_nothing_is_none() -> None:
    """percentile() of no values is None, of one value that value."""
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.95) == 3.0


def test_logging_handler_logs_ids_not_tokens(caplog: pytest.LogCaptureFixture) -> None:
    """LoggingHandler logs SWF ids and the failure reason, never the task token."""
    handler = LoggingHandler()
    handler.connect()
    try:
        with caplog.at_level(logging.DEBUG, logger="swf_gevent.handlers"):
            signals.emit(signals.activity_task_failed, "w", task=_task("a-9"), reason="ValueError: bad", details="tb", duration=0.5)
            signals.emit(signals.activity_task_completed, "w", task=_task("a-8"), result="r", duration=0.25)
    finally:
        handler.disconnect()
    assert "activity-task-failed workflow wf run run activity a-9: ValueError: bad" in caplog.text
    assert "activity-task-completed workflow wf run run activity a-8 in 0.250 s" in caplog.text
    assert "SECRET" not in caplog.text
