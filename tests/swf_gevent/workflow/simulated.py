"""Histories made by driving a :class:`WorkflowDecider` by hand, outcomes in a random order.

Each answer is recorded the way SWF records decisions (``DecisionTaskCompleted``,
then one event per decision, tied by ``decisionTaskCompletedEventId``); then a
random subset of the open activities, timers and children settle, signals
arrive, or a decision task times out, and the next task replays it all. Every
``decide`` call checks each earlier answered task, so a run that reaches its
close without error is a history the unchanged code replays cleanly.
"""

from __future__ import annotations

import json
import random
from typing import Any

from swf.models import DecisionTask, History
from swf.models.events import ExecutionRef, TypeRef, event_from_wire
from swf_gevent.workflow import WorkflowDecider, WorkflowDefinition
from tests.swf._history_events import HistoryBuilder

ACTIVITIES = {"double": lambda n: n * 2, "add": lambda pair: pair[0] + pair[1], "count": lambda text: len(text.split())}


class Simulation:
    """One execution of ``workflow`` against a hand-kept history."""

    def __init__(
        self,
        workflow: WorkflowDefinition,
        value: Any,
        rng: random.Random,
        *,
        signals: int = 0,
        timeouts: float = 0.0,
        refusals: int = 0,
        workflow_id: str = "sim-1",
        signal_name: str = "go",
    ) -> None:
        self.workflow = workflow
        self.rng = rng
        self.builder = HistoryBuilder(workflow_input=json.dumps(value), workflow_type=workflow.key)
        self.decider = WorkflowDecider([workflow], hold=False)
        self.signals = signals
        self.timeouts = timeouts
        self.refusals = refusals
        self.workflow_id = workflow_id
        self.signal_name = signal_name
        self.activities: dict[int, tuple[str, str, Any]] = {}  # scheduled id -> (activity id, name, input)
        self.timers: dict[int, str] = {}  # started id -> timer id
        self.children: dict[int, tuple[str, Any]] = {}  # initiated id -> (workflow id, input)
        self.answers: list[list[dict[str, Any]]] = []
        self._parsed: list[Any] = []

    def history(self) -> History:
        raw = self.builder.events
        self._parsed.extend(event_from_wire(e, "sim") for e in raw[len(self._parsed) :])
        return History(self._parsed)

    def task(self) -> DecisionTask:
        return DecisionTask(
            task_token="sim",
            workflow_execution=ExecutionRef(self.workflow_id, "run-1"),
            workflow_type=TypeRef(*self.workflow.key),
            started_event_id=self.builder.decision_started,
            previous_started_event_id=0,
            history=self.history(),
        )

    def run(self, max_tasks: int = 400) -> History:
        """Decide and settle until the execution closes; the history."""
        for _ in range(max_tasks):
            decisions = self.decider.decide(self.task())
            if self.rng.random() < self.timeouts:
                b = self.builder
                b.add(
                    "DecisionTaskTimedOut",
                    timeoutType="START_TO_CLOSE",
                    scheduledEventId=b.decision_started - 1,
                    startedEventId=b.decision_started,
                )
                b.start_decision()
                continue
            self.answers.append(decisions)
            completed = self.builder.complete_decision()
            if self._record(decisions, completed):
                return self.history()
            self._settle()
            self.builder.start_decision()
        raise AssertionError("the simulated execution did not close")

    def _record(self, decisions: list[dict[str, Any]], completed: int) -> bool:
        b = self.builder
        closed = False
        for decision in decisions:
            kind = decision["decisionType"]
            attrs = decision[kind[0].lower() + kind[1:] + "DecisionAttributes"]
            if kind == "ScheduleActivityTask":
                if self.refusals:
                    self.refusals -= 1
                    b.add(
                        "ScheduleActivityTaskFailed",
                        activityType=attrs["activityType"],
                        activityId=attrs["activityId"],
                        cause="ACTIVITY_CREATION_RATE_EXCEEDED",
                        decisionTaskCompletedEventId=completed,
                    )
                    continue
                event_id = b.add(
                    "ActivityTaskScheduled",
                    activityType=attrs["activityType"],
                    activityId=attrs["activityId"],
                    input=attrs.get("input", ""),
                    taskList={"name": "a"},
                    decisionTaskCompletedEventId=completed,
                )
                self.activities[event_id] = (
                    attrs["activityId"],
                    attrs["activityType"]["name"],
                    json.loads(attrs["input"]) if attrs.get("input") else None,
                )
            elif kind == "StartTimer":
                event_id = b.add(
                    "TimerStarted",
                    timerId=attrs["timerId"],
                    startToFireTimeout=attrs["startToFireTimeout"],
                    decisionTaskCompletedEventId=completed,
                )
                self.timers[event_id] = attrs["timerId"]
            elif kind == "CancelTimer":
                started = next(k for k, v in self.timers.items() if v == attrs["timerId"])
                del self.timers[started]
                b.add(
                    "TimerCanceled",
                    timerId=attrs["timerId"],
                    startedEventId=started,
                    decisionTaskCompletedEventId=completed,
                )
            elif kind == "RecordMarker":
                b.add(
                    "MarkerRecorded",
                    markerName=attrs["markerName"],
                    details=attrs.get("details", ""),
                    decisionTaskCompletedEventId=completed,
                )
            elif kind == "StartChildWorkflowExecution":
                event_id = b.add(
                    "StartChildWorkflowExecutionInitiated",
                    workflowId=attrs["workflowId"],
                    workflowType=attrs["workflowType"],
                    input=attrs.get("input", ""),
                    taskList={"name": "d"},
                    childPolicy="TERMINATE",
                    decisionTaskCompletedEventId=completed,
                )
                self.children[event_id] = (
                    attrs["workflowId"],
                    json.loads(attrs["input"]) if attrs.get("input") else None,
                )
            elif kind == "CompleteWorkflowExecution":
                b.add(
                    "WorkflowExecutionCompleted", result=attrs.get("result", ""), decisionTaskCompletedEventId=completed
                )
                closed = True
            elif kind == "ContinueAsNewWorkflowExecution":
                b.add(
                    "WorkflowExecutionContinuedAsNew",
                    input=attrs.get("input", ""),
                    newExecutionRunId="next-run",
                    taskList={"name": "d"},
                    childPolicy="TERMINATE",
                    workflowType={"name": self.workflow.name, "version": self.workflow.version},
                    decisionTaskCompletedEventId=completed,
                )
                closed = True
            elif kind == "FailWorkflowExecution":
                b.add(
                    "WorkflowExecutionFailed",
                    reason=attrs.get("reason", ""),
                    details=attrs.get("details", ""),
                    decisionTaskCompletedEventId=completed,
                )
                closed = True
            else:
                raise AssertionError(f"the simulation does not record {kind}")
        return closed

    def _settle(self) -> None:
        """Settle a random subset (at least one thing when anything is open), in a random order."""
        b = self.builder
        pending: list[tuple[str, int]] = [("activity", k) for k in self.activities] + [
            ("timer", k) for k in self.timers
        ]
        pending += [("child", k) for k in self.children]
        if self.signals and (not pending or self.rng.random() < 0.3):
            pending.append(("signal", 0))
        self.rng.shuffle(pending)
        chosen = [p for p in pending if self.rng.random() < 0.5] or pending[:1]
        for kind, key in chosen:
            if kind == "activity":
                activity_id, name, value = self.activities.pop(key)
                started = b.add("ActivityTaskStarted", scheduledEventId=key, identity="w")
                if name == "flaky":
                    b.add(
                        "ActivityTaskFailed",
                        scheduledEventId=key,
                        startedEventId=started,
                        reason="RuntimeError: flaky",
                        details="tb",
                    )
                else:
                    b.add(
                        "ActivityTaskCompleted",
                        scheduledEventId=key,
                        startedEventId=started,
                        result=json.dumps(ACTIVITIES[name](value)),
                    )
            elif kind == "timer":
                b.add("TimerFired", timerId=self.timers.pop(key), startedEventId=key)
            elif kind == "child":
                workflow_id, value = self.children.pop(key)
                execution = {"workflowId": workflow_id, "runId": "child-run"}
                started = b.add(
                    "ChildWorkflowExecutionStarted",
                    workflowExecution=execution,
                    workflowType={"name": "child-ok", "version": "1"},
                    initiatedEventId=key,
                )
                b.add(
                    "ChildWorkflowExecutionCompleted",
                    workflowExecution=execution,
                    workflowType={"name": "child-ok", "version": "1"},
                    initiatedEventId=key,
                    startedEventId=started,
                    result=json.dumps(value + 1),
                )
            else:
                self.signals -= 1
                b.add("WorkflowExecutionSignaled", signalName=self.signal_name, input=json.dumps(self.signals))
