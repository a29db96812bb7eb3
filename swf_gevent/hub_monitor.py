"""Watch the gevent hub for greenlets that hold it too long.

A greenlet that runs CPU-bound code or a blocking call without yielding
stops every other greenlet: polls, heartbeats, the other workers. A
:class:`HubMonitor` notices it: a switch tracer (``greenlet.settrace``)
records when the running greenlet got control, and a native OS thread
looks every half ``threshold``. When a greenlet other than the hub has
held control for ``threshold`` seconds, the monitor asks the hub to report
it as soon as the hub runs again: a warning on this module's logger and the
:data:`swf_gevent.signals.hub_blocked` signal, with the whole blocked time.
Reports run in the hub's thread, so receivers may use gevent freely.

Why not gevent's own loop monitor (``gevent.config.monitor_thread`` with
``max_blocking_time``, which notifies ``gevent.events.EventLoopBlocked``
through ``zope.event``): its settings and subscribers are process-wide, and
once the hub's monitoring thread starts it runs until the hub is destroyed,
so a monitor with its own threshold that starts and stops with a fleet
cannot be built on it; it reports from its own thread while the greenlet
still blocks, with ``blocking_time`` the configured limit rather than the
whole hold that :data:`~swf_gevent.signals.hub_blocked` carries; and it
prints the greenlet tree to the hub's exception stream unless the
process-wide ``print_blocking_reports`` is turned off. This module uses the
same technique (``greenlet.settrace`` and a native thread) with those three
differences.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
import greenlet  # type: ignore[import-untyped]
from gevent import monkey

from swf_gevent import signals
from swf_gevent.signals import emit

__all__ = ["HubMonitor"]

log = logging.getLogger(__name__)

_start_thread = monkey.get_original("_thread", "start_new_thread")
_native_sleep = monkey.get_original("time", "sleep")


class HubMonitor:
    """Reports greenlets that hold the hub longer than ``threshold`` seconds.

    Start it from the thread whose hub it watches (the runner's main
    thread); one monitor per hub.

    :param threshold: seconds a greenlet may run without yielding (above 0).
    :raises ValueError: ``threshold`` not above 0.
    """

    def __init__(self, threshold: float) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
            raise ValueError(f"threshold must be a number of seconds above 0, got {threshold!r}")
        self.threshold = float(threshold)
        self._hub: Any = None
        self._active: Any = None
        self._since = 0.0
        self._switches = 0
        self._previous_trace: Any = None
        # A new object each start: a watching thread or report of an earlier
        # start sees that it is not the current one and ends without a word.
        self._run: object | None = None

    @property
    def running(self) -> bool:
        """Whether :meth:`start` was called and :meth:`stop` not yet."""
        return self._run is not None

    def start(self) -> None:
        """Install the switch tracer and start the watching thread.

        :raises RuntimeError: already running.
        """
        if self._run is not None:
            raise RuntimeError("the hub monitor is already running")
        self._hub = gevent.get_hub()
        self._active = greenlet.getcurrent()
        self._since = time.perf_counter()
        self._previous_trace = greenlet.settrace(self._trace)
        self._run = run = object()
        _start_thread(self._watch, (run,))
        log.debug("watching the hub: greenlets holding it over %.3f s are reported", self.threshold)

    def stop(self) -> None:
        """Remove the tracer; nothing is reported after this. Safe twice.

        The watching thread ends within half the threshold.
        """
        if self._run is None:
            return
        self._run = None
        greenlet.settrace(self._previous_trace)
        self._previous_trace = None

    def _trace(self, event: str, args: Any) -> None:
        if event in ("switch", "throw"):
            self._active = args[1]
            self._since = time.perf_counter()
            self._switches += 1
        if self._previous_trace is not None:
            self._previous_trace(event, args)

    def _watch(self, run: object) -> None:
        """The native thread: look every half threshold; flag each long hold once."""
        reported = -1
        while True:
            _native_sleep(self.threshold / 2)
            if self._run is not run:  # stopped while asleep: the tracer's figures are stale
                return
            switches, active, since = self._switches, self._active, self._since
            if switches == reported or active is self._hub or active is None:
                continue
            if time.perf_counter() - since >= self.threshold:
                reported = switches
                self._hub.loop.run_callback_threadsafe(self._report, run, active, since)

    def _report(self, run: object, blocker: Any, since: float) -> None:
        """In the hub, as soon as the blocker yielded: log and signal the whole hold (unless stopped since)."""
        if self._run is not run:
            return
        duration = max(time.perf_counter() - since, self.threshold)
        log.warning("greenlet %r held the hub for %.3f s (limit %.3f s)", blocker, duration, self.threshold)
        emit(signals.hub_blocked, None, duration=duration, greenlet=repr(blocker))
