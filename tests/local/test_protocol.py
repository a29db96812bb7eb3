"""The local endpoint's wire protocol: AWS's error shape, validation, faults, lifecycle."""

from __future__ import annotations

import http.client
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import gevent
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from swf_gevent.local import LocalSWF

ERROR_PREFIX = "com.amazonaws.swf.base.model#"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _subprocess_env() -> dict[str, str]:
    """The environment for a child Python that imports this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _post(
    server: Any,
    body: bytes,
    target: str | None = "SimpleWorkflowService.ListDomains",
    method: str = "POST",
    path: str = "/",
) -> tuple[int, dict[str, Any]]:
    """Send one raw request to ``server``; returns ``(status, decoded JSON body)``."""
    url = urlsplit(server.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        headers["X-Amz-Target"] = target
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def single_attempt_client(local_swf: Any) -> Any:
    """A boto3 client to ``local_swf`` that never retries (``total_max_attempts=1``)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "swf",
        endpoint_url=local_swf.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10),
    )


def _still_serves(server: Any) -> bool:
    status, body = _post(server, b'{"registrationStatus": "REGISTERED"}')
    return status == 200 and body == {"domainInfos": []}


def test_package_exports_localswf_and_its_database_error() -> None:
    """``swf_gevent.local`` exports exactly ``LocalSWF`` and ``StoreError`` (what ``start`` raises for a bad ``db``)."""
    import swf_gevent.local
    from swf_gevent.local._store import StoreError

    assert swf_gevent.local.__all__ == ["LocalSWF", "StoreError"]
    assert swf_gevent.local.LocalSWF is LocalSWF
    assert swf_gevent.local.StoreError is StoreError


def test_importing_packages_loads_neither_ssl_nor_botocore() -> None:
    """Importing ``swf_gevent`` and ``swf_gevent.local`` leaves ssl and botocore unloaded, so gevent can patch first."""
    code = "import sys, swf_gevent, swf_gevent.local; print('ssl' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_subprocess_env()
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_success_answer_carries_json_content_type_and_request_id(local_swf: Any) -> None:
    """A successful call answers 200 with the JSON 1.0 content type and an ``x-amzn-RequestId``."""
    url = urlsplit(local_swf.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/",
            body=b'{"registrationStatus": "REGISTERED"}',
            headers={"X-Amz-Target": "SimpleWorkflowService.ListDomains", "Content-Type": "application/x-amz-json-1.0"},
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert (response.status, body) == (200, {"domainInfos": []})
    assert response.getheader("Content-Type") == "application/x-amz-json-1.0"
    assert response.getheader("x-amzn-RequestId")


def test_malformed_json_is_a_serialization_exception(local_swf: Any) -> None:
    """A body that is not JSON answers 400 SerializationException and the endpoint keeps serving."""
    status, body = _post(local_swf, b'{"registrationStatus": ')
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "SerializationException"
    assert _still_serves(local_swf)


def test_json_that_is_not_an_object_is_a_serialization_exception(local_swf: Any) -> None:
    """A JSON array body answers 400 SerializationException."""
    status, body = _post(local_swf, b"[1, 2]")
    assert (status, body["__type"]) == (400, ERROR_PREFIX + "SerializationException")


def test_unknown_target_is_an_unknown_operation(local_swf: Any) -> None:
    """An X-Amz-Target naming no SWF operation answers 400 UnknownOperationException."""
    status, body = _post(local_swf, b"{}", target="SimpleWorkflowService.LaunchRockets")
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "UnknownOperationException"
    assert "LaunchRockets" in body["message"]
    assert _still_serves(local_swf)


def test_missing_target_is_an_unknown_operation(local_swf: Any) -> None:
    """A request without X-Amz-Target answers 400 UnknownOperationException."""
    status, body = _post(local_swf, b"{}", target=None)
    assert (status, body["__type"]) == (400, ERROR_PREFIX + "UnknownOperationException")


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("PUT", "/"), ("POST", "/elsewhere")])
def test_wrong_method_or_path_is_refused(local_swf: Any, method: str, path: str) -> None:
    """Anything but ``POST /`` answers 400 in AWS's error shape."""
    status, body = _post(local_swf, b"{}", method=method, path=path)
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "UnknownOperationException"
    assert _still_serves(local_swf)


def test_body_over_one_megabyte_is_refused(local_swf: Any) -> None:
    """A body over 1 MB answers 400 ValidationException naming the limit; the endpoint keeps serving."""
    description = "x" * (1024 * 1024)
    payload = json.dumps({"name": "big", "workflowExecutionRetentionPeriodInDays": "1", "description": description})
    status, body = _post(local_swf, payload.encode(), target="SimpleWorkflowService.RegisterDomain")
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "ValidationException"
    assert "1048576" in body["message"]
    assert _still_serves(local_swf)
    status, body = _post(local_swf, b'{"name": "big"}', target="SimpleWorkflowService.DescribeDomain")
    assert body["__type"] == ERROR_PREFIX + "UnknownResourceFault"


def test_over_long_field_names_its_member(local_swf: Any) -> None:
    """A 257-character domain name answers 400 ValidationException naming ``name`` and its limit."""
    payload = json.dumps({"name": "d" * 257, "workflowExecutionRetentionPeriodInDays": "1"}).encode()
    status, body = _post(local_swf, payload, target="SimpleWorkflowService.RegisterDomain")
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "ValidationException"
    assert "at 'name'" in body["message"]
    assert "less than or equal to 256" in body["message"]
    assert _still_serves(local_swf)


def test_missing_required_member_is_named(local_swf: Any) -> None:
    """A request without a required member names it: ``Value null at 'registrationStatus'``."""
    status, body = _post(local_swf, b"{}")
    assert status == 400
    assert body == {
        "__type": ERROR_PREFIX + "ValidationException",
        "message": "1 validation error detected: Value null at 'registrationStatus' failed to satisfy "
        "constraint: Member must not be null",
    }


def test_enum_violation_lists_the_allowed_values(local_swf: Any) -> None:
    """A value outside an enum is refused with the allowed values."""
    status, body = _post(local_swf, b'{"registrationStatus": "ALIVE"}')
    assert status == 400
    assert "at 'registrationStatus'" in body["message"]
    assert "[REGISTERED, DEPRECATED]" in body["message"]


def test_wrong_json_type_is_refused(local_swf: Any) -> None:
    """A number where a string belongs is refused, naming the member."""
    status, body = _post(local_swf, b'{"name": 12}', target="SimpleWorkflowService.DescribeDomain")
    assert status == 400
    assert body["__type"] == ERROR_PREFIX + "ValidationException"
    assert "at 'name'" in body["message"] and "must be a string" in body["message"]


def test_range_violation_is_refused(local_swf: Any) -> None:
    """``maximumPageSize`` above 1000 is refused, naming the member."""
    status, body = _post(local_swf, b'{"registrationStatus": "REGISTERED", "maximumPageSize": 1001}')
    assert status == 400
    assert "at 'maximumPageSize'" in body["message"]


def test_nested_list_member_is_named_by_path(local_swf: Any) -> None:
    """A bad member deep in a list is named by its SWF path (``decisions.1.member...``), errors counted."""
    payload = {
        "taskToken": "t",
        "decisions": [
            {"decisionType": "ScheduleActivityTask", "scheduleActivityTaskDecisionAttributes": {"activityId": "a"}},
            {"decisionType": "Explode"},
        ],
    }
    status, body = _post(
        local_swf, json.dumps(payload).encode(), target="SimpleWorkflowService.RespondDecisionTaskCompleted"
    )
    assert status == 400
    message = body["message"]
    assert message.startswith("2 validation errors detected: ")
    assert "Value null at 'decisions.1.member.scheduleActivityTaskDecisionAttributes.activityType'" in message
    assert "Value 'Explode' at 'decisions.2.member.decisionType'" in message


def test_every_operation_refuses_an_empty_request_with_400(local_swf: Any) -> None:
    """Each of SWF's operations answers ``{}`` with 400 ValidationException naming a required member, never 500."""
    model = botocore.session.get_session().get_service_model("swf")
    for operation in model.operation_names:
        required = model.operation_model(operation).input_shape.required_members
        status, body = _post(local_swf, b"{}", target=f"SimpleWorkflowService.{operation}")
        assert status == 400, operation
        assert body["__type"] == ERROR_PREFIX + "ValidationException", operation
        assert f"Value null at '{required[0]}'" in body["message"], operation


def test_refused_request_changes_nothing(local_swf: Any) -> None:
    """A request refused by validation registers nothing."""
    payload = json.dumps(
        {"name": "half", "workflowExecutionRetentionPeriodInDays": "1", "tags": [{"key": ""}]}
    ).encode()
    status, _ = _post(local_swf, payload, target="SimpleWorkflowService.RegisterDomain")
    assert status == 400
    status, body = _post(local_swf, b'{"name": "half"}', target="SimpleWorkflowService.DescribeDomain")
    assert (status, body["__type"]) == (400, ERROR_PREFIX + "UnknownResourceFault")


def test_throttle_fault_reaches_boto3_as_throttling_exception(local_swf: Any, single_attempt_client: Any) -> None:
    """An injected throttle answers the next call with ThrottlingException; the call after it succeeds."""
    local_swf.inject_fault("ListDomains", kind="throttle", count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            single_attempt_client.list_domains(registrationStatus="REGISTERED")
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert single_attempt_client.list_domains(registrationStatus="REGISTERED")["domainInfos"] == []


def test_throttle_fault_touches_only_its_operation(
    local_swf: Any, single_attempt_client: Any, domain_name: str
) -> None:
    """A throttle injected for one operation leaves the others alone, and the throttled call is not applied."""
    local_swf.inject_fault("RegisterDomain")
    assert single_attempt_client.list_domains(registrationStatus="REGISTERED")["domainInfos"] == []
    with pytest.raises(ClientError):
        single_attempt_client.register_domain(name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    with pytest.raises(ClientError) as caught:
        single_attempt_client.describe_domain(name=domain_name)
    assert caught.value.response["Error"]["Code"] == "UnknownResourceFault"


def test_drop_fault_closes_the_connection_without_answer(
    local_swf: Any, single_attempt_client: Any, domain_name: str
) -> None:
    """An injected drop makes boto3 see a closed connection; the operation is not applied; serving goes on."""
    local_swf.inject_fault("RegisterDomain", kind="drop")
    with pytest.raises(ConnectionClosedError):
        single_attempt_client.register_domain(name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    assert single_attempt_client.list_domains(registrationStatus="REGISTERED")["domainInfos"] == []
    single_attempt_client.register_domain(name=domain_name, workflowExecutionRetentionPeriodInDays="1")
    names = [
        info["name"] for info in single_attempt_client.list_domains(registrationStatus="REGISTERED")["domainInfos"]
    ]
    assert names == [domain_name]


@pytest.mark.parametrize(
    ("operation", "kind", "count"),
    [("Reboot", "throttle", 1), ("ListDomains", "explode", 1), ("ListDomains", "drop", 0)],
)
def test_inject_fault_refuses_bad_arguments(operation: str, kind: str, count: int) -> None:
    """``inject_fault`` refuses an unknown operation, an unknown kind and a count below 1."""
    server = LocalSWF()
    with pytest.raises(ValueError):
        server.inject_fault(operation, kind=kind, count=count)


def test_non_loopback_host_needs_allow_remote() -> None:
    """Binding a non-loopback address without ``allow_remote`` is refused with a ValueError naming the host."""
    with pytest.raises(ValueError, match="0.0.0.0"):
        LocalSWF(host="0.0.0.0")


def test_allow_remote_warns_that_there_is_no_authentication(caplog: pytest.LogCaptureFixture) -> None:
    """``allow_remote=True`` on a non-loopback host logs a warning that the endpoint has no authentication."""
    with caplog.at_level(logging.WARNING, logger="swf_gevent.local._server"):
        LocalSWF(host="0.0.0.0", allow_remote=True)
    assert any("no authentication" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_hosts_need_no_permission(host: str) -> None:
    """Loopback addresses are accepted without ``allow_remote``."""
    assert LocalSWF(host=host).host == host


def test_lifecycle_guards() -> None:
    """``endpoint_url`` needs a started server; starting twice raises; stop is safe before start and twice."""
    unstarted = LocalSWF()
    with pytest.raises(RuntimeError):
        _ = unstarted.endpoint_url
    unstarted.stop()
    assert unstarted.state == "stopped"

    server = LocalSWF()
    server.start()
    try:
        assert server.state == "started"
        assert server.endpoint_url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()
    server.stop()
    assert server.state == "stopped"


def test_stop_closes_the_socket() -> None:
    """After ``stop()`` the port refuses connections."""
    with LocalSWF() as server:
        url = urlsplit(server.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    with pytest.raises(OSError):
        connection.request("POST", "/", body=b"{}")


def test_port_in_use_raises_oserror() -> None:
    """Starting on a port already taken raises OSError and leaves the server stopped."""
    with LocalSWF() as first:
        second = LocalSWF(port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert second.state == "stopped"


def test_concurrent_requests_are_served_together(local_swf: Any, swf_client: Any) -> None:
    """Forty greenlets registering domains at once all succeed and all domains are listed."""
    names = [f"concurrent-{index:02d}" for index in range(40)]
    with gevent.Timeout(30):
        jobs = [
            gevent.spawn(swf_client.register_domain, name=name, workflowExecutionRetentionPeriodInDays="1")
            for name in names
        ]
        gevent.joinall(jobs, raise_error=True)
    listed = [info["name"] for info in swf_client.list_domains(registrationStatus="REGISTERED")["domainInfos"]]
    assert listed == names


def test_serves_a_process_that_is_not_monkey_patched() -> None:
    """``start()`` works in a process gevent has not patched: boto3 registers and lists a domain."""
    code = textwrap.dedent(
        """
        import boto3
        from botocore.config import Config
        from gevent import monkey
        from swf_gevent.local import LocalSWF
        assert not monkey.is_module_patched("socket")
        with LocalSWF(poll_timeout=1) as server:
            client = boto3.client(
                "swf", endpoint_url=server.endpoint_url, region_name="us-east-1",
                aws_access_key_id="local", aws_secret_access_key="local",
                config=Config(retries={"mode": "standard", "max_attempts": 1}),
            )
            client.register_domain(name="plain", workflowExecutionRetentionPeriodInDays="1")
            print([d["name"] for d in client.list_domains(registrationStatus="REGISTERED")["domainInfos"]])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_subprocess_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['plain']"


def _sample(shape: Any, depth: int = 0) -> Any:
    """A small value that satisfies ``shape``'s constraints (first enum value, shortest lengths)."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _sample(member, depth + 1) for name, member in shape.members.items() if depth < 6}
    if kind == "list":
        return [_sample(shape.member, depth + 1)]
    if kind == "string":
        enum = shape.metadata.get("enum")
        return enum[0] if enum else "1" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if kind == "boolean":
        return True
    return 1_700_000_000


def test_no_shape_conforming_request_yields_500(local_swf: Any) -> None:
    """Every operation given a shape-conforming request, or one with a member of the wrong type, answers 200 or 400."""
    model = botocore.session.get_session().get_service_model("swf")
    _post(
        local_swf,
        b'{"name": "1", "workflowExecutionRetentionPeriodInDays": "1"}',
        "SimpleWorkflowService.RegisterDomain",
    )
    answered = 0
    with gevent.Timeout(60):
        for operation in model.operation_names:
            if operation.startswith("PollFor"):
                continue  # an empty poll waits the poll timeout; polls are covered by the engine's tests
            request = _sample(model.operation_model(operation).input_shape)
            variants = [request] + [{**request, name: [{"wrong": "type"}]} for name in request]
            for variant in variants:
                status, body = _post(local_swf, json.dumps(variant).encode(), f"SimpleWorkflowService.{operation}")
                answered += 1
                assert status in (200, 400), (operation, variant, body)
    assert answered > 100


def test_stop_releases_a_parked_poll() -> None:
    """``stop()`` ends a long poll parked on an empty task list instead of holding it for the poll timeout."""
    import boto3
    from botocore.config import Config

    server = LocalSWF(poll_timeout=60.0)
    server.start()
    client = boto3.session.Session().client(
        "swf",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=70),
    )
    client.register_domain(name="parked", workflowExecutionRetentionPeriodInDays="1")
    outcome: list[Any] = []

    def poll() -> None:
        try:
            outcome.append(client.poll_for_decision_task(domain="parked", taskList={"name": "empty"}))
        except ConnectionClosedError as err:
            outcome.append(err)

    with gevent.Timeout(15):
        poller = gevent.spawn(poll)
        while server._app is None or server._app._in_flight == 0:  # wait until the poll is parked
            gevent.sleep(0.005)
        server.stop()
        poller.join()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionClosedError) or outcome[0]["taskToken"] == ""


def test_huge_declared_body_is_answered_without_reading_it(local_swf: Any) -> None:
    """A Content-Length of 1 GB is answered 400 at once and the connection closed, without waiting for the body."""
    url = urlsplit(local_swf.endpoint_url)
    with gevent.Timeout(10):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            connection.putrequest("POST", "/")
            connection.putheader("X-Amz-Target", "SimpleWorkflowService.ListDomains")
            connection.putheader("Content-Length", str(1024**3))
            connection.endheaders(b"{")
            response = connection.getresponse()
            body = json.loads(response.read())
            assert connection.sock is not None
            closed_by_server = connection.sock.recv(1) == b""
        finally:
            connection.close()
    assert (response.status, body["__type"]) == (400, ERROR_PREFIX + "ValidationException")
    assert closed_by_server
    assert _still_serves(local_swf)


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_deeply_nested_json_is_a_serialization_exception(local_swf: Any, opening: bytes) -> None:
    """A body nested 100,000 levels deep answers 400 SerializationException (not a 500) and the endpoint keeps serving."""
    status, body = _post(local_swf, opening * 100_000)
    assert (status, body["__type"]) == (400, ERROR_PREFIX + "SerializationException")
    assert "nested too deeply" in body["message"]
    assert _still_serves(local_swf)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "1e999 is out of range for a JSON number"),
    ],
)
def test_non_finite_json_numbers_are_a_serialization_exception(local_swf: Any, number: str, message: str) -> None:
    """``NaN``, ``Infinity`` and a number overflowing to infinity answer 400 SerializationException naming it."""
    payload = (f'{{"registrationStatus": "REGISTERED", "maximumPageSize": {number}}}').encode()
    status, body = _post(local_swf, payload)
    assert (status, body["__type"]) == (400, ERROR_PREFIX + "SerializationException")
    assert message in body["message"]


def test_stop_closes_kept_alive_connections() -> None:
    """After stop(), a client's kept-alive connection is refused at once instead of waiting out its read timeout."""
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    server = LocalSWF(poll_timeout=1.0)
    server.start()
    client = botocore.session.get_session().create_client(
        "swf",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(read_timeout=30, retries={"total_max_attempts": 1}),
    )
    client.list_domains(registrationStatus="REGISTERED")  # opens the kept-alive connection
    server.stop()
    with gevent.Timeout(20):
        with pytest.raises((EndpointConnectionError, ConnectionClosedError)) as caught:
            client.list_domains(registrationStatus="REGISTERED")
    assert not isinstance(caught.value, ReadTimeoutError)
