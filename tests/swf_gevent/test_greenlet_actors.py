"""Greenlet deciders and activity workers against the embedded local SWF endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from gevent.event import Event

from swf.actors import Decider
from swf.connection import call
from swf_gevent import signals
from swf_gevent.activities import ActivityContext, ActivityRegistry, activity
from swf_gevent.actors import ActorState, GreenletActivityWorker, GreenletDecider
from tests.registration import register_flow

DECISIONS = "decisions"
ACTIVITIES = "activities"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


@activity("divide", version="1")
def divide(payload: dict[str, int]) -> float:
    return payload["a"] / payload["b"]


@activity("whoami", version="1")
def whoami(payload: Any, context: ActivityContext) -> dict[str, Any]:
    return {"activity_id": context.activity_id, "input": payload}


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with workflow type ``flow/1`` and the activity types of this module."""
    register_flow(swf_client, domain_name, [(d.name, d.version) for d in REGISTRY])
    return domain_name


class _Receiver:
    """Collects one signal's payloads; ``wait(n)`` blocks until ``n`` arrived."""

    def __init__(self, signal: Any) -> None:
        self.payloads: list[dict[str, Any]] = []
        self._changed = Event()
        self.signal = signal
        signal.connect(self._receive, weak=False)

    def _receive(self, sender: Any, **payload: Any) -> None:
        self.payloads.append(payload)
        self._changed.set()

    def wait(self, count: int = 1) -> list[dict[str, Any]]:
        while len(self.payloads) < count:
            self._changed.clear()
            self._changed.wait()
        return self.payloads

    def close(self) -> None:
        self.signal.disconnect(self._receive)


@pytest.fixture
def receivers() -> Iterator[Any]:
    made: list[_Receiver] = []

    def make(signal: Any) -> _Receiver:
        made.append(_Receiver(signal))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _start_and_schedule(client: Any, domain: str, *activities: tuple[str, str, Any]) -> Decider:
    """Start ``wf-1`` and schedule ``(activity_id, type name, input)`` activities from its first decision task."""
    call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId="wf-1",
        workflowType={"name": "flow", "version": "1"},
    )
    decider = Decider(domain, DECISIONS, client=client)
    task = decider.poll()
    assert task is not None
    decider.complete(
        task.task_token,
        [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityType": {"name": name, "version": "1"},
                    "activityId": activity_id,
                    "input": json.dumps(payload),
                },
            }
            for activity_id, name, payload in activities
        ],
    )
    return decider


def test_lifecycle_states(swf_client: Any, domain: str, receivers: Any) -> None:
    """new -> started -> stopped, with actor_started / actor_stopped; starting twice raises."""
    started, stopped = receivers(signals.actor_started), receivers(signals.actor_stopped)
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    assert worker.state is ActorState.NEW and not worker.started
    worker.start()
    assert worker.started and worker.state is ActorState.STARTED
    with pytest.raises(RuntimeError, match="cannot start"):
        worker.start()
    started.wait()
    worker.stop(timeout=10)
    assert worker.stopped and worker.dead
    assert len(stopped.wait()) == 1
    worker.stop()  # twice is harmless
    assert worker.stopped


def test_stop_before_start_is_safe(swf_client: Any, domain: str) -> None:
    """stop() before start() leaves a stopped actor that refuses to start."""
    decider = GreenletDecider(domain, DECISIONS, decision_maker=object(), client=swf_client)  # type: ignore[arg-type]
    decider.stop()
    assert decider.stopped
    with pytest.raises(RuntimeError):
        decider.start()


def test_handler_exception_fails_task_and_worker_survives(swf_client: Any, domain: str, receivers: Any) -> None:
    """A raising function fails its task with type: message and the traceback; the next task still runs."""
    failed, completed = receivers(signals.activity_task_failed), receivers(signals.activity_task_completed)
    decider = _start_and_schedule(swf_client, domain, ("bad", "divide", {"a": 1, "b": 0}))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        payload = failed.wait()[0]
        assert payload["reason"] == "ZeroDivisionError: division by zero"
        assert payload["details"].startswith("Traceback") and 'payload["a"] / payload["b"]' in payload["details"]
        task = decider.poll()
        assert task is not None
        event = task.history.filter("ActivityTaskFailed")[-1]
        assert event.raw["activityTaskFailedEventAttributes"]["reason"] == "ZeroDivisionError: division by zero"
        decider.complete(
            task.task_token,
            [
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "divide", "version": "1"},
                        "activityId": "good",
                        "input": '{"a": 6, "b": 3}',
                    },
                }
            ],
        )
        assert completed.wait()[0]["result"] == "2.0"
        assert worker.state is ActorState.STARTED
    finally:
        worker.stop(timeout=10)


def test_context_and_unknown_type(swf_client: Any, domain: str, receivers: Any) -> None:
    """A function asking for context gets the activity id; a type with no function fails the task."""
    completed, failed = receivers(signals.activity_task_completed), receivers(signals.activity_task_failed)
    _start_and_schedule(swf_client, domain, ("me", "whoami", [1, 2]))
    registry = ActivityRegistry([d for d in REGISTRY if d.name != "divide"])
    worker = GreenletActivityWorker(domain, ACTIVITIES, registry, client=swf_client)
    worker.start()
    try:
        assert json.loads(completed.wait()[0]["result"]) == {"activity_id": "me", "input": [1, 2]}
    finally:
        worker.stop(timeout=10)
    _start_and_schedule_second(swf_client, domain)
    worker = GreenletActivityWorker(domain, ACTIVITIES, registry, client=swf_client)
    worker.start()
    try:
        assert failed.wait()[0]["reason"] == "LookupError: no function performs activity type 'divide' version '1'"
    finally:
        worker.stop(timeout=10)


def _start_and_schedule_second(client: Any, domain: str) -> None:
    call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId="wf-2",
        workflowType={"name": "flow", "version": "1"},
    )
    decider = Decider(domain, DECISIONS, client=client)
    task = decider.poll()
    assert task is not None
    decider.complete(
        task.task_token,
        [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityType": {"name": "divide", "version": "1"},
                    "activityId": "orphan",
                    "input": "{}",
                },
            }
        ],
    )


class _Flaky:
    """Raises on the first decision task, completes the execution on the next."""

    def __init__(self) -> None:
        self.calls = 0

    def decide(self, task: Any) -> list[dict[str, Any]]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("first time unlucky")
        return [
            {
                "decisionType": "CompleteWorkflowExecution",
                "completeWorkflowExecutionDecisionAttributes": {"result": "done"},
            }
        ]


def test_decide_exception_is_reported_and_decider_survives(swf_client: Any, domain: str, receivers: Any) -> None:
    """A raising decide() emits decision_task_failed; the decider keeps deciding."""
    failed, completed = receivers(signals.decision_task_failed), receivers(signals.decision_task_completed)
    maker = _Flaky()
    decider = GreenletDecider(domain, DECISIONS, maker, client=swf_client)
    decider.start()
    try:
        call(
            swf_client,
            "StartWorkflowExecution",
            domain=domain,
            workflowId="wf-a",
            workflowType={"name": "flow", "version": "1"},
        )
        assert str(failed.wait()[0]["error"]) == "first time unlucky"
        call(
            swf_client,
            "StartWorkflowExecution",
            domain=domain,
            workflowId="wf-b",
            workflowType={"name": "flow", "version": "1"},
        )
        done = completed.wait()[0]
        assert done["task"].workflow_execution.workflow_id == "wf-b"
        assert done["decisions"][0]["decisionType"] == "CompleteWorkflowExecution"
        assert decider.state is ActorState.STARTED
    finally:
        decider.stop(timeout=10)


def test_poll_failure_backs_off_and_recovers(local_swf: Any, swf_client: Any, domain: str, receivers: Any) -> None:
    """A throttled poll emits poll_failed; the next poll gets the task."""
    failed, completed = receivers(signals.poll_failed), receivers(signals.activity_task_completed)
    local_swf.inject_fault("PollForActivityTask", "throttle", count=2)  # more than one attempt may be made per poll
    _start_and_schedule(swf_client, domain, ("ok", "divide", {"a": 1, "b": 1}))
    worker = GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=swf_client)
    worker.start()
    try:
        assert failed.wait()[0]["error"].error_code == "ThrottlingException"
        assert completed.wait()[0]["result"] == "1.0"
    finally:
        worker.stop(timeout=10)


def test_slots_must_be_positive(swf_client: Any) -> None:
    """slots below 1 is refused, naming it."""
    with pytest.raises(ValueError, match="slots"):
        GreenletActivityWorker("d", ACTIVITIES, REGISTRY, client=swf_client, slots=0)


def _plain(payload: Any) -> Any:
    return payload


@pytest.mark.parametrize(
    ("activities", "message"),
    [
        ({"divide": divide}, "activities must be a swf_gevent.activities.ActivityRegistry .* got dict"),
        ("divide", "activities must be a swf_gevent.activities.ActivityRegistry .* got str"),
        (divide, "activities must be a swf_gevent.activities.ActivityRegistry .* got function"),
        ([divide, _plain], "_plain is not marked with @activity"),
    ],
)
def test_activities_of_the_wrong_kind_are_refused_at_construction(
    swf_client: Any, activities: Any, message: str
) -> None:
    """A dict, a string, a lone function or an unmarked function as ``activities`` raises TypeError saying what it takes."""
    with pytest.raises(TypeError, match=message):
        GreenletActivityWorker("d", ACTIVITIES, activities, client=swf_client)


def test_activities_given_as_functions_are_performed(swf_client: Any, domain: str, receivers: Any) -> None:
    """A list of @activity functions is gathered into a registry and its tasks are performed."""
    completed = receivers(signals.activity_task_completed)
    _start_and_schedule(swf_client, domain, ("six", "divide", {"a": 6, "b": 3}))
    worker = GreenletActivityWorker(domain, ACTIVITIES, [divide, whoami], client=swf_client)
    assert sorted(d.key for d in worker.activities) == [("divide", "1"), ("whoami", "1")]
    worker.start()
    try:
        assert completed.wait()[0]["result"] == "2.0"
    finally:
        worker.stop(timeout=10)
