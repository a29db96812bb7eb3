"""Activity tasks under faults: cancels user code cannot swallow, exits that end nothing, answers outlasting throttles."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.models import decisions
from swf_gevent import signals
from swf_gevent.activities import ActivityContext, ActivityRegistry, activity
from swf_gevent.actors import RESPOND_RETRY, GreenletActivityWorker, GreenletDecider
from tests.swf_gevent.actor_support import ACTIVITIES, DECISIONS, Execution, receivers, register, start_and_schedule

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(90)

CANCELS = 16
#: Answers retried quickly, so that a dozen throttles take well under a second.
QUICK_ANSWERS = replace(RESPOND_RETRY, base_delay=timedelta(milliseconds=10), max_delay=timedelta(milliseconds=50))

_ran: list[str] = []


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    _ran.clear()
    with gevent.Timeout(60):
        yield


@activity("retrying", heartbeat_timeout=timedelta(seconds=0.3))
def retrying(payload: Any, context: ActivityContext) -> str:
    """An ordinary retry loop: heartbeats every 50 ms and swallows every Exception, for up to 5 s."""
    _ran.append(context.activity_id)
    for _ in range(100):
        try:
            context.heartbeat("working")
            gevent.sleep(0.05)
        except Exception:
            continue
    return "never canceled"


@activity("exits-in-hub")
def exits_in_hub(payload: Any) -> None:
    _ran.append("exits-in-hub")
    sys.exit(3)


@activity("exits-in-thread", executor="thread")
def exits_in_thread(payload: Any) -> None:
    _ran.append("exits-in-thread")
    sys.exit(3)


@activity("interrupted-in-hub")
def interrupted_in_hub(payload: Any) -> None:
    _ran.append("interrupted-in-hub")
    raise KeyboardInterrupt


@activity("interrupted-in-thread", executor="thread")
def interrupted_in_thread(payload: Any) -> None:
    _ran.append("interrupted-in-thread")
    raise KeyboardInterrupt


@activity("exits-in-process", executor="process")
def exits_in_process(payload: Any) -> None:
    sys.exit(3)


@activity("plain")
def plain(payload: Any) -> str:
    _ran.append("plain")
    return "ok"


@activity("plain-short", start_to_close_timeout=timedelta(seconds=1))
def plain_short(payload: Any) -> str:
    _ran.append("plain-short")
    return "ok"


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with ``flow/1`` and this module's activity types."""
    register(swf_client, domain_name, REGISTRY)
    return domain_name


def _until_idle(worker: GreenletActivityWorker) -> None:
    """Wait until the worker runs no task (the test's gevent.Timeout bounds it)."""
    while worker.running_tasks:
        gevent.sleep(0.05)


def test_cancels_reach_a_loop_that_swallows_exceptions(swf_client: Any, domain: str, receivers: Any) -> None:
    """16 cancels of functions heartbeating every 50 ms inside ``except Exception`` are all answered canceled."""
    received = receivers(signals.activity_task_received)
    ids = [f"c{i}" for i in range(CANCELS)]
    execution = start_and_schedule(swf_client, domain, *((i, "retrying", None) for i in ids))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client, slots=CANCELS)
    worker.start()
    try:
        received.wait(CANCELS)
        execution.wake_and_decide(*(decisions.request_cancel_activity_task(i) for i in ids))
        _until_idle(worker)
    finally:
        worker.stop(timeout=10)
    closed = Counter(t for t in execution.types() if t.startswith("ActivityTask") and t.endswith(("ed", "Out")))
    assert closed["ActivityTaskCanceled"] == CANCELS
    assert closed["ActivityTaskCompleted"] == 0
    assert sorted(_ran) == sorted(ids)


@pytest.mark.parametrize(
    "name",
    ["exits-in-hub", "exits-in-thread", "interrupted-in-hub", "interrupted-in-thread", "exits-in-process"],
)
def test_exit_from_a_function_fails_its_task_and_the_worker_serves_the_next(
    swf_client: Any, domain: str, receivers: Any, name: str
) -> None:
    """sys.exit() or KeyboardInterrupt in an activity fails its task with the reason; the worker takes the next task."""
    failed, completed = receivers(signals.activity_task_failed), receivers(signals.activity_task_completed)
    execution = start_and_schedule(swf_client, domain, ("a", name, None))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        failed.wait(1)
        execution.wake_and_decide(decisions.schedule_activity_task("b", ("plain", "1")))
        completed.wait(1)
        assert not worker.dead and worker.restarts == 0
    finally:
        worker.stop(timeout=10)
    reason = execution.attributes("ActivityTaskFailed")[0]["reason"]
    assert reason == ("SystemExit: 3" if name.startswith("exits") else "KeyboardInterrupt: ")
    assert [a["result"] for a in execution.attributes("ActivityTaskCompleted")] == ['"ok"']


def test_completion_outlasts_more_throttles_than_eight_attempts(
    local_swf: Any, swf_client: Any, domain: str, receivers: Any
) -> None:
    """12 throttled RespondActivityTaskCompleted in a row: the answer lands, the task completes once, ran once."""
    retried = receivers(signals.call_retried)
    execution = start_and_schedule(swf_client, domain, ("a", "plain", None))
    local_swf.inject_fault("RespondActivityTaskCompleted", "throttle", 12)
    worker = GreenletActivityWorker(
        domain,
        ACTIVITIES,
        REGISTRY,
        client=swf_client,
        respond_retry=signals.retry_policy(QUICK_ANSWERS, sender="test"),
    )
    worker.start()
    try:
        receivers(signals.activity_task_completed).wait(1)
    finally:
        worker.stop(timeout=10)
    assert execution.types().count("ActivityTaskCompleted") == 1
    assert _ran == ["plain"]
    assert [p["operation"] for p in retried.payloads].count("RespondActivityTaskCompleted") == 12


def test_an_answer_is_given_up_at_the_task_timeout(
    local_swf: Any, swf_client: Any, domain: str, receivers: Any
) -> None:
    """An answer throttled without end is retried past 8 attempts and given up at the type's 1 s start-to-close."""
    retried = receivers(signals.call_retried)
    completed = receivers(signals.activity_task_completed)
    start_and_schedule(swf_client, domain, ("a", "plain-short", None))
    local_swf.inject_fault("RespondActivityTaskCompleted", "throttle", 100_000)
    worker = GreenletActivityWorker(
        domain,
        ACTIVITIES,
        REGISTRY,
        client=swf_client,
        respond_retry=signals.retry_policy(QUICK_ANSWERS, sender="test"),
    )
    worker.start()
    try:
        receivers(signals.activity_task_received).wait(1)
        _until_idle(worker)
    finally:
        worker.stop(timeout=10)
    assert completed.payloads == []
    assert len(retried.payloads) > 8


def test_decision_outlasts_more_throttles_than_eight_attempts(
    local_swf: Any, swf_client: Any, domain: str, receivers: Any
) -> None:
    """12 throttled RespondDecisionTaskCompleted in a row: the decision lands and the execution completes once."""

    class Complete:
        def decide(self, task: Any) -> list[Any]:
            return [decisions.complete_workflow_execution("done")]

    completed = receivers(signals.decision_task_completed)
    execution = Execution(swf_client, domain)
    local_swf.inject_fault("RespondDecisionTaskCompleted", "throttle", 12)
    decider = GreenletDecider(
        domain,
        DECISIONS,
        Complete(),
        client=swf_client,
        respond_retry=signals.retry_policy(QUICK_ANSWERS, sender="test"),
    )
    decider.start()
    try:
        completed.wait(1)
    finally:
        decider.stop(timeout=10)
    assert execution.types().count("WorkflowExecutionCompleted") == 1
    assert execution.types().count("DecisionTaskTimedOut") == 0


class _Body:
    """The raw body botocore reads from an answer (``stream()``)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_polls_answered_empty_at_once_do_not_starve_the_hub(local_swf: Any, receivers: Any) -> None:
    """Empty polls answered at once: other greenlets keep running and the polls in 1.5 s stay few.

    Our endpoint always long-polls, so a botocore before-send hook answers the
    poll at once without I/O, as an endpoint without long polls or a test
    double does.
    """
    from botocore.awsrequest import AWSResponse

    from swf.connection import make_client

    polls = receivers(signals.poll_empty)
    client = make_client(
        region_name="us-east-1",
        endpoint_url=local_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_attempts=1,
    )

    def answer_empty(request: Any, **_: Any) -> AWSResponse:
        if len(polls.payloads) > 1000:  # today's tight loop: give the hub a turn so the test can end
            gevent.sleep(0.01)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 200, headers, _Body(b'{"taskToken": ""}'))

    client.poll_client.meta.events.register("before-send.swf.PollForActivityTask", answer_empty)
    ticks: list[float] = []

    def tick() -> None:
        while True:
            ticks.append(0)
            gevent.sleep(0.01)

    ticker = gevent.spawn(tick)
    worker = GreenletActivityWorker("any-domain", ACTIVITIES, REGISTRY, client=client)
    worker.start()
    try:
        gevent.sleep(1.5)
    finally:
        worker.stop(timeout=1)
        ticker.kill()
        client.close()
    assert len(ticks) > 50
    assert 3 <= len(polls.payloads) <= 30


@activity("beating", heartbeat_timeout=timedelta(seconds=0.3))
def beating(payload: Any) -> str:
    _ran.append("beating")
    return "ok"


BEATING = ActivityRegistry.from_functions([beating])


def test_heartbeats_go_on_while_an_answer_is_retried(
    local_swf: Any, swf_client: Any, domain_name: str, receivers: Any
) -> None:
    """An answer throttled for longer than the SWF heartbeat timeout (1 s) lands: heartbeats go on meanwhile."""
    register(swf_client, domain_name, BEATING)
    beats = receivers(signals.heartbeat_sent)
    execution = start_and_schedule(swf_client, domain_name, ("a", "beating", None))
    local_swf.inject_fault("RespondActivityTaskCompleted", "throttle", 80)
    worker = GreenletActivityWorker(
        domain_name,
        ACTIVITIES,
        BEATING,
        client=swf_client,
        respond_retry=signals.retry_policy(QUICK_ANSWERS, sender="test"),
    )
    worker.start()
    try:
        receivers(signals.activity_task_completed).wait(1)
    finally:
        worker.stop(timeout=10)
    assert execution.types().count("ActivityTaskCompleted") == 1
    assert "ActivityTaskTimedOut" not in execution.types()
    assert len(beats.payloads) >= 5
