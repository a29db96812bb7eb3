"""The local endpoint's virtual clock: time skipping when nothing runs, manual skips, real time by default."""

from __future__ import annotations

import datetime
from typing import Any

import gevent
import pytest

from tests.local.engine_support import (
    DECISIONS,
    attrs,
    decide,
    decision,
    describe,
    history,
    last,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
    types,
)

DAY = 86400
#: A workflow execution timeout past every timer these tests start (40 days, in seconds).
LONG_RUN = str(40 * DAY)


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with WORKFLOW and ACTIVITY registered, every default given."""
    register(swf_client, domain_name)
    return domain_name


@pytest.fixture
def skipping(local_swf: Any) -> Any:
    """The endpoint with time skipping on."""
    local_swf.set_time_skipping(True)
    return local_swf


def _event(events: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    matching = [event for event in events if event["eventType"] == event_type]
    assert matching, f"no {event_type} in {types(events)}"
    return matching[-1]


def _seconds(later: dict[str, Any], earlier: dict[str, Any]) -> float:
    return float((later["eventTimestamp"] - earlier["eventTimestamp"]).total_seconds())


def _wait_closed(client: Any, domain: str, run: dict[str, str], within: float = 5.0) -> dict[str, Any]:
    """Describe ``run`` until it is closed (every 20 ms, at most ``within`` s of wall time)."""
    with gevent.Timeout(within):
        while True:
            info = describe(client, domain, run)["executionInfo"]
            if info["executionStatus"] == "CLOSED":
                return dict(info)
            gevent.sleep(0.02)


def test_30_day_timer_fires_at_once(swf_client: Any, domain: str, skipping: Any) -> None:
    """With nothing running, a 30-day timer fires at once, TimerFired stamped 30 days after TimerStarted."""
    run = start(swf_client, domain, executionStartToCloseTimeout=LONG_RUN)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("StartTimer", timerId="month", startToFireTimeout=str(30 * DAY)),
    )
    task = next_decision(swf_client, domain, within=5.0)  # far less than 30 days of wall time
    fired, started = _event(task["events"], "TimerFired"), _event(task["events"], "TimerStarted")
    assert attrs(fired) == {"timerId": "month", "startedEventId": started["eventId"]}
    assert 30 * DAY <= _seconds(fired, started) < 30 * DAY + 60
    decide(swf_client, task, decision("CompleteWorkflowExecution", result="done"))
    assert _wait_closed(swf_client, domain, run)["closeStatus"] == "COMPLETED"
    assert skipping.now() - datetime.datetime.now(datetime.timezone.utc) > datetime.timedelta(days=30, seconds=-1)


def test_running_activity_is_not_timed_out_early(swf_client: Any, domain: str, skipping: Any) -> None:
    """An activity worked on for 1 s holds the clock: its 10-minute timeout and a 1-hour timer wait for it."""
    run = start(swf_client, domain, executionStartToCloseTimeout=LONG_RUN)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        schedule(
            "work",
            scheduleToStartTimeout="600",
            scheduleToCloseTimeout="1200",
            startToCloseTimeout="600",
            heartbeatTimeout="NONE",
        ),
        decision("StartTimer", timerId="hour", startToFireTimeout="3600"),
    )
    task = next_activity(swf_client, domain)
    gevent.sleep(1.0)  # the activity's real work
    swf_client.respond_activity_task_completed(taskToken=task["taskToken"], result="42")
    decide(swf_client, next_decision(swf_client, domain))  # nothing to do until the timer
    task = next_decision(swf_client, domain, within=5.0)
    events = task["events"]
    assert types(events).index("ActivityTaskCompleted") < types(events).index("TimerFired")
    assert "ActivityTaskTimedOut" not in types(events)
    assert last(events, "ActivityTaskCompleted")["result"] == "42"
    assert 1.0 <= _seconds(_event(events, "ActivityTaskCompleted"), _event(events, "ActivityTaskStarted")) < 60
    assert _seconds(_event(events, "TimerFired"), _event(events, "TimerStarted")) >= 3600
    assert describe(swf_client, domain, run)["executionInfo"]["executionStatus"] == "OPEN"


def test_execution_timeout_fires_while_nothing_runs(swf_client: Any, domain: str, skipping: Any) -> None:
    """A 1-hour execution start-to-close timeout fires at once when the decider leaves nothing to run."""
    run = start(swf_client, domain, executionStartToCloseTimeout="3600")
    decide(swf_client, next_decision(swf_client, domain))
    info = _wait_closed(swf_client, domain, run)
    assert info["closeStatus"] == "TIMED_OUT"
    events = history(swf_client, domain, run)
    assert types(events)[-1] == "WorkflowExecutionTimedOut"
    assert 3600 <= _seconds(events[-1], _event(events, "WorkflowExecutionStarted")) < 3660


def test_started_decision_task_times_out_on_its_own_time(swf_client: Any, domain: str, skipping: Any) -> None:
    """A decision task left unanswered holds the clock: it times out after its 1 s, not at the execution timeout."""
    run = start(swf_client, domain, executionStartToCloseTimeout="3600", taskStartToCloseTimeout="1")
    next_decision(swf_client, domain)  # taken, never answered
    task = next_decision(swf_client, domain, within=5.0)
    events = task["events"]
    timed_out = _event(events, "DecisionTaskTimedOut")
    assert attrs(timed_out)["timeoutType"] == "START_TO_CLOSE"
    assert 1.0 <= _seconds(timed_out, events[attrs(timed_out)["startedEventId"] - 1]) < 60
    assert describe(swf_client, domain, run)["executionInfo"]["executionStatus"] == "OPEN"
    decide(swf_client, task)  # now nothing runs: the execution timeout comes at once
    assert _wait_closed(swf_client, domain, run)["closeStatus"] == "TIMED_OUT"


def test_scheduled_decision_task_holds_the_clock(swf_client: Any, domain: str, skipping: Any) -> None:
    """A decision task scheduled and not yet taken holds the clock: the 1-hour execution timeout waits for it."""
    run = start(swf_client, domain, executionStartToCloseTimeout="3600")
    assert swf_client.poll_for_decision_task(domain=domain, taskList={"name": "elsewhere"})["taskToken"] == ""
    assert describe(swf_client, domain, run)["executionInfo"]["executionStatus"] == "OPEN"
    assert skipping.now() - datetime.datetime.now(datetime.timezone.utc) < datetime.timedelta(minutes=1)
    decide(swf_client, next_decision(swf_client, domain))
    assert _wait_closed(swf_client, domain, run)["closeStatus"] == "TIMED_OUT"


def test_manual_skip_fires_due_timers_in_order(swf_client: Any, domain: str, local_swf: Any) -> None:
    """skip() fires the timers due on the way, each stamped at its due time, and leaves later ones open."""
    run = start(swf_client, domain, executionStartToCloseTimeout=LONG_RUN)
    decide(
        swf_client,
        next_decision(swf_client, domain),
        decision("StartTimer", timerId="late", startToFireTimeout="7200"),
        decision("StartTimer", timerId="early", startToFireTimeout="3600"),
        decision("StartTimer", timerId="middle", startToFireTimeout="3601"),
    )
    before = local_swf.now()
    after = local_swf.skip(datetime.timedelta(hours=1, minutes=1))
    assert datetime.timedelta(hours=1, minutes=1) <= after - before < datetime.timedelta(hours=1, minutes=2)
    events = history(swf_client, domain, run)
    fired = [event for event in events if event["eventType"] == "TimerFired"]
    assert [attrs(event)["timerId"] for event in fired] == ["early", "middle"]
    started = {attrs(event)["timerId"]: event for event in events if event["eventType"] == "TimerStarted"}
    assert 3600 <= _seconds(fired[0], started["early"]) < 3600.5
    assert 3601 <= _seconds(fired[1], started["middle"]) < 3601.5
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 1


def test_many_executions_skip_through_their_timers_together(swf_client: Any, domain_name: str, skipping: Any) -> None:
    """Ten executions sleeping 1..10 days three times each all complete, every timer stamped its own length."""
    domain = domain_name
    register(swf_client, domain, retention="90")  # closed runs outlive the 30 days skipped
    runs = {
        start(swf_client, domain, f"wf-{days}", executionStartToCloseTimeout=LONG_RUN)["runId"]: days
        for days in range(1, 11)
    }
    closed = 0
    with gevent.Timeout(20):
        while closed < len(runs):
            task = next_decision(swf_client, domain)
            days = runs[task["workflowExecution"]["runId"]]
            fired = types(task["events"]).count("TimerFired")
            if fired < 3:
                decide(
                    swf_client, task, decision("StartTimer", timerId=f"t{fired}", startToFireTimeout=str(days * DAY))
                )
            else:
                decide(swf_client, task, decision("CompleteWorkflowExecution"))
                closed += 1
    for run_id, days in runs.items():
        events = history(swf_client, domain, {"workflowId": f"wf-{days}", "runId": run_id})
        started = {attrs(event)["timerId"]: event for event in events if event["eventType"] == "TimerStarted"}
        fired_events = [event for event in events if event["eventType"] == "TimerFired"]
        assert len(fired_events) == 3 and types(events)[-1] == "WorkflowExecutionCompleted"
        for event in fired_events:
            assert days * DAY <= _seconds(event, started[attrs(event)["timerId"]]) < days * DAY + 60


def test_parked_poll_wakes_when_a_skip_fires_a_timer(domain_name: str) -> None:
    """A poll parked (30 s poll timeout) before skip() gets the decision task the skipped-to timer brings, at once."""
    from swf.connection import make_client
    from swf_gevent.local import LocalSWF

    with LocalSWF(poll_timeout=30.0) as local:
        client = make_client(
            region_name="us-east-1",
            endpoint_url=local.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            max_attempts=1,
        )
        try:
            register(client, domain_name)
            start(client, domain_name, executionStartToCloseTimeout=LONG_RUN)
            decide(
                client,
                next_decision(client, domain_name),
                decision("StartTimer", timerId="t", startToFireTimeout="3600"),
            )
            poll = gevent.spawn(client.poll_for_decision_task, domain=domain_name, taskList={"name": DECISIONS})
            with gevent.Timeout(5):
                while local.parked_polls != 1:
                    gevent.sleep(0.01)
                local.skip(datetime.timedelta(hours=1))
                task = poll.get()
            assert types(task["events"])[-3:] == ["TimerFired", "DecisionTaskScheduled", "DecisionTaskStarted"]
        finally:
            client.close()


def test_real_time_by_default(swf_client: Any, domain: str, local_swf: Any) -> None:
    """Without time skipping the clock follows real time: an idle 1-hour timer waits until skipping is turned on."""
    assert local_swf.time_skipping is False
    run = start(swf_client, domain, executionStartToCloseTimeout=LONG_RUN)
    decide(
        swf_client, next_decision(swf_client, domain), decision("StartTimer", timerId="t", startToFireTimeout="3600")
    )
    assert swf_client.poll_for_decision_task(domain=domain, taskList={"name": "deciders"})["taskToken"] == ""
    assert describe(swf_client, domain, run)["openCounts"]["openTimers"] == 1
    assert local_swf.now() - datetime.datetime.now(datetime.timezone.utc) < datetime.timedelta(minutes=1)
    local_swf.set_time_skipping(True)
    assert local_swf.time_skipping is True
    task = next_decision(swf_client, domain, within=5.0)
    assert _seconds(_event(task["events"], "TimerFired"), _event(task["events"], "TimerStarted")) >= 3600


def test_skip_refuses_bad_input() -> None:
    """skip() refuses a negative or too long duration and an endpoint not serving, each with a one-line reason."""
    from swf_gevent.local import LocalSWF

    local = LocalSWF(poll_timeout=1.0, time_skipping=True)
    assert local.time_skipping is True
    with pytest.raises(RuntimeError, match="cannot skip: it is new"):
        local.skip(datetime.timedelta(seconds=1))
    with local:
        with pytest.raises(ValueError, match="zero or more"):
            local.skip(datetime.timedelta(seconds=-1))
        with pytest.raises(ValueError, match="past the year 9999"):
            local.skip(datetime.timedelta.max)
    with pytest.raises(RuntimeError, match="cannot skip: it is stopped"):
        local.skip(datetime.timedelta(seconds=1))
