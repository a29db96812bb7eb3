"""Task lists of the local SWF endpoint: priority queues with parked pollers.

A task list holds the scheduled tasks not yet handed out, ordered by task
priority (higher first) then by scheduling order, and the pollers parked on
it. A task scheduled while a poller waits goes straight to exactly one
poller; a parked poller costs nothing but its greenlet (it waits on an
:class:`gevent.event.AsyncResult`, no polling loop).

A poll whose client went away is withdrawn: the server sets an
:class:`gevent.event.Event` in :data:`poller_gone` for the request's greenlet,
and :meth:`TaskList.take` stops waiting once it is set, handing any task it
was just given back to the list.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from contextvars import ContextVar
from typing import Generic, Protocol, TypeVar

import gevent
from gevent.event import AsyncResult, Event

logger = logging.getLogger(__name__)


class Queueable(Protocol):
    """What a task list can hold: a task that knows whether it still waits."""

    priority: int

    def is_waiting(self) -> bool:
        """Whether the task is still scheduled and not handed out."""
        ...


T = TypeVar("T", bound=Queueable)

#: Set (per greenlet) to an event that fires when the polling client has gone;
#: :meth:`TaskList.take` then answers ``None`` and hands nothing to that poller.
poller_gone: ContextVar[Event | None] = ContextVar("poller_gone", default=None)


class TaskList(Generic[T]):
    """One SWF task list (of decision tasks or activity tasks) in one domain."""

    def __init__(self, domain: str, name: str) -> None:
        self.domain = domain
        self.name = name
        self._heap: list[tuple[int, int, T]] = []
        self._pending: dict[int, T] = {}
        self._seq = itertools.count()
        self._waiters: deque[AsyncResult] = deque()
        #: PollFor*Task calls on this task list in flight right now (held by :meth:`Engine._take`).
        self.polls = 0

    def __len__(self) -> int:
        """The number of scheduled tasks not yet handed out."""
        return len(self._pending)

    def put(self, task: T, front: bool = False) -> None:
        """Schedule ``task``: hand it to one parked poller, or queue it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.ready():
                waiter.set(task)
                return
        seq = -next(self._seq) if front else next(self._seq)
        self._pending[id(task)] = task
        heapq.heappush(self._heap, (-task.priority, seq, task))

    def discard(self, task: T) -> None:
        """Withdraw a queued task (cancelled, timed out, execution closed)."""
        self._pending.pop(id(task), None)
        if len(self._heap) > 64 + 2 * len(self._pending):
            # Mostly withdrawn entries: rebuild rather than let them pile up.
            self._heap = [entry for entry in self._heap if self._pending.get(id(entry[2])) is entry[2]]
            heapq.heapify(self._heap)

    def _pop(self) -> T | None:
        while self._heap:
            _, _, task = heapq.heappop(self._heap)
            if self._pending.pop(id(task), None) is not None and task.is_waiting():
                return task
        return None

    def take(self, timeout: float) -> T | None:
        """Take the next task, waiting up to ``timeout`` seconds for one.

        :param timeout: the longest wait, in seconds.
        :returns: the task, or ``None`` when none came in time, the list
            was :meth:`release`\\ d, or the poller's client went away
            (:data:`poller_gone`).
        """
        gone = poller_gone.get()
        deadline = gevent.get_hub().loop.now() + timeout
        while True:
            if gone is not None and gone.is_set():
                return None
            task = self._pop()
            if task is not None:
                return task
            remaining = deadline - gevent.get_hub().loop.now()
            if remaining <= 0:
                return None
            waiter: AsyncResult = AsyncResult()
            self._waiters.append(waiter)
            woken = False
            try:
                if gone is None:
                    waiter.wait(remaining)
                else:
                    gevent.wait([waiter, gone], timeout=remaining, count=1)
                woken = True
            finally:
                if not waiter.ready():
                    self._waiters.remove(waiter)
                elif (not woken or (gone is not None and gone.is_set())) and (
                    waiter.value is not None and waiter.value.is_waiting()
                ):
                    # Handed a task, then interrupted or abandoned before taking it: requeue it first.
                    self.put(waiter.value, front=True)
            if gone is not None and gone.is_set():
                return None
            if waiter.ready():
                handed: T | None = waiter.value
                if handed is None:
                    return None
                if handed.is_waiting():
                    return handed

    def release(self) -> None:
        """Answer every parked poller with no task."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.ready():
                waiter.set(None)
