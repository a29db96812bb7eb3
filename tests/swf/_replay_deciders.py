"""Deciders used by the replay tests (imported by name, as ``python -m swf.replay`` does)."""

from __future__ import annotations

from typing import Any

from swf.models import DecisionTask
from swf.models import decisions as d
from swf.models.history_state import TaskStatus

MAX_ATTEMPTS = 3


class RetryDecider:
    """Runs activity ``fetch`` with the workflow input, retrying it up to three times."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        state = decision_task.history.state
        fetch = state.activities.get("fetch")
        if fetch is None:
            return [d.schedule_activity_task("fetch", ("work", "1"), input=state.input)]
        if fetch.status is TaskStatus.COMPLETED:
            return [d.complete_workflow_execution(fetch.result)]
        if fetch.status in (TaskStatus.FAILED, TaskStatus.TIMED_OUT):
            if fetch.times_scheduled < MAX_ATTEMPTS:
                return [d.schedule_activity_task("fetch", ("work", "1"), input=state.input)]
            return [d.fail_workflow_execution(f"fetch failed {fetch.times_scheduled} times", fetch.reason)]
        return []


class ChangedDecider(RetryDecider):
    """Like :class:`RetryDecider` but records a marker first: its decisions differ from recorded ones."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return [d.record_marker("v2")] + super().decide(decision_task)


class OtherIdDecider(RetryDecider):
    """Like :class:`RetryDecider` but schedules ``fetch`` under another activity id."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return [_changed(decision, activityId="fetch-2") for decision in super().decide(decision_task)]


class OtherInputDecider(RetryDecider):
    """Like :class:`RetryDecider` but gives ``fetch`` another input."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return [_changed(decision, input="y" * 100) for decision in super().decide(decision_task)]


class OtherVersionDecider(RetryDecider):
    """Like :class:`RetryDecider` but schedules version 2 of the activity type."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return [
            _changed(decision, activityType={"name": "work", "version": "2"})
            for decision in super().decide(decision_task)
        ]


def _changed(decision: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    """A ScheduleActivityTask decision with ``attributes`` replaced; other decisions as they are."""
    if decision["decisionType"] != "ScheduleActivityTask":
        return decision
    key = "scheduleActivityTaskDecisionAttributes"
    return {**decision, key: {**decision[key], **attributes}}


class IdEcho:
    """Completes with the ids the task carries."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        e = decision_task.workflow_execution
        return [d.complete_workflow_execution(f"{e.workflow_id}/{e.run_id}/{decision_task.previous_started_event_id}")]


class BadDecider:
    """Returns a decision SWF would refuse."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return [
            {
                "decisionType": "StartTimer",
                "startTimerDecisionAttributes": {"timerId": "t" * 300, "startToFireTimeout": "5"},
            }
        ]


class NeedsArguments:
    """Cannot be built with no arguments."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        return []


instance = RetryDecider()


class Raising:
    """Raises on its second decision point."""

    def decide(self, decision_task: DecisionTask) -> list[dict[str, Any]]:
        if decision_task.previous_started_event_id:
            return _second_decision(decision_task)
        return [d.schedule_activity_task("fetch", ("work", "1"), input="url")]


def _second_decision(decision_task: DecisionTask) -> list[dict[str, Any]]:
    raise KeyError("no such activity: merge")
