"""The runner's printed lines as pure functions of the metrics and the batch's outcome."""

from __future__ import annotations

import pytest

from swf_gevent import signals
from swf_gevent._report import BatchOutcome, Stopping, progress_line, start_line, summary
from swf_gevent.handlers import MetricsHandler


@pytest.fixture
def metrics() -> MetricsHandler:
    """A metrics handler that received 4 activity answers (10 to 40 ms) and 3 decision tasks, one failed."""
    handler = MetricsHandler()
    handler.connect()
    try:
        for seconds in (0.01, 0.02, 0.03, 0.04):
            signals.activity_task_completed.send(None, duration=seconds)
        signals.decision_task_completed.send(None, duration=0.01)
        signals.decision_task_completed.send(None, duration=0.01)
        signals.decision_task_failed.send(None, duration=0.01)
    finally:
        handler.disconnect()
    return handler


def test_summary_of_a_batch_with_failures(metrics: MetricsHandler) -> None:
    """The summary counts executions by close status, shows an example of each non-completed one, and the rates."""
    batch = BatchOutcome(
        5, 4, {"COMPLETED": 2, "FAILED": 1, "TIMED_OUT": 1}, {"FAILED": "w-1: bad", "TIMED_OUT": "w-3: START_TO_CLOSE"}
    )
    text = summary("fleet.ini", "the local endpoint http://x", 2.0, metrics, batch)
    assert text.splitlines() == [
        "simple-workflow run: fleet.ini on the local endpoint http://x",
        "  executions     4/5 started, 2 completed, 1 failed, 0 still open, 1 timed_out",
        "  e.g. failed    w-1: bad",
        "  e.g. timed_out w-3: START_TO_CLOSE",
        "  activity tasks 4 in 2.0 s: 2.0 tasks/s",
        "  latency        p50 20.0 ms, p95 40.0 ms (activity task received to answered)",
        "  decision tasks 2 completed, 1 failed",
    ]
    assert not batch.ok


def test_summary_names_processes_and_a_second_signal() -> None:
    """Worker processes with their restarts, and a second stop request, each get their line; no latency before any."""
    text = summary("f.ini", "SWF", 0.0, MetricsHandler(), processes=(2, 1), stopping=Stopping(2))
    assert text.splitlines()[1:] == [
        "  activity tasks 0 in 0.0 s: 0.0 tasks/s",
        "  decision tasks 0 completed, 0 failed",
        "  processes      2, 1 restart",
        "  interrupted by a signal (twice: running tasks left to their SWF timeouts)",
    ]


def test_batch_outcome_is_ok_only_when_all_started_completed() -> None:
    """A batch is ok when every execution asked for started and completed; open ones count as not closed."""
    assert BatchOutcome(3, 3, {"COMPLETED": 3}).ok
    assert not BatchOutcome(3, 2, {"COMPLETED": 2}).ok
    open_one = BatchOutcome(3, 3, {"COMPLETED": 2})
    assert (open_one.ok, open_one.closed) == (False, 2)


def test_progress_and_start_lines(metrics: MetricsHandler) -> None:
    """The progress line gives seconds since the first start, executions closed, and the metrics' status."""
    assert progress_line(12.34, 3, 8, metrics) == f"    12.3 s   3/8 executions closed; {metrics.status()}"
    assert start_line(2000, 21, 1, "d", "SWF", None) == (
        "2000 task slots on up to 21 pollers polling domain 'd' at SWF; SIGINT or SIGTERM stops them"
    )
    assert start_line(11, 3, 2, "d", "SWF", (5, "t")) == (
        "2 processes of 11 task slots on up to 3 pollers polling domain 'd' at SWF; 5 executions of 't' started"
    )
