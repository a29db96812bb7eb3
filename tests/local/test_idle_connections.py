"""The local endpoint closes connections that sit idle or send their request headers too slowly."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import gevent
import pytest

from swf_gevent.local import LocalSWF


@pytest.fixture
def strict_swf() -> Iterator[LocalSWF]:
    """A LocalSWF closing connections idle 0.5 s, or whose headers take over 0.5 s; polls held 1 s."""
    server = LocalSWF(poll_timeout=1.0, idle_timeout=0.5, header_timeout=0.5)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _connect(server: LocalSWF) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock``: end of stream (or a reset) before any byte arrives, within 5 s."""
    with gevent.Timeout(5, AssertionError("the server kept the connection open")):
        try:
            return sock.recv(1) == b""
        except ConnectionResetError:
            return True


def _request(operation: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: SimpleWorkflowService.{operation}\r\n"
        f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_connections_that_never_send_are_closed(strict_swf: LocalSWF) -> None:
    """Fifty connections that send nothing are all closed by the endpoint after its idle timeout."""
    sockets = [_connect(strict_swf) for _ in range(50)]
    try:
        assert [_closed_by_server(sock) for sock in sockets] == [True] * 50
    finally:
        for sock in sockets:
            sock.close()


def test_a_kept_alive_connection_is_closed_once_idle(strict_swf: LocalSWF) -> None:
    """After an answered request, a kept-alive connection that sends nothing more is closed."""
    with _connect(strict_swf) as sock:
        sock.sendall(_request("ListDomains", {"registrationStatus": "REGISTERED"}))
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        assert _closed_by_server(sock)


def test_a_connection_with_incomplete_headers_is_closed(strict_swf: LocalSWF) -> None:
    """A request line and half its headers, then silence: the endpoint closes the connection without an answer."""
    with _connect(strict_swf) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n")
        assert _closed_by_server(sock)


def test_a_held_poll_outlives_the_header_timeout(strict_swf: LocalSWF, domain_name: str) -> None:
    """A poll held 1 s (past the 0.5 s header timeout) is answered empty, then the connection serves another call."""
    with _connect(strict_swf) as sock:
        register = {"name": domain_name, "workflowExecutionRetentionPeriodInDays": "1"}
        sock.sendall(_request("RegisterDomain", register))
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        with gevent.Timeout(5):
            sock.sendall(_request("PollForActivityTask", {"domain": domain_name, "taskList": {"name": "work"}}))
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            sock.sendall(_request("DescribeDomain", {"name": domain_name}))
            assert _read_response(sock).startswith(b"HTTP/1.1 200")


def test_idle_timeout_defaults_past_the_long_poll() -> None:
    """Without idle_timeout, a connection is kept the poll timeout plus 15 s; bad values are refused."""
    assert LocalSWF(poll_timeout=1.0).idle_timeout == 16.0
    assert LocalSWF().idle_timeout == 75.0 and LocalSWF().header_timeout == 5.0
    for bad in ({"idle_timeout": 0}, {"header_timeout": float("inf")}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            LocalSWF(**bad)
