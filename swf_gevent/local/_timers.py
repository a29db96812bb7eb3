"""Timers of the local SWF endpoint: callbacks run by the gevent hub on time.

Every SWF timeout (workflow start-to-close, decision and activity task
timeouts, ``StartTimer`` decisions) is a watcher on the loop of the hub that
serves the endpoint. A callback therefore runs on time, not on the next
request, and runs in that hub's thread, like every other change to the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent

logger = logging.getLogger(__name__)


class TimerHandle:
    """One scheduled callback; :meth:`cancel` stops it if it has not run."""

    __slots__ = ("_watcher", "_owner", "active")

    def __init__(self, owner: Timers, watcher: Any) -> None:
        self._owner = owner
        self._watcher = watcher
        self.active = True

    def cancel(self) -> None:
        """Stop the callback; harmless when it already ran or was cancelled."""
        if self.active:
            self.active = False
            self._watcher.close()
            self._owner._live.discard(self)


class Timers:
    """The set of live timers of one engine, closed together by :meth:`close_all`.

    :ivar after_fire: called after each callback, to finish what it left due.
    """

    def __init__(self) -> None:
        self._live: set[TimerHandle] = set()
        self.after_fire: Callable[[], None] | None = None

    def call_later(self, seconds: float, callback: Callable[..., None], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` in the current hub after ``seconds``.

        :param seconds: delay in seconds (0 or more).
        :returns: a handle whose :meth:`TimerHandle.cancel` stops it.
        """
        watcher = gevent.get_hub().loop.timer(max(0.0, seconds))
        handle = TimerHandle(self, watcher)
        self._live.add(handle)
        watcher.start(self._fire, handle, callback, args)
        return handle

    def _fire(self, handle: TimerHandle, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        if not handle.active:
            return
        handle.cancel()
        try:
            callback(*args)
            if self.after_fire is not None:
                self.after_fire()
        except Exception:
            logger.exception("timer callback %r failed", callback)

    def close_all(self) -> None:
        """Cancel every live timer."""
        for handle in list(self._live):
            handle.cancel()

    def __len__(self) -> int:
        return len(self._live)
