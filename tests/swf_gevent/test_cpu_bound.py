"""CPU-bound activities in the thread pool and in the process pool keep heartbeating; the hub monitor."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest
from gevent import monkey

from swf_gevent import signals
from swf_gevent.activities import ActivityContext, ActivityRegistry, activity
from swf_gevent.actors import GreenletActivityWorker, ProcessPool
from swf_gevent.hub_monitor import HubMonitor
from tests.swf_gevent.actor_support import ACTIVITIES, CallWatcher, receivers, register, start_and_schedule

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(90)

#: SWF's heartbeat timeout for these types (whole seconds on the wire), shorter than the work.
HEARTBEAT = timedelta(seconds=1)
WORK_SECONDS = 2.5


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(60):
        yield


def _spin(seconds: float) -> int:
    """Pure-Python CPU work for ``seconds`` of wall time; never yields to gevent."""
    end = time.perf_counter() + seconds
    turns = 0
    while time.perf_counter() < end:
        turns += sum(range(200)) and 1
    return turns


@activity("crunch-in-thread", executor="thread", heartbeat_timeout=HEARTBEAT)
def crunch_in_thread(seconds: float) -> str:
    return f"{_spin(seconds) > 0}"


@activity("crunch-in-process", executor="process", heartbeat_timeout=HEARTBEAT)
def crunch_in_process(seconds: float) -> str:
    return f"{_spin(seconds) > 0}"


_native_sleep = monkey.get_original("time", "sleep")
_thread_saw: list[str] = []


@activity("blocking-in-thread", executor="thread", heartbeat_timeout=timedelta(seconds=0.3))
def blocking_in_thread(payload: Any, context: ActivityContext) -> str:
    context.heartbeat("working in a thread")  # kept; the next automatic heartbeat sends it
    while not context.cancel_requested:
        _native_sleep(0.01)
    _thread_saw.append("cancel_requested")
    return "ignored"


@activity("fails-in-process", executor="process")
def fails_in_process(payload: Any) -> None:
    raise KeyError("missing in the child")


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with ``flow/1`` and this module's activity types (SWF heartbeat timeout 1 s)."""
    register(swf_client, domain_name, REGISTRY)
    return domain_name


@pytest.fixture
def process_pool() -> Iterator[ProcessPool]:
    """A process pool of one child, closed after the test."""
    pool = ProcessPool(1)
    try:
        yield pool
    finally:
        pool.close()


@pytest.mark.parametrize("name", ["crunch-in-thread", "crunch-in-process"])
def test_cpu_bound_work_keeps_heartbeating(
    swf_client: Any, domain: str, receivers: Any, process_pool: ProcessPool, name: str
) -> None:
    """CPU work longer than the heartbeat timeout, off the hub, heartbeats all along and completes."""
    beats, completed = receivers(signals.heartbeat_sent), receivers(signals.activity_task_completed)
    execution = start_and_schedule(swf_client, domain, ("c", name, WORK_SECONDS))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client, process_pool=process_pool)
    worker.start()
    try:
        assert completed.wait()[0]["result"] == '"True"'
    finally:
        worker.stop(timeout=10)
    assert len(beats.payloads) > 1
    types = execution.types()
    assert "ActivityTaskTimedOut" not in types
    assert types.count("ActivityTaskCompleted") == 1


def test_process_failure_keeps_the_child_traceback(
    swf_client: Any, domain: str, receivers: Any, process_pool: ProcessPool
) -> None:
    """An exception in the child fails the task with its type, message and the child's traceback."""
    failed = receivers(signals.activity_task_failed)
    start_and_schedule(swf_client, domain, ("f", "fails-in-process", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client, process_pool=process_pool)
    worker.start()
    try:
        payload = failed.wait()[0]
    finally:
        worker.stop(timeout=10)
    assert payload["reason"] == "KeyError: 'missing in the child'"
    assert "raise KeyError" in payload["details"]


def test_thread_function_sees_cancel_and_task_is_answered_canceled(
    swf_client: Any, domain: str, receivers: Any
) -> None:
    """A function in a thread sends details through the automatic heartbeats and sees cancel_requested; the task ends canceled."""
    beats, canceled = receivers(signals.heartbeat_sent), receivers(signals.activity_task_canceled)
    watcher = CallWatcher(swf_client, "RecordActivityTaskHeartbeat")
    _thread_saw.clear()
    execution = start_and_schedule(swf_client, domain, ("t", "blocking-in-thread", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        beats.wait()
        execution.request_cancel("t")
        canceled.wait()
    finally:
        worker.stop(timeout=10)
        watcher.close()
    assert "working in a thread" in [params.get("details") for params in watcher.params]
    types = execution.types()
    assert types.index("ActivityTaskCancelRequested") < types.index("ActivityTaskCanceled")
    with gevent.Timeout(5):
        while not _thread_saw:  # the thread is told through the flag, and ends on its own
            gevent.sleep(0.01)


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_hub_monitor_reports_a_blocking_greenlet(receivers: Any) -> None:
    """A greenlet holding the hub past the threshold is logged as a warning and sent as hub_blocked."""
    blocked = receivers(signals.hub_blocked)
    warnings = _Warnings()
    logger = logging.getLogger("swf_gevent.hub_monitor")
    logger.addHandler(warnings)
    native_sleep = _native_sleep
    monitor = HubMonitor(threshold=0.1)
    monitor.start()
    try:
        culprit = gevent.spawn(native_sleep, 0.4)  # blocks the whole hub
        culprit.join()
        payload = blocked.wait()[0]
    finally:
        monitor.stop()
        logger.removeHandler(warnings)
    assert payload["duration"] >= 0.1
    assert payload["greenlet"] == repr(culprit)
    assert blocked.senders == [None]
    assert any("held the hub" in message for message in warnings.messages)


def test_hub_monitor_reports_nothing_once_stopped(receivers: Any) -> None:
    """A hold the monitor saw but could not report before stop() is not reported after it (nor one after it)."""
    blocked = receivers(signals.hub_blocked)
    monitor = HubMonitor(threshold=0.1)
    monitor.start()
    gevent.sleep(0)
    _native_sleep(0.3)  # the watcher sees this hold; its report waits for the hub
    monitor.stop()
    _native_sleep(0.3)  # held again, with nothing watching
    gevent.sleep(0.1)  # the hub runs what was waiting for it
    assert not monitor.running
    assert blocked.payloads == []


def test_hub_monitor_is_quiet_for_yielding_greenlets(receivers: Any) -> None:
    """Greenlets that yield within the threshold are never reported."""
    blocked = receivers(signals.hub_blocked)
    monitor = HubMonitor(threshold=1.0)  # well above any stall of a busy machine
    monitor.start()
    try:
        gevent.joinall([gevent.spawn(gevent.sleep, 0.05 * i) for i in range(20)] + [gevent.spawn(gevent.sleep, 1.2)])
    finally:
        monitor.stop()
    assert blocked.payloads == []


def test_hub_monitor_refuses_a_bad_threshold() -> None:
    """A threshold that is not a positive number of seconds is refused, naming it."""
    with pytest.raises(ValueError, match="threshold"):
        HubMonitor(threshold=0)


def _pid(payload: Any) -> int:
    return os.getpid()


def test_process_pool_reuses_its_child_and_refuses_after_close(process_pool: ProcessPool) -> None:
    """A pool of one runs calls in one kept child process; after close() it refuses work, naming why."""
    first, second = process_pool.run(_pid, None), process_pool.run(_pid, None)
    assert first == second and first != os.getpid()
    process_pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        process_pool.run(_pid, None)
