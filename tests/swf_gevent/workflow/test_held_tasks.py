"""Bad workflow code and deploy bugs hold the decision task with a one-line reason, never kill the decider."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import pytest

from swf.connection import call
from swf.models import DecisionTask, History
from swf.models import events as ev
from swf.replay import task_for
from swf_gevent import signals
from swf_gevent import workflow as wf
from swf_gevent.activities import ActivityRegistry
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider
from tests.swf._history_events import HistoryBuilder
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.simulated import Simulation
from tests.swf_gevent.workflow.support import ACTIVITIES, DECISIONS, attributes, register, wait_closed


@wf.workflow("needs-double", version="1", max_held_tasks=1)
def needs_double(ctx: wf.Context, n: int) -> int:
    result: int = ctx.execute(flows.double, n)
    return result


def _refused_history(refusals: int, *, held_after_last: bool = False) -> History:
    """``needs-double`` whose ``double-1`` was refused ``refusals`` times, each but the last followed by a held task."""
    b = HistoryBuilder(workflow_input="4", workflow_type=("needs-double", "1"))
    for i in range(refusals):
        completed = b.complete_decision()
        b.add(
            "ScheduleActivityTaskFailed",
            activityType={"name": "double", "version": "1"},
            activityId="double-1",
            cause="ACTIVITY_TYPE_DOES_NOT_EXIST",
            decisionTaskCompletedEventId=completed,
        )
        b.start_decision()
        if i < refusals - 1 or held_after_last:
            b.add(
                "DecisionTaskTimedOut",
                timeoutType="START_TO_CLOSE",
                scheduledEventId=b.decision_started - 1,
                startedEventId=b.decision_started,
            )
            b.start_decision()
    return History.from_events(b.events)


def test_unregistered_activity_is_reissued_after_a_hold_then_fails_past_max_held_tasks() -> None:
    """An unregistered activity holds the task; the next task re-issues it (same id); past max_held_tasks it fails."""
    decider = wf.WorkflowDecider([needs_double])
    with pytest.raises(wf.WorkflowCodeError, match=r"SWF refused ScheduleActivityTask double-1 .*test_held_tasks.py"):
        decider.decide(task_for(_refused_history(1)))
    [again] = decider.decide(task_for(_refused_history(1, held_after_last=True)))
    assert again["scheduleActivityTaskDecisionAttributes"]["activityId"] == "double-1"
    [fail] = decider.decide(task_for(_refused_history(2)))
    assert fail["failWorkflowExecutionDecisionAttributes"]["reason"].startswith("ScheduleFailed: ")
    assert "ACTIVITY_TYPE_DOES_NOT_EXIST" in fail["failWorkflowExecutionDecisionAttributes"]["reason"]


@wf.workflow("raises", version="1")
def raises(ctx: wf.Context, _: Any) -> None:
    raise KeyError("no such order")


@wf.workflow("unencodable-result", version="1")
def unencodable_result(ctx: wf.Context, _: Any) -> object:
    return {1, 2}


@wf.workflow("blocks", version="1")
def blocks(ctx: wf.Context, _: Any) -> int:
    gevent.sleep(0)
    return 1


@wf.workflow("sequence", version="1")
def sequence_changed(ctx: wf.Context, n: int) -> int:
    result: int = ctx.execute(flows.add, [n, n])
    return result


def _fresh(workflow_type: str) -> DecisionTask:
    return task_for(History.from_events(HistoryBuilder(workflow_input="1", workflow_type=(workflow_type, "1")).events))


def _recorded_sequence() -> DecisionTask:
    history = Simulation(flows.sequence, 3, random.Random(4)).run()
    return task_for(history, at=history.filter(ev.DecisionTaskStarted)[-1].event_id)


@pytest.mark.parametrize(
    ("workflow", "task", "reason"),
    [
        (raises, lambda: _fresh("raises"), "KeyError: 'no such order'"),
        (unencodable_result, lambda: _fresh("unencodable-result"), "result cannot be encoded as JSON"),
        (blocks, lambda: _fresh("blocks"), "switched to another greenlet"),
        (sequence_changed, _recorded_sequence, "Guard the change with ctx.patched"),
        (needs_double, lambda: task_for(_refused_history(1)), "ACTIVITY_TYPE_DOES_NOT_EXIST"),
    ],
    ids=["raises", "json", "blocks-on-io", "nondeterministic", "unregistered-activity"],
)
def test_bad_input_holds_with_a_one_line_reason_in_signal_and_log(
    workflow: wf.WorkflowDefinition, task: Callable[[], DecisionTask], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each kind of bad workflow code holds the task: one line naming the cause in workflow_task_held and the log."""
    held: list[dict[str, Any]] = []

    def on_held(sender: Any, **payload: Any) -> None:
        held.append(payload)

    signals.workflow_task_held.connect(on_held)
    try:
        with (
            gevent.Timeout(10),
            caplog.at_level(logging.WARNING, logger="swf_gevent.workflow.decider"),
            pytest.raises((wf.WorkflowCodeError, wf.NondeterminismError)),
        ):
            wf.WorkflowDecider([workflow]).decide(task())
    finally:
        signals.workflow_task_held.disconnect(on_held)
    [payload] = held
    assert reason in payload["error"] and "\n" not in payload["error"]
    [record] = [r for r in caplog.records if r.name == "swf_gevent.workflow.decider"]
    assert payload["error"] in record.getMessage() and "\n" not in record.getMessage()


def test_unregistered_activity_holds_the_task_until_registered(swf_client: Any, domain_name: str) -> None:
    """An activity type not registered holds the task (one-line signal); once registered the execution completes."""
    held: list[str] = []
    first_hold = gevent.event.Event()

    def on_held(sender: Any, **payload: Any) -> None:
        held.append(payload["error"])
        first_hold.set()

    registry = ActivityRegistry.from_functions([flows.double])
    register(swf_client, domain_name, [needs_double], ActivityRegistry.from_functions([]))
    actors: list[Any] = [
        GreenletDecider(domain_name, DECISIONS, wf.WorkflowDecider([needs_double]), client=swf_client, slots=2)
    ]
    signals.workflow_task_held.connect(on_held)
    try:
        with gevent.Timeout(30):
            actors[0].start()
            run_id = call(
                swf_client,
                "StartWorkflowExecution",
                domain=domain_name,
                workflowId="unregistered-1",
                workflowType={"name": "needs-double", "version": "1"},
                input="21",
                taskStartToCloseTimeout="1",
            )["runId"]
            first_hold.wait()
            call(
                swf_client,
                "RegisterActivityType",
                domain=domain_name,
                name="double",
                version="1",
                defaultTaskList={"name": ACTIVITIES},
                defaultTaskScheduleToStartTimeout="60",
                defaultTaskScheduleToCloseTimeout="120",
                defaultTaskStartToCloseTimeout="60",
                defaultTaskHeartbeatTimeout="60",
            )
            actors.append(GreenletActivityWorker(domain_name, ACTIVITIES, registry, client=swf_client, slots=2))
            actors[1].start()
            events = wait_closed(swf_client, domain_name, "unregistered-1", run_id)
    finally:
        signals.workflow_task_held.disconnect(on_held)
        for actor in actors:
            actor.stop(timeout=10)
    assert [a["cause"] for a in attributes(events, "ScheduleActivityTaskFailed")] == ["ACTIVITY_TYPE_DOES_NOT_EXIST"]
    assert events.filter(ev.DecisionTaskTimedOut)
    assert [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")] == ["double-1"]
    [completed] = attributes(events, "WorkflowExecutionCompleted")
    assert json.loads(completed["result"]) == 42
    assert held and all("\n" not in line and "ACTIVITY_TYPE_DOES_NOT_EXIST" in line for line in held)
