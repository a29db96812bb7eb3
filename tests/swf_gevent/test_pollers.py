"""Slots apart from polls: thousands of task slots on a few self-scaling long polls, on the embedded endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.connection import make_client
from swf.models import Domain
from swf.querysets import register
from swf_gevent import signals
from swf_gevent import workflow as wf
from swf_gevent.activities import ActivityRegistry, activity
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider
from swf_gevent.local import LocalSWF
from swf_gevent.pollers import PollerBounds, parse_bounds

#: (start, end) of every nap, as the activities record them (monotonic seconds).
NAPS: list[tuple[float, float]] = []


@activity("nap", version="1", task_list="naps", start_to_close_timeout=timedelta(minutes=2))
def nap(seconds: float) -> float:
    began = time.monotonic()
    gevent.sleep(seconds)
    NAPS.append((began, time.monotonic()))
    return seconds


@wf.workflow("naps", version="1", task_list="nap-deciders")
def naps(ctx: wf.Context, spec: dict[str, Any]) -> int:
    return len(ctx.map(nap, [spec["seconds"]] * spec["count"], max_concurrency=spec["count"]))


@pytest.fixture
def endpoint() -> Iterator[tuple[LocalSWF, Any, Domain]]:
    """An endpoint holding empty polls 0.5 s, a client to it, and domain ``naps`` with the types registered."""
    with LocalSWF(poll_timeout=0.5) as local:
        client = make_client(
            endpoint_url=local.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            concurrency=2100,
        )
        domain = Domain("naps", client=client)
        registry = ActivityRegistry.from_functions([nap])
        register(domain, [naps.workflow_type(domain), *(a.activity_type(domain, "naps") for a in registry)])
        try:
            yield local, client, domain
        finally:
            client.close()


def _start(domain: Domain, executions: int, count: int, seconds: float) -> list[Any]:
    flow = naps.workflow_type(domain)
    return [
        flow.start_execution(f"naps-{i}", json.dumps({"count": count, "seconds": seconds})) for i in range(executions)
    ]


def _wait_closed(executions: list[Any]) -> None:
    for execution in executions:
        while execution.upstream().status == "OPEN":
            gevent.sleep(0.1)


@pytest.mark.parametrize(
    ("executions", "per_execution", "seconds"),
    # Tasks of 10 s: on a loaded 2-core machine the 2,000 starts spread over about 5 s.
    [(4, 500, 10.0)],
    ids=["2000-tasks-of-10s"],
)
def test_tasks_run_at_once_on_a_few_pollers_that_scale_back_down(
    endpoint: tuple[LocalSWF, Any, Domain], executions: int, per_execution: int, seconds: float, capsys: Any
) -> None:
    """N tasks scheduled at once all run concurrently on 2,000 slots and pollers 1..20; idle again, one poll is parked."""
    local, client, domain = endpoint
    total = executions * per_execution
    NAPS.clear()
    changes: list[int] = []
    crashes: list[Any] = []

    def on_pollers(sender: Any, *, pollers: int, task_list: str, **_: Any) -> None:
        if task_list == "naps":
            changes.append(pollers)

    signals.pollers_changed.connect(on_pollers)
    signals.actor_crashed.connect(crashes.append)
    worker = GreenletActivityWorker("naps", "naps", [nap], client=client, slots=2000, pollers=(1, 20))
    decider = GreenletDecider("naps", "nap-deciders", wf.WorkflowDecider([naps]), client=client, slots=4, pollers=2)
    try:
        with gevent.Timeout(120):
            worker.start()
            decider.start()
            _wait_closed(_start(domain, executions, per_execution, seconds))
            most = max(changes)
            while worker.pollers > 1:  # each empty poll (0.5 s here) retires one poller
                gevent.sleep(0.05)
            while local.parked_polls != 1 + 2:  # the worker's one and the decider's two
                gevent.sleep(0.05)
            parked = local.parked_polls
    finally:
        signals.pollers_changed.disconnect(on_pollers)
        signals.actor_crashed.disconnect(crashes.append)
        gevent.joinall([gevent.spawn(worker.stop, 10), gevent.spawn(decider.stop, 10)], timeout=30)
    starts, ends = [s for s, _ in NAPS], [e for _, e in NAPS]
    with capsys.disabled():
        print(
            f"\n{total} tasks of {seconds:g} s: first to last start {max(starts) - min(starts):.2f} s, "
            f"pollers at most {most}, {parked - 2} parked when idle"
        )
    assert len(NAPS) == total
    assert max(starts) < min(ends)  # every task was running at one moment
    assert max(starts) - min(starts) < 10.0
    assert changes[0] == 1 and 1 < most <= 20 and changes[-1] == 1
    assert crashes == []  # the worker's assertion (no task polled without a free slot) never fired


def test_polls_never_outnumber_free_slots(endpoint: tuple[LocalSWF, Any, Domain]) -> None:
    """With 3 slots and pollers 1..20, polls in flight plus running tasks never pass 3."""
    local, client, domain = endpoint
    NAPS.clear()
    seen: list[int] = []
    worker = GreenletActivityWorker("naps", "naps", [nap], client=client, slots=3, pollers=(1, 20))
    decider = GreenletDecider("naps", "nap-deciders", wf.WorkflowDecider([naps]), client=client, pollers=1)

    def watch() -> None:
        while True:
            seen.append(local.parked_polls - 1 + worker.running_tasks)  # less the decider's parked poll
            gevent.sleep(0.01)

    watcher = gevent.spawn(watch)
    try:
        with gevent.Timeout(60):
            worker.start()
            decider.start()
            _wait_closed(_start(domain, 1, 12, 0.2))
    finally:
        watcher.kill()
        gevent.joinall([gevent.spawn(worker.stop, 10), gevent.spawn(decider.stop, 10)], timeout=30)
    assert len(NAPS) == 12
    assert max(seen) <= 3
    assert worker.pollers <= 3


def test_bounds_parse_and_refuse_what_cannot_be() -> None:
    """pollers = N or MIN..MAX; a bound below 1 or a maximum below the minimum is refused, naming it."""
    assert parse_bounds("4") == PollerBounds(4, 4)
    assert parse_bounds(" 1..20 ") == PollerBounds(1, 20)
    assert str(PollerBounds.of((2, 8))) == "2..8"
    with pytest.raises(ValueError, match=r"must be N or MIN\.\.MAX"):
        parse_bounds("1-20")
    with pytest.raises(ValueError, match="maximum \\(1\\) must not be below the minimum \\(5\\)"):
        parse_bounds("5..1")
    with pytest.raises(ValueError, match="minimum must be a positive integer, got 0"):
        PollerBounds(0, 3)
    with pytest.raises(TypeError, match="pollers must be"):
        PollerBounds.of("3")  # type: ignore[arg-type]


def test_scaling_rule() -> None:
    """One more poller after a task while below the maximum and a slot is free; one fewer after an empty poll."""
    bounds = PollerBounds(2, 5)
    assert bounds.after_task(pollers=2, free_slots=1)
    assert not bounds.after_task(pollers=2, free_slots=0)
    assert not bounds.after_task(pollers=5, free_slots=100)
    assert bounds.after_empty(pollers=3)
    assert not bounds.after_empty(pollers=2)
