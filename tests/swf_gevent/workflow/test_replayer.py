"""The replayer over hand-kept histories: random outcome orders, refusals, held tasks, SWF's limits, signals."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from swf.models import events as ev
from swf.models.events import ExecutionRef
from swf_gevent import workflow as wf
from swf_gevent.workflow.testing import replay
from tests.swf._history_events import HistoryBuilder
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.simulated import Simulation


def test_200_randomized_histories_replay_clean() -> None:
    """200 executions with outcomes, signals and timed-out tasks in random orders replay with no error."""
    for seed in range(200):
        rng = random.Random(seed)
        n = 105 if seed % 25 == 0 else rng.randint(0, 8)
        sim = Simulation(flows.busy, n, rng, signals=rng.randint(0, 2), timeouts=0.1)
        history = sim.run()
        assert history.state.close_event is not None, seed
        assert history.state.close_event.event_type == "WorkflowExecutionCompleted", seed
        assert replay(history, workflows=[flows.busy], workflow_execution=ExecutionRef("sim-1", "run-1")) == []


def test_more_than_100_decisions_split_over_tasks() -> None:
    """A map of 250 activities is answered 99 at a time, each time with a zero-second timer for the next task."""
    sim = Simulation(flows.fan_out, 250, random.Random(1))
    history = sim.run()
    assert max(len(answer) for answer in sim.answers) == 100
    assert len(history.filter(ev.ActivityTaskScheduled)) == 250
    next_timers = [e for e in history.filter(ev.TimerStarted) if isinstance(e, ev.TimerStarted)]
    assert [t.timer_id for t in next_timers] == ["_next-1", "_next-2"]
    assert all(
        t.start_to_fire_timeout is not None and t.start_to_fire_timeout.total_seconds() == 0 for t in next_timers
    )
    assert json.loads(history.state.close_event.raw["workflowExecutionCompletedEventAttributes"]["result"]) == 250 * 249


def test_open_activities_capped_and_queued() -> None:
    """With a cap of 10 open activities, no more than 10 are ever open; the rest wait for a free place."""

    class Capped(Simulation):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.decider = wf.WorkflowDecider([flows.fan_out], max_open=10, hold=False)

    sim = Capped(flows.fan_out, 40, random.Random(2))
    history = sim.run()
    assert len(history.filter(ev.ActivityTaskScheduled)) == 40
    open_now = peak = 0
    for event in history:
        if isinstance(event, ev.ActivityTaskScheduled):
            open_now += 1
            peak = max(peak, open_now)
        elif isinstance(event, ev.ActivityTaskCompleted):
            open_now -= 1
    assert peak == 10


def test_rate_refusals_are_reissued_after_a_backoff_timer() -> None:
    """Schedules refused for rate are re-issued with the same activity id after an internal back-off timer."""
    sim = Simulation(flows.sequence, 3, random.Random(3), refusals=2)
    history = sim.run()
    refused = [e for e in history.filter(ev.ScheduleActivityTaskFailed) if isinstance(e, ev.ScheduleActivityTaskFailed)]
    assert [e.activity_id for e in refused] == ["double-1", "double-1"]
    scheduled = [
        e.activity_id for e in history.filter(ev.ActivityTaskScheduled) if isinstance(e, ev.ActivityTaskScheduled)
    ]
    assert scheduled == ["double-1", "double-2", "add-1"]
    assert {e.activity_id for e in refused} <= set(scheduled)
    timers = [e.timer_id for e in history.filter(ev.TimerStarted) if isinstance(e, ev.TimerStarted)]
    assert timers and all(t.startswith("_backoff-") for t in timers)
    assert json.loads(history.state.close_event.raw["workflowExecutionCompletedEventAttributes"]["result"])["c"] == 18


def _bug_history(timeouts: int) -> Any:
    b = HistoryBuilder(workflow_input="1", workflow_type=("buggy", "1"))
    for _ in range(timeouts):
        b.add(
            "DecisionTaskTimedOut",
            timeoutType="START_TO_CLOSE",
            scheduledEventId=b.decision_started - 1,
            startedEventId=b.decision_started,
        )
        b.start_decision()
    from swf.models import History

    return History.from_events(b.events)


@wf.workflow("buggy", version="1", max_held_tasks=2)
def buggy(ctx: wf.Context, n: int) -> None:
    raise KeyError("no such order")


def test_bug_holds_the_task_then_fails_the_execution() -> None:
    """A workflow bug holds the task (decide raises) until max_held_tasks timed-out tasks, then fails the execution."""
    from swf.replay import task_for

    decider = wf.WorkflowDecider([buggy])
    with pytest.raises(wf.WorkflowCodeError, match=r"KeyError: 'no such order' \(at .*test_replayer.py:\d+\)"):
        decider.decide(task_for(_bug_history(1)))
    [fail] = decider.decide(task_for(_bug_history(2)))
    assert fail["decisionType"] == "FailWorkflowExecution"
    reason = fail["failWorkflowExecutionDecisionAttributes"]["reason"]
    assert reason.startswith("WorkflowCodeError: workflow buggy/1 ")
    assert len(reason) <= 256


def test_unhandled_close_is_reissued() -> None:
    """A close refused with UNHANDLED_DECISION is decided again at the next task."""
    b = HistoryBuilder(workflow_input="1", workflow_type=("sequence", "1"))
    results = iter([2, 4, 6])
    for name in ("double", "double", "add"):
        completed = b.complete_decision()
        n = sum(
            1
            for e in b.events
            if e["eventType"] == "ActivityTaskScheduled"
            and name in e["activityTaskScheduledEventAttributes"]["activityId"]
        )
        scheduled = b.add(
            "ActivityTaskScheduled",
            activityType={"name": name, "version": "1"},
            activityId=f"{name}-{n + 1}",
            taskList={"name": "a"},
            decisionTaskCompletedEventId=completed,
        )
        started = b.start_activity(scheduled)
        b.add(
            "ActivityTaskCompleted",
            scheduledEventId=scheduled,
            startedEventId=started,
            result=json.dumps(next(results)),
        )
        b.start_decision()
    completed = b.complete_decision()
    b.add("CompleteWorkflowExecutionFailed", cause="UNHANDLED_DECISION", decisionTaskCompletedEventId=completed)
    b.add("WorkflowExecutionSignaled", signalName="late", input="1")
    b.start_decision()
    from swf.models import History

    [again] = replay(History.from_events(b.events), workflows=[flows.sequence])
    assert again["decisionType"] == "CompleteWorkflowExecution"


@wf.workflow("unencodable", version="1")
def unencodable(ctx: wf.Context, n: int) -> object:
    return object()


@wf.workflow("sequence", version="1")
def sequence_changed(ctx: wf.Context, n: int) -> int:
    result: int = ctx.execute(flows.add, [n, n])
    return result


def test_held_task_sends_one_line_signals() -> None:
    """A held task sends workflow_task_held with a one-line reason; non-determinism also sends its own signal."""
    from swf.replay import task_for
    from swf_gevent import signals

    held: list[dict[str, Any]] = []
    nondeterministic: list[dict[str, Any]] = []

    def on_held(sender: Any, **payload: Any) -> None:
        held.append(payload)

    def on_nondeterminism(sender: Any, **payload: Any) -> None:
        nondeterministic.append(payload)

    signals.workflow_task_held.connect(on_held)
    signals.workflow_nondeterminism.connect(on_nondeterminism)
    try:
        b = HistoryBuilder(workflow_input="1", workflow_type=("unencodable", "1"))
        from swf.models import History

        with pytest.raises(wf.WorkflowCodeError):
            wf.WorkflowDecider([unencodable]).decide(task_for(History.from_events(b.events)))
        sim = Simulation(flows.sequence, 3, random.Random(4))
        history = sim.run()
        with pytest.raises(wf.NondeterminismError):
            wf.WorkflowDecider([sequence_changed]).decide(
                task_for(history, at=history.filter(ev.DecisionTaskStarted)[-1].event_id)
            )
    finally:
        signals.workflow_task_held.disconnect(on_held)
        signals.workflow_nondeterminism.disconnect(on_nondeterminism)
    assert [p["error"] for p in held][0].endswith(
        "the workflow's result cannot be encoded as JSON: Object of type object is not JSON serializable"
    )
    assert all("\n" not in p["error"] for p in held) and len(held) == 2
    assert held[0]["held"] == 1 and held[0]["workflow_id"] == "replay"
    [event] = nondeterministic
    assert isinstance(event["error"], wf.NondeterminismError) and "test_replayer.py" in event["error"].site


def _completed_result(history: Any) -> Any:
    return json.loads(history.state.close_event.raw["workflowExecutionCompletedEventAttributes"]["result"])


def test_map_results_in_input_order_whatever_the_completion_order() -> None:
    """ctx.map returns results in input order over random completion orders; now() and is_replaying are replayed."""
    for seed in range(20):
        history = Simulation(flows.ordered_map, 12, random.Random(seed)).run()
        result = _completed_result(history)
        assert result["values"] == [2 * i for i in range(12)], seed
        assert result["children"] == ["sim-1.child-ok-1", "sim-1.child-ok-2", 1, 2]
        first_started = history.filter(ev.DecisionTaskStarted)[0].timestamp
        assert result["started"] == first_started.isoformat()
        assert result["replaying_at_start"] is True  # the first task is replayed when the last one closes


def test_long_child_ids_are_hashed_to_256_characters() -> None:
    """A default child id longer than 256 characters is cut and ends with a hash, stable across replays."""
    long_id = "w" * 250
    history = Simulation(flows.ordered_map, 1, random.Random(0), workflow_id=long_id).run()
    initiated = [e for e in history.filter(ev.StartChildWorkflowExecutionInitiated)]
    ids = [e.workflow_id for e in initiated]
    assert all(len(i) == 256 and i.startswith(long_id[:200]) for i in ids)
    assert len(set(ids)) == 2


def test_long_fail_reason_is_cut_with_a_marker_and_kept_in_details() -> None:
    """wf.Fail with a 1,000-character reason fails with a 256-character reason; details start with the whole reason."""
    from swf.models.decisions import TRUNCATION_MARKER

    history = Simulation(flows.long_reason, None, random.Random(0)).run()
    [failed] = history.filter(ev.WorkflowExecutionFailed)
    attributes = failed.raw["workflowExecutionFailedEventAttributes"]
    assert len(attributes["reason"]) == 256 and attributes["reason"].endswith(TRUNCATION_MARKER)
    assert attributes["details"] == "x" * 1000 + "\n\nthe details"


@wf.workflow("sleepy", version="1")
def sleepy(ctx: wf.Context, _: Any) -> int:
    import gevent

    gevent.sleep(0)  # <- blocks
    return 1


def test_workflow_code_switching_to_the_hub_is_held_naming_the_line() -> None:
    """Workflow code that yields to the gevent hub (I/O, gevent.sleep) is a bug named with its file:line."""
    import gevent

    from swf.models import History
    from swf.replay import task_for

    b = HistoryBuilder(workflow_input="1", workflow_type=("sleepy", "1"))
    line = next(n for n, text in enumerate(Path(__file__).read_text().splitlines(), 1) if text.endswith("# <- blocks"))
    with (
        gevent.Timeout(10),
        pytest.raises(wf.WorkflowCodeError, match=rf"switched to another greenlet .* at {__file__}:{line};"),
    ):
        wf.WorkflowDecider([sleepy]).decide(task_for(History.from_events(b.events)))


def test_map_of_workflow_code_runs_branches_in_input_order() -> None:
    """ctx.map of workflow code (not an activity) runs at most max_concurrency branches; results in input order."""
    for seed in range(10):
        sim = Simulation(flows.branch_map, 7, random.Random(seed))
        history = sim.run()
        assert _completed_result(history) == [2 * i + 1 for i in range(7)], seed
        assert max(sum(d["decisionType"] == "ScheduleActivityTask" for d in answer) for answer in sim.answers) <= 3


def test_stock_metrics_handler_counts_workflow_signals() -> None:
    """The stock MetricsHandler counts workflow replays like every signal of the catalogue."""
    from swf_gevent.handlers import MetricsHandler, counter_name

    handler = MetricsHandler()
    handler.connect()
    try:
        sim = Simulation(flows.sequence, 3, random.Random(5))
        sim.run()
    finally:
        handler.disconnect()
    assert handler.counts.workflow_replayed == len(sim.answers)
    assert counter_name("workflow-task-held") == "workflow_tasks_held"


def test_continue_as_new_keeps_runs_under_the_threshold_and_carries_signals() -> None:
    """A 5,000-iteration loop continues as new when suggested: every run stays near 100 events; a signal crosses runs."""
    state: Any = {"i": 0, "until": 5000, "got": None}
    value: Any = state
    lengths = []
    for run in range(1000):
        sim = Simulation(flows.counter, value, random.Random(run), signals=1 if run == 0 else 0)
        history = sim.run(max_tasks=200)
        lengths.append(len(history))
        close = history.state.close_event
        assert close is not None
        if close.event_type == "WorkflowExecutionCompleted":
            break
        assert close.event_type == "WorkflowExecutionContinuedAsNew"
        value = json.loads(close.raw["workflowExecutionContinuedAsNewEventAttributes"]["input"])
    result = _completed_result(history)
    assert result["i"] == 5000 and result["got"] == 0
    assert len(lengths) > 10 and max(lengths) <= 110
    assert replay(history, workflows=[flows.counter], workflow_execution=ExecutionRef("sim-1", "run-1")) == []


@wf.workflow("refusals", version="1")
def refusals(ctx: wf.Context, _: Any) -> list[str]:
    seen = []
    try:
        ctx.execute(flows.double, 1)
    except wf.ScheduleFailed as err:
        seen.append(f"{err.subject} {err.cause}")
    try:
        ctx.execute(flows.double, 2, retry=wf.RetryPolicy(initial_interval=timedelta(seconds=3), max_attempts=2))
    except wf.ActivityTimedOut as err:
        seen.append(f"{err.activity_id} {err.timeout_type} attempt {err.attempt}")
    return seen


def test_refusals_and_timeouts_reach_the_workflow() -> None:
    """A refused schedule raises wf.ScheduleFailed with SWF's cause; a timed-out activity is retried, then raises wf.ActivityTimedOut."""
    from swf.models import History

    b = HistoryBuilder(workflow_input="null", workflow_type=("refusals", "1"))
    completed = b.complete_decision()
    b.add(
        "ScheduleActivityTaskFailed",
        activityType={"name": "double", "version": "1"},
        activityId="double-1",
        cause="ACTIVITY_TYPE_DOES_NOT_EXIST",
        decisionTaskCompletedEventId=completed,
    )
    b.start_decision()
    for attempt in (1, 2):
        completed = b.complete_decision()
        scheduled = b.schedule_activity("double-2")
        b.events[-1]["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "double"
        started = b.start_activity(scheduled)
        b.add("ActivityTaskTimedOut", timeoutType="START_TO_CLOSE", scheduledEventId=scheduled, startedEventId=started)
        b.start_decision()
        if attempt == 1:
            completed = b.complete_decision()
            timer = b.timer("t-1", 3)
            b.add("TimerFired", timerId="t-1", startedEventId=timer)
            b.start_decision()
    [complete] = replay(History.from_events(b.events), workflows=[refusals])
    result = json.loads(complete["completeWorkflowExecutionDecisionAttributes"]["result"])
    assert result == ["double-1 ACTIVITY_TYPE_DOES_NOT_EXIST", "double-2 START_TO_CLOSE attempt 2"]


@wf.workflow("bad-state", version="1")
def bad_state(ctx: wf.Context, _: Any) -> None:
    ctx.continue_as_new({"when": object()})


def test_continue_as_new_with_a_state_json_cannot_hold_is_a_bug() -> None:
    """continue_as_new with a state JSON cannot hold holds the task with a one-line WorkflowCodeError."""
    from swf.models import History
    from swf.replay import task_for

    b = HistoryBuilder(workflow_input="null", workflow_type=("bad-state", "1"))
    with pytest.raises(wf.WorkflowCodeError, match="TypeError: Object of type object is not JSON serializable"):
        wf.WorkflowDecider([bad_state]).decide(task_for(History.from_events(b.events)))


def test_refused_continue_as_new_is_reissued_with_late_signals() -> None:
    """A continue-as-new refused with UNHANDLED_DECISION is decided again, carrying the signal that came meanwhile."""
    from swf.models import History

    b = HistoryBuilder(workflow_input="null", workflow_type=("looping", "1"))
    b.complete_decision()
    b.add("WorkflowExecutionSignaled", signalName="ready", input="null")
    b.start_decision()
    completed = b.complete_decision()
    b.add("ContinueAsNewWorkflowExecutionFailed", cause="UNHANDLED_DECISION", decisionTaskCompletedEventId=completed)
    b.add("WorkflowExecutionSignaled", signalName="go", input='{"n": 7}')
    b.start_decision()
    [again] = replay(History.from_events(b.events), workflows=[flows.looping])
    assert again["decisionType"] == "ContinueAsNewWorkflowExecution"
    carried = json.loads(again["continueAsNewWorkflowExecutionDecisionAttributes"]["input"])
    assert carried == {"$continued": {"input": {"run": 2}, "signals": [["go", '{"n": 7}']]}}
