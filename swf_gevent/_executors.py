"""Where activity functions run outside the hub: gevent's thread pool, or child processes.

:func:`run_in_thread` runs a function in a gevent thread pool and waits for
it cooperatively. :class:`ProcessPool` keeps child Python processes
(``python -m swf_gevent._process_child``) and runs a function in one of
them; the parent waits on a pipe, so the hub keeps running. A wait that is
interrupted (the task was canceled, is gone, or the worker shuts down)
kills the child it was waiting on, so its CPU is freed at once; a thread
cannot be killed and runs on, its result dropped.

``sys.exit()``, ``KeyboardInterrupt`` or any other ``BaseException`` a
function raises in a thread or a child comes back as an ordinary error
(:class:`ActivityExit`, :class:`RemoteError`), so it fails its task and ends
neither the worker nor the process (gevent's thread pool would otherwise
hand a ``SystemExit`` to the hub, which ends the process).

The process pool a worker uses by default is made on first use, one per
process (:func:`default_process_pool`), and closed at exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

import gevent
from gevent import subprocess
from gevent.lock import BoundedSemaphore, Semaphore
from gevent.threadpool import ThreadPool

from swf_gevent._process_child import read_frame, write_frame

__all__ = ["ActivityExit", "ProcessPool", "RemoteError", "default_process_pool", "run_in_thread"]

log = logging.getLogger(__name__)


class RemoteError(Exception):
    """An activity function raised in a child process.

    :param type_name: the exception's class name there.
    :param message: its message.
    :param remote_traceback: the traceback text from the child.
    """

    def __init__(self, type_name: str, message: str, remote_traceback: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.remote_traceback = remote_traceback


class ActivityExit(Exception):
    """An activity function raised a ``BaseException`` that is not an ``Exception`` (``SystemExit``...).

    Carried as an ordinary error, so that it fails the task and ends nothing.

    :param error: what the function raised; the task's reason is ``"<its type>: <its message>"``.
    """

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


def run_in_thread(function: Callable[..., Any], *args: Any, pool: ThreadPool | None = None, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` in a thread of ``pool``; blocks this greenlet only.

    :param pool: the gevent thread pool; the hub's (``gevent.get_hub().threadpool``) by default.
    :returns: what ``function`` returned.
    :raises Exception: what ``function`` raised, with its traceback.
    :raises ActivityExit: ``function`` raised ``SystemExit``, ``KeyboardInterrupt``
        or another ``BaseException`` that is not an ``Exception``.
    """
    threads = pool if pool is not None else gevent.get_hub().threadpool
    ok, value = threads.spawn(_outcome, function, args, kwargs).get()
    if ok:
        return value
    if isinstance(value, Exception):
        raise value
    raise ActivityExit(value) from value


def _outcome(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, what it raised)``: nothing is raised in the pool's thread.

    gevent's thread pool reports a thread's exception to the hub, which prints
    it and, for ``SystemExit``, ends the process.
    """
    try:
        return True, function(*args, **kwargs)
    except BaseException as err:  # every outcome goes back to the waiting greenlet
        return False, err


class _Child:
    """One child process and its two pipes."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "swf_gevent._process_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )

    def call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        write_frame(self.process.stdin, (function, argument))
        answer = read_frame(self.process.stdout)
        if answer is None:
            code = self.process.wait()
            raise RuntimeError(
                f"the child process running {getattr(function, '__qualname__', function)} exited ({code})"
            )
        if answer[0] == "ok":
            return answer[1]
        raise RemoteError(answer[1], answer[2], answer[3])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait()
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass


class ProcessPool:
    """Up to ``size`` child processes running activity functions.

    Children start on demand and are kept for the next call. A call waits
    cooperatively for a free child, sends the function (by reference) and
    its argument, and waits for the answer.

    :param size: the most children at once (at least 1); the number of CPUs
        by default.
    :raises ValueError: ``size`` below 1.
    """

    def __init__(self, size: int | None = None) -> None:
        size = size if size is not None else (os.cpu_count() or 1)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self.size = size
        self._slots = BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._closed = False

    def run(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """``function(argument)`` in a child process; blocks this greenlet until it returns.

        :param function: a module-level function (pickled by reference).
        :param argument: its one argument; must pickle.
        :returns: the function's return value, unpickled.
        :raises RemoteError: the function raised in the child.
        :raises pickle.PicklingError: the function or argument does not pickle.
        :raises RuntimeError: the pool is closed, or the child died.
        """
        if self._closed:
            raise RuntimeError("the process pool is closed")
        pickle.dumps((function, argument), protocol=pickle.HIGHEST_PROTOCOL)  # fail here, not in a child
        with self._slots:
            child = self._idle.pop() if self._idle else _Child()
            self._busy.add(child)
            try:
                result = child.call(function, argument)
            except RemoteError:
                self._busy.discard(child)
                self._idle.append(child)
                raise
            except BaseException:  # interrupted or broken: the child's state is unknown
                self._busy.discard(child)
                child.close()
                raise
            self._busy.discard(child)
            if self._closed:
                child.close()
            else:
                self._idle.append(child)
            return result

    def close(self) -> None:
        """Kill every child; later calls raise :class:`RuntimeError`. Safe twice."""
        self._closed = True
        children, self._idle = self._idle + list(self._busy), []
        self._busy.clear()
        for child in children:
            child.close()


_default_lock = Semaphore()
_default: ProcessPool | None = None


def default_process_pool() -> ProcessPool:
    """The process-wide pool (as many children as CPUs), made on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ProcessPool()
            atexit.register(_default.close)
        return _default
