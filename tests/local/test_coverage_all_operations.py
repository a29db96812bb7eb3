"""Every SWF operation and decision type, driven through boto3 against the local endpoint.

The operations and decision types the other modules of ``tests/local`` leave
out are driven here, with their history events and fault codes; every
operation naming a resource answers ``UnknownResourceFault`` when that
resource does not exist; and a last test pins that all 39 operations and 13
decision types of botocore's SWF model are driven by some test of the local
endpoint.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.local.engine_support import (
    ACTIVITY,
    WORKFLOW,
    decide,
    decision,
    history,
    last,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
    types,
)

pytestmark = pytest.mark.timeout(60)

_MODEL = botocore.session.get_session().get_service_model("swf")
_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
#: Operations that name no resource that could be missing.
_NO_RESOURCE = {"ListDomains", "RegisterDomain"}
#: Members added to the model's required ones, so that only the missing resource is wrong.
_EXTRA_PARAMS: dict[str, dict[str, Any]] = {
    "ListClosedWorkflowExecutions": {"startTimeFilter": {"oldestDate": _EPOCH}},
    "CountClosedWorkflowExecutions": {"startTimeFilter": {"oldestDate": _EPOCH}},
}


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _code(call: Any, **params: Any) -> str:
    """Call an operation that must fail; returns its SWF fault code."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def _minimal(shape: Any) -> Any:
    """A value of ``shape`` with only its required members, naming things that do not exist."""
    if shape.type_name == "structure":
        return {name: _minimal(shape.members[name]) for name in shape.required_members}
    if shape.type_name == "list":
        return []
    if shape.type_name == "string":
        return shape.enum[0] if shape.enum else "missing"
    if shape.type_name == "timestamp":
        return _EPOCH
    raise AssertionError(f"no minimal value for {shape.name} ({shape.type_name})")


# -- DeleteWorkflowType ------------------------------------------------------------


def test_delete_workflow_type(swf_client: Any, domain_name: str) -> None:
    """DeleteWorkflowType needs a deprecated type, then forgets it; its running execution still completes."""
    register(swf_client, domain_name)
    run = start(swf_client, domain_name)
    assert _code(swf_client.delete_workflow_type, domain=domain_name, workflowType=WORKFLOW) == (
        "TypeNotDeprecatedFault"
    )
    swf_client.deprecate_workflow_type(domain=domain_name, workflowType=WORKFLOW)
    swf_client.delete_workflow_type(domain=domain_name, workflowType=WORKFLOW)

    assert _code(swf_client.describe_workflow_type, domain=domain_name, workflowType=WORKFLOW) == (
        "UnknownResourceFault"
    )
    listed = swf_client.list_workflow_types(domain=domain_name, registrationStatus="DEPRECATED")["typeInfos"]
    assert listed == []
    assert (
        _code(swf_client.start_workflow_execution, domain=domain_name, workflowId="wf-2", workflowType=WORKFLOW)
        == "UnknownResourceFault"
    )
    assert _code(swf_client.delete_workflow_type, domain=domain_name, workflowType=WORKFLOW) == ("UnknownResourceFault")

    decide(swf_client, next_decision(swf_client, domain_name), decision("CompleteWorkflowExecution", result="ok"))
    assert types(history(swf_client, domain_name, run)) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "WorkflowExecutionCompleted",
    ]


# -- UndeprecateActivityType ---------------------------------------------------------


def test_undeprecate_activity_type(swf_client: Any, domain_name: str) -> None:
    """UndeprecateActivityType makes a deprecated type schedulable again; undeprecating twice is refused."""
    register(swf_client, domain_name)
    swf_client.deprecate_activity_type(domain=domain_name, activityType=ACTIVITY)
    run = start(swf_client, domain_name)
    decide(swf_client, next_decision(swf_client, domain_name), schedule("early"))
    assert last(history(swf_client, domain_name, run), "ScheduleActivityTaskFailed")["cause"] == (
        "ACTIVITY_TYPE_DEPRECATED"
    )

    swf_client.undeprecate_activity_type(domain=domain_name, activityType=ACTIVITY)
    info = swf_client.describe_activity_type(domain=domain_name, activityType=ACTIVITY)["typeInfo"]
    assert info["status"] == "REGISTERED"
    assert "deprecationDate" not in info
    assert _code(swf_client.undeprecate_activity_type, domain=domain_name, activityType=ACTIVITY) == (
        "TypeAlreadyExistsFault"
    )

    decide(swf_client, next_decision(swf_client, domain_name), schedule("again"))
    task = next_activity(swf_client, domain_name)
    assert task["activityId"] == "again"
    swf_client.respond_activity_task_completed(taskToken=task["taskToken"], result="done")
    assert types(history(swf_client, domain_name, run))[4:] == [
        "ScheduleActivityTaskFailed",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
    ]


# -- every operation: the unknown-resource fault -------------------------------------


@pytest.mark.parametrize("operation", sorted(set(_MODEL.operation_names) - _NO_RESOURCE))
def test_missing_resource_is_unknown_resource_fault(swf_client: Any, operation: str) -> None:
    """An operation naming a domain, type, execution, task token or ARN that does not exist answers UnknownResourceFault."""
    params = _minimal(_MODEL.operation_model(operation).input_shape)
    params.update(_EXTRA_PARAMS.get(operation, {}))
    if "resourceArn" in params:
        params["resourceArn"] = "arn:aws:swf:us-east-1:123456789012:/domain/missing"
    assert _code(getattr(swf_client, _snake(operation)), **params) == "UnknownResourceFault"


# -- the whole model is driven ---------------------------------------------------------


def test_every_operation_and_decision_type_is_driven() -> None:
    """Each of botocore's 39 SWF operations and 13 decision types is called by some test of the local endpoint."""
    sources = "\n".join(path.read_text() for path in Path(__file__).parent.glob("*.py"))
    operations = set(_MODEL.operation_names)
    decision_types = set(_MODEL.shape_for("DecisionType").enum)
    assert (len(operations), len(decision_types)) == (39, 13)
    # A literal call counts; the parametrized fault test above calls through getattr and does not.
    undriven = sorted(operation for operation in operations if f".{_snake(operation)}(" not in sources)
    undecided = sorted(
        decision_type
        for decision_type in decision_types
        if f'decision("{decision_type}"' not in sources and f'"decisionType": "{decision_type}"' not in sources
    )
    assert undriven == []
    assert undecided == []
