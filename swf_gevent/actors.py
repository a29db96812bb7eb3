"""Deciders and activity workers as gevent greenlets.

Each actor is a :class:`gevent.Greenlet` with ``slots`` (tasks that may
run at once, each a greenlet of its :class:`gevent.pool.Pool`) and pollers
(greenlets holding a long poll each). A poller's loop is: take a free slot,
poll, hand the task to user code in that slot (or give the slot back if
the poll was empty), answer SWF. So no task is taken that cannot start at
once, and there are never more polls in flight than free slots. The number
of pollers scales between a minimum and a maximum
(:mod:`swf_gevent.pollers`): an idle actor of 2,000 slots keeps a handful
of polls parked. Actors share one boto3 client (give it
``max_pool_connections`` of at least the pollers plus the running tasks).

Lifecycle (:attr:`GreenletActor.state`): ``new`` -> ``started`` ->
``stopping`` -> ``stopped``. Starting twice raises; stopping before start,
or twice, is harmless.

- :meth:`GreenletActor.stop` is the warm shutdown: no new poll; the poll
  under way returns (SWF holds one up to 60 s) and the task it brings runs;
  running tasks get until ``timeout`` seconds after the call to finish.
  A poll that is between retry attempts (backing off after a throttle or a
  connection error) has no task to bring: it is abandoned at once and sends
  no further attempt, so a dead endpoint does not hold the stop for the
  client's whole retry deadline (:attr:`GreenletActor.poll_retry`).
  Activity tasks still running then are failed back
  (``RespondActivityTaskFailed`` with reason :data:`SHUTDOWN_REASON`), so
  SWF can schedule them again at once instead of after a timeout; decision
  tasks still running are dropped (SWF hands them out again after the
  decision task timeout).
- :meth:`GreenletActor.kill` is the cold path: the loop and every running
  task are killed at once and nothing is answered.

Supervision: the poll loop never dies of SWF errors (a failing poll is
retried with a growing pause, 0.1 s up to 10 s, and ``poll_failed`` is
sent). It yields to the hub after every poll, and an empty poll that comes
back at once (under :data:`FAST_EMPTY_POLL` seconds, where SWF holds an empty
poll for 60 s: an endpoint without long polls, or a test double) is followed
by a pause growing from 0.05 s to 2 s, reset by the next task or slow empty
poll, so such an endpoint is not polled in a tight loop. Any other error
escaping the loop is a crash: the actor logs it,
sends ``actor_crashed`` and restarts the loop after ``restart_delay``
seconds, doubling on each crash up to ``max_restart_delay`` and reset by
the next successful poll. Running tasks are not touched by a restart.

What user code raises never kills an actor nor ends the process: a failing
activity function fails its task (``RespondActivityTaskFailed``: reason
``"<ExceptionType>: <message>"``, at most 256 characters, details the
traceback, at most 32,768); so does ``sys.exit()``, ``KeyboardInterrupt`` or
any other ``BaseException`` it raises (reason ``"SystemExit: 3"``), in the
hub, a thread or a child process. A result over 32,768 characters fails the
task with a reason saying so, and a failing ``decide`` leaves its decision
task to time out so SWF hands it out again, until the execution's decision
tasks timed out ``max_decision_timeouts`` times in a row: then the decider
fails the execution (:class:`GreenletDecider`).

Answers (``RespondActivityTaskCompleted``, ``Failed``, ``Canceled`` and
``RespondDecisionTaskCompleted``) are retried under ``respond_retry``
(:data:`RESPOND_RETRY` by default: no cap on attempts, jittered backoff
capped at 5 s) for as long as SWF can still take them: until SWF answers
that the task is gone (``UnknownResourceFault``), or until the task's own
timeout, counted from when it was polled (an activity task: the shorter of
its type's start-to-close and schedule-to-close timeouts as its
:class:`~swf_gevent.activities.ActivityDefinition` gives them, no limit when
both are ``None``; a decision task: the ``startToCloseTimeout`` of its
``DecisionTaskScheduled`` event). So a throttle storm delays an answer but
does not lose it.

Heartbeats, while an activity task runs whose type has a heartbeat timeout:
a heartbeat greenlet beside the function sends
``RecordActivityTaskHeartbeat`` every third of that timeout with the latest
details the function gave (:meth:`ActivityContext.heartbeat`, at most 2,048
characters), and goes on until the task is answered, so an answer retried
through a throttle storm does not let the task's heartbeat timeout pass.
Each call is sent once (``heartbeat_retry``,
:data:`swf.retry.NO_RETRY` by default), never held in a long retry. The
policy:

- cancel requested: :attr:`ActivityContext.cancel_requested` is set and
  :class:`ActivityCanceled` (a ``BaseException``, so ``except Exception``
  does not swallow it) is raised inside the function once, at a point where
  nothing can wrap it: never inside the function's own
  :meth:`ActivityContext.heartbeat` call to SWF, which raises it itself once
  its call returned. When the function then ends by raising anything, the
  task is answered canceled (``RespondActivityTaskCanceled``); a function
  that catches :class:`ActivityCanceled` and returns completes the task.
- task gone (``UnknownResourceFault``: it timed out, or its execution was
  closed or terminated): the function is killed (delivered the same way),
  the task is not answered even if the function returns, and
  ``activity_task_gone`` is sent.
- throttled: that beat is skipped (``heartbeat_failed``); the next one is
  sent on time.
- any other error (connection, 5xx): logged, ``heartbeat_failed``, and the
  beat is retried after a quarter of the interval.

A function run in a thread (``executor="thread"``) cannot be interrupted:
on cancel, gone or shutdown its task is answered (or not) at once and its
thread runs on, its result dropped. A function in a child process
(``executor="process"``) has its process killed.
"""

from __future__ import annotations

import enum
import functools
import logging
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import gevent
from gevent import monkey
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.pool import Group, Pool
from gevent.threadpool import ThreadPool

from swf.actors import ActivityTask, ActivityWorker, Actor, Decider, DomainLike, timed_out_in_a_row
from swf.exceptions import DoesNotExistError, SWFError, ThrottlingError, ValidationError
from swf.models.decisions import fail_workflow_execution
from swf.models.events import DecisionTaskScheduled
from swf.payloads import Payloads
from swf.replay import DecisionMaker
from swf.retry import NO_RETRY, RetryPolicy
from swf_gevent import signals
from swf_gevent._executors import ActivityExit, ProcessPool, RemoteError, default_process_pool, run_in_thread
from swf_gevent.activities import ActivityCanceled, ActivityContext, ActivityDefinition, ActivityRegistry
from swf_gevent.hub_monitor import HubMonitor  # noqa: F401 - importable here as before; its home is hub_monitor
from swf_gevent.pollers import PollerBounds
from swf_gevent.signals import emit

__all__ = [
    "ActorState",
    "DecisionMaker",
    "FAST_EMPTY_POLL",
    "GreenletActivityWorker",
    "GreenletActor",
    "GreenletDecider",
    "MAX_DECISION_TIMEOUTS",
    "ProcessPool",
    "RESPOND_RETRY",
    "SHUTDOWN_REASON",
]

log = logging.getLogger(__name__)

_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 10.0
_EMPTY_PAUSE_FIRST = 0.05  # seconds after the first empty poll that came back at once; doubles
_EMPTY_PAUSE_MAX = 2.0
_FULL_POOL_CHECK = 0.5  # seconds between looks at the stop request while every slot is busy
_FAIL_BACK_WAIT = 30.0  # seconds given to the answers of failed-back tasks before they are killed
_MIN_HEARTBEAT_INTERVAL = 0.05

#: How many decision tasks of one execution may time out in a row before a
#: failing one fails the execution (:class:`GreenletDecider`).
MAX_DECISION_TIMEOUTS = 5

#: The reason of an activity task failed back because its worker is stopping.
SHUTDOWN_REASON = "WorkerShutdown: the worker stopped before the task finished"

#: Seconds under which an empty poll counts as answered at once (SWF holds
#: an empty poll for 60 s); such polls are followed by a growing pause.
FAST_EMPTY_POLL = 0.25

#: How answers (``RespondActivityTask*``, ``RespondDecisionTaskCompleted``)
#: are retried by default: no cap on attempts, jittered delays from 0.1 s
#: doubling up to 5 s (``LimitExceededException``: from 1 s); each answer's
#: deadline is its task's own timeout (:meth:`swf.retry.RetryPolicy.with_deadline`).
RESPOND_RETRY = RetryPolicy(
    max_attempts=None,
    base_delay=timedelta(milliseconds=100),
    max_delay=timedelta(seconds=5),
    deadline=None,
)


class ActorState(enum.Enum):
    """Where a greenlet actor is in its life."""

    NEW = "new"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"


class _WorkerShutdown(BaseException):
    """Thrown into a running activity function when its worker's stop timeout expired."""


class _TaskGone(BaseException):
    """Thrown into a running activity function whose task SWF no longer knows."""


#: What the worker raises inside a running function, least to most severe:
#: a later, more severe one is still delivered after a lesser one.
_INTERRUPTS: tuple[type[BaseException], ...] = (ActivityCanceled, _WorkerShutdown, _TaskGone)


class _PollAbandoned(Exception):
    """Raised instead of a poll's next retry attempt once stop was asked: the poll brought nothing."""


class GreenletActor(gevent.Greenlet):  # type: ignore[misc]
    """A greenlet polling one task list with a bounded pool of task slots.

    :param actor: the synchronous actor that speaks to SWF.
    :param slots: how many tasks may run at once (at least 1).
    :param pollers: long polls in flight: ``n``, or ``(minimum, maximum)``
        to scale between (:mod:`swf_gevent.pollers`); never more than the free slots.
    :param restart_delay: seconds before the loop is restarted after its
        first crash (above 0); doubles with each crash in a row.
    :param max_restart_delay: the longest pause before a restart, seconds.
    :param respond_retry: the retry policy of the answers to tasks: by
        default :data:`RESPOND_RETRY`, each retry sent as ``call_retried`` by
        this actor; ``None`` sends each once. Each answer's deadline is
        shortened to its task's own timeout.
    :raises ValueError: ``slots`` below 1, or a restart delay not above 0
        (or the maximum below the first), naming the parameter.
    """

    def __init__(
        self,
        actor: Actor,
        slots: int = 1,
        *,
        pollers: int | tuple[int, int] | PollerBounds = 1,
        restart_delay: float = 1.0,
        max_restart_delay: float = 60.0,
        respond_retry: RetryPolicy | None = RESPOND_RETRY,
    ) -> None:
        bounds = PollerBounds.of(pollers)
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        for name, value in (("restart_delay", restart_delay), ("max_restart_delay", max_restart_delay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a number of seconds above 0, got {value!r}")
        if max_restart_delay < restart_delay:
            raise ValueError(
                f"max_restart_delay ({max_restart_delay} s) must not be below restart_delay ({restart_delay} s)"
            )
        super().__init__()
        self.actor = actor
        #: The least and the most long polls in flight.
        self.poller_bounds = bounds
        self._pool = Pool(slots)
        self._free = Semaphore(slots)  # a unit per slot: held by a poll in flight, then by its task
        self._pollers = Group()
        self._respond_policy = respond_retry
        self._respond_policy_ready = respond_retry is not RESPOND_RETRY
        self._state = ActorState.NEW
        self._stop_requested = Event()
        self._deadline: float | None = None
        self._failing_back = False
        self._restart_first = float(restart_delay)
        self._restart_max = float(max_restart_delay)
        self._restart_next = self._restart_first
        self._poll_retry: RetryPolicy | None = None
        self._poll_retry_ready = False
        #: How many times the loop crashed and was restarted.
        self.restarts = 0

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} domain={self.actor.domain!r} "
            f"task_list={self.actor.task_list!r} state={self._state.value}>"
        )

    @property
    def state(self) -> ActorState:
        """The lifecycle state."""
        return self._state

    @property
    def started(self) -> bool:
        """``True`` once :meth:`start` was called (also while stopping and after)."""
        return self._state is not ActorState.NEW

    @property
    def stopping(self) -> bool:
        """``True`` between :meth:`stop` and the end of the loop."""
        return self._state is ActorState.STOPPING

    @property
    def stopped(self) -> bool:
        """``True`` once the loop ended (or :meth:`stop` came before :meth:`start`)."""
        return self._state is ActorState.STOPPED

    @property
    def running_tasks(self) -> int:
        """How many tasks are running now."""
        return len(self._pool)

    @property
    def pollers(self) -> int:
        """How many pollers run now (each holds a long poll, or waits for a free slot to hold one)."""
        return len(self._pollers)

    @property
    def respond_retry(self) -> RetryPolicy | None:
        """The retry policy of the answers to tasks (the default one is derived on first use, not per idle actor)."""
        if not self._respond_policy_ready:
            # The default: the same policy, its retries sent as call_retried by this actor.
            self._respond_policy = signals.retry_policy(RESPOND_RETRY, sender=self)
            self._respond_policy_ready = True
        return self._respond_policy

    def _answer_retry(self, seconds_left: float | None) -> RetryPolicy | None:
        """:attr:`respond_retry` with its deadline shortened to ``seconds_left`` (``None``: as it is)."""
        policy = self.respond_retry
        return policy if policy is None else policy.with_deadline(seconds_left)

    @property
    def poll_retry(self) -> RetryPolicy | None:
        """The retry policy of this actor's polls: its client's, made to give up when the actor stops.

        Same attempts, delays, deadline and ``on_retry`` hook as the client's
        policy (:attr:`swf.actors.Actor.retry_policy`), but each backoff pause
        waits on the stop request: once :meth:`stop` or :meth:`kill` is
        called, the pause ends and the poll is abandoned without another
        attempt. An attempt already sent is never cut short, so a poll that
        may carry a task still returns it. ``None`` when the client sends
        each call once. Derived on first use.
        """
        if not self._poll_retry_ready:
            base = self.actor.retry_policy
            self._poll_retry = None if base is None else replace(base, sleep=self._poll_backoff)
            self._poll_retry_ready = True
        return self._poll_retry

    def _poll_backoff(self, seconds: float) -> None:
        """A poll's pause between retry attempts: ``seconds`` long, or abandon the poll when stop is asked."""
        if self._stop_requested.wait(seconds):
            raise _PollAbandoned()

    def start(self) -> None:
        """Schedule the loop to run.

        :raises RuntimeError: the actor was started or stopped already, or
            gevent has not patched ``socket`` in this process (then the first
            poll would block every greenlet for up to 60 s); the message says
            how to patch.
        """
        if self._state is not ActorState.NEW:
            raise RuntimeError(f"{self!r} cannot start: it is {self._state.value}")
        if not monkey.is_module_patched("socket"):
            raise RuntimeError(
                f"{self!r} cannot start: gevent has not patched socket in this process, so each poll would block "
                "every greenlet; put 'from gevent import monkey; monkey.patch_all()' first thing in the program, "
                "before any other import"
            )
        self._state = ActorState.STARTED
        super().start()

    def stop(self, timeout: float | None = None) -> None:
        """Warm shutdown: stop polling, let running tasks finish, fail back the rest.

        Blocks until the actor stopped: the poll under way has returned (SWF
        holds a poll up to 60 s; its task runs too; a poll pausing between
        retry attempts is abandoned at once), the running tasks ended,
        and those still running ``timeout`` seconds after this call were
        failed back (activity tasks, reason :data:`SHUTDOWN_REASON`) or
        dropped (decision tasks). Sends ``actor_stopping`` at once and
        ``actor_stopped`` at the end. Safe before :meth:`start` and twice;
        a second call waits with the first call's timeout.

        :param timeout: seconds running tasks get to finish; ``None`` waits
            for them as long as they take.
        """
        if self._state is ActorState.NEW:
            self._state = ActorState.STOPPED
            super().kill(block=False)
            return
        if self._state is ActorState.STOPPED:
            return
        if self._state is ActorState.STARTED:
            self._state = ActorState.STOPPING
            self._deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
            emit(signals.actor_stopping, self, timeout=timeout)
            self._stop_requested.set()
        self.join()

    def kill(self, exception: Any = gevent.GreenletExit, block: bool = True, timeout: float | None = None) -> None:
        """Cold stop: kill the loop and every running task now; nothing is answered.

        Tasks killed this way are left to their SWF timeouts. Prefer
        :meth:`stop`.

        :param exception: raised in the loop's greenlet (``GreenletExit``).
        :param block: wait until the greenlet is dead.
        :param timeout: seconds to wait when ``block``; ``None`` for no limit.
        """
        if self._state is ActorState.NEW:
            self._state = ActorState.STOPPED
        elif self._state is ActorState.STARTED:
            self._state = ActorState.STOPPING
        self._stop_requested.set()
        super().kill(exception, block=block, timeout=timeout)
        if self.dead:
            self._pollers.kill(block=block, timeout=timeout)
            self._pool.kill(block=block, timeout=timeout)
            self._state = ActorState.STOPPED

    def _run(self) -> None:
        emit(signals.actor_started, self)
        log.debug("%r started", self)
        try:
            for _ in range(self.poller_bounds.minimum):
                self._pollers.spawn(self._poller)
            self._pollers_changed()
            self._stop_requested.wait()
            self._pollers.join()  # each returns once its poll under way did
            self._drain()
        finally:
            self._pollers.kill(block=True)
            self._pool.kill(block=True)
            self._state = ActorState.STOPPED
            log.debug("%r stopped", self)
            emit(signals.actor_stopped, self)

    def _pollers_changed(self) -> None:
        bounds = self.poller_bounds
        emit(signals.pollers_changed, self, pollers=len(self._pollers), minimum=bounds.minimum, maximum=bounds.maximum)

    def _poller(self) -> None:
        """One poller: :meth:`_loop` until stop or scaled down, restarted after a crash."""
        while not self._stop_requested.is_set():
            try:
                self._loop()
                return
            except Exception as err:  # the loop's own bug: supervise, restart it
                delay = self._restart_next
                self._restart_next = min(delay * 2, self._restart_max)
                self.restarts += 1
                log.exception("%r crashed; its loop restarts in %.1f s", self, delay)
                emit(signals.actor_crashed, self, error=err, restart_in=delay)
                self._stop_requested.wait(delay)

    def _loop(self) -> None:
        """Take a free slot, poll, run the task in that slot; until stop is asked, or this poller is one too many."""
        backoff = _BACKOFF_FIRST
        empty_pause = _EMPTY_PAUSE_FIRST
        while not self._stop_requested.is_set():
            if not self._free.acquire(timeout=_FULL_POOL_CHECK):
                continue  # every slot is busy: look at the stop request, wait again
            held = True
            try:
                began = time.monotonic()
                try:
                    task = self._poll()
                    gevent.sleep(0)  # a poll answered without I/O (a test double) must not starve the hub
                except _PollAbandoned:
                    log.debug("%r: a poll retrying at the stop request was abandoned", self)
                    continue
                except SWFError as err:
                    log.warning("%r poll failed (%s); next poll in %.1f s", self, err, backoff)
                    emit(signals.poll_failed, self, error=err, retry_in=backoff)
                    self._stop_requested.wait(backoff)
                    backoff = min(backoff * 2, _BACKOFF_MAX)
                    continue
                backoff = _BACKOFF_FIRST
                self._restart_next = self._restart_first
                if task is None:
                    took = time.monotonic() - began
                    emit(signals.poll_empty, self, duration=took)
                    if self.poller_bounds.after_empty(len(self._pollers)):
                        self._pollers.discard(gevent.getcurrent())
                        self._pollers_changed()
                        return
                    if took < FAST_EMPTY_POLL:  # no long poll behind it: do not ask again at once
                        self._stop_requested.wait(empty_pause)
                        empty_pause = min(empty_pause * 2, _EMPTY_PAUSE_MAX)
                    else:
                        empty_pause = _EMPTY_PAUSE_FIRST
                    continue
                empty_pause = _EMPTY_PAUSE_FIRST
                # The slot this poll held passes to its task, released once the task's greenlet left the pool.
                assert not self._pool.full(), f"{self!r} polled a task without a free slot"
                worker = self._pool.spawn(self._handle, task)
                worker.rawlink(self._release_slot)
                held = False
                if not self._stop_requested.is_set() and self.poller_bounds.after_task(
                    len(self._pollers), self._free.counter
                ):
                    self._pollers.spawn(self._poller)
                    self._pollers_changed()
            finally:
                if held:
                    self._free.release()

    def _release_slot(self, _: Any) -> None:
        self._free.release()

    def _drain(self) -> None:
        """After the loop: wait for running tasks until the deadline, then fail back the rest."""
        if len(self._pool) == 0:
            return
        remaining = None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)
        if self._pool.join(timeout=remaining):
            return
        self._failing_back = True
        log.warning("%r: %d tasks still running at the stop timeout; failing them back", self, len(self._pool))
        self._fail_back()
        if not self._pool.join(timeout=_FAIL_BACK_WAIT):
            log.warning(
                "%r: %d tasks not answered %s s after fail-back; killing them", self, len(self._pool), _FAIL_BACK_WAIT
            )

    def _fail_back(self) -> None:
        """Make the running tasks end now; by default they are killed, not answered."""
        self._pool.kill(block=True)

    def _poll(self) -> Any:
        """Poll once; the task or ``None``."""
        raise NotImplementedError

    def _handle(self, task: Any) -> None:
        """Run user code on ``task`` and answer SWF; must not raise."""
        raise NotImplementedError


class GreenletDecider(GreenletActor):
    """A greenlet deciding the tasks of one task list with ``decision_maker.decide``.

    ``decide(task)`` gets the decision task with its whole history and
    returns SWF ``Decision`` dicts; they are sent with
    ``RespondDecisionTaskCompleted`` (reasons and details cut to fit, the
    list and the request size checked first: see
    :meth:`swf.actors.Decider.complete`). It must be stateless: one instance
    serves many greenlets and executions at once.

    A decision task fails when ``decide`` raises, or its decisions cannot be
    sent (refused before the call, or SWF answers ``ValidationException``).
    A failed task is left to time out, so SWF hands it out again
    (``decision_task_failed``), unless the execution's last
    ``max_decision_timeouts`` decision tasks all timed out (counted from the
    history by :func:`swf.actors.timed_out_in_a_row`). Then the decider fails the execution
    (``FailWorkflowExecution``, reason ``"<ExceptionType>: <message>"`` cut
    to 256 characters with a marker, details the whole reason and the
    traceback) and sends ``execution_failed_by_decider``, so a decider that
    always fails cannot keep an execution looping until its own timeout.
    Other SWF errors of the answer (throttled, task gone) leave the task to
    time out without counting against the decider.

    :param domain: the domain, by name or as a model with a ``name``.
    :param task_list: the decision task list.
    :param decision_maker: the object with ``decide``.
    :param client: the boto3 SWF client shared by the fleet.
    :param identity: recorded in the history; defaults to ``host:pid``.
    :param slots: decision tasks handled at once by this actor.
    :param pollers: long polls in flight, ``n`` or ``(minimum, maximum)`` (see :class:`GreenletActor`).
    :param restart_delay: see :class:`GreenletActor`.
    :param max_restart_delay: see :class:`GreenletActor`.
    :param max_decision_timeouts: decision tasks of one execution that may
        time out in a row before the next failing one fails the execution
        (0 fails it on the first failure).
    :raises ValueError: ``max_decision_timeouts`` not an integer of at least 0.
    :param respond_retry: see :class:`GreenletActor`; the deadline of each
        answer is its decision task's ``startToCloseTimeout``.
    :param payloads: the :class:`swf.payloads.Payloads` of the histories read
        and the decisions sent; a data field that cannot fit raises
        :class:`~swf.exceptions.PayloadTooLarge` and holds the decision task,
        as a failing decider does.
    """

    def __init__(
        self,
        domain: DomainLike,
        task_list: str,
        decision_maker: DecisionMaker,
        client: Any = None,
        identity: str | None = None,
        slots: int = 1,
        *,
        pollers: int | tuple[int, int] | PollerBounds = 1,
        restart_delay: float = 1.0,
        max_restart_delay: float = 60.0,
        max_decision_timeouts: int = MAX_DECISION_TIMEOUTS,
        respond_retry: RetryPolicy | None = RESPOND_RETRY,
        payloads: Payloads | None = None,
    ) -> None:
        if (
            isinstance(max_decision_timeouts, bool)
            or not isinstance(max_decision_timeouts, int)
            or max_decision_timeouts < 0
        ):
            raise ValueError(f"max_decision_timeouts must be an integer of at least 0, got {max_decision_timeouts!r}")
        super().__init__(
            Decider(domain, task_list, client=client, identity=identity, payloads=payloads),
            slots,
            pollers=pollers,
            restart_delay=restart_delay,
            max_restart_delay=max_restart_delay,
            respond_retry=respond_retry,
        )
        self.decider: Decider = self.actor  # type: ignore[assignment]
        self.decision_maker = decision_maker
        #: Decision tasks of one execution that may time out in a row before a failing one fails it.
        self.max_decision_timeouts = max_decision_timeouts

    def _poll(self) -> Any:
        return self.decider.poll(retry=self.poll_retry)

    def _decision_retry(self, task: Any, began: float) -> RetryPolicy | None:
        """:attr:`respond_retry` until SWF times the task out (its ``DecisionTaskScheduled`` timeout, from ``began``)."""
        for event in reversed(task.history):
            if isinstance(event, DecisionTaskScheduled) and event.event_id < task.started_event_id:
                timeout = event.start_to_close_timeout
                if timeout is not None:
                    return self._answer_retry(timeout.total_seconds() - (time.monotonic() - began))
                break
        return self.respond_retry

    def _handle(self, task: Any) -> None:
        emit(signals.decision_task_received, self, task=task)
        began = time.monotonic()
        try:
            decisions = list(self.decision_maker.decide(task))
        except Exception as err:  # user code: never kill the actor
            self._failed(task, err, began)
            return
        try:
            self.decider.complete(
                task.task_token,
                decisions,
                retry=self._decision_retry(task, began),
                workflow_id=task.workflow_execution.workflow_id,
            )
        except ValidationError as err:  # refused before the call, or SWF's ValidationException
            self._failed(task, err, began)
            return
        except SWFError as err:  # throttled, task gone, endpoint down: not the decider's fault
            self._left_to_time_out(task, err, began, "could not be answered")
            return
        except Exception as err:  # decisions that cannot even be encoded
            self._failed(task, err, began)
            return
        emit(
            signals.decision_task_completed,
            self,
            task=task,
            decisions=decisions,
            duration=time.monotonic() - began,
        )

    def _failed(self, task: Any, error: Exception, began: float) -> None:
        """A failed decision task: left to time out, or the execution failed once enough timed out in a row."""
        timeouts = timed_out_in_a_row(task)
        if timeouts >= self.max_decision_timeouts:
            self._fail_execution(task, error, timeouts, began)
        else:
            self._left_to_time_out(task, error, began, "failed")

    def _left_to_time_out(self, task: Any, error: Exception, began: float, what: str) -> None:
        execution = task.workflow_execution
        log.error(
            "decision task %s of workflow %s run %s %s; it will time out and be retried",
            task.started_event_id,
            execution.workflow_id,
            execution.run_id,
            what,
            exc_info=error,
        )
        emit(signals.decision_task_failed, self, task=task, error=error, duration=time.monotonic() - began)

    def _fail_execution(self, task: Any, error: Exception, timeouts: int, began: float) -> None:
        """Answer ``task`` with ``FailWorkflowExecution`` naming ``error``, after ``timeouts`` timed-out tasks."""
        execution = task.workflow_execution
        reason, trace = _failure_text(error)
        details = f"decision tasks timed out in a row before this failed one: {timeouts}\n\n{trace}"
        decision = fail_workflow_execution(reason, details)
        try:
            self.decider.complete(task.task_token, [decision], workflow_id=task.workflow_execution.workflow_id)
        except SWFError as refused:
            log.warning(
                "decision task %s of workflow %s run %s: failing the execution was refused (%s)",
                task.started_event_id,
                execution.workflow_id,
                execution.run_id,
                refused,
            )
            self._left_to_time_out(task, error, began, "failed")
            return
        sent = decision["failWorkflowExecutionDecisionAttributes"]["reason"]
        log.error(
            "decision task %s of workflow %s run %s failed after %d decision tasks in a row timed out; "
            "answered with FailWorkflowExecution: %s",
            task.started_event_id,
            execution.workflow_id,
            execution.run_id,
            timeouts,
            sent,
            exc_info=error,
        )
        emit(
            signals.execution_failed_by_decider,
            self,
            task=task,
            error=error,
            timeouts=timeouts,
            reason=sent,
            duration=time.monotonic() - began,
        )


class _Run:
    """One activity task being performed: what heartbeats and shutdown need to reach it.

    An interrupt (:data:`_INTERRUPTS`) is kept in ``pending`` until it can be
    delivered: thrown into the task's greenlet while the function runs and
    is not inside the worker's own call to SWF (``in_call``), or raised by
    :meth:`ActivityContext.heartbeat` once its call returned.
    """

    __slots__ = ("task", "greenlet", "context", "in_function", "in_call", "pending", "delivered", "began", "beating")

    def __init__(self, task: ActivityTask, greenlet: Any) -> None:
        self.task = task
        self.greenlet = greenlet
        self.context: ActivityContext | None = None
        self.in_function = False  # interrupts are delivered only while the function runs
        self.in_call = False  # the function is inside its own heartbeat call: delivered after it
        self.pending: BaseException | None = None
        self.delivered: set[type[BaseException]] = set()
        self.began = time.monotonic()
        self.beating: Any = None  # the heartbeat greenlet: beats until the task is answered

    def was_delivered(self, kind: type[BaseException]) -> bool:
        """Whether an interrupt of ``kind`` was raised in the function."""
        return kind in self.delivered

    def take_pending(self) -> BaseException | None:
        """The pending interrupt, now counted as delivered; ``None`` when there is none."""
        error, self.pending = self.pending, None
        if error is not None:
            self.delivered.add(type(error))
        return error


class GreenletActivityWorker(GreenletActor):
    """A greenlet performing the activity tasks of one task list with registered functions.

    :param domain: the domain, by name or as a model with a ``name``.
    :param task_list: the activity task list.
    :param activities: the functions by activity type: an
        :class:`~swf_gevent.activities.ActivityRegistry`
        (``ActivityRegistry.from_modules(["mypackage.activities"])``), or an
        iterable of :func:`~swf_gevent.activities.activity`-marked functions,
        gathered into one.
    :param client: the boto3 SWF client shared by the fleet.
    :param identity: recorded in the history; defaults to ``host:pid``.
    :param slots: activity tasks run at once by this actor.
    :param pollers: long polls in flight, ``n`` or ``(minimum, maximum)`` (see :class:`GreenletActor`).
    :param restart_delay: see :class:`GreenletActor`.
    :param max_restart_delay: see :class:`GreenletActor`.
    :param respond_retry: the retry policy of ``RespondActivityTaskCompleted``,
        ``Failed`` and ``Canceled``: by default :data:`RESPOND_RETRY`, each
        retry sent as ``call_retried`` by this worker; ``None`` sends each
        once. Each answer's deadline is shortened to the task's own timeout
        (see the module doc).
    :param heartbeat_retry: the retry policy of automatic and explicit
        heartbeats; :data:`swf.retry.NO_RETRY` by default (a throttled beat
        is skipped, not retried for minutes).
    :param thread_pool: where ``executor="thread"`` functions run; the
        hub's thread pool by default.
    :param process_pool: where ``executor="process"`` functions run; the
        process-wide :class:`ProcessPool` (as many children as CPUs) by default.
    :param payloads: the :class:`swf.payloads.Payloads` of task inputs, results
        and details; a result that cannot fit fails its task with
        :class:`~swf.exceptions.PayloadTooLarge`'s message as the reason.
    :raises TypeError: ``activities`` is neither (a dict, a module, an
        unmarked function...), saying what it takes.
    :raises ValueError: two of the functions perform the same activity type.
    """

    def __init__(
        self,
        domain: DomainLike,
        task_list: str,
        activities: ActivityRegistry | Iterable[Callable[..., Any]],
        client: Any = None,
        identity: str | None = None,
        slots: int = 1,
        *,
        pollers: int | tuple[int, int] | PollerBounds = 1,
        restart_delay: float = 1.0,
        max_restart_delay: float = 60.0,
        respond_retry: RetryPolicy | None = RESPOND_RETRY,
        heartbeat_retry: RetryPolicy | None = NO_RETRY,
        thread_pool: ThreadPool | None = None,
        process_pool: ProcessPool | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        registry = ActivityRegistry.of(activities)
        super().__init__(
            ActivityWorker(domain, task_list, client=client, identity=identity, payloads=payloads),
            slots,
            pollers=pollers,
            restart_delay=restart_delay,
            max_restart_delay=max_restart_delay,
            respond_retry=respond_retry,
        )
        self.worker: ActivityWorker = self.actor  # type: ignore[assignment]
        self.activities = registry
        self.heartbeat_retry = heartbeat_retry
        self._thread_pool = thread_pool
        self._process_pool = process_pool
        self._runs: dict[Any, _Run] = {}

    def _poll(self) -> ActivityTask | None:
        return self.worker.poll(retry=self.poll_retry)

    def _handle(self, task: ActivityTask) -> None:
        run = _Run(task, gevent.getcurrent())
        self._runs[run.greenlet] = run
        emit(signals.activity_task_received, self, task=task)
        error: BaseException | None = None
        result: str | None = None
        try:
            try:
                try:
                    if self._failing_back:
                        raise _WorkerShutdown()
                    result = self._perform(run)
                finally:
                    run.in_function = False
                    self._runs.pop(run.greenlet, None)
            except gevent.GreenletExit:  # the cold kill: nothing is answered
                raise
            except BaseException as err:  # everything else the function (or its interrupts) raised is an outcome
                error = err
            self._conclude(run, result, error)
        finally:
            if run.beating is not None:
                run.beating.kill(block=True)

    def _conclude(self, run: _Run, result: str | None, error: BaseException | None) -> None:
        """Answer the task from how its function ended (heartbeats go on meanwhile, so a slow answer keeps it)."""
        task, began = run.task, run.began
        if isinstance(error, _TaskGone) or run.was_delivered(_TaskGone):
            log.info(
                "activity %s of workflow %s is gone (timed out or its execution closed); killed, not answered",
                task.activity_id,
                task.workflow_execution.workflow_id,
            )
            emit(signals.activity_task_gone, self, task=task, duration=time.monotonic() - began)
        elif error is None:
            if self._answer(run, "complete", self.worker.complete, result):
                emit(signals.activity_task_completed, self, task=task, result=result, duration=time.monotonic() - began)
        elif isinstance(error, _WorkerShutdown) or run.was_delivered(_WorkerShutdown):
            self._report_failure(run, SHUTDOWN_REASON, None)
        elif isinstance(error, ActivityCanceled) or run.was_delivered(ActivityCanceled):
            details = error.details if isinstance(error, ActivityCanceled) else _failure_text(error)[0]
            if self._answer(run, "cancel", self.worker.cancel, details):
                emit(
                    signals.activity_task_canceled,
                    self,
                    task=task,
                    details=details,
                    duration=time.monotonic() - began,
                )
        else:  # the function's failure is the task's failure, SystemExit and KeyboardInterrupt included
            reason, details = _failure_text(error)
            self._report_failure(run, reason, details)

    def _report_failure(self, run: _Run, reason: str, details: str | None) -> None:
        log.debug("activity %s failed: %s", run.task.activity_id, reason)
        fail = functools.partial(self.worker.fail, workflow_id=run.task.workflow_execution.workflow_id)
        if self._answer(run, "fail", fail, details, reason):
            emit(
                signals.activity_task_failed,
                self,
                task=run.task,
                reason=reason,
                details=details,
                duration=time.monotonic() - run.began,
            )

    def _time_left(self, run: _Run) -> float | None:
        """Seconds until SWF times the task out, from its type's timeouts; ``None`` when it never does."""
        name, version = run.task.activity_type
        definition = self.activities.get(name, version)
        if definition is None:
            return None
        limits = [
            limit.total_seconds()
            for limit in (definition.start_to_close_timeout, definition.schedule_to_close_timeout)
            if limit is not None
        ]
        return min(limits) - (time.monotonic() - run.began) if limits else None

    def _answer(self, run: _Run, verb: str, answer: Callable[..., None], *args: Any) -> bool:
        """Send one answer about the task; ``False`` when SWF refused it or it could not be sent.

        Retried under :attr:`respond_retry` until the task's own timeout. A
        refusal because the task is gone sends ``activity_task_gone``; any
        other failure (retries exhausted) is logged, and the task is left to
        its SWF timeout.
        """
        task = run.task
        try:
            answer(task.task_token, *args, retry=self._answer_retry(self._time_left(run)))
        except DoesNotExistError:
            log.info(
                "activity %s of workflow %s: %s refused, the task is gone (timed out or its execution closed)",
                task.activity_id,
                task.workflow_execution.workflow_id,
                verb,
            )
            emit(signals.activity_task_gone, self, task=task, duration=time.monotonic() - run.began)
            return False
        except SWFError as err:
            log.warning(
                "activity %s of workflow %s: %s not accepted: %s",
                task.activity_id,
                task.workflow_execution.workflow_id,
                verb,
                err,
            )
            return False
        return True

    def _perform(self, run: _Run) -> str | None:
        """Run the task's function; its encoded return value (``None`` sends no result)."""
        task = run.task
        name, version = task.activity_type
        definition = self.activities.get(name, version)
        if definition is None:
            raise LookupError(f"no function performs activity type {name!r} version {version!r}")
        payload = definition.codec.decode(task.input)
        in_hub = definition.executor == "hub"
        run.context = ActivityContext(
            task, (lambda details: self._explicit_heartbeat(run, details)) if in_hub else None
        )
        if definition.heartbeat_timeout is not None:
            run.beating = gevent.spawn(self._heartbeat_loop, run, definition.heartbeat_timeout)
        try:
            if self._failing_back:
                raise _WorkerShutdown()
            run.in_function = True
            pending = run.take_pending()  # an interrupt that came before the function started
            if pending is not None:
                raise pending
            value = self._call(definition, payload, run.context)
        finally:
            run.in_function = False
        # encoded (and stored, when offloaded) here, so a result that cannot fit fails the task with that reason
        return self.worker.encode_result(definition.codec.encode(value), task.workflow_execution.workflow_id)

    def _call(self, definition: ActivityDefinition, payload: Any, context: ActivityContext) -> Any:
        function = definition.function
        kwargs = {"context": context} if definition.wants_context else {}
        if definition.executor == "hub":
            try:
                return function(payload, **kwargs)
            except (Exception, gevent.GreenletExit, *_INTERRUPTS):
                raise
            except BaseException as err:  # SystemExit, KeyboardInterrupt...: a failure, never the process's end
                raise ActivityExit(err) from err
        if definition.executor == "thread":
            return run_in_thread(function, payload, pool=self._thread_pool, **kwargs)
        pool = self._process_pool if self._process_pool is not None else default_process_pool()
        return pool.run(function, payload)

    def _heartbeat(self, run: _Run, details: str | None) -> bool:
        """One heartbeat now; whether cancellation was requested (raises what the call raised)."""
        cancel_requested = self.worker.heartbeat(
            run.task.task_token,
            details,
            retry=self.heartbeat_retry,
            workflow_id=run.task.workflow_execution.workflow_id,
        )
        emit(signals.heartbeat_sent, self, task=run.task, cancel_requested=cancel_requested)
        return cancel_requested

    def _explicit_heartbeat(self, run: _Run, details: str | None) -> bool:
        """A heartbeat the function asked for, under the same policy as the automatic ones.

        No interrupt is thrown into the function during the call: one that
        arrived meanwhile, or the cancellation this call learned of, is
        raised here once the call returned. Gone: :class:`_TaskGone` (not
        answered). Throttled or failed: logged and skipped. Returns whether
        cancellation was requested (true only after :class:`ActivityCanceled`
        was raised once and caught).
        """
        run.in_call = True
        try:
            cancel_requested = self._heartbeat(run, details)
        except DoesNotExistError:
            self._interrupt(run, _TaskGone())
            cancel_requested = False
        except SWFError as err:
            log.info("heartbeat of activity %s skipped: %s", run.task.activity_id, err)
            emit(signals.heartbeat_failed, self, task=run.task, error=err)
            cancel_requested = False
        finally:
            run.in_call = False
        if cancel_requested:
            self._cancel_requested(run)
        pending = run.take_pending()
        if pending is not None:
            raise pending
        return run.context is not None and run.context.cancel_requested

    def _cancel_requested(self, run: _Run) -> None:
        """Record that SWF asked to cancel the task, and have :class:`ActivityCanceled` raised in it once."""
        if run.context is not None and not run.context.cancel_requested:
            run.context.cancel_requested = True
            log.info("activity %s: cancellation requested", run.task.activity_id)
        self._interrupt(run, ActivityCanceled())

    def _heartbeat_loop(self, run: _Run, timeout: timedelta) -> None:
        """Heartbeat every third of ``timeout`` while the function runs, under the written policy."""
        interval = max(timeout.total_seconds() / 3, _MIN_HEARTBEAT_INTERVAL)
        task = run.task
        pause = interval
        while True:
            gevent.sleep(pause)
            pause = interval
            context = run.context
            try:
                cancel_requested = self._heartbeat(run, context.details if context is not None else None)
            except DoesNotExistError:
                self._interrupt(run, _TaskGone())
                return
            except ThrottlingError as err:
                log.info("heartbeat of activity %s throttled; this beat is skipped", task.activity_id)
                emit(signals.heartbeat_failed, self, task=task, error=err)
                continue
            except SWFError as err:
                log.warning("heartbeat of activity %s failed (%s); retrying", task.activity_id, err)
                emit(signals.heartbeat_failed, self, task=task, error=err)
                pause = interval / 4
                continue
            if cancel_requested:
                self._cancel_requested(run)

    def _interrupt(self, run: _Run, error: BaseException) -> None:
        """Have ``error`` raised inside the task's function once, where nothing can wrap it.

        Kept in ``run.pending`` unless an interrupt of the same kind was
        delivered already or a more severe one waits. Thrown into the task's
        greenlet from the hub while the function runs outside the worker's own
        SWF calls; during such a call, :meth:`_explicit_heartbeat` raises it
        after the call returned.
        """
        rank = _INTERRUPTS.index(type(error))
        if type(error) in run.delivered:
            return
        if run.pending is not None and _INTERRUPTS.index(type(run.pending)) >= rank:
            return
        run.pending = error

        def deliver() -> None:
            if run.pending is None or not run.in_function or run.in_call or run.greenlet.dead:
                return  # delivered meanwhile, not yet in the function, or its heartbeat call raises it
            run.greenlet.throw(run.take_pending())

        gevent.get_hub().loop.run_callback(deliver)

    def _fail_back(self) -> None:
        for run in list(self._runs.values()):
            self._interrupt(run, _WorkerShutdown())


def _failure_text(error: BaseException) -> tuple[str, str]:
    """``(reason, details)`` of a function's failure: ``"Type: message"`` and the traceback."""
    if isinstance(error, RemoteError):
        return f"{error.type_name}: {error.message}", error.remote_traceback
    if isinstance(error, ActivityExit):
        error = error.error
    return f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error))
