"""Workflows run on the embedded endpoint, checked by reading their histories."""

from __future__ import annotations

import json
from typing import Any

import gevent

from swf.models import events as ev
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.support import attributes, running, signal, start, wait_closed

ALL_ACTIVITIES = [flows.double, flows.add, flows.flaky, flows.decline, flows.undo]


def _result(events: Any) -> Any:
    [completed] = attributes(events, "WorkflowExecutionCompleted")
    return json.loads(completed["result"])


def test_sequence_ids_and_result(swf_client: Any, domain_name: str) -> None:
    """Activities get ids ``{name}-{n}`` counted per name, and the result completes the execution."""
    with gevent.Timeout(30), running(swf_client, domain_name, [flows.sequence], ALL_ACTIVITIES):
        run_id = start(swf_client, domain_name, flows.sequence, 3, "seq-1")
        events = wait_closed(swf_client, domain_name, "seq-1", run_id)
    ids = [a["activityId"] for a in attributes(events, "ActivityTaskScheduled")]
    assert ids == ["double-1", "double-2", "add-1"]
    assert _result(events) == {"a": 6, "b": 12, "c": 18}
