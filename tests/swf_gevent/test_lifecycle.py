"""Actor lifecycle: warm stop with fail-back, polls in flight or retrying at stop, cold kill, supervised restarts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import gevent
import pytest
from gevent.event import Event

from swf.actors import ActivityTask
from swf.retry import DEFAULT_RETRY
from swf_gevent import signals
from swf_gevent.activities import ActivityRegistry, activity
from swf_gevent.actors import SHUTDOWN_REASON, ActorState, GreenletActivityWorker, GreenletDecider
from tests.swf_gevent.actor_support import (
    ACTIVITIES,
    DECISIONS,
    CallWatcher,
    Execution,
    receivers,
    register,
    start_and_schedule,
    wait_for,
)

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(60)

_release = Event()
_ended: list[str] = []


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    _release.clear()
    _ended.clear()
    with gevent.Timeout(30):
        yield


@activity("held")
def held(payload: Any) -> str:
    try:
        _release.wait()
    except BaseException as err:
        _ended.append(type(err).__name__)
        raise
    return "released"


@activity("quick")
def quick(payload: Any) -> str:
    return f"done {payload}"


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with ``flow/1`` and this module's activity types."""
    register(swf_client, domain_name, REGISTRY)
    return domain_name


def test_warm_stop_fails_back_what_outlives_the_timeout(swf_client: Any, domain: str, receivers: Any) -> None:
    """stop(timeout) fails back a task still running at the timeout, with the shutdown reason, so SWF sees it now."""
    received, failed = receivers(signals.activity_task_received), receivers(signals.activity_task_failed)
    stopping, stopped = receivers(signals.actor_stopping), receivers(signals.actor_stopped)
    execution = start_and_schedule(swf_client, domain, ("h", "held", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    received.wait()
    worker.stop(timeout=0.2)
    assert worker.state is ActorState.STOPPED and worker.dead
    assert stopping.payloads[0]["timeout"] == 0.2
    assert len(stopped.payloads) == 1
    assert failed.payloads[0]["reason"] == SHUTDOWN_REASON
    assert _ended == ["_WorkerShutdown"]
    assert execution.attributes("ActivityTaskFailed")[0]["reason"] == SHUTDOWN_REASON


def test_warm_stop_waits_for_tasks_that_finish_in_time(swf_client: Any, domain: str, receivers: Any) -> None:
    """A task finishing before the stop timeout completes normally; the actor stops after it."""
    received, completed = receivers(signals.activity_task_received), receivers(signals.activity_task_completed)
    execution = start_and_schedule(swf_client, domain, ("h", "held", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    received.wait()
    stopper = gevent.spawn(worker.stop, 10)
    gevent.idle()
    assert worker.stopping
    _release.set()
    stopper.get()
    assert worker.stopped
    assert completed.payloads[0]["result"] == '"released"'
    assert "ActivityTaskFailed" not in execution.types()


@pytest.fixture
def patient_client(domain_name: str) -> Iterator[Any]:
    """A client to a local endpoint holding empty polls 20 s, with this module's types registered."""
    from swf.connection import make_client
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=20.0)
    server.start()
    try:
        client = make_client(
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            read_timeout=30,
            poll_hold=20,
            max_attempts=1,
        )
        register(client, domain_name, REGISTRY)
        yield client
    finally:
        server.stop()


def test_poll_in_flight_at_stop_returns_and_its_task_runs(
    patient_client: Any, domain_name: str, receivers: Any
) -> None:
    """A poll under way when stop() is called still delivers its task, which runs and completes; no poll follows."""
    swf_client, domain = patient_client, domain_name
    completed = receivers(signals.activity_task_completed)
    polls = CallWatcher(swf_client, "PollForActivityTask")
    execution = Execution(swf_client, domain)
    decision_task = execution.decider.poll()  # taken now, answered once the worker's poll is in flight
    assert decision_task is not None
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    try:
        worker.start()
        wait_for(polls.sent, "the worker's first poll")
        stopper = gevent.spawn(worker.stop, 10)
        gevent.idle()
        assert worker.stopping
        execution.decider.complete(
            decision_task.task_token,
            [
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "quick", "version": "1"},
                        "activityId": "q",
                        "input": "1",
                    },
                }
            ],
        )
        stopper.get()
    finally:
        polls.close()
    assert worker.stopped
    assert completed.payloads[0]["result"] == '"done 1"'
    assert len(polls.params) == 1
    assert execution.attributes("ActivityTaskCompleted")[0]["result"] == '"done 1"'


def test_kill_is_cold(swf_client: Any, domain: str, receivers: Any) -> None:
    """kill() kills the loop and the running function at once; the task is not answered."""
    received = receivers(signals.activity_task_received)
    answered = [receivers(s) for s in (signals.activity_task_completed, signals.activity_task_failed)]
    execution = start_and_schedule(swf_client, domain, ("h", "held", None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    received.wait()
    worker.kill()
    assert worker.state is ActorState.STOPPED and worker.dead
    assert _ended == ["GreenletExit"]
    assert all(receiver.payloads == [] for receiver in answered)
    assert execution.types()[-1] == "ActivityTaskStarted"


def test_kill_before_start(swf_client: Any, domain: str) -> None:
    """kill() before start() leaves a stopped actor that refuses to start."""
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.kill()
    assert worker.stopped
    with pytest.raises(RuntimeError, match="cannot start"):
        worker.start()


class _CrashingPolls:
    """Makes the first ``count`` polls of an actor raise a bug (not an SWF error), then polls for real.

    Fault injection into the actor's own code: the local endpoint cannot make
    the toolkit itself raise.
    """

    def __init__(self, worker: GreenletActivityWorker, count: int) -> None:
        self.count = count
        self._poll = worker.worker.poll
        worker.worker.poll = self  # type: ignore[method-assign, assignment]

    def __call__(self, **params: Any) -> ActivityTask | None:
        if self.count:
            self.count -= 1
            raise KeyError("taskToken")
        return self._poll(**params)


def test_supervisor_restarts_a_crashed_loop_with_backoff(swf_client: Any, domain: str, receivers: Any) -> None:
    """A crash of the loop is reported with actor_crashed and restarted after a doubling pause; work goes on."""
    crashed, completed = receivers(signals.actor_crashed), receivers(signals.activity_task_completed)
    start_and_schedule(swf_client, domain, ("q", "quick", 7))
    worker = GreenletActivityWorker(
        domain, ACTIVITIES, REGISTRY, client=swf_client, restart_delay=0.05, max_restart_delay=0.08
    )
    _CrashingPolls(worker, count=3)
    worker.start()
    try:
        assert completed.wait()[0]["result"] == '"done 7"'
        assert worker.state is ActorState.STARTED and not worker.dead
    finally:
        worker.stop(timeout=10)
    assert [payload["restart_in"] for payload in crashed.payloads] == [0.05, 0.08, 0.08]
    assert all(isinstance(payload["error"], KeyError) for payload in crashed.payloads)
    assert crashed.senders == [worker] * 3
    assert worker.restarts == 3


def test_decider_stop_drops_a_decision_outliving_the_timeout(swf_client: Any, domain: str, receivers: Any) -> None:
    """A decision task still being decided at the stop timeout is dropped, not answered; the decider stops."""
    entered = Event()

    class _Stuck:
        def decide(self, task: Any) -> list[dict[str, Any]]:
            entered.set()
            _release.wait()
            return []

    completed = receivers(signals.decision_task_completed)
    Execution(swf_client, domain)
    decider = GreenletDecider(domain, DECISIONS, _Stuck(), client=swf_client)
    decider.start()
    wait_for(entered, "decide() to be called")
    decider.stop(timeout=0.1)
    assert decider.stopped and decider.dead
    assert completed.payloads == []


class _Endpoint:
    """A local endpoint of its own (the test stops it) and a client under the default retry policy.

    The policy's backoff is plain exponential (no jitter), so a poll that
    kept retrying would back off 0.1, 0.2, 0.4 ... 10 s: about 33 s in all.
    ``retrying`` is set by the policy's ``on_retry`` hook on each retry.
    Empty polls end after 0.5 s; a request on a kept-alive connection to the
    stopped endpoint ends at the 2 s read timeout.
    """

    def __init__(self, domain: str) -> None:
        from swf.connection import make_client
        from swf_gevent.local import LocalSWF

        self.retrying = Event()
        self.server = LocalSWF(poll_timeout=0.5)
        self.server.start()
        policy = replace(DEFAULT_RETRY, jitter=lambda: 1.0, on_retry=lambda *_: self.retrying.set())
        self.client = make_client(
            region_name="us-east-1",
            endpoint_url=self.server.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            read_timeout=2,
            poll_hold=0.5,
            retry=policy,
        )
        register(self.client, domain, REGISTRY)


@pytest.fixture
def endpoint(domain_name: str) -> Iterator[_Endpoint]:
    """An :class:`_Endpoint` with this module's types registered, stopped after the test."""
    made = _Endpoint(domain_name)
    try:
        yield made
    finally:
        made.server.stop()


def test_stop_abandons_a_poll_retrying_against_a_dead_endpoint(
    endpoint: _Endpoint, domain_name: str, receivers: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """With the endpoint gone, stop() ends a poll backing off between retries at once: no further attempt, stopped."""
    crashed, stopped = receivers(signals.actor_crashed), receivers(signals.actor_stopped)
    polls = CallWatcher(endpoint.client, "PollForActivityTask")
    worker = GreenletActivityWorker(domain_name, ACTIVITIES, REGISTRY, client=endpoint.client)
    try:
        worker.start()
        wait_for(polls.sent, "the worker's first poll")
        endpoint.server.stop()
        wait_for(endpoint.retrying, "the poll to retry against the stopped endpoint")
        sent = len(polls.params)
        with gevent.Timeout(10, AssertionError("stop() waited for the poll's retries")):
            worker.stop(timeout=5)
    finally:
        polls.close()
    assert worker.state is ActorState.STOPPED and worker.dead
    assert len(polls.params) == sent
    assert worker.exception is None and crashed.payloads == []
    assert stopped.senders == [worker]
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


def test_stop_lets_the_retry_attempt_in_flight_end_then_sends_no_more(endpoint: _Endpoint, domain_name: str) -> None:
    """stop() asked while a retry attempt is on the wire lets it end (dropped here), then the poll gives up."""
    polls = CallWatcher(endpoint.client, "PollForActivityTask")
    endpoint.server.inject_fault("PollForActivityTask", kind="drop", count=1000)
    worker = GreenletActivityWorker(domain_name, ACTIVITIES, REGISTRY, client=endpoint.client)
    stopper: list[Any] = []
    stop_asked = Event()

    def stop_during_second_attempt(**_: Any) -> None:
        if len(polls.params) == 2 and not stopper:
            stopper.append(gevent.spawn(worker.stop, 5))
            stop_asked.set()

    endpoint.client.poll_client.meta.events.register(
        "provide-client-params.swf.PollForActivityTask", stop_during_second_attempt
    )
    try:
        worker.start()
        with gevent.Timeout(10, AssertionError("stop() waited for the poll's retries")):
            wait_for(stop_asked, "the poll's second attempt")
            stopper[0].get()
    finally:
        endpoint.client.poll_client.meta.events.unregister(
            "provide-client-params.swf.PollForActivityTask", stop_during_second_attempt
        )
        polls.close()
    assert worker.state is ActorState.STOPPED and worker.dead
    assert len(polls.params) == 2
    assert worker.exception is None
