"""The retry policy of every SWF call, against the embedded local SWF endpoint.

Faults come from the endpoint's fault injection over loopback HTTP; backoff
delays are read from an injected ``sleep`` (which sleeps nothing and moves an
injected clock), never from wall time.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import gevent
import pytest

from swf.connection import Connection, call, call_pages, make_client
from swf.exceptions import (
    ConnectionError,  # noqa: A004 - swf's own, the one under test
    DoesNotExistError,
    DomainAlreadyExistsError,
    ResponseError,
    SWFError,
    ThrottlingError,
    ValidationError,
)
from swf.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy, is_retryable
from tests.registration import register_flow

pytestmark = pytest.mark.timeout(60)

DECISIONS = "decisions"
ACTIVITIES = "activities"


class Recorder:
    """An injected sleep, clock and on_retry hook: records each delay and retry, sleeps nothing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []
        self.retries: list[tuple[str, int, float, SWFError]] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def on_retry(self, operation: str, attempt: int, delay: float, error: SWFError) -> None:
        self.retries.append((operation, attempt, delay, error))

    def policy(self, **fields: Any) -> RetryPolicy:
        """A policy that sleeps, times and reports through this recorder."""
        return RetryPolicy(sleep=self.sleep, clock=self.clock, on_retry=self.on_retry, **fields)

    @property
    def attempts_retried(self) -> list[int]:
        return [attempt for _, attempt, _, _ in self.retries]


@pytest.fixture
def recorder() -> Recorder:
    """A fresh :class:`Recorder`."""
    return Recorder()


def _count_requests(client: Any) -> list[str]:
    """The SWF operations ``client`` sends over HTTP from now on, one entry a request."""
    sent: list[str] = []

    def before_send(request: Any, **_: Any) -> None:
        sent.append(request.headers["X-Amz-Target"].decode().rsplit(".", 1)[-1])

    connection = Connection.of(client)
    for botocore_client in {id(c): c for c in (connection.client, connection.poll_client)}.values():
        botocore_client.meta.events.register("before-send.swf", before_send)
    return sent


@pytest.fixture
def sent(swf_client: Any) -> list[str]:
    """The operations ``swf_client`` sends during the test, one entry a request."""
    return _count_requests(swf_client)


@pytest.fixture
def domain(swf_client: Any, domain_name: str) -> str:
    """A registered domain with workflow type ``flow/1`` and activity type ``work/1``."""
    register_flow(swf_client, domain_name, [("work", "1")], heartbeat_timeout="NONE")
    return domain_name


def _poll_until_task(client: Any, operation: str, domain: str, task_list: str) -> dict[str, Any]:
    with gevent.Timeout(10):
        while True:
            task = call(client, operation, domain=domain, taskList={"name": task_list})
            if task.get("taskToken"):
                return task


def _scheduled_activity(client: Any, domain: str) -> dict[str, str]:
    """Start ``flow/1`` and schedule one ``work/1`` activity; returns the execution."""
    flow = {"name": "flow", "version": "1"}
    run = call(client, "StartWorkflowExecution", domain=domain, workflowId="wf-1", workflowType=flow)
    execution = {"workflowId": "wf-1", "runId": run["runId"]}
    decision = _poll_until_task(client, "PollForDecisionTask", domain, DECISIONS)
    schedule = {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": {"name": "work", "version": "1"},
            "activityId": "a1",
        },
    }
    call(client, "RespondDecisionTaskCompleted", taskToken=decision["taskToken"], decisions=[schedule])
    return execution


def _started_activity(client: Any, domain: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Start ``flow/1``, schedule one ``work/1`` activity; returns the execution and the activity task."""
    execution = _scheduled_activity(client, domain)
    return execution, _poll_until_task(client, "PollForActivityTask", domain, ACTIVITIES)


def _event_types(client: Any, domain: str, execution: dict[str, str]) -> list[str]:
    return [
        event["eventType"]
        for page in call_pages(client, "GetWorkflowExecutionHistory", domain=domain, execution=execution)
        for event in page["events"]
    ]


# -- over HTTP, with injected faults ----------------------------------------------------------


def test_throttled_call_is_retried_and_succeeds(
    local_swf: Any, swf_client: Any, domain: str, recorder: Recorder, sent: list[str]
) -> None:
    """Two throttled polls are retried; the third attempt answers, after two on_retry reports."""
    local_swf.inject_fault("PollForActivityTask", kind="throttle", count=2)
    answer = call(
        swf_client, "PollForActivityTask", retry=recorder.policy(), domain=domain, taskList={"name": ACTIVITIES}
    )
    assert answer["taskToken"] == ""  # an empty poll: nothing is scheduled
    assert sent == ["PollForActivityTask"] * 3
    assert recorder.attempts_retried == [1, 2]
    assert all(op == "PollForActivityTask" and isinstance(err, ThrottlingError) for op, _, _, err in recorder.retries)
    assert recorder.delays == [delay for _, _, delay, _ in recorder.retries]


def test_dropped_connection_is_retried(local_swf: Any, swf_client: Any, domain_name: str, recorder: Recorder) -> None:
    """A connection closed without an answer is retried as a ConnectionError; the call then takes effect once."""
    local_swf.inject_fault("RegisterDomain", kind="drop")
    call(
        swf_client,
        "RegisterDomain",
        retry=recorder.policy(),
        name=domain_name,
        workflowExecutionRetentionPeriodInDays="1",
    )
    assert recorder.attempts_retried == [1]
    assert isinstance(recorder.retries[0][3], ConnectionError)
    assert call(swf_client, "DescribeDomain", name=domain_name)["domainInfo"]["status"] == "REGISTERED"


@pytest.mark.parametrize(
    ("operation", "params", "error"),
    [
        ("DescribeDomain", {"name": "no-such-domain"}, DoesNotExistError),
        ("RegisterDomain", {"name": "d", "workflowExecutionRetentionPeriodInDays": "abc"}, ValidationError),
        ("RegisterDomain", {"name": "taken", "workflowExecutionRetentionPeriodInDays": "1"}, DomainAlreadyExistsError),
    ],
)
def test_caller_faults_raise_at_once(
    swf_client: Any, recorder: Recorder, operation: str, params: dict[str, Any], error: type[SWFError]
) -> None:
    """UnknownResourceFault, ValidationException and DomainAlreadyExistsFault are sent once, never retried."""
    call(swf_client, "RegisterDomain", name="taken", workflowExecutionRetentionPeriodInDays="1")
    sent = _count_requests(swf_client)
    with pytest.raises(error):
        call(swf_client, operation, retry=recorder.policy(), **params)
    assert sent == [operation]
    assert recorder.retries == []
    assert recorder.delays == []


def test_attempt_cap_raises_the_last_error(
    local_swf: Any, swf_client: Any, recorder: Recorder, sent: list[str]
) -> None:
    """With max_attempts=2, a drop then a throttle raise the throttle (the last error), after 2 requests."""
    local_swf.inject_fault("ListDomains", kind="drop")
    local_swf.inject_fault("ListDomains", kind="throttle")
    with pytest.raises(ThrottlingError) as caught:
        call(swf_client, "ListDomains", retry=recorder.policy(max_attempts=2), registrationStatus="REGISTERED")
    assert caught.value.error_code == "ThrottlingException"
    assert sent == ["ListDomains", "ListDomains"]
    assert [type(err) for _, _, _, err in recorder.retries] == [ConnectionError]


def test_delays_grow_exponentially_up_to_the_cap(
    local_swf: Any, swf_client: Any, recorder: Recorder, sent: list[str]
) -> None:
    """Without jitter the delays are 0.1, 0.2, 0.4 s, then capped at 0.5 s; the sixth attempt succeeds."""
    local_swf.inject_fault("ListDomains", kind="throttle", count=5)
    policy = recorder.policy(max_attempts=6, base_delay=0.1, max_delay=timedelta(seconds=0.5), jitter=lambda: 1.0)
    assert call(swf_client, "ListDomains", retry=policy, registrationStatus="REGISTERED")["domainInfos"] == []
    assert recorder.delays == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert len(sent) == 6


def test_jittered_delays_stay_under_the_growing_ceiling(local_swf: Any, swf_client: Any, recorder: Recorder) -> None:
    """With full jitter each delay lies in [0, min(max_delay, base_delay * 2 ** (n - 1))]."""
    local_swf.inject_fault("ListDomains", kind="throttle", count=7)
    policy = recorder.policy(max_attempts=8, base_delay=0.05, max_delay=1.0, jitter=random.Random(7).random)
    call(swf_client, "ListDomains", retry=policy, registrationStatus="REGISTERED")
    ceilings = [min(1.0, 0.05 * 2**n) for n in range(7)]
    assert len(recorder.delays) == 7
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(recorder.delays, ceilings, strict=True))
    assert recorder.delays != ceilings  # jittered, not the plain ceilings


def test_deadline_shortens_the_last_delay_then_gives_up(
    local_swf: Any, swf_client: Any, recorder: Recorder, sent: list[str]
) -> None:
    """A 1 s deadline: delays 0.4 s then 0.6 s (cut to end at the deadline), then the throttle is raised."""
    local_swf.inject_fault("ListDomains", kind="throttle", count=5)
    policy = recorder.policy(base_delay=0.4, max_delay=5, deadline=timedelta(seconds=1), jitter=lambda: 1.0)
    with pytest.raises(ThrottlingError):
        call(swf_client, "ListDomains", retry=policy, registrationStatus="REGISTERED")
    assert recorder.delays == pytest.approx([0.4, 0.6])
    assert len(sent) == 3


@pytest.mark.parametrize("kind", ["throttle", "drop"])
def test_failed_respond_is_retried_and_the_task_is_done_once(
    local_swf: Any, swf_client: Any, domain: str, recorder: Recorder, kind: str
) -> None:
    """A throttled or dropped RespondActivityTaskCompleted is retried: one ActivityTaskCompleted, no task again."""
    execution, task = _started_activity(swf_client, domain)
    local_swf.inject_fault("RespondActivityTaskCompleted", kind=kind, count=2)
    call(swf_client, "RespondActivityTaskCompleted", retry=recorder.policy(), taskToken=task["taskToken"], result="42")
    assert recorder.attempts_retried == [1, 2]
    events = _event_types(swf_client, domain, execution)
    assert events.count("ActivityTaskCompleted") == 1
    assert "ActivityTaskTimedOut" not in events
    again = call(swf_client, "PollForActivityTask", domain=domain, taskList={"name": ACTIVITIES})
    assert again["taskToken"] == ""  # an empty poll after the endpoint's 1 s poll timeout


def test_call_pages_retries_each_page(local_swf: Any, swf_client: Any, domain: str, recorder: Recorder) -> None:
    """call_pages applies the policy to every page: a throttled listing still yields the domain."""
    local_swf.inject_fault("ListDomains", kind="throttle")
    pages = list(call_pages(swf_client, "ListDomains", retry=recorder.policy(), registrationStatus="REGISTERED"))
    assert [info["name"] for page in pages for info in page["domainInfos"]] == [domain]
    assert recorder.attempts_retried == [1]


def test_a_failing_hook_does_not_stop_the_retry(local_swf: Any, swf_client: Any, recorder: Recorder) -> None:
    """An on_retry hook that raises is logged; the call is still retried and answers."""

    def broken(operation: str, attempt: int, delay: float, error: SWFError) -> None:
        raise RuntimeError("hook failed")

    local_swf.inject_fault("ListDomains", kind="throttle")
    policy = RetryPolicy(sleep=recorder.sleep, on_retry=broken)
    assert call(swf_client, "ListDomains", retry=policy, registrationStatus="REGISTERED")["domainInfos"] == []
    assert len(recorder.delays) == 1


# -- the policy a client carries --------------------------------------------------------------


@pytest.fixture
def client_factory(local_swf: Any) -> Callable[..., Any]:
    """Builds clients to ``local_swf`` with make_client, passing extra keyword arguments on."""

    def build(**kwargs: Any) -> Any:
        return make_client(
            region_name="us-east-1",
            endpoint_url=local_swf.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            **kwargs,
        )

    return build


def test_make_client_policy_is_the_only_retrier(
    local_swf: Any, client_factory: Callable[..., Any], recorder: Recorder
) -> None:
    """A make_client client retries under its own policy only: two HTTP requests for one throttle, one on_retry."""
    client = client_factory(retry=recorder.policy())
    sent = _count_requests(client)
    local_swf.inject_fault("ListDomains", kind="throttle")
    assert call(client, "ListDomains", registrationStatus="REGISTERED")["domainInfos"] == []
    assert sent == ["ListDomains", "ListDomains"]
    assert recorder.attempts_retried == [1]


def test_max_attempts_one_and_retry_none_send_once(local_swf: Any, client_factory: Callable[..., Any]) -> None:
    """make_client(max_attempts=1), make_client(retry=None) and call(retry=None) surface a throttle at once."""
    cases: list[tuple[Any, dict[str, Any]]] = [
        (client_factory(max_attempts=1), {}),
        (client_factory(retry=None), {}),
        (client_factory(), {"retry": None}),
    ]
    for client, retry in cases:
        sent = _count_requests(client)
        local_swf.inject_fault("ListDomains", kind="throttle")
        with pytest.raises(ThrottlingError):
            call(client, "ListDomains", registrationStatus="REGISTERED", **retry)
        assert sent == ["ListDomains"]


def test_make_client_max_attempts_replaces_the_policy_attempts(
    local_swf: Any, client_factory: Callable[..., Any], recorder: Recorder
) -> None:
    """make_client(retry=policy, max_attempts=2) keeps the policy's hooks and gives up after 2 attempts."""
    client = client_factory(retry=recorder.policy(), max_attempts=2)
    local_swf.inject_fault("ListDomains", kind="throttle", count=3)
    with pytest.raises(ThrottlingError):
        call(client, "ListDomains", registrationStatus="REGISTERED")
    assert recorder.attempts_retried == [1]


def test_actors_retry_under_their_clients_policy(
    local_swf: Any, swf_client: Any, client_factory: Callable[..., Any], domain: str, recorder: Recorder
) -> None:
    """ActivityWorker.poll() and complete() ride out a throttle and a drop: the task completes once."""
    from swf.actors import ActivityWorker

    execution = _scheduled_activity(swf_client, domain)
    worker = ActivityWorker(domain, ACTIVITIES, client=client_factory(retry=recorder.policy()))
    local_swf.inject_fault("PollForActivityTask", kind="throttle", count=2)
    polled = worker.poll()
    assert polled is not None and polled.activity_id == "a1"
    local_swf.inject_fault("RespondActivityTaskCompleted", kind="drop")
    worker.complete(polled.task_token, result="done")
    assert [(op, attempt) for op, attempt, _, _ in recorder.retries] == [
        ("PollForActivityTask", 1),
        ("PollForActivityTask", 2),
        ("RespondActivityTaskCompleted", 1),
    ]
    assert _event_types(swf_client, domain, execution).count("ActivityTaskCompleted") == 1


def test_call_refuses_a_retry_that_is_not_a_policy(swf_client: Any) -> None:
    """call(retry=3) raises TypeError naming retry, before anything is sent."""
    with pytest.raises(TypeError, match="retry"):
        call(swf_client, "ListDomains", retry=3, registrationStatus="REGISTERED")


# -- where the endpoint cannot go: 5xx answers ------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Any]]:
    """A client and its botocore Stubber: the local endpoint does not answer 5xx on demand."""
    from botocore.stub import Stubber

    client = make_client(
        region_name="us-east-1", endpoint_url="http://127.0.0.1:9", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client.client) as stubber:  # the client of every operation but the long polls
        yield client, stubber


@pytest.mark.parametrize(("code", "status"), [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_5xx_answers_are_retried(stubbed: tuple[Any, Any], recorder: Recorder, code: str, status: int) -> None:
    """An HTTP 5xx fault is retried; the next answer is returned."""
    client, stubber = stubbed
    stubber.add_client_error("list_domains", service_error_code=code, http_status_code=status)
    stubber.add_response("list_domains", {"domainInfos": []})
    assert call(client, "ListDomains", retry=recorder.policy(), registrationStatus="REGISTERED") == {"domainInfos": []}
    error = recorder.retries[0][3]
    assert isinstance(error, ResponseError) and error.error_code == code


def test_unknown_4xx_fault_is_not_retried(stubbed: tuple[Any, Any], recorder: Recorder) -> None:
    """A fault with an unknown code answered with HTTP 400 is the caller's: raised at once."""
    client, stubber = stubbed
    stubber.add_client_error("list_domains", service_error_code="SomethingElse", http_status_code=400)
    with pytest.raises(ResponseError):
        call(client, "ListDomains", retry=recorder.policy(), registrationStatus="REGISTERED")
    assert recorder.retries == []


# -- the policy value -------------------------------------------------------------------------


def test_errors_classified_retryable() -> None:
    """Throttling, connection, 5xx, 429 and transient codes are retryable; caller faults are not."""

    def fault(cls: type[SWFError], code: str, status: int) -> SWFError:
        response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return cls(code, error_code=code, response=response)

    assert is_retryable(fault(ThrottlingError, "ThrottlingException", 400))
    assert is_retryable(ConnectionError("connection reset"))
    assert is_retryable(fault(ResponseError, "InternalFailure", 500))
    assert is_retryable(fault(ResponseError, "TooManyRequests", 429))
    assert is_retryable(fault(ResponseError, "RequestTimeout", 400))
    assert not is_retryable(fault(DoesNotExistError, "UnknownResourceFault", 400))
    assert not is_retryable(fault(ValidationError, "ValidationException", 400))
    assert not is_retryable(fault(ResponseError, "SomethingElse", 400))
    assert not is_retryable(ResponseError("unparseable answer"))
    assert not is_retryable(RuntimeError("not an SWF error"))


def test_limit_exceeded_exception_backs_off_from_one_second() -> None:
    """LimitExceededException is retried with ceilings from 1 s (a throttle from 0.1 s); SWF's LimitExceededFault is not."""
    slow = ResponseError("LimitExceededException", error_code="LimitExceededException")
    throttle = ThrottlingError("ThrottlingException", error_code="ThrottlingException")
    assert is_retryable(slow)
    assert not is_retryable(ResponseError("LimitExceededFault", error_code="LimitExceededFault"))
    assert [DEFAULT_RETRY.ceiling(n, slow) for n in (1, 2, 3, 5)] == pytest.approx([1, 2, 4, 10])
    assert [DEFAULT_RETRY.ceiling(n, throttle) for n in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])
    sleeps: list[float] = []
    attempts = iter([slow, None])

    def send() -> str:
        error = next(attempts)
        if error is not None:
            raise error
        return "ok"

    policy = RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0)
    assert policy.run("RespondActivityTaskCompleted", send) == "ok"
    assert sleeps == [1.0]


def test_with_deadline_only_shortens() -> None:
    """with_deadline keeps the shorter deadline, and gives an unlimited policy one; None changes nothing."""
    unlimited = RetryPolicy(max_attempts=None, deadline=None)
    assert unlimited.with_deadline(5).deadline == timedelta(seconds=5)
    assert unlimited.with_deadline(None) is unlimited
    assert DEFAULT_RETRY.with_deadline(500) is DEFAULT_RETRY
    assert DEFAULT_RETRY.with_deadline(timedelta(seconds=3)).deadline == timedelta(seconds=3)
    assert DEFAULT_RETRY.with_deadline(-1).deadline == timedelta(milliseconds=1)


def test_no_attempt_cap_retries_until_the_deadline() -> None:
    """max_attempts=None retries past ten attempts, until the deadline passes."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    def send() -> str:
        raise ThrottlingError("ThrottlingException", error_code="ThrottlingException")

    policy = RetryPolicy(
        max_attempts=None, deadline=30, max_delay=1, sleep=sleep, clock=lambda: now[0], jitter=lambda: 1.0
    )
    with pytest.raises(ThrottlingError):
        policy.run("RespondActivityTaskCompleted", send)
    assert len(sleeps) > 25 and now[0] == pytest.approx(30)


def test_durations_accept_seconds_or_timedelta() -> None:
    """Seconds and timedeltas give equal policies, stored as timedelta; callables do not count in equality."""
    seconds = RetryPolicy(base_delay=0.25, max_delay=3, deadline=30)
    deltas = RetryPolicy(
        base_delay=timedelta(milliseconds=250), max_delay=timedelta(seconds=3), deadline=timedelta(seconds=30)
    )
    assert seconds == dataclasses.replace(deltas, sleep=lambda s: None)
    assert seconds.base_delay == timedelta(milliseconds=250)
    assert RetryPolicy(deadline=None).deadline is None


def test_default_policies() -> None:
    """DEFAULT_RETRY: 10 attempts, 0.1 s doubling to 10 s, 120 s deadline; NO_RETRY: one attempt."""
    assert (DEFAULT_RETRY.max_attempts, DEFAULT_RETRY.base_delay, DEFAULT_RETRY.max_delay, DEFAULT_RETRY.deadline) == (
        10,
        timedelta(seconds=0.1),
        timedelta(seconds=10),
        timedelta(seconds=120),
    )
    assert [DEFAULT_RETRY.ceiling(n) for n in (1, 2, 8, 9, 1000)] == pytest.approx([0.1, 0.2, 10, 10, 10])
    assert NO_RETRY.max_attempts == 1


@pytest.mark.parametrize(
    ("fields", "error", "name"),
    [
        ({"max_attempts": 0}, ValueError, "max_attempts"),
        ({"max_attempts": 2.5}, TypeError, "max_attempts"),
        ({"max_attempts": True}, TypeError, "max_attempts"),
        ({"base_delay": -1}, ValueError, "base_delay"),
        ({"base_delay": "1"}, TypeError, "base_delay"),
        ({"max_delay": float("inf")}, ValueError, "max_delay"),
        ({"base_delay": 2, "max_delay": 1}, ValueError, "max_delay"),
        ({"deadline": 0}, ValueError, "deadline"),
        ({"deadline": timedelta(seconds=-1)}, ValueError, "deadline"),
        ({"sleep": None}, TypeError, "sleep"),
        ({"on_retry": "log"}, TypeError, "on_retry"),
    ],
)
def test_bad_fields_are_refused_by_name(fields: dict[str, Any], error: type[Exception], name: str) -> None:
    """Each invalid field raises ValueError or TypeError naming it."""
    with pytest.raises(error, match=name):
        RetryPolicy(**fields)


def test_policy_is_immutable() -> None:
    """A policy cannot be changed in place; dataclasses.replace derives a new one."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RETRY.max_attempts = 3  # type: ignore[misc]
    assert dataclasses.replace(DEFAULT_RETRY, max_attempts=3).max_attempts == 3
    assert DEFAULT_RETRY.max_attempts == 10
