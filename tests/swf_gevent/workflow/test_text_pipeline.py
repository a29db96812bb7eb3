"""The demo as a workflow gives the hand-written decider's outputs, on the embedded endpoint."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf.connection import call
from swf_gevent.activities import ActivityRegistry
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider
from swf_gevent.workflow import WorkflowDecider
from tests.swf_gevent.workflow.support import attributes, history, wait_closed

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setattr(sys, "path", [str(EXAMPLES)] + sys.path)
    import text_pipeline
    import text_pipeline_workflow

    yield text_pipeline, text_pipeline_workflow


def test_workflow_and_hand_written_decider_give_the_same_outputs(
    swf_client: Any, domain_name: str, examples: tuple[Any, Any]
) -> None:
    """For every data file, text-pipeline 2 (a workflow) completes with text-pipeline 1's result."""
    pipeline, ported = examples
    registry = ActivityRegistry.from_functions([pipeline.split, pipeline.count, pipeline.merge])
    call(swf_client, "RegisterDomain", name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    for version in ("1", "2"):
        call(
            swf_client,
            "RegisterWorkflowType",
            domain=domain_name,
            name="text-pipeline",
            version=version,
            defaultTaskList={"name": f"pipeline-{version}"},
            defaultExecutionStartToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="10",
            defaultChildPolicy="TERMINATE",
        )
    for definition in registry:
        call(
            swf_client,
            "RegisterActivityType",
            domain=domain_name,
            name=definition.name,
            version=definition.version,
            defaultTaskList={"name": "text"},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskHeartbeatTimeout="60",
        )
    actors: list[Any] = [
        GreenletDecider(domain_name, "pipeline-1", pipeline.TextPipeline(), client=swf_client, slots=2),
        GreenletDecider(domain_name, "pipeline-2", WorkflowDecider([ported.text_pipeline]), client=swf_client, slots=2),
        GreenletActivityWorker(domain_name, "text", registry, client=swf_client, slots=20),
    ]
    files = sorted(path.name for path in (EXAMPLES / "data").glob("*.txt"))
    runs: dict[tuple[str, str], str] = {}
    for actor in actors:
        actor.start()
    try:
        with gevent.Timeout(60):
            for name in files:
                for version in ("1", "2"):
                    runs[(name, version)] = call(
                        swf_client,
                        "StartWorkflowExecution",
                        domain=domain_name,
                        workflowId=f"{name}-{version}",
                        workflowType={"name": "text-pipeline", "version": version},
                        taskList={"name": f"pipeline-{version}"},
                        input=json.dumps({"file": name}),
                    )["runId"]
            results = {}
            for (name, version), run_id in runs.items():
                events = wait_closed(swf_client, domain_name, f"{name}-{version}", run_id)
                [completed] = attributes(events, "WorkflowExecutionCompleted")
                results[(name, version)] = json.loads(completed["result"])
            sample = history(swf_client, domain_name, f"{files[0]}-2", runs[(files[0], "2")])
    finally:
        for actor in actors:
            actor.stop(timeout=10)
    for name in files:
        assert results[(name, "2")] == results[(name, "1")], name
        assert results[(name, "1")]["words"] > 0
    ids = [a["activityId"] for a in attributes(sample, "ActivityTaskScheduled")]
    assert ids[0] == "split-1" and ids[-1] == "merge-1" and ids[1] == "count-1"
