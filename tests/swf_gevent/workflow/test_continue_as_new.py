"""Continue-as-new on the embedded endpoint: thousands of loop iterations in short runs, signals across the switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.connection import make_client
from swf_gevent import workflow as wf
from swf_gevent.workflow.testing import WorkflowEnvironment
from tests.swf_gevent.workflow.support import attributes

#: History length at which the loop continues as new.
THRESHOLD = 100
#: What one decision task can add past the threshold: its own close, and a refused close retried once.
MARGIN = 10


@wf.workflow("iterations", version="1", continue_as_new_after=THRESHOLD)
def iterations(ctx: wf.Context, state: dict[str, Any]) -> dict[str, Any]:
    while state["i"] < state["until"]:
        if ctx.info.continue_as_new_suggested:
            ctx.continue_as_new(state)
        ctx.sleep(timedelta(0))
        state["i"] += 1
    got = []
    while True:
        try:
            got.append(ctx.wait_signal("go", timeout=timedelta(seconds=1)))
        except wf.TimedOut:
            return {"i": state["i"], "got": got}


class SignalDuringSwitch:
    """Sends signal ``go`` while chosen continue-as-new decisions are on their way to the endpoint.

    A ``provide-client-params`` hook on the deciders' client: the endpoint
    cannot be asked to deliver a signal between a decision task's start and
    its answer, so the hook sends it (on a second client) just before the
    answer that holds the N-th ``ContinueAsNewWorkflowExecution`` decision.
    """

    def __init__(self, env: WorkflowEnvironment, workflow_id: str, at: dict[int, str]) -> None:
        self.env = env
        self.workflow_id = workflow_id
        self.at = at
        self.switches = 0
        self.sent: list[str] = []
        self.client = make_client(
            region_name="us-east-1",
            endpoint_url=env.local.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            max_attempts=1,
        )

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if not any(d["decisionType"] == "ContinueAsNewWorkflowExecution" for d in params.get("decisions", ())):
            return
        self.switches += 1
        value = self.at.get(self.switches)
        if value is not None:
            self.client.signal_workflow_execution(
                domain=self.env.domain, workflowId=self.workflow_id, signalName="go", input=f'"{value}"'
            )
            self.sent.append(value)

    def close(self) -> None:
        self.client.close()


@pytest.mark.parametrize("until", [1000, pytest.param(5000, marks=pytest.mark.slow)])
def test_loop_continues_as_new_under_its_threshold_and_delivers_signals_sent_during_the_switch(
    until: int, capsys: Any
) -> None:
    """Every run stays under its threshold; signals sent while a run switches are each consumed once, in order."""
    with gevent.Timeout(300), WorkflowEnvironment([iterations]) as env:
        switch = SignalDuringSwitch(env, "loop-1", {2: "first", 5: "second"})
        env.client.meta.events.register("provide-client-params.swf.RespondDecisionTaskCompleted", switch)
        try:
            run = env.start(iterations, {"i": 0, "until": until}, workflow_id="loop-1")
            result = run.result(timeout=280)
            runs = run.histories()
        finally:
            switch.close()
    longest = max(len(events) for events in runs)
    with capsys.disabled():
        print(f"\n{until} iterations: {len(runs)} runs, longest {longest} events, threshold {THRESHOLD}")
    assert result == {"i": until, "got": ["first", "second"]}
    assert switch.sent == ["first", "second"]
    assert len(runs) > until // THRESHOLD * 2
    assert longest <= THRESHOLD + MARGIN
    sleeps = [a for events in runs for a in attributes(events, "TimerStarted") if a["startToFireTimeout"] == "0"]
    assert len(sleeps) == until
    refused = [a["cause"] for events in runs for a in attributes(events, "ContinueAsNewWorkflowExecutionFailed")]
    assert refused == ["UNHANDLED_DECISION", "UNHANDLED_DECISION"]
    signalled = [a["input"] for events in runs for a in attributes(events, "WorkflowExecutionSignaled")]
    assert signalled == ['"first"', '"second"']
