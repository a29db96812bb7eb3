"""The local SWF endpoint: a gevent WSGI server speaking SWF's JSON 1.0 protocol.

:class:`LocalSWF` serves ``POST /`` with ``X-Amz-Target:
SimpleWorkflowService.<Operation>`` from a dedicated native thread that runs
its own gevent hub, so it works in a monkey-patched process and in a plain
one alike. Every request is checked (method, path, target, size, JSON,
botocore's input shape) before it reaches the registry or the engine; any
client mistake is answered with HTTP 400 and AWS's error body
``{"__type": "com.amazonaws.swf.base.model#<Code>", "message": ...}``. The
JSON is strict: ``NaN``, ``Infinity`` and numbers beyond a float's range
(not JSON numbers to SWF) and nesting deeper than the parser allows are a
``SerializationException``.

With ``ui=True`` the same server also answers ``/ui/`` paths with the web UI
(:mod:`swf_gevent.local._ui`), which reads and steers the registry and the
engine through their operations, on the server thread too.

All endpoint state (registry, engine, injected faults) is touched only from
the server thread, except the fault counters, which sit behind a native lock,
and the clock, which any thread may read. :meth:`LocalSWF.skip` and
:meth:`LocalSWF.set_time_skipping` run in the server thread's hub and wait for it.
"""

from __future__ import annotations

import _socket
import contextlib
import datetime
import gc
import ipaddress
import json
import logging
import math
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import gevent
import gevent.event
import gevent.pool
import gevent.socket
from gevent import monkey
from gevent.pywsgi import WSGIHandler, WSGIServer

from swf_gevent.local._engine import MAX_POLLS_PER_TASK_LIST, Engine
from swf_gevent.local._faults import FAULT_KINDS, Fault, FaultTable
from swf_gevent.local._registry import Registry
from swf_gevent.local._store import Journal, Store, StoreError
from swf_gevent.local._tasks import poller_gone
from swf_gevent.local._timers import Clock
from swf_gevent.local._validation import operation_names, validate

__all__ = ["HEADER_TIMEOUT", "IDLE_MARGIN", "LocalSWF", "MAX_BODY_BYTES", "StoreError", "is_loopback"]

log = logging.getLogger(__name__)

#: Largest request body accepted, in bytes (SWF's 1 MB request limit).
MAX_BODY_BYTES = 1024 * 1024
#: Seconds :meth:`LocalSWF.start` waits for the socket to listen.
_START_TIMEOUT = 10.0
#: Seconds a call marshalled to the server thread (:meth:`LocalSWF.skip`) may take to be answered.
_CALL_TIMEOUT = 10.0
#: The clock's limit, epoch seconds: the last time a datetime holds.
_LATEST_TIME = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc).timestamp()
#: Seconds :meth:`LocalSWF.stop` lets running requests finish after releasing polls.
_DRAIN_TIMEOUT = 5.0
#: Seconds a kept-alive connection may stay idle beyond the long-poll time before it is closed.
IDLE_MARGIN = 15.0
#: Seconds a request's line and headers get, from their first byte, before the connection is closed.
HEADER_TIMEOUT = 5.0

#: Bodies refused for size are still read and discarded up to this many bytes, so
#: the client reads the 400 answer; a larger one gets the answer and a closed connection.
_DISCARD_LIMIT = 8 * MAX_BODY_BYTES
_CLOSE_KEY = "swf_gevent.local.close"
#: environ key of the handler's ``watch(gone) -> stop`` for a PollFor*Task request.
_WATCH_KEY = "swf_gevent.local.watch_client"
_TARGET_PREFIX = "SimpleWorkflowService."
_CONTENT_TYPE = "application/x-amz-json-1.0"
_THROTTLE_BODY = {"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded"}
_REGISTRY_OPERATIONS = frozenset(
    {
        "RegisterDomain",
        "DeprecateDomain",
        "UndeprecateDomain",
        "DescribeDomain",
        "ListDomains",
        "RegisterWorkflowType",
        "DeprecateWorkflowType",
        "UndeprecateWorkflowType",
        "DeleteWorkflowType",
        "DescribeWorkflowType",
        "ListWorkflowTypes",
        "RegisterActivityType",
        "DeprecateActivityType",
        "UndeprecateActivityType",
        "DeleteActivityType",
        "DescribeActivityType",
        "ListActivityTypes",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    }
)
#: Operations that park until a task comes; withdrawn when their client goes away.
_POLL_OPERATIONS = frozenset({"PollForDecisionTask", "PollForActivityTask"})
_READ = 1  # the event loop's "readable" event mask

_allocate_lock = monkey.get_original("_thread", "allocate_lock")
_start_new_thread = monkey.get_original("_thread", "start_new_thread")
_get_ident = monkey.get_original("_thread", "get_ident")


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``"localhost"`` or an IP address) is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_constant(name: str) -> Any:
    """``json.loads``' hook for ``NaN``, ``Infinity`` and ``-Infinity``: SWF's JSON has no such numbers."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """``json.loads``' hook for numbers with a fraction or exponent: ``1e999`` overflows to no finite float."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def _operation_of(environ: dict[str, Any]) -> str | None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith(_TARGET_PREFIX):
        return None
    operation = target[len(_TARGET_PREFIX) :]
    return operation if operation in operation_names() else None


class _Application:
    """The WSGI application: protocol checks, validation, dispatch, error shape.

    :param registry: answers the registration operations.
    :param engine: answers the execution operations.
    :param faults: injected faults.
    """

    def __init__(self, registry: Registry, engine: Engine, faults: FaultTable) -> None:
        self.registry = registry
        self.engine = engine
        self._faults = faults
        #: The web UI's WSGI application, answering ``/ui`` paths, or ``None`` when it is off.
        self.ui: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]] | None = None
        self._in_flight = 0
        self._idle = gevent.event.Event()
        self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no request is running, at most ``timeout`` seconds; ``True`` if idle."""
        return bool(self._idle.wait(timeout))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if self.ui is not None and (path == "/ui" or path.startswith("/ui/")):
            return self.ui(environ, start_response)
        self._in_flight += 1
        self._idle.clear()
        request_id = str(uuid.uuid4())
        try:
            status, body = self._answer(environ, request_id)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = [
            ("Content-Type", _CONTENT_TYPE),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", request_id),
        ]
        start_response(status, headers)
        return [payload]

    def _answer(self, environ: dict[str, Any], request_id: str) -> tuple[str, dict[str, Any]]:
        operation = _operation_of(environ)
        try:
            request = self._read(environ, operation)
            assert operation is not None
            if self._faults.take(operation, "throttle"):
                log.debug("%s %s answered with an injected throttle", request_id, operation)
                return "400 Bad Request", dict(_THROTTLE_BODY)
            validated = validate(operation, request)
            response = self._dispatch_watched(environ, operation, validated)
        except Fault as fault:
            log.debug("%s %s -> %s: %s", request_id, operation, fault.code, fault.message)
            return f"{fault.status} {'Bad Request' if fault.status == 400 else 'Error'}", fault.body()
        except Exception:
            log.exception("%s %s failed inside the endpoint", request_id, operation)
            return "500 Internal Server Error", {
                "__type": "com.amazonaws.swf.base.model#InternalFailure",
                "message": f"The endpoint failed to process request {request_id}",
            }
        log.debug("%s %s -> 200", request_id, operation)
        return "200 OK", response

    def _read(self, environ: dict[str, Any], operation: str | None) -> Any:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO", "/") not in ("/", ""):
            raise Fault(
                "UnknownOperationException",
                f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} is not served; send POST / with X-Amz-Target",
            )
        if operation is None:
            target = environ.get("HTTP_X_AMZ_TARGET")
            raise Fault("UnknownOperationException", f"Unknown operation in X-Amz-Target: {target!r}")
        length_header = environ.get("CONTENT_LENGTH") or ""
        stream = environ["wsgi.input"]
        if length_header:
            try:
                length = int(length_header)
            except ValueError:
                raise Fault("SerializationException", f"Invalid Content-Length: {length_header!r}") from None
            if length > MAX_BODY_BYTES:
                if length > _DISCARD_LIMIT:
                    environ[_CLOSE_KEY] = True
                raise Fault(
                    "ValidationException",
                    f"Request body of {length} bytes exceeds the limit of {MAX_BODY_BYTES} bytes",
                )
            raw = stream.read(length) if length else b""
        else:
            raw = stream.read(MAX_BODY_BYTES + 1)
            if len(raw) > MAX_BODY_BYTES:
                raise Fault("ValidationException", f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes")
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise Fault(
                "SerializationException", "Malformed JSON request body: arrays or objects nested too deeply"
            ) from None
        except (UnicodeDecodeError, ValueError) as err:
            raise Fault("SerializationException", f"Malformed JSON request body: {err}") from None

    def _dispatch_watched(self, environ: dict[str, Any], operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Dispatch; a poll (body read by now) is withdrawn if its client goes away while it is held."""
        watch: Callable[[gevent.event.Event], Callable[[], None]] | None = environ.get(_WATCH_KEY)
        if watch is None:
            return self._dispatch(operation, request)
        gone = gevent.event.Event()
        stop_watching = watch(gone)
        token = poller_gone.set(gone)
        try:
            return self._dispatch(operation, request)
        finally:
            poller_gone.reset(token)
            stop_watching()

    def _dispatch(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        method_name = _snake(operation)
        target: Any = self.registry if operation in _REGISTRY_OPERATIONS else self.engine
        method = getattr(target, method_name, None)
        if method is None:
            raise Fault("OperationNotPermittedFault", f"{operation} is not implemented by this endpoint")
        response = method(request)
        return response if response is not None else {}


class _ClientWatch:
    """Sets ``gone`` once the client side of ``sock`` is closed (EOF) or reset.

    An event-loop read watcher on the socket, no greenlet and no loop: when
    the socket turns readable the next byte is peeked (``MSG_PEEK``, not
    consumed). End of stream or an error sets ``gone``; data (a pipelined
    request) means the client is still there, and the watch ends, so the
    readable socket does not wake it again.
    """

    def __init__(self, sock: Any, gone: gevent.event.Event) -> None:
        self._fd: int = sock.fileno()
        self._gone = gone
        self._io: Any = gevent.get_hub().loop.io(self._fd, _READ)
        self._io.start(self._readable)

    def _readable(self) -> None:
        try:
            peeker = _socket.socket(fileno=self._fd)
        except OSError:
            data = b""
        else:
            try:
                data = peeker.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            finally:
                peeker.detach()
        self.close()
        if not data:
            self._gone.set()

    def close(self) -> None:
        """Stop watching (idempotent)."""
        io, self._io = self._io, None
        if io is not None:
            io.stop()
            io.close()


class _SlowHeaders(BaseException):
    """Raised into a handler whose request line and headers took too long.

    A ``BaseException`` so that pywsgi's ``except Exception`` (which answers a
    400 to a client error) lets it through to :meth:`_Handler.handle_one_request`.
    """


class _Handler(WSGIHandler):  # type: ignore[misc]
    """pywsgi's handler, plus connection deadlines and injected connection drops.

    A connection with no request for the server's ``idle_timeout`` seconds is
    closed, and so is one whose request line and headers are not complete
    ``header_timeout`` seconds after their first byte (pywsgi has neither).
    A PollFor*Task call parks with a :class:`_ClientWatch` on its socket: if the
    client closes the connection while the poll is held, the poll is withdrawn
    (:data:`~swf_gevent.local._tasks.poller_gone`) so no task is handed to it.
    An injected drop closes the socket without an answer.
    """

    _header_deadline: gevent.Timeout | None = None

    def handle_one_request(self) -> Any:
        server = self.server
        if not self._request_arrives(server.idle_timeout):
            return None
        self._header_deadline = gevent.Timeout(server.header_timeout, _SlowHeaders())
        self._header_deadline.start()
        try:
            return super().handle_one_request()
        except _SlowHeaders:
            log.debug(
                "Closing a connection from %s: request headers incomplete after %ss",
                self.client_address,
                server.header_timeout,
            )
            self.close_connection = True
            return None
        finally:
            self._header_deadline.close()

    def read_request(self, raw_requestline: str) -> Any:
        try:
            return super().read_request(raw_requestline)
        finally:  # the headers are in: the application may take its time (a held poll)
            if self._header_deadline is not None:
                self._header_deadline.cancel()

    def _request_arrives(self, idle_timeout: float) -> bool:
        """Wait for the first byte of the next request; ``False`` at end of stream or after ``idle_timeout`` s."""
        idle = gevent.Timeout(idle_timeout)
        try:
            with idle:
                return bool(self.rfile.peek(1))
        except gevent.Timeout as err:
            if err is not idle:
                raise
            log.debug("Closing a connection from %s: idle for %ss", self.client_address, idle_timeout)
        except OSError:
            pass
        self.close_connection = True
        return False

    def run_application(self) -> None:
        server = self.server
        operation = _operation_of(self.environ)
        if operation is not None and server.faults.take(operation, "drop"):
            log.debug("%s: dropping the connection (injected fault)", operation)
            self.close_connection = True
            try:
                self.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._client_gone: gevent.event.Event | None = None
        if operation in _POLL_OPERATIONS:
            self.environ[_WATCH_KEY] = self._watch_client
        super().run_application()
        if self._client_gone is not None and self._client_gone.is_set():
            log.debug("%s withdrawn: its client closed the connection", operation)
            self.close_connection = True
        if self.environ.get(_CLOSE_KEY):
            # The refused body is too large to read and discard: answer, then close.
            self.close_connection = True
            try:
                self.socket.shutdown(socket.SHUT_RD)
            except OSError:
                pass

    def _watch_client(self, gone: gevent.event.Event) -> Callable[[], None]:
        """Start a :class:`_ClientWatch` setting ``gone``; returns what stops it."""
        self._client_gone = gone
        return _ClientWatch(self.socket, gone).close


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a database is read back.

    Reading back builds millions of objects, none of them garbage; each full
    collection on the way would walk them all again (3 of the 7 s it took
    for 100,000 executions). The collector is process-wide: it is paused
    only for that while, and only if it was running.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _listen(host: str, port: int, backlog: int = 256) -> gevent.socket.socket:
    """A listening gevent socket on ``host:port``, closed again when it cannot bind.

    gevent's own listener (``StreamServer`` given an address) leaves its
    socket open when ``bind`` fails, which surfaces later as a ResourceWarning.

    :raises OSError: the address could not be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = gevent.socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


class _Server(WSGIServer):  # type: ignore[misc]
    """The pywsgi server, carrying the fault table for :class:`_Handler`."""

    handler_class = _Handler

    def __init__(
        self,
        listener: Any,
        application: Any,
        faults: FaultTable,
        *,
        idle_timeout: float,
        header_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(listener, application, **kwargs)
        self.faults = faults
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout

    def handle(self, sock: Any, address: Any) -> None:
        # pywsgi writes the status line and the body separately; without
        # TCP_NODELAY, Nagle meets the client's delayed ACK and each answer waits 40 ms.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        super().handle(sock, address)


class LocalSWF:
    """An SWF endpoint on loopback, for tests and local runs: in memory, or kept in a database file.

    ::

        with LocalSWF(poll_timeout=1.0) as local:
            client = boto3.client("swf", endpoint_url=local.endpoint_url, ...)

    With ``db``, everything it holds is kept in that SQLite file and taken
    back on the next start: domains, types, executions and histories, open
    tasks, timers and timeouts. Each change is committed before its answer
    is sent, so a killed process loses nothing it acknowledged. On restart
    open executions go on: timers and timeouts count from the recorded times
    (one due while the endpoint was down fires at once), a task handed out
    and never answered times out as SWF's would, and its worker may still
    answer it with the same task token.

    :param host: address to bind; a non-loopback one needs ``allow_remote``.
    :param port: TCP port; 0 picks a free one (see :attr:`endpoint_url`).
    :param poll_timeout: seconds a PollFor*Task call waits for a task before
        answering empty (SWF holds 60 s).
    :param allow_remote: allow binding a non-loopback host. The endpoint
        has no authentication: anyone who reaches it controls it.
    :param region: region in the domain ARNs it hands out.
    :param idle_timeout: seconds a connection may wait for its next request
        before the endpoint closes it; ``None``: ``poll_timeout`` plus
        :data:`IDLE_MARGIN` (15 s), past what a client keeping it for its next
        poll waits.
    :param header_timeout: seconds a request's line and headers get, from
        their first byte, before the endpoint closes the connection
        (:data:`HEADER_TIMEOUT`, 5 s).
    :param time_skipping: start with time skipping on (see
        :meth:`set_time_skipping`); off by default: the clock follows real
        time and moves ahead only by :meth:`skip`.
    :param ui: also serve the web UI under ``/ui/`` on the same port
        (:attr:`ui_url`): domains, executions, histories, timelines, and
        signal / request cancel / terminate behind a confirmation step.
    :param max_polls_per_task_list: PollFor*Task calls one task list may hold
        at once (SWF's quota, 1,000); one more is answered
        ``LimitExceededException``. Tests lower it to reach the limit cheaply.
    :param db: path of the SQLite file that keeps the endpoint's state
        (made when missing; ``~`` is expanded); ``None``: in memory only,
        lost at stop.
        :meth:`start` raises :class:`~swf_gevent.local._store.StoreError`
        when the file cannot be used.
    :raises ValueError: a non-loopback ``host`` without ``allow_remote``, a
        ``poll_timeout`` that is negative, infinite or NaN, an
        ``idle_timeout`` or ``header_timeout`` that is not a positive number
        of seconds, a ``port`` outside 0-65535, or a
        ``max_polls_per_task_list`` that is not an int >= 1, an empty ``db``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        poll_timeout: float = 60.0,
        allow_remote: bool = False,
        *,
        region: str = "us-east-1",
        idle_timeout: float | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        time_skipping: bool = False,
        ui: bool = False,
        max_polls_per_task_list: int = MAX_POLLS_PER_TASK_LIST,
        db: str | None = None,
    ) -> None:
        if not is_loopback(host):
            if not allow_remote:
                raise ValueError(
                    f"host={host!r} is not a loopback address; the local SWF endpoint has no "
                    "authentication, pass allow_remote=True to expose it anyway"
                )
            log.warning("The local SWF endpoint on %s has no authentication: anyone who reaches it controls it", host)
        if not math.isfinite(poll_timeout) or poll_timeout < 0:
            raise ValueError(f"poll_timeout must be a finite number of seconds >= 0, got {poll_timeout!r}")
        if idle_timeout is None:
            idle_timeout = poll_timeout + IDLE_MARGIN
        for name, seconds in (("idle_timeout", idle_timeout), ("header_timeout", header_timeout)):
            if not math.isfinite(seconds) or seconds <= 0:
                raise ValueError(f"{name} must be a finite number of seconds > 0, got {seconds!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, got {port!r}")
        if isinstance(max_polls_per_task_list, bool) or not isinstance(max_polls_per_task_list, int):
            raise ValueError(f"max_polls_per_task_list must be an int, got {max_polls_per_task_list!r}")
        if max_polls_per_task_list < 1:
            raise ValueError(f"max_polls_per_task_list must be >= 1, got {max_polls_per_task_list!r}")
        #: PollFor*Task calls one task list may hold at once.
        self.max_polls_per_task_list = max_polls_per_task_list
        self.host = host
        self.port = port
        self.poll_timeout = float(poll_timeout)
        self.region = region
        #: Seconds an idle connection is kept; seconds a request's headers get.
        self.idle_timeout = float(idle_timeout)
        self.header_timeout = float(header_timeout)
        self.ui = ui
        #: The SQLite file keeping the endpoint's state, or ``None`` (in memory).
        self.db = None if db is None else os.path.expanduser(str(db))
        if self.db == "":
            raise ValueError("db must name a file, got an empty path")
        self.allow_remote = allow_remote
        self.state = "new"
        self._clock = Clock()
        self._time_skipping = bool(time_skipping)
        self._faults = FaultTable()
        self._loop: Any = None
        self._stop_event: gevent.event.Event | None = None
        self._start_error: BaseException | None = None
        self._ready = _allocate_lock()
        self._loaded = _allocate_lock()
        self._done = _allocate_lock()
        self._app: _Application | None = None
        #: Native id of the server thread once started (``time.pthread_getcpuclockid`` takes it).
        self.thread_ident: int | None = None

    def __repr__(self) -> str:
        return f"<LocalSWF {self.host}:{self.port} {self.state}>"

    def __enter__(self) -> LocalSWF:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://<host>:<port>``, for boto3's ``endpoint_url``.

        :raises RuntimeError: before :meth:`start`.
        """
        if self.state == "new":
            raise RuntimeError("LocalSWF is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        """``http://<host>:<port>/ui/``, the web UI's address, or ``None`` when ``ui`` is off.

        :raises RuntimeError: before :meth:`start`.
        """
        endpoint_url = self.endpoint_url  # raises before start, with ui on or off
        return f"{endpoint_url}/ui/" if self.ui else None

    @property
    def registry(self) -> Registry:
        """The endpoint's :class:`~swf_gevent.local._registry.Registry` (read it from the server thread only)."""
        if self._app is None:
            raise RuntimeError("LocalSWF is not started")
        return self._app.registry

    def start(self) -> None:
        """Listen and serve from a dedicated native thread; return once the socket listens.

        With a database, its state is read back first.

        :raises RuntimeError: when already started or stopped, or when the
            server thread failed to listen within 10 s.
        :raises OSError: the address could not be bound.
        :raises StoreError: the database file cannot be used (one line naming it).
        """
        if self.state != "new":
            raise RuntimeError(f"LocalSWF cannot start: it is {self.state}")
        self.state = "starting"
        self._ready.acquire()
        self._loaded.acquire()
        self._done.acquire()
        _start_new_thread(self._serve, ())
        self._loaded.acquire()  # reading a database back takes as long as it takes
        if not self._ready.acquire(True, _START_TIMEOUT):
            self.state = "stopped"
            raise RuntimeError("the local SWF endpoint did not start listening within 10 s")
        if self._start_error is not None:
            self._done.acquire()
            self.state = "stopped"
            raise self._start_error
        self.state = "started"
        log.info("Local SWF endpoint listening on %s", self.endpoint_url)
        if self.ui:
            log.info("Local SWF web UI on %s", self.ui_url)

    def stop(self, timeout: float = _DRAIN_TIMEOUT) -> None:
        """Stop serving: refuse new connections, release parked polls, close all, join the thread.

        Safe before :meth:`start` and when called twice.

        :param timeout: seconds running requests get to finish before their
            connections are closed.
        """
        if self.state != "started":
            if self.state == "new":
                self.state = "stopped"
            return
        self.state = "stopping"
        assert self._loop is not None and self._stop_event is not None
        self._drain_timeout = timeout
        self._loop.run_callback_threadsafe(self._stop_event.set)
        self._done.acquire()
        self._done.release()
        self.state = "stopped"
        log.info("Local SWF endpoint on %s:%s stopped", self.host, self.port)

    @property
    def parked_polls(self) -> int:
        """How many ``PollFor*Task`` calls the endpoint holds open right now, all task lists together.

        What an idle fleet costs the endpoint; safe from any thread; 0 when not serving.
        """
        engine = self._app.engine if self._app is not None else None
        return engine.parked_polls if engine is not None else 0

    def inject_fault(self, operation: str, kind: str = "throttle", count: int = 1) -> None:
        """Make the next ``count`` calls of ``operation`` fail.

        ``"throttle"`` answers HTTP 400 ``ThrottlingException`` (``Rate
        exceeded``) as AWS does, without running the operation; ``"drop"``
        closes the connection without an answer, without running it.

        :param operation: an SWF operation name, ``"PollForDecisionTask"``.
        :param kind: ``"throttle"`` or ``"drop"``.
        :param count: how many calls, at least 1.
        :raises ValueError: an unknown operation or kind, or ``count < 1``.
        """
        if operation not in operation_names():
            raise ValueError(f"operation must be an SWF operation name, got {operation!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        self._faults.add(operation, kind, count)

    def inject_fault_window(
        self, operation: str, kind: str = "throttle", *, seconds: float, fraction: float = 1.0
    ) -> None:
        """For ``seconds`` from now, make ``fraction`` of the calls of ``operation`` fail.

        A storm rather than a count: with ``fraction=0.5`` every second call
        fails, evenly spread, until the time is up. Faults from
        :meth:`inject_fault` are taken first. Windows on one operation add up.

        :param operation: an SWF operation name, ``"RespondActivityTaskCompleted"``.
        :param kind: ``"throttle"`` or ``"drop"``, as for :meth:`inject_fault`.
        :param seconds: how long the window lasts, above 0.
        :param fraction: the share of calls that fail, above 0 and at most 1.
        :raises ValueError: an unknown operation or kind, ``seconds`` not above
            0 or ``fraction`` outside ``(0, 1]``.
        """
        if operation not in operation_names():
            raise ValueError(f"operation must be an SWF operation name, got {operation!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"seconds must be a finite number above 0, got {seconds!r}")
        if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
            raise ValueError(f"fraction must be above 0 and at most 1, got {fraction!r}")
        self._faults.add_window(operation, kind, float(seconds), float(fraction))

    # -- time -------------------------------------------------------------------------

    @property
    def time_skipping(self) -> bool:
        """Whether time skipping is on (see :meth:`set_time_skipping`)."""
        return self._time_skipping

    def now(self) -> datetime.datetime:
        """The endpoint's current time, as its event timestamps give it.

        Real time plus every second skipped (:meth:`skip`, time skipping).
        Safe from any thread, before :meth:`start` too.

        :returns: an aware UTC datetime.
        """
        return datetime.datetime.fromtimestamp(self._clock(), datetime.timezone.utc)

    def skip(self, duration: datetime.timedelta) -> datetime.datetime:
        """Move the endpoint's clock ``duration`` ahead, as if that much time passed at once.

        Every timer and timeout due on the way fires, in due order, each
        event stamped with its own due time; timeouts of tasks being worked
        on fire too. Returns once they have all been recorded. Works with
        time skipping on or off.

        :param duration: how far; zero or more.
        :returns: the endpoint's time after the skip (aware UTC).
        :raises ValueError: a negative ``duration``, or one taking the clock
            past the year 9999.
        :raises RuntimeError: the endpoint is not serving, or the server
            thread did not run the skip within 10 s.
        """
        seconds = duration.total_seconds()
        if seconds < 0:
            raise ValueError(f"duration must be zero or more, got {duration!r}")
        if self._clock() + seconds >= _LATEST_TIME:
            raise ValueError(f"duration {duration!r} would move the clock past the year 9999")
        self._call_in_server(self._engine_for("skip").skip, seconds)
        return self.now()

    def is_idle(self) -> bool:
        """Whether no decision task and no activity task is scheduled or being worked on, in any domain.

        Then only a timer, a timeout or a call (a start, a signal) can
        change anything: what time skipping waits for.

        :raises RuntimeError: the endpoint is not serving, or the server
            thread did not answer within 10 s.
        """
        return bool(self._call_in_server(self._engine_for("is_idle").is_idle))

    def set_time_skipping(self, enabled: bool) -> None:
        """Turn time skipping on or off.

        On, whenever no decision task and no activity task is scheduled or
        started (so only a timer or a timeout can change anything), the
        clock jumps to the next due timer or timeout: a 30-day ``StartTimer``
        fires at once, its ``TimerFired`` stamped 30 days after
        ``TimerStarted``. A task scheduled or being worked on holds the clock
        to real time, so an activity's timeouts never fire early while it
        runs. An execution waiting for a signal is idle too: it reaches its
        execution timeout at once unless skipping is off (or its decider
        keeps a timer due first) while the signal is on its way.

        :param enabled: on or off; before :meth:`start`, the mode it starts in.
        :raises RuntimeError: the endpoint is stopped, or the server thread
            did not take the change within 10 s.
        """
        if self.state != "new":
            self._call_in_server(self._engine_for("set_time_skipping").set_time_skipping, bool(enabled))
        self._time_skipping = bool(enabled)

    def _engine_for(self, what: str) -> Any:
        """The running engine.

        :raises RuntimeError: the endpoint is not serving or has no engine.
        """
        if self.state != "started" or self._app is None:
            raise RuntimeError(f"LocalSWF cannot {what}: it is {self.state}")
        return self._app.engine

    def _call_in_server(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` in the server thread's hub and return its result (or raise its error)."""
        if _get_ident() == self.thread_ident:
            return function(*args)
        assert self._loop is not None
        done = _allocate_lock()
        done.acquire()
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append((True, function(*args)))
            except Exception as err:  # handed to the calling thread
                outcome.append((False, err))
            finally:
                done.release()

        self._loop.run_callback_threadsafe(run)
        if not done.acquire(True, _CALL_TIMEOUT):
            raise RuntimeError("the local SWF endpoint's thread did not answer within 10 s")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    # -- server thread ----------------------------------------------------------------

    def _state(self) -> tuple[Registry, Engine]:
        """The registry and the engine, empty or read back from the database (in the server thread).

        :raises StoreError: the database cannot be used or holds a malformed record.
        """
        if self.db is None:
            return self._new_state(Journal(), None)
        began = time.monotonic()
        store = Store(self.db, self._clock)
        try:
            with _collector_paused():
                snapshot = store.load()
                self._clock.skipped = snapshot.skipped
                self._clock.advance_to(snapshot.latest)
                registry, engine = self._new_state(store, snapshot.key)
                try:
                    registry.restore(snapshot.domains, snapshot.types)
                    engine.restore(snapshot.executions)
                except (KeyError, ValueError, TypeError) as err:
                    raise StoreError(f"{self.db}: the database holds a malformed record: {err!r}") from None
        except BaseException:
            store.close()
            raise
        log.info("Read back %s in %.1f s: %d executions", self.db, time.monotonic() - began, len(snapshot.executions))
        return registry, engine

    def _new_state(self, journal: Journal, key: bytes | None) -> tuple[Registry, Engine]:
        registry = Registry(self._clock, region=self.region, journal=journal, key=key)
        engine = Engine(
            registry,
            self.poll_timeout,
            self._clock,
            time_skipping=self._time_skipping,
            max_polls=self.max_polls_per_task_list,
            journal=journal,
            key=key,
        )
        return registry, engine

    def _serve(self) -> None:
        self.thread_ident = _get_ident()
        hub = gevent.get_hub()
        server: _Server | None = None
        app: _Application | None = None
        journal: Journal = Journal()
        listener: Any = None
        try:
            try:
                try:
                    # The address first: a busy port fails at once, before a database is read or made.
                    listener = _listen(self.host, self.port)
                    registry, engine = self._state()
                    journal = engine.journal
                finally:
                    self._loaded.release()
                app = _Application(registry, engine, self._faults)
                if self.ui:
                    from swf_gevent.local._ui import WebUI

                    app.ui = WebUI(
                        registry,
                        engine,
                        host_allowed=None if self.allow_remote else is_loopback,
                        db=None if self.db is None else os.path.abspath(self.db),
                    )
                server = _Server(
                    listener,
                    app,
                    self._faults,
                    idle_timeout=self.idle_timeout,
                    header_timeout=self.header_timeout,
                    # a pool, so that stop() closes kept-alive connections too
                    spawn=gevent.pool.Pool(),
                    log=None,
                    error_log=log,
                )
                server.start()
                self.port = server.server_port
                self._app = app
                self._loop = hub.loop
                self._stop_event = gevent.event.Event()
            except BaseException as err:  # handed to the starting thread
                self._start_error = err
                if server is not None:
                    server.close()
                elif listener is not None:
                    listener.close()
                journal.close()
                return
            finally:
                self._ready.release()
            self._stop_event.wait()
            server.close()
            try:
                app.engine.stop()
            except Exception:
                log.exception("The engine failed to stop cleanly")
            if not app.wait_idle(getattr(self, "_drain_timeout", _DRAIN_TIMEOUT)):
                log.warning("Requests still running at stop were cut off")
            server.stop(timeout=0)
            journal.close()
        finally:
            try:
                hub.destroy(destroy_loop=True)
            except Exception:  # the thread is ending anyway
                log.debug("Hub teardown failed", exc_info=True)
            self._done.release()
