"""The signal catalogue, the emit helper and the stock handlers."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from blinker import NamedSignal

from swf.actors import ActivityTask
from swf.exceptions import ThrottlingError
from swf.models.events import ExecutionRef, TypeRef
from swf.retry import RetryPolicy
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
        doc = signal.__doc__ or ""
        assert "Sender:" in doc and "Payload:" in doc, signal.name


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
    assert metrics.counts.activity_task_completed == 100
    assert metrics.counts.activity_task_failed == 1
    assert metrics.counts.decision_task_completed == 1
    assert metrics.activity_tasks == 101
    assert metrics.latency(0.5) == pytest.approx(0.051)
    assert metrics.latency(0.95) == pytest.approx(0.096)
    buckets = metrics.histogram()
    assert sum(n for bound, n in buckets if bound <= 0.01) == 10  # 1 ms .. 10 ms, bounds inclusive
    assert sum(n for bound, n in buckets if 0.01 < bound <= 0.1) == 90
    assert dict(buckets)[1.0] == 1 and sum(n for _, n in buckets) == 101
    assert metrics.decision_tasks == 1 and metrics.decision_latency.sum == pytest.approx(0.001)


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
            signals.emit(
                signals.activity_task_failed,
                "w",
                task=_task("a-9"),
                reason="ValueError: bad",
                details="tb",
                duration=0.5,
            )
            signals.emit(signals.activity_task_completed, "w", task=_task("a-8"), result="r", duration=0.25)
    finally:
        handler.disconnect()
    assert "activity-task-failed workflow wf run run activity a-9: ValueError: bad" in caplog.text
    assert "activity-task-completed workflow wf run run activity a-8 in 0.250 s" in caplog.text
    assert "SECRET" not in caplog.text


def _activity_task() -> ActivityTask:
    return ActivityTask(
        task_token="SECRET",
        activity_id="a-7",
        started_event_id=6,
        workflow_execution=ExecutionRef("wf-7", "run-7"),
        activity_type=TypeRef("resize", "2"),
        input='"x"',
    )


def _collect(signal: NamedSignal) -> tuple[list[dict[str, Any]], Any]:
    got: list[dict[str, Any]] = []

    def receiver(sender: Any, **payload: Any) -> None:
        got.append(payload)

    signal.connect(receiver)
    return got, receiver


def test_emit_fills_ids_from_task_and_sender() -> None:
    """emit() adds domain, task list, workflow, run and activity ids a caller did not pass."""
    sender = SimpleNamespace(actor=SimpleNamespace(domain="dom", task_list="images"))
    got, receiver = _collect(signals.activity_task_completed)
    try:
        signals.emit(signals.activity_task_completed, sender, task=_activity_task(), result=None, duration=0.5)
    finally:
        signals.activity_task_completed.disconnect(receiver)
    payload = dict(got[0])
    del payload["task"]
    assert payload == {
        "domain": "dom",
        "task_list": "images",
        "workflow_id": "wf-7",
        "run_id": "run-7",
        "activity_id": "a-7",
        "activity_name": "resize",
        "activity_version": "2",
        "result": None,
        "duration": 0.5,
    }


def test_emit_keeps_ids_the_caller_passed() -> None:
    """An id given by the caller wins over the one emit() would derive; a decision task has no activity ids."""
    sender = SimpleNamespace(domain="own", task_list="decisions")
    decision = SimpleNamespace(workflow_execution=ExecutionRef("wf-1", "run-1"), task_token="SECRET")
    got, receiver = _collect(signals.decision_task_received)
    try:
        signals.emit(signals.decision_task_received, sender, task=decision, domain="given")
    finally:
        signals.decision_task_received.disconnect(receiver)
    assert {k: v for k, v in got[0].items() if k != "task"} == {
        "domain": "given",
        "task_list": "decisions",
        "workflow_id": "wf-1",
        "run_id": "run-1",
    }


def test_emit_without_task_or_actor_adds_nothing() -> None:
    """A process-wide signal (sender None, no task) reaches receivers with just its own payload."""
    got, receiver = _collect(signals.hub_blocked)
    try:
        signals.emit(signals.hub_blocked, None, duration=0.2, greenlet="<Greenlet>")
    finally:
        signals.hub_blocked.disconnect(receiver)
    assert got == [{"duration": 0.2, "greenlet": "<Greenlet>"}]


def test_emit_to_a_receiver_of_one_sender_only() -> None:
    """A receiver connected for one sender gets that sender's signals, not another's."""
    mine, other = SimpleNamespace(domain="d", task_list="a"), SimpleNamespace(domain="d", task_list="b")
    got: list[str] = []

    def receiver(sender: Any, **payload: Any) -> None:
        got.append(payload["task_list"])

    signals.actor_started.connect(receiver, sender=mine)
    try:
        signals.emit(signals.actor_started, other)
        signals.emit(signals.actor_started, mine)
    finally:
        signals.actor_started.disconnect(receiver)
    assert got == ["a"]


def test_retry_policy_sends_call_retried() -> None:
    """retry_policy() keeps the base policy's numbers and sends call_retried before each backoff."""
    slept: list[float] = []
    seen: list[tuple[str, int]] = []
    base = RetryPolicy(
        max_attempts=3, sleep=slept.append, jitter=lambda: 1.0, on_retry=lambda op, n, d, e: seen.append((op, n))
    )
    policy = signals.retry_policy(base, sender="runner")
    assert policy == base and base.on_retry is not policy.on_retry
    got: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **payload: Any) -> None:
        got.append((sender, payload))

    attempts = iter([ThrottlingError("slow down", error_code="ThrottlingException"), None])

    def send() -> str:
        error = next(attempts)
        if error is not None:
            raise error
        return "ok"

    signals.call_retried.connect(receiver)
    try:
        assert policy.run("PollForActivityTask", send) == "ok"
    finally:
        signals.call_retried.disconnect(receiver)
    assert seen == [("PollForActivityTask", 1)]
    assert len(got) == 1
    sender, payload = got[0]
    assert sender == "runner"
    assert payload["operation"] == "PollForActivityTask" and payload["attempt"] == 1
    assert payload["delay"] == pytest.approx(0.1) and slept == [payload["delay"]]
    assert isinstance(payload["error"], ThrottlingError)


def test_runner_client_sends_call_retried() -> None:
    """The runner's client retries a throttled call under a policy that sends call_retried."""
    from swf.connection import call
    from swf_gevent._config import Config
    from swf_gevent._connect import connect
    from swf_gevent.local import LocalSWF

    config = Config(
        path="x.ini",
        domain="d",
        region=None,
        endpoint_url="local",
        poll_timeout=1.0,
        log_level="WARNING",
        activities=(),
        deciders=(),
        executions=None,
    )
    got, receiver = _collect(signals.call_retried)
    with LocalSWF(poll_timeout=1.0) as local:
        client = connect(config, local.endpoint_url)
        try:
            local.inject_fault("ListDomains", kind="throttle", count=1)
            call(client, "ListDomains", registrationStatus="REGISTERED")
        finally:
            signals.call_retried.disconnect(receiver)
    assert [(p["operation"], p["attempt"], type(p["error"]).__name__) for p in got] == [
        ("ListDomains", 1, "ThrottlingError")
    ]
    assert got[0]["delay"] <= 0.1


def test_every_signal_is_described_once_as_data() -> None:
    """Each signal of the namespace has one SignalSpec whose name, doc and payload keys match the signal."""
    assert list(signals.CATALOGUE) == list(signals.signals)
    for name, spec in signals.CATALOGUE.items():
        signal = getattr(signals, spec.attribute)
        assert signal is signals.signals[name] and signal.__doc__ == spec.doc
        assert spec.attribute in signals.__all__
        named = [key for key in spec.payload if key not in ("task", "domain", "task_list") and key not in spec.doc]
        assert named == [] or "received payload" in spec.doc, (name, named)
        assert spec.duration is None or (spec.carries_duration and spec.duration in signals.DURATION_METRICS)
    counters = [spec.counter for spec in signals.CATALOGUE.values()]
    assert len(set(counters)) == len(counters)


def test_handler_tables_are_derived_from_the_catalogue() -> None:
    """The counter names, durations and answer lists of the handlers are the catalogue's, with none missing."""
    from swf_gevent import handlers

    assert handlers.COUNTER_NAMES["decision-task-failed"] == "decision_tasks_failed"
    assert set(handlers.COUNTER_NAMES) == set(signals.CATALOGUE)
    assert handlers.DURATIONS["activity-task-gone"] == ("activity_task_duration", "gone")
    assert handlers.ACTIVITY_ANSWERS == ("activity-task-completed", "activity-task-failed", "activity-task-canceled")
    assert handlers.DECISION_ANSWERS == ("decision-task-completed", "decision-task-failed")


def test_logging_handler_logs_each_signal_at_its_catalogue_level(caplog: pytest.LogCaptureFixture) -> None:
    """LoggingHandler writes every signal at the level its SignalSpec names."""
    handler = LoggingHandler()
    with caplog.at_level(logging.DEBUG, logger="swf_gevent.handlers"):
        for name in signals.CATALOGUE:
            handler.receive(name, None, {"domain": "d", "task_list": "t", "duration": 0.5})
    levels = {record.getMessage().split(" ", 1)[0].rstrip(":"): record.levelno for record in caplog.records}
    assert levels == {name: spec.level for name, spec in signals.CATALOGUE.items()}


def test_metrics_counts_are_typed_attributes() -> None:
    """metrics.counts.decision_task_failed counts that signal; the signal-name mapping still works; typos raise."""
    metrics = MetricsHandler()
    metrics.receive("decision-task-failed", None, {"duration": 0.1})
    metrics.receive("decision-task-failed", None, {"duration": 0.2})
    before = metrics.snapshot()
    metrics.receive("decision-task-failed", None, {"duration": 0.3})
    assert (metrics.counts.decision_task_failed, metrics.counts["decision-task-failed"]) == (3, 3)
    assert (before.decision_task_failed, metrics.counts.activity_task_failed) == (2, 0)
    with pytest.raises(AttributeError, match="decision_task_faild"):
        metrics.counts.decision_task_faild  # noqa: B018 - the access is what is tested
