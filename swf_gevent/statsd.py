"""Signals as statsd counters and timers, sent over UDP.

Needs the ``statsd`` package: ``pip install 'simple-workflow[statsd]'``. In a
runner config::

    [handlers]
    statsd = 127.0.0.1:8125         ; host:port of the statsd daemon (or a port alone)
    statsd_prefix = swf             ; optional, default "swf"

Each signal of :mod:`swf_gevent.signals` increments the counter
``<prefix>.<name>`` (``swf.activity_tasks_completed``; names in
:data:`swf_gevent.handlers.COUNTER_NAMES`). Durations are sent as timers in
milliseconds: ``<prefix>.activity_task_duration.<outcome>`` (completed,
failed, canceled, gone), ``<prefix>.decision_task_duration.<outcome>``
(completed, failed), ``<prefix>.poll_empty_duration`` and
``<prefix>.hub_blocked``. statsd has no labels: to tell fleets apart, give
each its own prefix (``swf.orders``). Sending is one UDP datagram per metric
and never waits for an answer.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from statsd import StatsClient  # type: ignore[import-untyped]

from swf_gevent.handlers import DURATIONS, SignalHandler, counter_name

__all__ = ["StatsdHandler"]

log = logging.getLogger(__name__)


class StatsdHandler(SignalHandler):
    """Counts every signal and times task durations in a statsd daemon.

    :param host: the daemon's host name or address (resolved once, here).
    :param port: the daemon's UDP port.
    :param prefix: put before every metric name, ``"swf"`` by default.
    :raises OSError: ``host`` cannot be resolved.

    The UDP socket is opened by :meth:`connect` and closed by :meth:`disconnect`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8125, prefix: str = "swf") -> None:
        super().__init__()
        self.host = host
        self.port = port
        self.prefix = prefix
        self._ipv6 = ":" in host
        socket.getaddrinfo(host, port, socket.AF_INET6 if self._ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        self._client: StatsClient | None = None

    def connect(self) -> None:
        """Open the UDP socket and start receiving signals."""
        if self._client is None:
            self._client = StatsClient(self.host, self.port, prefix=self.prefix, ipv6=self._ipv6)
        super().connect()

    def disconnect(self) -> None:
        """Stop receiving signals and close the UDP socket."""
        super().disconnect()
        if self._client is not None:
            self._client.close()
            self._client = None

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        client = self._client
        if client is None:
            return
        client.incr(counter_name(name))
        duration = DURATIONS.get(name)
        if duration is None or "duration" not in payload:
            return
        timer, outcome = duration
        client.timing(timer if outcome is None else f"{timer}.{outcome}", float(payload["duration"]) * 1000.0)
