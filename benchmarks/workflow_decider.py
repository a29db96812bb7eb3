"""Decision CPU per decision task: the demo as a workflow against the hand-written decider.

Runs every data file of ``examples/data`` through ``text-pipeline`` version 1
(:class:`text_pipeline.TextPipeline`, the hand-written decider -- the
baseline) and version 2 (``text_pipeline_workflow.text_pipeline``, the same
work as plain Python code replayed by :class:`swf_gevent.workflow.WorkflowDecider`)
on the local endpoint (in its own process), with in-process deciders and
activity workers. Then, offline, each decider decides every decision task of
its recorded histories again, in two ways, best of N rounds (the two deciders
alternate round by round, so a busy machine weighs on both alike):

* ``task = parse + decide`` -- the whole decision task as the decider gets
  it: the task's JSON document read into a typed ``DecisionTask`` (history
  events and all), then ``decide``. HTTP aside, this is what a decider pays
  per polled task, measured the same way for both. **The target (workflow at
  most 1.3 times the hand-written decider) applies to this row.**
* ``decide only`` -- ``decide`` over a typed history built beforehand: the
  replayer's own cost against the hand-written decider's, shown for
  profiling; a fixed cost per task (a greenlet, the commands issued again at
  every checkpoint) weighs heavily beside a decider that reads a few fields.

Prints µs per decision task for each and the ratio to the baseline.

Run by hand from the repository root: ``python benchmarks/workflow_decider.py [--rounds N] [--histories FILE]``;
with the same ``--histories`` file, two checkouts measure the same decision tasks.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]

import gevent
import text_pipeline
import text_pipeline_workflow

from benchmarks._endpoint import start_endpoint
from swf.connection import call, call_pages, make_client
from swf.models import History
from swf.models import events as ev
from swf.models.history import DecisionTask
from swf.replay import task_for
from swf_gevent.activities import ActivityRegistry
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider
from swf_gevent.workflow import WorkflowDecider


def _record(url: str) -> dict[str, list[History]]:
    client = make_client(
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_attempts=1,
        max_pool_connections=32,
    )
    domain = f"bench-{uuid.uuid4().hex[:8]}"
    registry = ActivityRegistry.from_functions([text_pipeline.split, text_pipeline.count, text_pipeline.merge])
    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    for version in ("1", "2"):
        call(
            client,
            "RegisterWorkflowType",
            domain=domain,
            name="text-pipeline",
            version=version,
            defaultTaskList={"name": f"pipeline-{version}"},
            defaultExecutionStartToCloseTimeout="600",
            defaultTaskStartToCloseTimeout="30",
            defaultChildPolicy="TERMINATE",
        )
    for definition in registry:
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name=definition.name,
            version=definition.version,
            defaultTaskList={"name": "text"},
            defaultTaskScheduleToStartTimeout="600",
            defaultTaskScheduleToCloseTimeout="600",
            defaultTaskStartToCloseTimeout="600",
            defaultTaskHeartbeatTimeout="NONE",
        )
    actors: list[Any] = [
        GreenletDecider(domain, "pipeline-1", text_pipeline.TextPipeline(), client=client, slots=4),
        GreenletDecider(
            domain, "pipeline-2", WorkflowDecider([text_pipeline_workflow.text_pipeline]), client=client, slots=4
        ),
        GreenletActivityWorker(domain, "text", registry, client=client, slots=50),
    ]
    for actor in actors:
        actor.start()
    files = sorted(path.name for path in (ROOT / "examples" / "data").glob("*.txt"))
    runs = {}
    try:
        for name in files:
            for version in ("1", "2"):
                runs[(name, version)] = call(
                    client,
                    "StartWorkflowExecution",
                    domain=domain,
                    workflowId=f"{name}-{version}",
                    workflowType={"name": "text-pipeline", "version": version},
                    input=json.dumps({"file": name}),
                )["runId"]
        histories: dict[str, list[History]] = {"1": [], "2": []}
        with gevent.Timeout(300):
            for (name, version), run_id in runs.items():
                execution = {"workflowId": f"{name}-{version}", "runId": run_id}
                while True:
                    info = call(client, "DescribeWorkflowExecution", domain=domain, execution=execution)
                    if info["executionInfo"]["executionStatus"] != "OPEN":
                        break
                    gevent.sleep(0.1)
                pages = call_pages(client, "GetWorkflowExecutionHistory", domain=domain, execution=execution)
                histories[version].append(History.from_pages(list(pages)))
    finally:
        for actor in actors:
            actor.stop(timeout=10)
    return histories


def _tasks(histories: list[History]) -> list[DecisionTask]:
    """Every decision task of the histories, each with a history object of its own (no cached state)."""
    tasks = []
    for history in histories:
        for start in history.filter(ev.DecisionTaskStarted):
            task = task_for(history, at=start.event_id)
            tasks.append(task)
    return tasks


def _round(decider: Any, histories: list[History], *, parse: bool) -> tuple[float, int]:
    """CPU seconds to decide every task once; with ``parse``, reading each task's JSON too. And the task count."""
    tasks = _tasks(histories)
    documents = [task.to_document() for task in tasks] if parse else []
    began = time.process_time()
    if parse:
        for document in documents:
            decider.decide(DecisionTask.from_pages([document]))
    else:
        for task in tasks:
            decider.decide(task)
    return time.process_time() - began, len(tasks)


def _time(deciders: list[tuple[Any, list[History]]], rounds: int, *, parse: bool) -> list[tuple[float, int]]:
    """Best CPU seconds over ``rounds`` for each decider (alternating round by round) and its task count."""
    best = [(float("inf"), 0)] * len(deciders)
    for _ in range(rounds):
        for i, (decider, histories) in enumerate(deciders):
            seconds, count = _round(decider, histories, parse=parse)
            best[i] = (min(best[i][0], seconds), count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds per decider; the best is kept")
    parser.add_argument(
        "--histories",
        type=Path,
        help="a JSON file of recorded histories: read when it exists, else written after recording"
        " (to compare two versions of the code over the same decision tasks)",
    )
    args = parser.parse_args()
    if args.histories is not None and args.histories.exists():
        saved = json.loads(args.histories.read_text(encoding="utf-8"))
        histories = {version: [History.from_document(d) for d in documents] for version, documents in saved.items()}
    else:
        process, url = start_endpoint(poll_timeout=1.0)
        try:
            histories = _record(url)
        finally:
            process.terminate()
            process.wait(timeout=10)
        if args.histories is not None:
            documents = {version: [h.to_document() for h in items] for version, items in histories.items()}
            args.histories.write_text(json.dumps(documents), encoding="utf-8")
    events_1 = sum(len(h) for h in histories["1"])
    events_2 = sum(len(h) for h in histories["2"])
    print(f"best of {args.rounds} rounds; the target (at most 1.3 x baseline) applies to the 'task' rows")
    print(f"{'decider':<34} {'what':<22} {'tasks':>6} {'events':>7} {'µs/task':>9} {'x baseline':>11}")
    for what, parse in (("task = parse + decide", True), ("decide only", False)):
        (baseline, tasks_1), (workflow, tasks_2) = _time(
            [
                (text_pipeline.TextPipeline(), histories["1"]),
                (WorkflowDecider([text_pipeline_workflow.text_pipeline]), histories["2"]),
            ],
            args.rounds,
            parse=parse,
        )
        rows = [
            ("TextPipeline (hand-written, v1)", tasks_1, events_1, baseline),
            ("text_pipeline workflow (v2)", tasks_2, events_2, workflow),
        ]
        for name, tasks, events, seconds in rows:
            per_task = seconds / tasks
            ratio = per_task / (baseline / tasks_1)
            print(f"{name:<34} {what:<22} {tasks:>6} {events:>7} {per_task * 1e6:>9.0f} {ratio:>11.2f}")


if __name__ == "__main__":
    main()
