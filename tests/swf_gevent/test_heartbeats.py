"""Automatic heartbeats and their written policy: cancel requested, task gone, throttled, other errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest
from gevent.event import Event

from swf.exceptions import ConnectionError, ThrottlingError  # noqa: A004 - swf's own
from swf_gevent import signals
from swf_gevent.activities import ActivityCanceled, ActivityContext, ActivityRegistry, activity
from swf_gevent.actors import GreenletActivityWorker
from tests.swf_gevent.actor_support import ACTIVITIES, CallWatcher, receivers, register, start_and_schedule

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(60)

BEAT = timedelta(seconds=0.3)  # heartbeats every 0.1 s

_release = Event()
_seen: list[str] = []


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    _release.clear()
    _seen.clear()
    _calls.clear()
    with gevent.Timeout(30):
        yield


@activity("until-canceled", heartbeat_timeout=BEAT)
def until_canceled(payload: Any) -> str:
    try:
        _release.wait()
    except ActivityCanceled:
        _seen.append("ActivityCanceled")
        raise ActivityCanceled("stopped on request") from None
    return "finished"


@activity("endless", heartbeat_timeout=BEAT)
def endless(payload: Any) -> str:
    try:
        _release.wait()
    except BaseException as err:
        _seen.append(type(err).__name__)
        raise
    return "finished"


@activity("progress", heartbeat_timeout=BEAT)
def progress(payload: Any, context: ActivityContext) -> str:
    context.heartbeat("half way")
    _release.wait()
    return "done"


@activity("brief", heartbeat_timeout=BEAT)
def brief(payload: Any) -> str:
    _release.wait()
    return "ok"


@activity("silent")
def silent(payload: Any) -> str:
    _release.wait()
    return "too late"


_calls: list[str] = []


@activity("counted", heartbeat_timeout=BEAT)
def counted(payload: str, context: ActivityContext) -> str:
    _calls.append(payload)
    while len(_calls) < 3:  # all three run at once, so heartbeats go out while they wait
        gevent.sleep(0.05)
    context.heartbeat(f"{payload} nearly done")
    return payload


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with ``flow/1`` and this module's activity types (SWF heartbeat timeout 1 s)."""
    register(swf_client, domain_name, REGISTRY)
    return domain_name


def test_cancel_request_raises_inside_the_function(swf_client: Any, domain: str, receivers: Any) -> None:
    """A RequestCancelActivityTask decision reaches the function as ActivityCanceled; the task ends canceled."""
    beats, canceled = receivers(signals.heartbeat_sent), receivers(signals.activity_task_canceled)
    execution = start_and_schedule(swf_client, domain, ("c", "until-canceled", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        assert beats.wait()[0]["cancel_requested"] is False
        execution.request_cancel("c")
        assert canceled.wait()[0]["details"] == "stopped on request"
    finally:
        worker.stop(timeout=10)
    assert _seen == ["ActivityCanceled"]
    assert beats.payloads[-1]["cancel_requested"] is True
    types = execution.types()
    assert types.index("ActivityTaskCancelRequested") < types.index("ActivityTaskCanceled")
    assert execution.attributes("ActivityTaskCanceled")[0]["details"] == "stopped on request"


def test_terminated_execution_kills_its_task(swf_client: Any, domain: str, receivers: Any) -> None:
    """Terminating the execution kills the running function; the task is not answered and activity_task_gone fires."""
    beats, gone = receivers(signals.heartbeat_sent), receivers(signals.activity_task_gone)
    answered = [
        receivers(s)
        for s in (signals.activity_task_completed, signals.activity_task_failed, signals.activity_task_canceled)
    ]
    execution = start_and_schedule(swf_client, domain, ("e", "endless", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        beats.wait()
        swf_client.terminate_workflow_execution(domain=domain, workflowId="wf-1", reason="test")
        payload = gone.wait()[0]
        assert (payload["activity_id"], payload["workflow_id"]) == ("e", "wf-1")
    finally:
        worker.stop(timeout=10)
    assert _seen == ["_TaskGone"]
    assert all(receiver.payloads == [] for receiver in answered)
    types = execution.types()
    assert types[-1] == "WorkflowExecutionTerminated"
    assert not {"ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskCanceled"} & set(types)


def test_automatic_heartbeats_send_the_latest_details(swf_client: Any, domain: str, receivers: Any) -> None:
    """Details given to context.heartbeat are sent again by each automatic heartbeat."""
    beats, completed = receivers(signals.heartbeat_sent), receivers(signals.activity_task_completed)
    watcher = CallWatcher(swf_client, "RecordActivityTaskHeartbeat")
    start_and_schedule(swf_client, domain, ("p", "progress", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        beats.wait(3)  # the explicit beat and two automatic ones
        _release.set()
        completed.wait()
    finally:
        worker.stop(timeout=10)
        watcher.close()
    assert len(watcher.params) >= 3
    assert all(params["details"] == "half way" for params in watcher.params)


def test_throttled_beat_is_skipped_and_other_errors_retried(
    local_swf: Any, swf_client: Any, domain: str, receivers: Any
) -> None:
    """A throttled heartbeat is skipped, a dropped one retried; the task still completes once."""
    beats, failed = receivers(signals.heartbeat_sent), receivers(signals.heartbeat_failed)
    completed = receivers(signals.activity_task_completed)
    local_swf.inject_fault("RecordActivityTaskHeartbeat", "throttle", count=1)
    local_swf.inject_fault("RecordActivityTaskHeartbeat", "drop", count=1)
    execution = start_and_schedule(swf_client, domain, ("b", "brief", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        errors = [payload["error"] for payload in failed.wait(2)]
        beats.wait()
        _release.set()
        assert completed.wait()[0]["result"] == '"ok"'
    finally:
        worker.stop(timeout=10)
    assert isinstance(errors[0], ThrottlingError)
    assert isinstance(errors[1], ConnectionError)
    assert execution.types().count("ActivityTaskCompleted") == 1


def test_heartbeat_interval_is_a_third_of_the_timeout(swf_client: Any, domain: str, receivers: Any) -> None:
    """With a 0.3 s heartbeat timeout, beats come about every 0.1 s while the task runs."""
    beats = receivers(signals.heartbeat_sent)
    watcher = CallWatcher(swf_client, "RecordActivityTaskHeartbeat")
    start_and_schedule(swf_client, domain, ("b", "brief", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        began = gevent.get_hub().loop.now()
        beats.wait(4)
        elapsed = gevent.get_hub().loop.now() - began
        _release.set()
    finally:
        worker.stop(timeout=10)
        watcher.close()
    assert elapsed >= 0.35  # the fourth beat comes 0.4 s in: beats are spaced, not sent back to back


def test_throttling_is_survived(local_swf: Any, swf_client: Any, domain: str, receivers: Any) -> None:
    """Throttled polls, heartbeats and respond calls are absorbed: every task completes exactly once."""
    completed, retried = receivers(signals.activity_task_completed), receivers(signals.call_retried)
    poll_failed, beat_failed = receivers(signals.poll_failed), receivers(signals.heartbeat_failed)
    local_swf.inject_fault("PollForActivityTask", "throttle", count=2)
    local_swf.inject_fault("RecordActivityTaskHeartbeat", "throttle", count=2)
    local_swf.inject_fault("RespondActivityTaskCompleted", "throttle", count=2)
    execution = start_and_schedule(swf_client, domain, *((f"t{i}", "counted", f'"t{i}"') for i in range(3)))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client, slots=3)
    worker.start()
    try:
        completed.wait(3)
    finally:
        worker.stop(timeout=10)
    assert sorted(_calls) == ["t0", "t1", "t2"]
    assert sorted(payload["result"] for payload in completed.payloads) == ['"t0"', '"t1"', '"t2"']
    results = sorted(attributes["result"] for attributes in execution.attributes("ActivityTaskCompleted"))
    assert results == ['"t0"', '"t1"', '"t2"']
    assert len(poll_failed.payloads) == 2 and all(isinstance(p["error"], ThrottlingError) for p in poll_failed.payloads)
    assert len(beat_failed.payloads) >= 2
    assert [p["operation"] for p in retried.payloads] == ["RespondActivityTaskCompleted"] * 2


def test_without_heartbeats_a_gone_task_is_seen_at_its_answer(swf_client: Any, domain: str, receivers: Any) -> None:
    """A task with no heartbeat timeout whose execution closed: its refused answer sends activity_task_gone."""
    received, gone = receivers(signals.activity_task_received), receivers(signals.activity_task_gone)
    completed = receivers(signals.activity_task_completed)
    execution = start_and_schedule(swf_client, domain, ("s", "silent", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        received.wait()
        swf_client.terminate_workflow_execution(domain=domain, workflowId="wf-1", reason="test")
        _release.set()
        assert gone.wait()[0]["activity_id"] == "s"
    finally:
        worker.stop(timeout=10)
    assert completed.payloads == []
    assert execution.types()[-1] == "WorkflowExecutionTerminated"
