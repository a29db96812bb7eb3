"""The clock and the timers of the local SWF endpoint.

:class:`Clock` is the endpoint's time: real time plus the seconds skipped.
Every event timestamp, start and close time and retention cut-off reads it.

:class:`Timers` is a virtual timer queue on that clock: a heap of (due time,
sequence, handle) entries. Every SWF timeout (workflow start-to-close,
decision and activity task timeouts, ``StartTimer`` decisions) is an entry.
One watcher on the loop of the hub that serves the endpoint is armed for the
earliest entry, so a callback runs on time in real time, not on the next
request, and runs in that hub's thread, like every other change to the
engine. :meth:`Timers.advance` moves the clock forward by hand (or to the
next due entry) and runs every callback due on the way, in due order, each
seeing the clock at its own due time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import gevent

logger = logging.getLogger(__name__)


class Clock:
    """The endpoint's current time, epoch seconds: real time plus :attr:`skipped`.

    Real time is measured on the monotonic clock from the moment the clock
    is made, so a step of the system clock moves no timer. Call it: ``clock()``.
    Only the thread that serves the endpoint moves it; any thread may read it.
    """

    def __init__(self) -> None:
        self._epoch = time.time()
        self._monotonic = time.monotonic()
        #: Seconds the clock has been moved ahead of real time.
        self.skipped = 0.0

    def __call__(self) -> float:
        """The current time, epoch seconds."""
        return self._epoch + (time.monotonic() - self._monotonic) + self.skipped

    def advance_to(self, when: float) -> None:
        """Move the clock forward to ``when`` (epoch seconds); a time already past changes nothing."""
        ahead = when - self()
        if ahead > 0:
            self.skipped += ahead


class TimerHandle:
    """One scheduled callback; :meth:`cancel` stops it if it has not run.

    :ivar due: when it is due, epoch seconds on the endpoint's clock.
    """

    __slots__ = ("_owner", "due", "callback", "args", "active")

    def __init__(self, owner: Timers, due: float, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._owner = owner
        self.due = due
        self.callback = callback
        self.args = args
        self.active = True

    def cancel(self) -> None:
        """Stop the callback; harmless when it already ran or was cancelled."""
        if self.active:
            self.active = False
            self._owner._live.discard(self)


class Timers:
    """The virtual timer queue of one engine, on its :class:`Clock`.

    Call it from the hub thread that serves the endpoint only.

    :param clock: the endpoint's clock.
    :ivar after_fire: called after each callback, to finish what it left due.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._live: set[TimerHandle] = set()
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._watcher: Any = None
        self._armed_for: float | None = None
        self._closed = False
        self.after_fire: Callable[[], None] | None = None

    def call_later(self, seconds: float, callback: Callable[..., None], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` in the current hub after ``seconds`` on the clock.

        :param seconds: delay in seconds (0 or more).
        :returns: a handle whose :meth:`TimerHandle.cancel` stops it.
        """
        return self.call_at(self.clock() + max(0.0, seconds), callback, *args)

    def call_at(self, due: float, callback: Callable[..., None], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` in the current hub once the clock reaches ``due``.

        :param due: epoch seconds on the clock; a time already past runs it at
            the loop's next turn (a timeout that fell due while the endpoint
            was down fires at once).
        :returns: a handle whose :meth:`TimerHandle.cancel` stops it.
        """
        handle = TimerHandle(self, due, callback, args)
        self._live.add(handle)
        heapq.heappush(self._heap, (handle.due, next(self._seq), handle))
        if len(self._heap) > 64 + 2 * len(self._live):
            # Mostly cancelled entries: rebuild rather than let them pile up.
            self._heap = [entry for entry in self._heap if entry[2].active]
            heapq.heapify(self._heap)
        self._arm()
        return handle

    def next_due(self) -> float | None:
        """When the earliest live timer is due (epoch seconds), or ``None`` when there is none."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def advance(self, until: float | None = None) -> int:
        """Move the clock forward and run every callback due on the way, in due order.

        Each callback runs with the clock at its due time; callbacks they
        schedule that fall due on the way run too.

        :param until: the time to reach, epoch seconds; ``None``: the next
            due timer's time (nothing moves when there is none).
        :returns: how many callbacks ran.
        """
        if until is None:
            until = self.next_due()
            if until is None:
                return 0
        fired = 0
        while not self._closed:
            head = self.next_due()
            if head is None or head > until:
                break
            self.clock.advance_to(head)
            fired += self._fire_due()
        self.clock.advance_to(until)
        self._disarm()  # armed by a real-time delay that the skip shortened
        self._arm()
        return fired

    def close_all(self) -> None:
        """Cancel every live timer and stop the watcher."""
        self._closed = True
        for handle in list(self._live):
            handle.cancel()
        self._heap.clear()
        self._disarm()

    def __len__(self) -> int:
        return len(self._live)

    # -- the loop's watcher -----------------------------------------------------------

    def _drop_cancelled(self) -> None:
        while self._heap and not self._heap[0][2].active:
            heapq.heappop(self._heap)

    def _fire_due(self) -> int:
        """Run every callback due by the clock's current time; returns how many ran."""
        fired = 0
        now = self.clock()
        while self._heap and not self._closed:
            due, _, handle = self._heap[0]
            if not handle.active:
                heapq.heappop(self._heap)
                continue
            if due > now:
                break
            heapq.heappop(self._heap)
            handle.cancel()
            fired += 1
            try:
                handle.callback(*handle.args)
                if self.after_fire is not None:
                    self.after_fire()
            except Exception:
                logger.exception("timer callback %r failed", handle.callback)
        return fired

    def _arm(self) -> None:
        """Point the loop's watcher at the earliest live timer."""
        if self._closed:
            return
        head = self.next_due()
        if head is None:
            self._disarm()
            return
        if self._watcher is not None and self._armed_for is not None and self._armed_for <= head:
            return  # armed for this entry or an earlier one, which re-arms when it fires
        self._disarm()
        loop = gevent.get_hub().loop
        loop.update_now()
        self._watcher = loop.timer(max(0.0, head - self.clock()))
        self._armed_for = head
        self._watcher.start(self._on_watcher)

    def _disarm(self) -> None:
        watcher, self._watcher, self._armed_for = self._watcher, None, None
        if watcher is not None:
            watcher.close()

    def _on_watcher(self) -> None:
        self._disarm()
        self._fire_due()
        self._arm()
