"""The runner's batch of executions: started through WorkflowType, awaited through the execution querysets."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.exceptions import ThrottlingError, TypeDeprecatedError
from swf.models import Domain, WorkflowType
from swf.querysets import register
from swf_gevent._batch import ExecutionBatch

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def flow(swf_client: Any, domain_name: str) -> WorkflowType:
    """A registered workflow type with every default a start needs (no decider polls it)."""
    domain = Domain(domain_name, client=swf_client)
    workflow_type = WorkflowType(
        domain,
        "flow",
        "1",
        default_task_list="nobody",
        default_execution_start_to_close_timeout=timedelta(hours=1),
        default_task_start_to_close_timeout=timedelta(minutes=1),
        default_child_policy="TERMINATE",
    )
    register(domain, [workflow_type])
    return workflow_type


def test_open_count_falls_back_to_listing_once(flow: WorkflowType, local_swf: Any, caplog: Any) -> None:
    """A throttled count is raised and counted again next time; a count that fails otherwise is listed, said once."""
    batch = ExecutionBatch(flow, 3, lambda index: f'{{"index": {index}}}')
    with gevent.Timeout(30):
        batch.start()
        assert (len(batch.started), batch.error, batch.open_count()) == (3, None, 3)
        local_swf.inject_fault("CountOpenWorkflowExecutions", "throttle")
        with pytest.raises(ThrottlingError):
            batch.open_count()
        assert batch.open_count() == 3
        assert not [r for r in caplog.records if "cannot count" in r.getMessage()]
        local_swf.inject_fault("CountOpenWorkflowExecutions", "drop")
        assert [batch.open_count() for _ in range(3)] == [3, 3, 3]
    said = [r for r in caplog.records if r.levelno == logging.WARNING and "cannot count" in r.getMessage()]
    assert len(said) == 1


def test_outcome_reads_close_statuses_and_a_reason_from_the_history(flow: WorkflowType) -> None:
    """A terminated execution is counted TERMINATED, with the reason and details its history's last event gives."""
    batch = ExecutionBatch(flow, 2, lambda index: None)
    with gevent.Timeout(30):
        batch.start()
        first = batch.started[min(batch.started)]
        first.terminate(reason="enough", details="the test  stopped it")
        batch.refresh_closed()
        outcome = batch.outcome()
    assert (outcome.requested, outcome.started, dict(outcome.close_statuses)) == (2, 2, {"TERMINATED": 1})
    assert outcome.examples == {"TERMINATED": f"{first.workflow_id}: enough: the test stopped it"}
    assert not outcome.ok


def test_a_deprecated_type_stops_the_starts_at_the_first(flow: WorkflowType, swf_client: Any) -> None:
    """Starting a deprecated type stops the batch at the first refusal, the fault kept as its error."""
    from swf.connection import call

    call(swf_client, "DeprecateWorkflowType", domain=flow.domain.name, workflowType={"name": "flow", "version": "1"})
    batch = ExecutionBatch(flow, 50, lambda index: None)
    with gevent.Timeout(30):
        batch.start()
    assert batch.started == {}
    assert isinstance(batch.error, TypeDeprecatedError)
