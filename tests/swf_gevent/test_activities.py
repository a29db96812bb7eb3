"""Activity functions: the decorator's options, codecs, context, failures and oversized results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.models.decisions import MAX_DATA_LENGTH, MAX_REASON_LENGTH
from swf_gevent import signals
from swf_gevent.activities import JSON, ActivityContext, ActivityDefinition, ActivityRegistry, activity
from swf_gevent.actors import GreenletActivityWorker
from tests.swf_gevent.actor_support import ACTIVITIES, receivers, register, start_and_schedule

__all__ = ["receivers"]

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


class _Shout:
    """A codec of plain text: input as is, result upper-cased."""

    def decode(self, text: str | None) -> Any:
        return text or ""

    def encode(self, value: Any) -> str | None:
        return str(value).upper()


@activity("echo", task_list="echoes", codec=_Shout())
def echo(text: str) -> str:
    return f"{text}!"


@activity("huge")
def huge(payload: Any) -> str:
    return "x" * (MAX_DATA_LENGTH + 1)


@activity("loud-failure")
def loud_failure(payload: Any) -> None:
    raise RuntimeError("m" * 1000)


@activity("about-me")
def about_me(payload: Any, context: ActivityContext) -> dict[str, Any]:
    return {
        "activity_id": context.activity_id,
        "workflow_id": context.workflow_execution.workflow_id,
        "has_token": bool(context.task_token),
        "cancel_requested": context.cancel_requested,
        "input": payload,
    }


REGISTRY = ActivityRegistry.from_modules([__name__])


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A domain with ``flow/1`` and this module's activity types."""
    register(swf_client, domain_name, REGISTRY)
    return domain_name


def _run_one(
    client: Any,
    domain: str,
    activity_id: str,
    name: str,
    payload: Any,
    signal: Any,
    receivers: Any,
    task_list: str = ACTIVITIES,
) -> tuple[dict[str, Any], Any]:
    """Schedule one activity, run a worker until ``signal`` fires for it; its payload and the execution."""
    receiver = receivers(signal)
    execution = start_and_schedule(client, domain, (activity_id, name, payload))
    worker = GreenletActivityWorker(domain, task_list, REGISTRY, client=client)
    worker.start()
    try:
        return receiver.wait()[0], execution
    finally:
        worker.stop(timeout=10)


def test_decorator_records_options() -> None:
    """@activity keeps name, version, task list, executor, codec and timeouts on the definition."""
    definition = REGISTRY.get("echo", "1")
    assert definition is not None
    assert (definition.name, definition.version, definition.task_list, definition.executor) == (
        "echo",
        "1",
        "echoes",
        "hub",
    )
    assert isinstance(definition.codec, _Shout)
    assert definition.start_to_close_timeout == timedelta(minutes=5)
    assert REGISTRY.get("huge", "1").codec is JSON  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "options, field",
    [
        ({"executor": "fork"}, "executor"),
        ({"task_list": ""}, "task_list"),
        ({"heartbeat_timeout": timedelta(0)}, "heartbeat_timeout"),
        ({"start_to_close_timeout": 300}, "start_to_close_timeout"),
    ],
)
def test_decorator_refuses_bad_options(options: dict[str, Any], field: str) -> None:
    """A bad decorator option is refused when applied, naming the field."""
    with pytest.raises(ValueError, match=field):
        activity("bad", **options)(lambda payload: None)


def test_process_functions_take_no_context() -> None:
    """A function run in a process cannot ask for a context: refused at decoration."""
    with pytest.raises(ValueError, match="process cannot take a context"):

        @activity("bad", executor="process")
        def bad(payload: Any, context: ActivityContext) -> None: ...


def test_codec_is_pluggable(swf_client: Any, domain: str, receivers: Any) -> None:
    """The activity's codec decodes the input and encodes the result; the default task list is its own."""
    payload, execution = _run_one(
        swf_client, domain, "e", "echo", "hello", signals.activity_task_completed, receivers, task_list="echoes"
    )
    assert payload["result"] == "HELLO!"
    assert execution.attributes("ActivityTaskCompleted")[0]["result"] == "HELLO!"


def test_context_describes_the_task(swf_client: Any, domain: str, receivers: Any) -> None:
    """The context gives the activity id, the execution, the token and the cancellation state."""
    payload, _ = _run_one(swf_client, domain, "me", "about-me", [1, 2], signals.activity_task_completed, receivers)
    assert json.loads(payload["result"]) == {
        "activity_id": "me",
        "workflow_id": "wf-1",
        "has_token": True,
        "cancel_requested": False,
        "input": [1, 2],
    }


def test_oversized_result_fails_the_task_saying_so(swf_client: Any, domain: str, receivers: Any) -> None:
    """A result over 32,768 characters fails the task with a reason giving its size and the limit; the worker lives."""
    payload, execution = _run_one(swf_client, domain, "h", "huge", None, signals.activity_task_failed, receivers)
    expected = (
        f"PayloadTooLarge: RespondActivityTaskCompleted.result is {MAX_DATA_LENGTH + 3} characters "
        f"after the payload chain; SWF takes at most {MAX_DATA_LENGTH}"
    )
    assert payload["reason"] == expected
    assert execution.attributes("ActivityTaskFailed")[0]["reason"] == expected


def test_long_failure_reason_is_cut_and_kept_in_details(swf_client: Any, domain: str, receivers: Any) -> None:
    """An exception message over 256 characters: the reason is cut to 256, details keep it whole and the traceback."""
    payload, execution = _run_one(
        swf_client, domain, "l", "loud-failure", None, signals.activity_task_failed, receivers
    )
    assert payload["reason"] == "RuntimeError: " + "m" * 1000
    failed = execution.attributes("ActivityTaskFailed")[0]
    assert len(failed["reason"]) <= MAX_REASON_LENGTH and failed["reason"].startswith("RuntimeError: mmm")
    assert "RuntimeError: " + "m" * 1000 in failed["details"]
    assert "Traceback (most recent call last)" in failed["details"] and "raise RuntimeError" in failed["details"]
    assert len(failed["details"]) <= MAX_DATA_LENGTH


def test_registry_refuses_two_functions_for_one_type() -> None:
    """Two functions for the same (name, version) are refused, naming both."""
    first = ActivityDefinition("twice", "1", function=echo)
    second = ActivityDefinition("twice", "1", function=huge)
    with pytest.raises(ValueError, match="echo.*huge"):
        ActivityRegistry([first, second])


def test_registry_from_functions() -> None:
    """``ActivityRegistry.from_functions`` holds marked functions and refuses unmarked ones and mappings by name."""
    registry = ActivityRegistry.from_functions([d.function for d in REGISTRY])
    assert sorted(d.key for d in registry) == sorted(d.key for d in REGISTRY)
    with pytest.raises(TypeError, match="test_registry_from_functions is not marked with @activity"):
        ActivityRegistry.from_functions([test_registry_from_functions])
    with pytest.raises(TypeError, match="got a dict"):
        ActivityRegistry.from_functions({})
    assert ActivityRegistry.of(registry) is registry


def test_registry_from_modules_refuses_a_module_without_activities() -> None:
    """``from_modules`` names a module holding no @activity function instead of returning an empty registry."""
    with pytest.raises(ValueError, match=r"^no @activity functions in json$"):
        ActivityRegistry.from_modules([__name__, "json"])
    with pytest.raises(ValueError, match=r"^no @activity functions in json$"):
        ActivityRegistry.from_modules([json])
    assert sorted(d.key for d in ActivityRegistry.from_modules(__name__)) == sorted(d.key for d in REGISTRY)


def test_activity_task_list_is_the_registered_default(swf_client: Any, domain_name: str) -> None:
    """@activity(task_list=...) is registered as the type's default task list; without it the group's is."""
    from swf.models import NO_LIMIT, ActivityType, Domain

    @activity("routed", version="1", task_list="special", heartbeat_timeout=None)
    def routed() -> None: ...

    @activity("plain", version="1")
    def plain() -> None: ...

    domain = Domain(domain_name, retention_period=timedelta(days=1), client=swf_client)
    domain.save()
    for definition in ActivityRegistry.of([routed, plain]):
        definition.activity_type(domain, "group-list").save()
    registered = ActivityType(domain, "routed", "1").upstream()
    assert (registered.default_task_list, registered.default_task_heartbeat_timeout) == ("special", NO_LIMIT)
    assert registered.default_task_start_to_close_timeout == timedelta(minutes=5)
    assert ActivityType(domain, "plain", "1").upstream().default_task_list == "group-list"
