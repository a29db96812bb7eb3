"""The endpoint's one reading of SWF's wire formats: priorities, durations, page tokens, task tokens and run ids."""

from __future__ import annotations

import string
from typing import Any

import pytest
from botocore.exceptions import ClientError

from swf_gevent.local._faults import Fault
from swf_gevent.local._wire import PageTokens, new_run_id, parse_duration, parse_priority, task_token
from tests.local.engine_support import (
    ACTIVITY,
    WORKFLOW,
    decide,
    next_activity,
    next_decision,
    register,
    schedule,
    start,
)

ALNUM = string.ascii_letters + string.digits


def _refusal(send: Any, *args: Any, **params: Any) -> tuple[str, str]:
    """``(code, message)`` of the fault ``send(*args, **params)`` answers."""
    with pytest.raises(ClientError) as caught:
        send(*args, **params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("priority", ["1_000", " 7 ", "7.0", "2147483648", "", "0x10"])
def test_registration_start_and_scheduling_refuse_a_bad_priority_alike(
    swf_client: Any, domain_name: str, priority: str
) -> None:
    """A priority that is not a signed integer in Java's int range is refused the same way everywhere."""
    register(swf_client, domain_name)
    registered = _refusal(
        swf_client.register_activity_type,
        domain=domain_name,
        name="other",
        version="1",
        defaultTaskPriority=priority,
    )
    started = _refusal(
        swf_client.start_workflow_execution,
        domain=domain_name,
        workflowId="wf-bad",
        workflowType=WORKFLOW,
        taskPriority=priority,
    )
    start(swf_client, domain_name)
    task = next_decision(swf_client, domain_name)
    scheduled = _refusal(decide, swf_client, task, schedule(taskPriority=priority))
    expected = f"Invalid value {priority!r} at '{{}}': must be an integer from -2147483648 to 2147483647"
    assert registered == ("ValidationException", expected.format("defaultTaskPriority"))
    assert started == ("ValidationException", expected.format("taskPriority"))
    assert scheduled == (
        "ValidationException",
        expected.format("decisions.1.member.scheduleActivityTaskDecisionAttributes.taskPriority"),
    )


@pytest.mark.parametrize(
    ("text", "number"), [("7", 7), ("+7", 7), ("-2147483648", -(2**31)), ("2147483647", 2**31 - 1)]
)
def test_a_signed_integer_priority_is_read(text: str, number: int) -> None:
    """A sign and ASCII digits within Java's int range are the priority; None (not given) is 0."""
    assert parse_priority(text, "taskPriority") == number
    assert parse_priority(None, "taskPriority") == 0


@pytest.mark.parametrize("value", ["1_000", " 30", "٣", "3.5", "-1", 30])
def test_a_duration_is_whole_ascii_seconds(value: Any) -> None:
    """Durations are ASCII digit strings or NONE; anything else is a ValidationException naming the member."""
    with pytest.raises(Fault) as caught:
        parse_duration(value, "heartbeatTimeout")
    assert caught.value.code == "ValidationException" and "'heartbeatTimeout'" in caught.value.message
    assert parse_duration("30", "heartbeatTimeout") == 30.0
    assert parse_duration("NONE", "heartbeatTimeout") is None


def test_page_tokens_are_bound_to_their_listing() -> None:
    """A page token decodes for the listing it was issued for; another listing or a forged token is refused."""
    tokens = PageTokens()
    token = tokens.encode("history", {"o": 5})
    assert tokens.decode("history", token) == {"o": 5}
    altered = token[:-1] + ("1" if token.endswith("0") else "0")
    for kind, forged in [("domains", token), ("history", altered), ("history", "not-a-token")]:
        with pytest.raises(Fault, match="nextPageToken"):
            tokens.decode(kind, forged)
    with pytest.raises(Fault, match="nextPageToken"):
        PageTokens().decode("history", token)


def test_registry_page_token_refused_by_the_engine(swf_client: Any, domain_name: str) -> None:
    """A ListDomains page token given to GetWorkflowExecutionHistory is refused: one signer, bound to its listing."""
    register(swf_client, domain_name)
    swf_client.register_domain(name=domain_name + "-2", workflowExecutionRetentionPeriodInDays="1")
    page = swf_client.list_domains(registrationStatus="REGISTERED", maximumPageSize=1)
    execution = start(swf_client, domain_name)
    code, message = _refusal(
        swf_client.get_workflow_execution_history,
        domain=domain_name,
        execution=execution,
        nextPageToken=page["nextPageToken"],
    )
    assert code == "ValidationException" and "nextPageToken" in message


def test_issued_ids_start_with_a_letter_or_digit() -> None:
    """Task tokens and run ids never start with '-' (the AWS CLI would read one as an option)."""
    key = b"k" * 32
    tokens = [task_token(key, "domain", f"w{n % 7}", f"r{n // 7}", n) for n in range(2000)]
    runs = [new_run_id() for _ in range(2000)]
    assert all(token[0] in ALNUM for token in tokens + runs)
    assert {len(token) for token in tokens} == {64} and {len(run) for run in runs} == {44}
    assert len(set(tokens)) == len(tokens)


def test_tokens_handed_out_start_with_a_letter_or_digit(swf_client: Any, domain_name: str) -> None:
    """The run id, decision task token and activity task token of a real flow all start with a letter or digit."""
    register(swf_client, domain_name)
    execution = start(swf_client, domain_name)
    decision = next_decision(swf_client, domain_name)
    decide(swf_client, decision, schedule())
    activity = next_activity(swf_client, domain_name)
    assert activity["activityType"] == ACTIVITY
    assert [execution["runId"][0] in ALNUM, decision["taskToken"][0] in ALNUM, activity["taskToken"][0] in ALNUM] == [
        True,
        True,
        True,
    ]
