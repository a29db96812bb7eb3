"""A fleet: the greenlet actors and signal handlers one process runs, started and stopped together.

:class:`Fleet` has the lifecycle of its actors (:class:`FleetState` is
shaped like :class:`swf_gevent.actors.ActorState`): :meth:`Fleet.start`
connects the handlers, starts the hub monitor and every actor;
:meth:`Fleet.stop` stops them all at once, warmly; :meth:`Fleet.kill` is the
cold path; :meth:`Fleet.wait` returns once the fleet stopped. Starting twice
raises; stopping before start, or twice, is harmless.
:class:`swf_gevent._processes.ProcessFleet` has the same interface over
worker processes.

:class:`StopRequests` is the runner's one reading of SIGINT and SIGTERM:
the first asks a warm stop, the second a cold one.

:class:`UnknownDomainWatch` notices an endpoint that forgot the domain;
:meth:`Fleet.check` raises :class:`EndpointLost` once every poll was
answered ``UnknownResourceFault`` for ``unknown_domain_timeout`` seconds.
"""

from __future__ import annotations

import enum
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import gevent
from gevent.event import Event

from swf.exceptions import DoesNotExistError
from swf_gevent import signals
from swf_gevent._config import Config, ConfigError, describe
from swf_gevent.actors import GreenletActivityWorker, GreenletActor, GreenletDecider
from swf_gevent.handlers import MetricsHandler
from swf_gevent.hub_monitor import HubMonitor

__all__ = ["EndpointLost", "Fleet", "FleetLike", "FleetState", "StopRequests", "UnknownDomainWatch"]

log = logging.getLogger(__name__)

_WARNING_INTERVAL = 30.0  # seconds between warnings that the endpoint does not know the domain


class EndpointLost(Exception):
    """Every poll answered ``UnknownResourceFault`` for ``unknown_domain_timeout`` seconds."""


class FleetState(enum.Enum):
    """Where a fleet is in its life."""

    NEW = "new"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"


class FleetLike(Protocol):
    """What the runner needs of a fleet, in one process or many."""

    metrics: MetricsHandler
    handlers: list[Any]

    @property
    def state(self) -> FleetState: ...

    @property
    def processes(self) -> tuple[int, int] | None: ...

    def start(self) -> None: ...

    def stop(self, timeout: float | None = None, *, idle: bool = False) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def check(self) -> None: ...


class Fleet:
    """The actors of every group of a config, in this process, with the handlers the config names.

    :param config: the checked config.
    :param client: the :class:`swf.connection.Connection` every actor shares.
    :param handlers: handlers connected beside the metrics and the config's
        (a child process's reporter), disconnected at the stop.
    """

    def __init__(self, config: Config, client: Any, handlers: Sequence[Any] = ()) -> None:
        self.config = config
        self.client = client
        #: Counts and latencies of this fleet's signals, for the progress lines and the summary.
        self.metrics = MetricsHandler()
        self._watch = UnknownDomainWatch(config.domain)
        self.actors: list[GreenletActor] = []
        #: The handlers connected while the fleet runs: the metrics, ``handlers``, then the config's.
        self.handlers: list[Any] = [self.metrics, self._watch, *handlers]
        self._hub_monitor = HubMonitor(config.hub_block_threshold)
        self._state = FleetState.NEW
        self._killed = False
        self._stopped = Event()

    def __repr__(self) -> str:
        return f"<Fleet domain={self.config.domain!r} actors={len(self.actors)} state={self._state.value}>"

    @property
    def state(self) -> FleetState:
        """The lifecycle state."""
        return self._state

    @property
    def processes(self) -> None:
        """``None``: this fleet runs in this process."""
        return None

    def start(self) -> None:
        """Connect the handlers, start the hub monitor and every actor.

        :raises RuntimeError: started or stopped already.
        :raises swf_gevent._config.ConfigError: a handler of ``[handlers]``
            cannot be built or connected (naming its key); what was started
            is left for :meth:`stop`.
        """
        if self._state is not FleetState.NEW:
            raise RuntimeError(f"{self!r} cannot start: it is {self._state.value}")
        self._state = FleetState.STARTED
        for handler in self.handlers:
            handler.connect()
        for key, factory in self.config.handlers:
            try:
                handler = factory()
                handler.connect()
            except Exception as err:  # user code
                raise ConfigError(
                    self.config.path, "handlers", key, f"cannot start the handler: {describe(err)}"
                ) from None
            self.handlers.append(handler)
        self._hub_monitor.start()
        self.actors = _actors(self.config, self.client)
        for actor in self.actors:
            actor.start()
        log.info("%d actors polling domain %s", len(self.actors), self.config.domain)

    def stop(self, timeout: float | None = None, *, idle: bool = False) -> None:
        """Stop every actor at once, warmly, then the hub monitor and the handlers; blocks until done.

        :param timeout: seconds running tasks get before they are failed back
            (:meth:`GreenletActor.stop <swf_gevent.actors.GreenletActor.stop>`);
            ``None`` waits for them.
        :param idle: kill the actors running no task in their parked polls
            rather than wait for them (the work is done): a task such a poll
            brings is left to its SWF timeout.
        """
        if self._state is FleetState.NEW:
            self._state = FleetState.STOPPED
            self._stopped.set()
            return
        if self._state is not FleetState.STARTED:
            self._stopped.wait()
            return
        self._state = FleetState.STOPPING

        def stop(actor: GreenletActor) -> None:
            if self._killed or (idle and actor.running_tasks == 0):
                actor.kill()
            else:
                actor.stop(timeout)

        steps: list[tuple[str, Callable[[], object]]] = [
            ("stopping the actors", lambda: gevent.joinall([gevent.spawn(stop, actor) for actor in self.actors])),
            ("stopping the hub monitor", self._hub_monitor.stop),
        ]
        steps += [(f"disconnecting {handler!r}", handler.disconnect) for handler in self.handlers]
        for what, step in steps:
            try:
                step()
            except Exception:  # one failing step must not keep the others from running
                log.exception("error while %s", what)
        self._state = FleetState.STOPPED
        self._stopped.set()

    def kill(self) -> None:
        """Kill every actor now (returns at once); their running tasks are left to their SWF timeouts."""
        self._killed = True
        for actor in self.actors:
            actor.kill(block=False)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the fleet stopped, or ``timeout`` seconds; whether it stopped."""
        return bool(self._stopped.wait(timeout))

    def check(self) -> None:
        """Raise when every poll was answered ``UnknownResourceFault`` for ``unknown_domain_timeout`` seconds.

        :raises EndpointLost: naming the domain.
        """
        self._watch.check(self.config.unknown_domain_timeout)


def _actors(config: Config, client: Any) -> list[GreenletActor]:
    """One actor per ``[decider:<name>]`` and ``[activities:<name>]`` group, with the group's slots and pollers."""
    host = f"{socket.gethostname()}:{os.getpid()}"
    actors: list[GreenletActor] = [
        GreenletDecider(
            config.domain,
            group.task_list,
            group.decider,
            client=client,
            identity=f"{host}:decider:{group.name}"[:256],
            slots=group.slots,
            pollers=group.pollers,
            payloads=config.payloads,
        )
        for group in config.deciders
    ]
    actors += [
        GreenletActivityWorker(
            config.domain,
            workers.task_list,
            workers.registry,
            client=client,
            identity=f"{host}:activities:{workers.name}"[:256],
            slots=workers.slots,
            pollers=workers.pollers,
            payloads=config.payloads,
        )
        for workers in config.activities
    ]
    return actors


class StopRequests:
    """SIGINT and SIGTERM while installed: the first calls ``stop``, the second ``kill``, later ones nothing.

    :param stop: called in the hub with the signal's name (``"SIGTERM"``) at the first.
    :param kill: called with the name at the second.
    """

    def __init__(self, stop: Callable[[str], None], kill: Callable[[str], None]) -> None:
        self._stop = stop
        self._kill = kill
        #: Stop requests received (SIGINT and SIGTERM).
        self.received = 0
        self._handles: list[Any] = []

    def __enter__(self) -> StopRequests:
        self._handles = [gevent.signal_handler(signum, self._on, signum) for signum in (signal.SIGINT, signal.SIGTERM)]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles = []

    def _on(self, signum: int) -> None:
        name = signal.Signals(signum).name
        self.received += 1
        if self.received == 1:
            log.warning("%s received: stopping the fleet (again to stop at once)", name)
            self._stop(name)
        elif self.received == 2:
            log.warning("%s received again: stopping at once; running tasks are left to their SWF timeouts", name)
            self._kill(name)


#: The signals of a poll the endpoint answered: it knows the domain.
_ANSWERED_POLLS = (signals.poll_empty, signals.decision_task_received, signals.activity_task_received)


class UnknownDomainWatch:
    """Notices an endpoint that forgot the domain (restarted empty): polls answered only ``UnknownResourceFault``.

    While connected (:meth:`connect`, :meth:`disconnect`, as a signal
    handler), it receives :data:`~swf_gevent.signals.poll_failed` and the
    signals of an answered poll, and keeps the actors' warnings of such
    polls to one every 30 s (a filter on the ``swf_gevent.actors`` logger).

    :param domain: the domain the actors poll.
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        #: Monotonic time of the first ``UnknownResourceFault`` since the last answered poll, or ``None``.
        self.unknown_since: float | None = None
        self._refused = 0
        self._last_warning = -_WARNING_INTERVAL
        self._filter = logging.Filter()
        self._filter.filter = self._keep  # type: ignore[method-assign]

    def connect(self) -> None:
        signals.poll_failed.connect(self._failed, weak=False)
        for answered in _ANSWERED_POLLS:
            answered.connect(self._answered, weak=False)
        logging.getLogger("swf_gevent.actors").addFilter(self._filter)

    def disconnect(self) -> None:
        signals.poll_failed.disconnect(self._failed)
        for answered in _ANSWERED_POLLS:
            answered.disconnect(self._answered)
        logging.getLogger("swf_gevent.actors").removeFilter(self._filter)

    def _failed(self, sender: Any, *, error: BaseException | None = None, **payload: Any) -> None:
        if isinstance(error, DoesNotExistError):
            self._refused += 1
            if self.unknown_since is None:
                self.unknown_since = time.monotonic()

    def _answered(self, sender: Any, **payload: Any) -> None:
        self.unknown_since = None
        self._refused = 0

    def _keep(self, record: logging.LogRecord) -> bool:
        """Let through an actor's warning of an unknown domain once every 30 s, with the count since."""
        args = record.args if isinstance(record.args, tuple) else ()
        if not any(isinstance(arg, DoesNotExistError) for arg in args):
            return True
        now = time.monotonic()
        if now - self._last_warning < _WARNING_INTERVAL:
            return False
        self._last_warning = now
        record.msg = f"{record.msg} ({self._refused} polls refused so in a row; such warnings every 30 s at most)"
        return True

    def check(self, limit: float) -> None:
        """Raise when the polls were answered nothing but ``UnknownResourceFault`` for ``limit`` seconds.

        :raises EndpointLost: naming the domain.
        """
        since = self.unknown_since
        if since is not None and time.monotonic() - since >= limit:
            raise EndpointLost(
                f"domain {self.domain!r} unknown to the endpoint: every poll for {limit:g} s answered "
                "UnknownResourceFault (an endpoint restarted empty?); stopping"
            )
