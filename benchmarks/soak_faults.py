"""Soak: activity tasks under a throttle storm, cancels racing heartbeats, activities calling ``sys.exit``.

One process: the embedded local endpoint (its own thread), a fleet of
greenlet deciders and activity workers, and this driver. For ``--storm``
seconds (60 by default) the endpoint throttles ``--fraction`` (0.5) of every
poll and respond call (``PollFor*Task``, ``RespondActivityTask*``,
``RespondDecisionTaskCompleted``; ``LocalSWF.inject_fault_window``), while
executions start across the storm, ten activities each, 1,000 in all:

- ``work`` (hub) and ``work-thread`` (a thread): sleep a little, record a run;
- ``exit-hub`` and ``exit-thread``: record a run, then ``sys.exit(3)``;
- ``cancelable`` (16 of them, hub): an ordinary ``try/except Exception``
  retry loop calling ``context.heartbeat()`` every 50 ms (automatic
  heartbeats every 100 ms besides); the driver signals its execution as
  soon as it runs, and the decider answers with ``RequestCancelActivityTask``.

Counted from the executions' histories and from the runs the activities
record: lost (an activity not closed as expected: work completed, exits
failed with ``SystemExit: 3``, cancelables canceled), run twice (a run
recorded twice for one activity), cancels answered canceled, exits failed,
and whether every actor is alive. Printed per respond policy: the default
:data:`swf_gevent.actors.RESPOND_RETRY` (deadline from the task's
timeouts), and with ``--baseline`` the former default (8 attempts, 60 s) as
the baseline, run after it in the same process.

Run by hand from the repository root:
``python benchmarks/soak_faults.py [--storm 60] [--fraction 0.5] [--baseline]``.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse
import json
import logging
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import gevent

from swf.connection import call, call_pages, make_client
from swf.models import decisions
from swf.retry import RetryPolicy
from swf_gevent import signals
from swf_gevent.activities import ActivityContext, ActivityRegistry, activity
from swf_gevent.actors import RESPOND_RETRY, GreenletActivityWorker, GreenletDecider
from swf_gevent.local import LocalSWF

EXECUTIONS = 100
PER_EXECUTION = 10
CANCELS = 16
EXITS = 24  # half in the hub, half in threads
ACTIVITIES = "soak-activities"
DECISIONS = "soak-decisions"
STORMED = (
    "PollForActivityTask",
    "PollForDecisionTask",
    "RespondActivityTaskCompleted",
    "RespondActivityTaskFailed",
    "RespondActivityTaskCanceled",
    "RespondDecisionTaskCompleted",
)
#: The former default answer policy, the baseline.
FORMER_RESPOND_RETRY = RetryPolicy(
    max_attempts=8, base_delay=timedelta(milliseconds=100), max_delay=timedelta(seconds=5), deadline=60
)

#: (workflow id, activity id) of every run an activity function began.
RUNS: Counter[tuple[str, str]] = Counter()
STARTED_CANCELABLES: list[tuple[str, str]] = []
START_TO_CLOSE = timedelta(seconds=60)


def _record(context: ActivityContext) -> None:
    RUNS[(context.workflow_execution.workflow_id, context.activity_id)] += 1


@activity("work", start_to_close_timeout=START_TO_CLOSE)
def work(payload: Any, context: ActivityContext) -> str:
    _record(context)
    gevent.sleep(random.uniform(0.05, 0.3))
    return "done"


@activity("work-thread", executor="thread", start_to_close_timeout=START_TO_CLOSE)
def work_thread(payload: Any, context: ActivityContext) -> str:
    _record(context)
    time.sleep(random.uniform(0.05, 0.3))
    return "done"


@activity("exit-hub", start_to_close_timeout=START_TO_CLOSE)
def exit_hub(payload: Any, context: ActivityContext) -> None:
    _record(context)
    sys.exit(3)


@activity("exit-thread", executor="thread", start_to_close_timeout=START_TO_CLOSE)
def exit_thread(payload: Any, context: ActivityContext) -> None:
    _record(context)
    sys.exit(3)


@activity(
    "cancelable",
    heartbeat_timeout=timedelta(seconds=0.3),
    start_to_close_timeout=timedelta(seconds=300),
)
def cancelable(payload: Any, context: ActivityContext) -> str:
    _record(context)
    STARTED_CANCELABLES.append((context.workflow_execution.workflow_id, context.activity_id))
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        try:
            context.heartbeat("still going")
            gevent.sleep(0.05)
        except Exception:
            continue
    return "never canceled"


REGISTRY = ActivityRegistry.from_functions([work, work_thread, exit_hub, exit_thread, cancelable])


class Plan:
    """Schedules the execution's activities; cancels the cancelable on signal "cancel"; completes when all closed."""

    def decide(self, task: Any) -> list[Any]:
        state = task.history.state
        if not state.activities:
            plan = json.loads(state.input or "[]")
            return [decisions.schedule_activity_task(i, (name, "1")) for i, name in plan]
        out = []
        if any(s.signal_name == "cancel" for s in state.signals):
            for activity_id, attempt in state.activities.items():
                if attempt.activity_type.name == "cancelable" and attempt.is_open and not attempt.cancel_requested:
                    out.append(decisions.request_cancel_activity_task(activity_id))
        if all(not attempt.is_open for attempt in state.activities.values()):
            out.append(decisions.complete_workflow_execution())
        return out


def _plans(executions: int) -> list[list[tuple[str, str]]]:
    """Ten activities per execution: 16 cancelables, 24 exits, the rest work (half in threads), shuffled."""
    names = ["cancelable"] * CANCELS + ["exit-hub", "exit-thread"] * (EXITS // 2)
    names += ["work", "work-thread"] * ((executions * PER_EXECUTION - len(names)) // 2)
    random.Random(7).shuffle(names)
    return [[(f"a{j}", names[i * PER_EXECUTION + j]) for j in range(PER_EXECUTION)] for i in range(executions)]


@dataclass
class Outcome:
    policy: str
    wall: float = 0.0
    tasks: int = 0
    lost: list[str] = field(default_factory=list)
    run_twice: int = 0
    canceled: int = 0
    exits_failed: int = 0
    executions_closed: int = 0
    retries: int = 0
    alive: bool = False


def _register(client: Any, domain: str) -> None:
    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    call(
        client,
        "RegisterWorkflowType",
        domain=domain,
        name="soak",
        version="1",
        defaultTaskList={"name": DECISIONS},
        defaultExecutionStartToCloseTimeout="900",
        defaultTaskStartToCloseTimeout="30",
        defaultChildPolicy="TERMINATE",
    )
    for definition in REGISTRY:
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name=definition.name,
            version=definition.version,
            defaultTaskList={"name": ACTIVITIES},
            defaultTaskScheduleToStartTimeout="600",
            defaultTaskScheduleToCloseTimeout="900",
            defaultTaskStartToCloseTimeout=str(int(definition.start_to_close_timeout.total_seconds())),  # type: ignore[union-attr]
            # 5 s for the cancelable (beating every 0.1 s); none for functions that never heartbeat
            defaultTaskHeartbeatTimeout="5" if definition.heartbeat_timeout else "NONE",
        )


def soak(server: LocalSWF, name: str, policy: RetryPolicy, storm: float, fraction: float, executions: int) -> Outcome:
    RUNS.clear()
    STARTED_CANCELABLES.clear()
    outcome = Outcome(name)
    client = make_client(
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        concurrency=400,
        read_timeout=server.poll_timeout + 10,
        poll_hold=server.poll_timeout,
    )
    domain = f"soak-{uuid.uuid4().hex[:8]}"
    _register(client, domain)
    retries = Counter[str]()

    def count_retry(sender: Any, **payload: Any) -> None:
        retries[payload["operation"]] += 1

    signals.call_retried.connect(count_retry, weak=False)
    answers = signals.retry_policy(policy, sender="soak")
    workers = [
        GreenletActivityWorker(domain, ACTIVITIES, REGISTRY, client=client, slots=20, respond_retry=answers)
        for _ in range(10)
    ]
    deciders = [
        GreenletDecider(domain, DECISIONS, Plan(), client=client, slots=5, respond_retry=answers) for _ in range(4)
    ]
    fleet = workers + deciders
    began = time.monotonic()
    for operation in STORMED:
        server.inject_fault_window(operation, "throttle", seconds=storm, fraction=fraction)
    for actor in fleet:
        actor.start()
    plans = _plans(executions)
    runs: dict[str, str] = {}

    def start_executions() -> None:
        pause = storm * 0.9 / len(plans)
        for i, plan in enumerate(plans):
            workflow_id = f"soak-{i}"
            runs[workflow_id] = call(
                client,
                "StartWorkflowExecution",
                domain=domain,
                workflowId=workflow_id,
                workflowType={"name": "soak", "version": "1"},
                input=json.dumps(plan),
            )["runId"]
            gevent.sleep(pause)

    def send_cancels() -> None:
        sent: set[str] = set()
        while len(sent) < CANCELS:
            for workflow_id, _ in list(STARTED_CANCELABLES):
                if workflow_id not in sent:
                    sent.add(workflow_id)
                    gevent.spawn_later(random.uniform(0, 0.3), _signal, client, domain, workflow_id)
            gevent.sleep(0.05)

    starter = gevent.spawn(start_executions)
    canceller = gevent.spawn(send_cancels)
    with gevent.Timeout(storm + 240, False):
        starter.join()
        while not _all_closed(client, domain, runs, len(plans)):
            gevent.sleep(2)
    canceller.kill()
    outcome.wall = time.monotonic() - began
    outcome.alive = all(not actor.dead and actor.restarts == 0 for actor in fleet)
    _count(client, domain, runs, plans, outcome)
    outcome.retries = sum(retries.values())
    for actor in fleet:
        actor.stop(timeout=5)
    signals.call_retried.disconnect(count_retry)
    client.close()
    return outcome


def _signal(client: Any, domain: str, workflow_id: str) -> None:
    call(client, "SignalWorkflowExecution", domain=domain, workflowId=workflow_id, signalName="cancel")


def _all_closed(client: Any, domain: str, runs: dict[str, str], expected: int) -> bool:
    if len(runs) < expected:
        return False
    answer = call(client, "CountOpenWorkflowExecutions", domain=domain, startTimeFilter={"oldestDate": 0})
    return int(answer["count"]) == 0


def _count(client: Any, domain: str, runs: dict[str, str], plans: list[list[tuple[str, str]]], out: Outcome) -> None:
    expected = {"work": "ActivityTaskCompleted", "work-thread": "ActivityTaskCompleted"}
    expected.update({"exit-hub": "ActivityTaskFailed", "exit-thread": "ActivityTaskFailed"})
    expected["cancelable"] = "ActivityTaskCanceled"
    for i, plan in enumerate(plans):
        workflow_id = f"soak-{i}"
        if workflow_id not in runs:
            out.lost.extend(f"{workflow_id}/{a} (never started)" for a, _ in plan)
            continue
        events: list[dict[str, Any]] = []
        for page in call_pages(
            client,
            "GetWorkflowExecutionHistory",
            domain=domain,
            execution={"workflowId": workflow_id, "runId": runs[workflow_id]},
        ):
            events.extend(page["events"])
        scheduled = {
            e["eventId"]: e["activityTaskScheduledEventAttributes"]["activityId"]
            for e in events
            if e["eventType"] == "ActivityTaskScheduled"
        }
        closed: dict[str, tuple[str, dict[str, Any]]] = {}
        for e in events:
            kind = e["eventType"]
            if kind in ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskCanceled", "ActivityTaskTimedOut"):
                attributes = e[kind[0].lower() + kind[1:] + "EventAttributes"]
                closed[scheduled[attributes["scheduledEventId"]]] = (kind, attributes)
            if kind == "WorkflowExecutionCompleted":
                out.executions_closed += 1
        for activity_id, name in plan:
            out.tasks += 1
            kind, attributes = closed.get(activity_id, ("open", {}))
            if kind != expected[name]:
                out.lost.append(f"{workflow_id}/{activity_id} {name}: {kind}")
            elif name == "cancelable":
                out.canceled += 1
            elif name.startswith("exit") and attributes.get("reason") == "SystemExit: 3":
                out.exits_failed += 1
            if RUNS[(workflow_id, activity_id)] > 1:
                out.run_twice += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=float, default=60.0, help="seconds of throttling (60)")
    parser.add_argument("--fraction", type=float, default=0.5, help="share of stormed calls throttled (0.5)")
    parser.add_argument("--executions", type=int, default=EXECUTIONS, help="executions of ten activities (100)")
    parser.add_argument("--baseline", action="store_true", help="also run with the former 8-attempt answer policy")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    policies = [("RESPOND_RETRY (task timeouts)", RESPOND_RETRY)]
    if args.baseline:
        policies.append(("baseline: 8 attempts, 60 s", FORMER_RESPOND_RETRY))
    print(
        f"{args.executions * PER_EXECUTION} activity tasks ({CANCELS} cancelable, {EXITS} calling sys.exit), "
        f"{args.fraction:.0%} of poll and respond calls throttled for {args.storm:g} s"
    )
    header = f"{'answer policy':<32} {'wall s':>7} {'tasks':>6} {'lost':>5} {'twice':>6} {'canceled':>9} "
    print(header + f"{'exits failed':>13} {'executions done':>16} {'retries':>8} {'fleet alive':>12}")
    failures = 0
    with LocalSWF(poll_timeout=2.0) as server:
        for name, policy in policies:
            out = soak(server, name, policy, args.storm, args.fraction, args.executions)
            print(
                f"{out.policy:<32} {out.wall:>7.1f} {out.tasks:>6} {len(out.lost):>5} {out.run_twice:>6} "
                f"{out.canceled:>5}/{CANCELS:<3} {out.exits_failed:>9}/{EXITS:<3} "
                f"{out.executions_closed:>12}/{args.executions:<3} {out.retries:>8} {'yes' if out.alive else 'NO':>12}"
            )
            for line in out.lost[:10]:
                print(f"    lost: {line}")
            if policy is RESPOND_RETRY:
                failures += bool(out.lost or out.run_twice or out.canceled != CANCELS or not out.alive)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
