"""Payloads past 32,768 characters: offload to S3 (moto's server over loopback HTTP) and the embedded SWF endpoint."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from cryptography.fernet import Fernet as FernetKey

from swf import limits
from swf.exceptions import PayloadError, PayloadTooLarge
from swf.models import History
from swf.payloads import DATA_FIELDS, Fernet, MemoryStore, Payloads, S3Store, Zlib
from swf.replay import task_for
from swf_gevent import workflow as wf
from swf_gevent.activities import activity
from swf_gevent.workflow.testing import WorkflowEnvironment, replay
from tests.swf._history_events import HistoryBuilder


@activity("grow", version="1")
def grow(text: str) -> str:
    """200 KB in, 200 KB out: the input reversed."""
    return text[::-1]


@wf.workflow("big", version="1")
def big(ctx: wf.Context, text: str) -> str:
    grown = ctx.execute(grow, text)
    ctx.side_effect(lambda: grown[:5])
    return hashlib.sha256(grown.encode()).hexdigest()


@activity("huge", version="1")
def huge(n: int) -> str:
    return os.urandom(n).hex()


@wf.workflow("catches", version="1")
def catches(ctx: wf.Context, n: int) -> str:
    try:
        ctx.execute(huge, n)
    except wf.ActivityFailed as err:
        return str(err.reason)
    return "fitted"


@pytest.fixture
def s3() -> Iterator[Any]:
    """moto's S3 server on a free loopback port, a client to it and an empty bucket (``client.bucket``).

    moto keeps its buckets in the process, across servers: each test gets a fresh bucket name.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.bucket = f"payloads-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=client.bucket)
        yield client
        client.close()
    finally:
        server.stop()


def objects(client: Any) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=client.bucket).get("Contents", [])
    out = {}
    for item in listed:
        body = client.get_object(Bucket=client.bucket, Key=item["Key"])["Body"]
        out[item["Key"]] = body.read()
        body.close()
    return out


def data_fields(history: History) -> list[str]:
    fields = []
    for event in history.to_document()["events"]:
        for key, attributes in event.items():
            if key.endswith("EventAttributes"):
                fields.extend(attributes[name] for name in DATA_FIELDS if isinstance(attributes.get(name), str))
    return fields


def test_200kb_input_and_activity_result_round_trip_through_s3(s3: Any) -> None:
    """A 200 KB workflow input and a 200 KB activity result arrive whole; every field of the history fits SWF."""
    text = os.urandom(100_000).hex()
    payloads = Payloads((Zlib(),), S3Store(s3.bucket, "swf/", s3))
    with gevent.Timeout(60), WorkflowEnvironment([big], [grow], payloads=payloads) as env:
        run = env.start(big, text)
        assert run.result(timeout=30) == hashlib.sha256(text[::-1].encode()).hexdigest()
        history = run.history()
    fields = data_fields(history)
    assert max(len(f) for f in fields) <= limits.MAX_DATA_LENGTH
    assert sum(f.startswith("swfp1@") for f in fields) >= 3  # workflow input, activity input, activity result
    assert all(key.startswith(f"swf/{env.domain}/{run.workflow_id}/") for key in objects(s3))
    assert replay(history, [big], payloads=payloads) == []


def test_same_value_twice_makes_one_object(s3: Any) -> None:
    """Sending one value twice (a retried answer) stores one object and gives the same reference."""
    payloads = Payloads((Zlib(),), S3Store(s3.bucket, "swf/", s3), threshold=100)
    value = json.dumps(os.urandom(5000).hex())
    first = payloads.encode(value, "RespondActivityTaskCompleted.result", domain="d", workflow_id="w")
    second = payloads.encode(value, "RespondActivityTaskCompleted.result", domain="d", workflow_id="w")
    assert first == second and first is not None and first.startswith("swfp1@")
    assert len(objects(s3)) == 1
    fresh = Payloads((Zlib(),), S3Store(s3.bucket, "swf/", s3))  # another process: no cache
    assert fresh.decode(first, "ActivityTaskCompleted.result") == value


def test_encrypted_payload_unreadable_in_history_and_bucket(s3: Any) -> None:
    """With Fernet, neither the history nor the bucket shows the value; a wrong key is a one-line error naming the field."""
    text = "needle-" + os.urandom(100_000).hex()
    key = FernetKey.generate_key()
    payloads = Payloads((Zlib(), Fernet(key)), S3Store(s3.bucket, "swf/", s3))
    with gevent.Timeout(60), WorkflowEnvironment([big], [grow], payloads=payloads) as env:
        run = env.start(big, text)
        run.result(timeout=30)
        history = run.history()
    stored = objects(s3)
    assert stored and not any(b"needle" in body or b"eldeen" in body for body in stored.values())
    recorded = history.to_json()
    assert "needle" not in recorded and "eldeen" not in recorded
    wrong = Payloads((Zlib(), Fernet(FernetKey.generate_key())), S3Store(s3.bucket, "swf/", s3))
    with pytest.raises(PayloadError) as caught:
        wrong.decode_events(history.to_document()["events"])
    assert caught.value.field == "WorkflowExecutionStarted.input (event 1)"
    assert "\n" not in str(caught.value) and "wrong key" in str(caught.value)


def test_offload_off_refuses_large_input_before_any_call() -> None:
    """With no store, a 200 KB workflow input raises PayloadTooLarge naming the field, and no execution starts."""
    text = os.urandom(100_000).hex()
    with gevent.Timeout(60), WorkflowEnvironment([big], [grow], payloads=Payloads((Zlib(),))) as env:
        with pytest.raises(PayloadTooLarge) as caught:
            env.start(big, text)
        assert caught.value.field == "StartWorkflowExecution.input"
        assert caught.value.limit == limits.MAX_DATA_LENGTH and caught.value.size > limits.MAX_DATA_LENGTH
        opened = env._call("CountOpenWorkflowExecutions", domain=env.domain, startTimeFilter={"oldestDate": 0})
        assert opened["count"] == 0


def test_activity_result_too_large_fails_its_task_with_the_reason() -> None:
    """An activity result that cannot fit fails the task with PayloadTooLarge as its reason."""
    with gevent.Timeout(60), WorkflowEnvironment([catches], [huge]) as env:
        reason = env.start(catches, 30_000).result(timeout=30)
    assert reason.startswith("PayloadTooLarge: RespondActivityTaskCompleted.result is 60002 characters")


@wf.workflow("big-result", version="1")
def big_result(ctx: wf.Context, n: int) -> str:
    return "x" * n


def test_workflow_result_too_large_holds_the_decision_task_and_is_offloaded_with_a_store() -> None:
    """A result that cannot fit holds the task as a workflow bug (PayloadTooLarge as the cause), never sent truncated."""
    history = History.from_events(HistoryBuilder(workflow_input="40000", workflow_type=("big-result", "1")).events)
    with pytest.raises(wf.WorkflowCodeError) as caught:
        wf.WorkflowDecider([big_result]).decide(task_for(history))
    assert isinstance(caught.value.__cause__, PayloadTooLarge)
    assert caught.value.__cause__.field == "CompleteWorkflowExecution.result"
    store = MemoryStore()
    [done] = wf.WorkflowDecider([big_result], payloads=Payloads(store=store), domain="d").decide(task_for(history))
    sent = done["completeWorkflowExecutionDecisionAttributes"]["result"]
    assert sent.startswith("swfp1@") and len(store.objects) == 1


@wf.workflow("waits", version="1")
def waits(ctx: wf.Context, _: Any) -> int:
    return len(ctx.wait_signal("load"))


def test_large_signal_input_is_offloaded_and_delivered() -> None:
    """A 100 KB signal input reaches the workflow whole while the history holds a reference."""
    store = MemoryStore()
    with gevent.Timeout(60), WorkflowEnvironment([waits], payloads=Payloads(store=store)) as env:
        run = env.start(waits, None)
        run.signal("load", "s" * 100_000)
        assert run.result(timeout=30) == 100_000
        [signaled] = [e for e in run.history().to_document()["events"] if e["eventType"] == "WorkflowExecutionSignaled"]
    assert signaled["workflowExecutionSignaledEventAttributes"]["input"].startswith('swfp1@{"driver":"memory"')
