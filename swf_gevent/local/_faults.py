"""The faults the local endpoint answers: SWF's own (:class:`Fault`, in AWS's JSON 1.0 error shape) and injected ones.

Injected faults (:class:`FaultTable`, filled by ``LocalSWF.inject_fault``
and ``LocalSWF.inject_fault_window``) make the endpoint throttle or drop
calls as a busy or flaky SWF does, so that retries can be tested against a
real HTTP server.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gevent import monkey

# The server runs in its own thread and hub; a native lock works from both sides.
_allocate_lock = monkey.get_original("_thread", "allocate_lock")


class Fault(Exception):
    """An SWF fault: answered as HTTP ``status`` with ``{"__type", "message"}``.

    :param code: the AWS error code, ``"UnknownResourceFault"``.
    :param message: the text SWF would give.
    :param status: the HTTP status; SWF answers its faults with 400.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body: ``{"__type": "com.amazonaws.swf.base.model#<code>", "message": ...}``."""
        return {"__type": f"com.amazonaws.swf.base.model#{self.code}", "message": self.message}


#: The kinds of injected faults: ``"throttle"`` answers HTTP 400
#: ``ThrottlingException`` without running the operation; ``"drop"`` closes
#: the connection without an answer, without running it.
FAULT_KINDS = ("throttle", "drop")


class _Window:
    """``fraction`` of the calls of one operation get fault ``kind`` until ``until`` (monotonic seconds)."""

    __slots__ = ("kind", "fraction", "until", "calls", "faulted")

    def __init__(self, kind: str, fraction: float, until: float) -> None:
        self.kind = kind
        self.fraction = fraction
        self.until = until
        self.calls = 0
        self.faulted = 0

    def take(self) -> bool:
        """Whether this call gets the fault: spread evenly, ``faulted`` stays ``floor(calls * fraction)``."""
        self.calls += 1
        if math.floor(self.calls * self.fraction) > self.faulted:
            self.faulted += 1
            return True
        return False


class FaultTable:
    """Injected faults, consulted by the server for each call; safe from any thread (a native lock).

    Two kinds of entry per operation:

    - counted (:meth:`add`): the next ``count`` calls get the fault, in the
      order added;
    - windows (:meth:`add_window`): for ``seconds`` from now, ``fraction`` of
      the calls get it, spread evenly (with 0.5, every second call). Counted
      faults are taken first.

    :param clock: monotonic seconds; ``time.monotonic`` by default.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = _allocate_lock()
        self._clock = clock
        self._pending: dict[str, list[str]] = {}
        self._windows: dict[str, list[_Window]] = {}

    def add(self, operation: str, kind: str, count: int) -> None:
        """Give the next ``count`` calls of ``operation`` fault ``kind``."""
        with self._lock:
            self._pending.setdefault(operation, []).extend([kind] * count)

    def add_window(self, operation: str, kind: str, seconds: float, fraction: float) -> None:
        """For ``seconds`` from now, give ``fraction`` (0 to 1) of the calls of ``operation`` fault ``kind``."""
        with self._lock:
            self._windows.setdefault(operation, []).append(_Window(kind, fraction, self._clock() + seconds))

    def take(self, operation: str, kind: str) -> bool:
        """Whether this call of ``operation`` gets fault ``kind``; a counted fault is consumed."""
        if not self._pending and not self._windows:
            return False
        with self._lock:
            queue = self._pending.get(operation)
            if queue:
                if queue[0] != kind:
                    return False
                queue.pop(0)
                if not queue:
                    del self._pending[operation]
                return True
            windows = self._windows.get(operation)
            if not windows:
                return False
            now = self._clock()
            live = [window for window in windows if window.until > now]
            if live:
                self._windows[operation] = live
            else:
                del self._windows[operation]
            return any(window.take() for window in live if window.kind == kind)
