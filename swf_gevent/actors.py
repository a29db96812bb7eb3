"""Deciders and activity workers as gevent greenlets.

Each actor is a :class:`gevent.Greenlet` whose loop is: wait for a free
slot in its :class:`gevent.pool.Pool`, poll, hand the task to user code in
that slot, answer SWF. It polls only when a slot is free, so it never takes
a task it cannot start at once. Hundreds of them share one boto3 client
(give it ``max_pool_connections`` of at least the number of actors).

Lifecycle (:attr:`GreenletActor.state`): ``new`` -> ``started`` ->
``stopping`` -> ``stopped``. :meth:`GreenletActor.stop` asks the loop to
end after the poll under way, waits for the running tasks, and kills the
greenlet if that takes longer than its ``timeout``. Starting twice raises;
stopping before start, or twice, is harmless.

What user code raises never kills an actor: a failing activity function
fails its task (``RespondActivityTaskFailed``), a failing ``decide`` leaves
its decision task to time out so SWF hands it out again. A failing poll is
retried with a growing pause (0.1 s up to 10 s).

Heartbeats: when an activity type has a heartbeat timeout, a heartbeat
greenlet runs beside the function and heartbeats every third of it. If
cancellation is requested, :attr:`ActivityContext.cancel_requested` becomes
true and the function may raise :class:`ActivityCanceled`; a function that
returns anyway completes the task. If throttled or unreachable, the beat is
skipped and the next is tried on time. If the task is gone (closed or timed
out), heartbeating stops; the function runs on and its answer, refused by
SWF, is logged.
"""

from __future__ import annotations

import enum
import json
import logging
import time
import traceback
from datetime import timedelta
from typing import Any, Iterable, Mapping, Optional, Protocol

import gevent
from gevent.event import Event
from gevent.pool import Pool

from swf.actors import ActivityTask, ActivityWorker, Actor, Decider, DomainLike
from swf.exceptions import DoesNotExistError, SWFError
from swf.models.decisions import MAX_DATA_LENGTH, MAX_REASON_LENGTH
from swf_gevent import signals
from swf_gevent.activities import ActivityCanceled, ActivityContext, ActivityRegistry
from swf_gevent.signals import emit

__all__ = [
    "ActorState",
    "DecisionMaker",
    "GreenletActivityWorker",
    "GreenletActor",
    "GreenletDecider",
]

log = logging.getLogger(__name__)

_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 10.0


class ActorState(enum.Enum):
    """Where a greenlet actor is in its life."""

    NEW = "new"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"


class DecisionMaker(Protocol):
    """What a decider greenlet asks for decisions: any object with ``decide``."""

    def decide(self, decision_task: Any) -> Iterable[Mapping[str, Any]]:
        """Return the decisions (SWF ``Decision`` dicts) answering ``decision_task``."""
        ...


class GreenletActor(gevent.Greenlet):  # type: ignore[misc]
    """A greenlet polling one task list with a bounded pool of task slots.

    :param actor: the synchronous actor that speaks to SWF.
    :param slots: how many tasks may run at once (at least 1).
    :raises ValueError: ``slots`` below 1.
    """

    def __init__(self, actor: Actor, slots: int = 1) -> None:
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        super().__init__()
        self.actor = actor
        self._pool = Pool(slots)
        self._state = ActorState.NEW
        self._stop_requested = Event()

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

    def start(self) -> None:
        """Schedule the loop to run.

        :raises RuntimeError: the actor was started or stopped already.
        """
        if self._state is not ActorState.NEW:
            raise RuntimeError(f"{self!r} cannot start: it is {self._state.value}")
        self._state = ActorState.STARTED
        super().start()

    def stop(self, timeout: Optional[float] = None) -> None:
        """Ask the loop to end, wait for it, then kill it if it is still running.

        The loop ends after the poll under way returns (SWF holds a poll up
        to 60 s) and the running tasks finish.

        :param timeout: seconds to wait before killing; ``None`` waits as long
            as it takes.
        """
        if self._state is ActorState.NEW:
            self._state = ActorState.STOPPED
            super().kill(block=False)
            return
        if self._state is ActorState.STOPPED:
            return
        self._state = ActorState.STOPPING
        self._stop_requested.set()
        self.join(timeout)
        if not self.dead:
            log.warning("%r did not stop within %s s; killing it", self, timeout)
            self.kill(block=True)

    def _run(self) -> None:
        emit(signals.actor_started, self)
        log.debug("%r started", self)
        backoff = _BACKOFF_FIRST
        try:
            while not self._stop_requested.is_set():
                self._pool.wait_available()
                if self._stop_requested.is_set():
                    break
                try:
                    task = self._poll()
                except SWFError as err:
                    log.warning("%r poll failed (%s); next poll in %.1f s", self, err, backoff)
                    emit(signals.poll_failed, self, error=err)
                    self._stop_requested.wait(backoff)
                    backoff = min(backoff * 2, _BACKOFF_MAX)
                    continue
                backoff = _BACKOFF_FIRST
                if task is not None:
                    self._pool.spawn(self._handle, task)
            self._pool.join()
        finally:
            self._pool.kill(block=True)
            self._state = ActorState.STOPPED
            log.debug("%r stopped", self)
            emit(signals.actor_stopped, self)

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
    ``RespondDecisionTaskCompleted``. It must be stateless: one instance
    serves many greenlets and executions at once.

    :param domain: the domain, by name or as a model with a ``name``.
    :param task_list: the decision task list.
    :param decision_maker: the object with ``decide``.
    :param client: the boto3 SWF client shared by the fleet.
    :param identity: recorded in the history; defaults to ``host:pid``.
    :param slots: decision tasks handled at once by this greenlet.
    """

    def __init__(
        self,
        domain: DomainLike,
        task_list: str,
        decision_maker: DecisionMaker,
        client: Any = None,
        identity: Optional[str] = None,
        slots: int = 1,
    ) -> None:
        super().__init__(Decider(domain, task_list, client=client, identity=identity), slots)
        self.decider: Decider = self.actor  # type: ignore[assignment]
        self.decision_maker = decision_maker

    def _poll(self) -> Any:
        return self.decider.poll()

    def _handle(self, task: Any) -> None:
        execution = task.workflow_execution
        emit(signals.decision_task_received, self, task=task)
        began = time.monotonic()
        try:
            decisions = list(self.decision_maker.decide(task))
            self.decider.complete(task.task_token, decisions)
        except Exception as err:  # user code and SWF both: never kill the actor
            log.exception(
                "decision task %s of workflow %s run %s failed; it will time out and be retried",
                task.started_event_id,
                execution.workflow_id,
                execution.run_id,
            )
            emit(signals.decision_task_failed, self, task=task, error=err, duration=time.monotonic() - began)
            return
        emit(
            signals.decision_task_completed,
            self,
            task=task,
            decisions=decisions,
            duration=time.monotonic() - began,
        )


class GreenletActivityWorker(GreenletActor):
    """A greenlet performing the activity tasks of one task list with registered functions.

    :param domain: the domain, by name or as a model with a ``name``.
    :param task_list: the activity task list.
    :param activities: the functions by activity type.
    :param client: the boto3 SWF client shared by the fleet.
    :param identity: recorded in the history; defaults to ``host:pid``.
    :param slots: activity tasks run at once by this greenlet.
    """

    def __init__(
        self,
        domain: DomainLike,
        task_list: str,
        activities: ActivityRegistry,
        client: Any = None,
        identity: Optional[str] = None,
        slots: int = 1,
    ) -> None:
        super().__init__(ActivityWorker(domain, task_list, client=client, identity=identity), slots)
        self.worker: ActivityWorker = self.actor  # type: ignore[assignment]
        self.activities = activities

    def _poll(self) -> Optional[ActivityTask]:
        return self.worker.poll()

    def _handle(self, task: ActivityTask) -> None:
        emit(signals.activity_task_received, self, task=task)
        began = time.monotonic()
        try:
            result = self._perform(task)
        except ActivityCanceled as canceled:
            if self._send(task, "cancel", self.worker.cancel, task.task_token, canceled.details):
                emit(
                    signals.activity_task_canceled,
                    self,
                    task=task,
                    details=canceled.details,
                    duration=time.monotonic() - began,
                )
        except Exception as err:  # the function's failure is the task's failure
            reason = f"{type(err).__name__}: {err}"
            details = "".join(traceback.format_exception(err))
            log.debug("activity %s failed: %s", task.activity_id, reason[:MAX_REASON_LENGTH])
            if self._send(task, "fail", self.worker.fail, task.task_token, details, reason):
                emit(
                    signals.activity_task_failed,
                    self,
                    task=task,
                    reason=reason,
                    details=details,
                    duration=time.monotonic() - began,
                )
        else:
            if self._send(task, "complete", self.worker.complete, task.task_token, result):
                emit(
                    signals.activity_task_completed,
                    self,
                    task=task,
                    result=result,
                    duration=time.monotonic() - began,
                )

    def _send(self, task: ActivityTask, verb: str, answer: Any, *args: Any) -> bool:
        """Send one answer about ``task``; ``False`` (logged) when SWF refused it."""
        try:
            answer(*args)
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

    def _perform(self, task: ActivityTask) -> Optional[str]:
        """Run the task's function; its JSON-encoded return value (``None`` for ``None``)."""
        name, version = task.activity_type
        definition = self.activities.get(name, version)
        if definition is None:
            raise LookupError(f"no function performs activity type {name!r} version {version!r}")
        try:
            payload = json.loads(task.input) if task.input else None
        except ValueError as err:
            raise ValueError(f"task input is not JSON: {err}") from err
        context = ActivityContext(task, lambda details: self._heartbeat(task, details))
        beating = None
        if definition.heartbeat_timeout is not None:
            beating = gevent.spawn(self._heartbeat_loop, task, context, definition.heartbeat_timeout)
        try:
            if definition.wants_context:
                value = definition.function(payload, context=context)
            else:
                value = definition.function(payload)
        finally:
            if beating is not None:
                beating.kill(block=True)
        if value is None:
            return None
        result = json.dumps(value, separators=(",", ":"))
        if len(result) > MAX_DATA_LENGTH:
            raise ValueError(f"result is {len(result)} characters of JSON; SWF takes at most {MAX_DATA_LENGTH}")
        return result

    def _heartbeat(self, task: ActivityTask, details: Optional[str]) -> bool:
        cancel_requested = self.worker.heartbeat(task.task_token, details)
        emit(signals.heartbeat_sent, self, task=task, cancel_requested=cancel_requested)
        return cancel_requested

    def _heartbeat_loop(self, task: ActivityTask, context: ActivityContext, timeout: timedelta) -> None:
        """Heartbeat every third of ``timeout`` until killed or the task is gone."""
        interval = max(timeout.total_seconds() / 3, 0.05)
        while True:
            gevent.sleep(interval)
            try:
                context.heartbeat()
            except DoesNotExistError:
                log.info("activity %s is gone (closed or timed out); heartbeats stop", task.activity_id)
                return
            except SWFError as err:
                log.warning("heartbeat of activity %s skipped: %s", task.activity_id, err)
