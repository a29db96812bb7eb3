"""The local endpoint's web UI over plain HTTP: pages, filters, paging, escaping, confirmed actions."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import gevent
import pytest

from tests.local.engine_support import history, register, start, types
from tests.local.test_cli import _env
from tests.local.ui_support import completed, csrf_token, get, post, retried_order


@pytest.fixture
def ui_swf() -> Iterator[Any]:
    """A running LocalSWF with the web UI on, 1 s poll timeout."""
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=1.0, ui=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(ui_swf: Any) -> Any:
    """A boto3 SWF client to :func:`ui_swf`."""
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=ui_swf.endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_attempts=1,
    )


def _page(ui_swf: Any, path: str, **params: str) -> str:
    status, body = get(f"{ui_swf.endpoint_url}/ui/{path}?{urllib.parse.urlencode(params)}")
    assert status == 200, body
    return body


def _workflow_ids(body: str) -> list[str]:
    """Workflow ids of the execution links of a list page, in order."""
    return [html.unescape(found) for found in re.findall(r'<a href="/ui/execution\?[^"]*">([^<]*)</a>', body)]


def _timeline(body: str) -> dict[tuple[str, str], list[str]]:
    """The timeline's rows of an execution page: ``{(kind, key): [outcome of each bar]}``."""
    found = re.search(r"<svg .*?</svg>", body, re.S)
    assert found is not None, "no timeline"
    svg = ElementTree.fromstring(found.group(0))
    rows = {}
    for row in svg.iter("{http://www.w3.org/2000/svg}g"):
        if row.get("class") == "row":
            bars = [bar.get("data-outcome", "") for bar in row if bar.get("class") == "bar"]
            assert row.get("data-attempts") == str(len(bars))
            rows[(row.get("data-kind", ""), row.get("data-key", ""))] = bars
    return rows


def test_ui_is_off_unless_asked(local_swf: Any) -> None:
    """Without ``ui=True`` the endpoint serves no page: /ui/ is an SWF protocol error and ui_url is None."""
    status, body = get(f"{local_swf.endpoint_url}/ui/")
    assert status == 400
    assert json.loads(body)["__type"].endswith("#UnknownOperationException")
    assert local_swf.ui_url is None


def test_domains_page_lists_domains_with_counts(ui_swf: Any, client: Any) -> None:
    """/ui/ lists each domain with links to its open and closed executions and their counts."""
    retried_order(client, "shop")
    completed(client, "shop", "order-0")
    status, body = get(ui_swf.ui_url)
    assert status == 200
    assert ">shop</a>" in body
    assert '/ui/executions?domain=shop&amp;status=open">1</a>' in body
    assert '/ui/executions?domain=shop&amp;status=closed">2</a>' in body  # order-0 and the child
    assert "State is kept in memory" in body


def test_executions_filters_and_paging(ui_swf: Any, client: Any) -> None:
    """The list filters by workflow id, type, tag, close status and start time, and pages by 50."""
    register(client, "many")
    for number in range(55):
        start(client, "many", f"run-{number:02d}", tagList=["even" if number % 2 == 0 else "odd"])
    first = _page(ui_swf, "executions", domain="many")
    assert len(_workflow_ids(first)) == 50
    assert ">Open (55)</a>" in first and ">Closed (0)</a>" in first
    next_link = re.search(r'<a href="([^"]+)" class="button light">Next page', first)
    assert next_link is not None
    second_status, second = get(ui_swf.endpoint_url + html.unescape(next_link.group(1)))
    assert second_status == 200
    assert sorted(_workflow_ids(first) + _workflow_ids(second)) == [f"run-{n:02d}" for n in range(55)]
    assert _workflow_ids(_page(ui_swf, "executions", domain="many", workflowId="run-07")) == ["run-07"]
    assert len(_workflow_ids(_page(ui_swf, "executions", domain="many", tag="odd"))) == 27
    both = _page(ui_swf, "executions", domain="many", tag="odd", workflowId="run-07")
    assert _workflow_ids(both) == ["run-07"]
    assert _workflow_ids(_page(ui_swf, "executions", domain="many", tag="even", workflowId="run-07")) == []
    assert _workflow_ids(_page(ui_swf, "executions", domain="many", typeName="other")) == []
    assert _workflow_ids(_page(ui_swf, "executions", domain="many", startedBefore="2000-01-01T00:00")) == []
    assert len(_workflow_ids(_page(ui_swf, "executions", domain="many", startedAfter="2000-01-01T00:00"))) == 50
    client.terminate_workflow_execution(domain="many", workflowId="run-00")
    closed = _page(ui_swf, "executions", domain="many", status="closed", closeStatus="TERMINATED")
    assert _workflow_ids(closed) == ["run-00"]
    assert _workflow_ids(_page(ui_swf, "executions", domain="many", status="closed", closeStatus="COMPLETED")) == []
    assert "run-00" not in _workflow_ids(_page(ui_swf, "executions", domain="many"))


def test_bad_filters_get_one_line_errors(ui_swf: Any, client: Any) -> None:
    """A malformed time, an unknown close status, an unknown domain or execution: an error page, not a traceback."""
    register(client, "d")
    for params, status, message in (
        ({"domain": "d", "startedAfter": "yesterday"}, 400, "startedAfter must be a date and time"),
        ({"domain": "d", "status": "closed", "closeStatus": "DONE"}, 400, "closeStatus must be one of"),
        ({"domain": "nowhere"}, 404, "Unknown domain: nowhere"),
    ):
        got, body = get(f"{ui_swf.endpoint_url}/ui/executions?{urllib.parse.urlencode(params)}")
        assert (got, message in body) == (status, True), body
    got, body = get(f"{ui_swf.endpoint_url}/ui/execution?domain=d&workflowId=none&runId=none")
    assert got == 404 and "UnknownResourceFault" in body
    assert get(f"{ui_swf.endpoint_url}/ui/nothing")[0] == 404


def test_execution_page_shows_input_pending_timeline_and_history(ui_swf: Any, client: Any) -> None:
    """The page shows the input, the pending timer, two attempts of the retried activity, the child's link, every event."""
    execution = retried_order(client, "shop")
    body = _page(ui_swf, "execution", domain="shop", **execution)
    events = history(client, "shop", execution)
    assert "&quot;order&quot;: 1" in body
    assert re.search(r"<td>Timer</td><td>cool-off</td>", body)
    timeline = _timeline(body)
    assert timeline[("activity", "charge")] == ["FAILED", "COMPLETED"]
    assert timeline[("timer", "cool-off")] == ["STARTED"]
    assert timeline[("child", "order-1-invoice")] == ["COMPLETED"]
    child_link = re.search(
        r'<a href="(/ui/execution\?domain=shop&amp;workflowId=order-1-invoice&amp;runId=[^"]+)">', body
    )
    assert child_link is not None
    child_status, child_page = get(ui_swf.endpoint_url + html.unescape(child_link.group(1)))
    assert child_status == 200
    assert "invoice sent" in child_page
    assert f'runId={execution["runId"]}">order-1</a>' in child_page  # the parent's link
    assert re.findall(r'<tr class="event" id="event-(\d+)">', body) == [str(e["eventId"]) for e in events]
    for event_type in types(events):
        assert f"<td>{event_type}</td>" in body


def test_everything_from_users_is_escaped(ui_swf: Any, client: Any) -> None:
    """Markup in ids, tags, inputs, signal names and reasons is shown as text on every page."""
    evil = '<img src=x onerror="alert(1)">'
    register(client, "d")
    execution = start(client, "d", f"wf{evil}", input=evil, tagList=[evil])
    client.signal_workflow_execution(domain="d", workflowId=execution["workflowId"], signalName=evil, input=evil)
    client.terminate_workflow_execution(domain="d", workflowId=execution["workflowId"], reason=evil, details=evil)
    pages = [
        _page(ui_swf, ""),
        _page(ui_swf, "executions", domain="d", status="closed"),
        _page(ui_swf, "executions", domain="d", status="closed", workflowId=execution["workflowId"], tag=evil),
        _page(ui_swf, "execution", domain="d", **execution),
    ]
    status, confirm = get(
        f"{ui_swf.ui_url}confirm?{urllib.parse.urlencode({'action': 'terminate', 'domain': 'd', **execution})}"
    )
    assert status == 409 and "is closed (TERMINATED)" in confirm
    pages.append(confirm)
    for body in pages:
        assert "<img" not in body
        assert 'onerror="' not in body
    assert html.escape(f"wf{evil}") in pages[3]
    assert _workflow_ids(pages[2]) == [f"wf{evil}"]


def test_actions_need_confirmation_and_the_token(ui_swf: Any, client: Any) -> None:
    """Signal, cancel and terminate run only as a POST with the confirmation form's token, then show their events."""
    register(client, "d")
    execution = start(client, "d", "wf")
    ref = {"domain": "d", **execution}
    execution_page = _page(ui_swf, "execution", **ref)
    assert "/ui/confirm?action=terminate" in execution_page
    token = csrf_token(_page(ui_swf, "confirm", action="signal", **ref))
    act = f"{ui_swf.endpoint_url}/ui/act"
    refused = [
        post(act, {"action": "terminate", **ref}),
        post(act, {"action": "terminate", "csrf": "guess", **ref}),
        post(act, {"action": "terminate", "csrf": token, **ref}, {"Origin": "http://evil.example"}),
    ]
    assert [status for status, _ in refused] == [403, 403, 403]
    assert get(act)[0] == 405
    assert types(history(client, "d", execution)) == ["WorkflowExecutionStarted", "DecisionTaskScheduled"]
    status, body = post(act, {"action": "signal", "csrf": token, "signalName": "x" * 300, **ref})
    assert status == 400 and "ValidationException" in body and "signalName" in body
    status, location = post(act, {"action": "signal", "csrf": token, "signalName": "go", "input": "42", **ref})
    assert status == 303 and location.startswith("/ui/execution?") and "done=signal" in location
    assert "Signal sent." in get(ui_swf.endpoint_url + location)[1]
    status, location = post(act, {"action": "cancel", "csrf": token, **ref})
    assert status == 303
    status, location = post(act, {"action": "terminate", "csrf": token, "reason": "by hand", **ref})
    assert status == 303
    events = history(client, "d", execution)
    assert types(events)[2:] == [
        "WorkflowExecutionSignaled",
        "WorkflowExecutionCancelRequested",
        "WorkflowExecutionTerminated",
    ]
    assert events[-1]["workflowExecutionTerminatedEventAttributes"]["reason"] == "by hand"
    after = _page(ui_swf, "execution", **ref)
    assert "TERMINATED" in after and "/ui/confirm?" not in after


def test_module_entry_point_prints_the_ui_address(tmp_path: Path) -> None:
    """``python -m swf_gevent.local --ui`` prints the endpoint URL, then the UI's address, which serves pages."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--port", "0", "--poll-timeout", "1", "--ui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()
        ui_line = process.stdout.readline().strip()
        assert ui_line == f"web UI: {endpoint}/ui/"
        with gevent.Timeout(10), urllib.request.urlopen(ui_line.split(" ", 2)[2], timeout=10) as answer:
            assert answer.status == 200 and b"<h1>Domains</h1>" in answer.read()
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_pages_fetch_nothing_from_elsewhere(ui_swf: Any, client: Any) -> None:
    """Pages hold no script, stylesheet link or external address, and say so in a Content-Security-Policy."""
    execution = retried_order(client, "shop")
    for path in ("", "executions?domain=shop", f"execution?{urllib.parse.urlencode({'domain': 'shop', **execution})}"):
        with urllib.request.urlopen(f"{ui_swf.ui_url}{path}", timeout=10) as answer:
            policy = answer.headers["Content-Security-Policy"]
            body = answer.read().decode("utf-8")
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "<script" not in body and "<link" not in body and "<img" not in body
        assert re.findall(r'(?:href|src|action)="(?!/ui/)([^"]*)"', body) == []


def test_requests_for_another_host_name_are_refused(ui_swf: Any, client: Any) -> None:
    """A loopback endpoint answers 421 to a Host that is not loopback (DNS rebinding), without the form's token."""
    register(client, "d")
    execution = start(client, "d", "wf")
    confirm = f"/ui/confirm?{urllib.parse.urlencode({'action': 'terminate', 'domain': 'd', **execution})}"
    for host, expected in (("evil.example", 421), ("localhost", 200)):
        request = urllib.request.Request(ui_swf.endpoint_url + confirm, headers={"Host": f"{host}:{ui_swf.port}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, body = answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            with err:
                status, body = err.code, err.read().decode("utf-8")
        assert status == expected
        assert ('name="csrf"' in body) == (expected == 200)


def test_ui_url_needs_a_started_endpoint() -> None:
    """``ui_url`` raises before start like ``endpoint_url``; after start it is ``<endpoint_url>/ui/``."""
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=1.0, ui=True)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.ui_url
    with server:
        assert server.ui_url == f"{server.endpoint_url}/ui/"
        assert get(f"{server.endpoint_url}/ui")[0] == 200  # redirected to /ui/
