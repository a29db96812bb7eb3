"""swf.payloads: the codec chain, the stores, the checks before sending, config, and replay of encoded histories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import gevent
import pytest
from cryptography.fernet import Fernet as FernetKey

from swf import limits
from swf.actors import ActivityWorker, Decider
from swf.exceptions import PayloadError, PayloadTooLarge, ValidationError
from swf.models import History
from swf.models import decisions as d
from swf.payloads import DirectoryStore, Fernet, MemoryStore, Payloads, Zlib
from tests.swf._history_events import HistoryBuilder, LocalFlow

ROOT = Path(__file__).resolve().parent.parent.parent
FIELD = "RespondActivityTaskCompleted.result"


def encode(payloads: Payloads, text: str | None) -> str | None:
    return payloads.encode(text, FIELD, domain="d", workflow_id="w")


def test_plain_values_pass_through_and_older_values_still_decode() -> None:
    """With no chain values are sent as they are; text without the prefix decodes as itself under any chain."""
    assert encode(Payloads(), '{"a":1}') == '{"a":1}'
    assert Payloads((Zlib(), Fernet(FernetKey.generate_key()))).decode('{"a":1}', FIELD) == '{"a":1}'
    assert encode(Payloads(), None) is None


def test_zlib_keeps_a_compressible_value_inline_and_shorter() -> None:
    """A compressible 100 KB value fits inline once compressed, and decodes back."""
    payloads = Payloads((Zlib(),))
    value = json.dumps(["the same words again"] * 5000)
    sent = encode(payloads, value)
    assert sent is not None and sent.startswith("swfp1:z:") and len(sent) <= limits.MAX_DATA_LENGTH
    assert payloads.decode(sent, FIELD) == value
    assert encode(payloads, '"short"') == '"short"'  # compression would lengthen it: kept plain


def test_wrong_key_is_one_line_naming_the_field() -> None:
    """A value encrypted with another key, or with a codec not configured, fails with one line naming the field."""
    sent = encode(Payloads((Fernet(FernetKey.generate_key()),)), '"secret"')
    with pytest.raises(PayloadError) as caught:
        Payloads((Fernet(FernetKey.generate_key()),)).decode(sent, "ActivityTaskCompleted.result (event 7)")
    assert str(caught.value) == (
        "ActivityTaskCompleted.result (event 7): cannot be decrypted with the configured key (wrong key?)"
    )
    with pytest.raises(PayloadError, match=r"^X.input: encoded with codec 'f', which this process does not"):
        Payloads().decode(sent, "X.input")


def test_offload_off_raises_payload_too_large_naming_the_field() -> None:
    """Too long after the chain with no store: PayloadTooLarge(field, size, limit) before anything is sent."""
    value = os.urandom(40_000).hex()
    with pytest.raises(PayloadTooLarge) as caught:
        encode(Payloads((Zlib(),)), value)
    assert (caught.value.field, caught.value.limit) == (FIELD, limits.MAX_DATA_LENGTH)
    assert caught.value.size > limits.MAX_DATA_LENGTH


def test_decider_complete_refuses_before_any_call() -> None:
    """Decider.complete raises PayloadTooLarge naming the decision's field before calling SWF (no client is reached)."""
    decider = Decider("d", "tl", client=object())  # any call through this client would fail otherwise
    with pytest.raises(PayloadTooLarge, match=r"^CompleteWorkflowExecution.result is 40002 characters"):
        decider.complete("token", [{"decisionType": "CompleteWorkflowExecution",
                                    "completeWorkflowExecutionDecisionAttributes": {"result": json.dumps("x" * 40000)}}])  # fmt: skip


def test_directory_store_is_content_addressed(tmp_path: Path) -> None:
    """One value sent twice is one file under <domain>/<workflow id>/; a fresh process reads it back."""
    payloads = Payloads((Zlib(),), DirectoryStore(tmp_path), threshold=64)
    value = json.dumps(os.urandom(2000).hex())
    first, second = encode(payloads, value), encode(payloads, value)
    assert first == second and first is not None and first.startswith('swfp1@{"driver":"directory"')
    assert [p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()] == [("d", "w")]
    assert Payloads((Zlib(),), DirectoryStore(tmp_path)).decode(first, FIELD) == value


def test_missing_object_and_other_driver_name_the_field() -> None:
    """A reference whose object is gone, or whose driver is not configured, fails naming the field."""
    payloads = Payloads(store=MemoryStore(), threshold=10)
    sent = encode(payloads, json.dumps("y" * 100))
    with pytest.raises(PayloadError, match=r"^F.result: no stored object 'd/w/"):
        Payloads(store=MemoryStore()).decode(sent, "F.result")
    with pytest.raises(PayloadError, match=r"^F.result: stored with driver 'memory'"):
        Payloads().decode(sent, "F.result")


def test_heartbeat_details_offloaded_fit_their_smaller_limit() -> None:
    """Heartbeat details over 2,048 characters are offloaded to a reference that fits."""
    payloads = Payloads(store=MemoryStore())
    sent = payloads.encode(
        "z" * 5000, "RecordActivityTaskHeartbeat.details", domain="d", workflow_id="w",
        limit=limits.MAX_HEARTBEAT_DETAILS_LENGTH,
    )  # fmt: skip
    assert sent is not None and sent.startswith("swfp1@") and len(sent) <= limits.MAX_HEARTBEAT_DETAILS_LENGTH


def test_failure_details_are_never_refused() -> None:
    """Failure details that cannot fit are returned plain, for the usual cut, never PayloadTooLarge."""
    decisions = [d.fail_workflow_execution("boom", "t" * 40000)]
    [sent] = Payloads().encode_decisions(decisions, domain="d", workflow_id="w")
    assert sent == decisions[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"store": "s4"}, "[payloads] store: must be one of s3, directory, memory, none, got 's4'"),
        ({"store": "s3"}, "[payloads] bucket: store = s3 needs a bucket"),
        ({"threshold": "big"}, "[payloads] threshold: must be an integer, got 'big'"),
        ({"encryption": "fernet", "key": "short"}, "[payloads] key: the Fernet key must be 32 url-safe"),
        ({"colour": "red"}, "[payloads] colour: unknown key"),
    ],
)
def test_config_errors_are_one_line_naming_the_key(options: dict[str, str], message: str) -> None:
    """A bad [payloads] option is refused with one line naming the key, never echoing a key's value."""
    with pytest.raises(ValidationError) as caught:
        Payloads.from_options(options)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_fernet_key_from_the_environment_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """encryption = fernet reads SWF_PAYLOAD_KEY; neither repr shows the key."""
    key = FernetKey.generate_key().decode()
    monkeypatch.setenv("SWF_PAYLOAD_KEY", key)
    payloads = Payloads.from_options({"compression": "zlib", "encryption": "fernet"})
    assert payloads.encrypted and key not in repr(payloads)
    assert payloads.decode(encode(payloads, '"v"'), FIELD) == '"v"'


def test_replay_command_decodes_references_with_the_payloads_section(tmp_path: Path) -> None:
    """python -m swf.replay --payloads config.ini replays a recorded history holding references."""
    store = tmp_path / "store"
    payloads = Payloads((Zlib(),), DirectoryStore(store), threshold=64)
    body = json.dumps(os.urandom(3000).hex())
    reference = payloads.encode(body, "RespondActivityTaskCompleted.result", domain="d", workflow_id="replay")
    b = HistoryBuilder(workflow_input="url")
    b.complete_decision()
    s1 = b.schedule_activity("fetch", input="url")
    b.add("ActivityTaskCompleted", scheduledEventId=s1, startedEventId=b.start_activity(s1), result=reference)
    b.start_decision()
    path = tmp_path / "history.json"
    path.write_text(History.from_events(b.events).to_json())
    config = tmp_path / "payloads.ini"
    config.write_text(f"[payloads]\ncompression = zlib\nstore = directory\npath = {store}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "swf.replay", str(path), "tests.swf._replay_deciders:RetryDecider"]
    done = subprocess.run([*command, "--payloads", str(config)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [d.complete_workflow_execution(body)]


class _Gate(MemoryStore):
    """A store whose reads wait until ``parties`` of them are under way at once, counting them."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=10)
        self.gets = 0

    def get(self, key: str) -> bytes:
        self.gets += 1
        self.barrier.wait()  # BrokenBarrierError if the reads come one at a time
        return super().get(key)


def test_references_of_a_history_are_fetched_concurrently_then_cached() -> None:
    """Three references of one history are fetched at once (bounded pool); reading it again fetches nothing."""
    store = _Gate(3)
    payloads = Payloads(store=store, threshold=10, fetch_concurrency=3)
    b = HistoryBuilder(workflow_input=payloads.encode(json.dumps("i" * 50), "x", domain="d", workflow_id="w"))
    b.complete_decision()
    for name in ("a", "b"):
        s = b.schedule_activity(name, input="1")
        result = payloads.encode(json.dumps(name * 50), "x", domain="d", workflow_id="w")
        b.add("ActivityTaskCompleted", scheduledEventId=s, startedEventId=b.start_activity(s), result=result)
    events = History.from_events(b.events).to_document()["events"]
    fresh = Payloads(store=store, fetch_concurrency=3)
    with gevent.Timeout(20):
        decoded = fresh.decode_events(events)
        again = fresh.decode_events(events)
    results = [
        e["activityTaskCompletedEventAttributes"]["result"]
        for e in decoded
        if "activityTaskCompletedEventAttributes" in e
    ]
    assert results == [json.dumps("a" * 50), json.dumps("b" * 50)] and decoded == again
    assert store.gets == 3


def test_activity_input_that_cannot_be_decoded_fails_the_task(swf_client: Any, domain_name: str) -> None:
    """A task input encrypted with another key fails the task with one line naming the field; poll gives None."""
    flow = LocalFlow(swf_client, domain_name)
    run_id = flow.start("wf-1")
    sender = Decider(domain_name, flow.decision_list, client=swf_client,
                     payloads=Payloads((Fernet(FernetKey.generate_key()),)))  # fmt: skip
    task = sender.poll()
    assert task is not None
    sender.complete(
        task.task_token, [d.schedule_activity_task("a1", ("work", "1"), input='"secret"')], workflow_id="wf-1"
    )
    worker = ActivityWorker(domain_name, f"{domain_name}-workers", client=swf_client,
                            payloads=Payloads((Fernet(FernetKey.generate_key()),)))  # fmt: skip
    with gevent.Timeout(20):
        assert worker.poll() is None
    history = flow.history("wf-1", run_id)
    [scheduled] = [e for e in history if e.event_type == "ActivityTaskScheduled"]
    assert scheduled.raw["activityTaskScheduledEventAttributes"]["input"].startswith("swfp1:f:")
    [failed] = [e for e in history if e.event_type == "ActivityTaskFailed"]
    assert failed.raw["activityTaskFailedEventAttributes"]["reason"] == (
        "PayloadError: ActivityTask.input: cannot be decrypted with the configured key (wrong key?)"
    )
