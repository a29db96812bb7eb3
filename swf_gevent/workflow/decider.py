"""The replayer: workflow code run over its history, as an ordinary decider.

:class:`WorkflowDecider` has ``decide(decision_task) -> decisions``, so a
:class:`~swf_gevent.actors.GreenletDecider`, the runner and
:mod:`swf.replay` drive it like any decider. For every decision task a fresh
:class:`WorkflowRun` replays the history checkpoint by checkpoint:

1. Checkpoints are the ``DecisionTaskStarted`` events that were answered
   (``DecisionTaskCompleted``), then the current, unanswered one. A task that
   timed out recorded nothing and merges into the next checkpoint.
2. At each checkpoint the events up to its ``DecisionTaskStarted`` that were
   not delivered yet are delivered in id order; they settle handles
   (results, timers, children), queue signals, request cancellation.
3. The workflow's greenlets (raw ``greenlet.greenlet`` objects, never
   scheduled by the gevent hub) run in creation order until each one waits
   or ends. Their calls queue commands.
4. The runtime picks this checkpoint's answer from the queued commands: at
   most 100 decisions (a zero-second timer ``_next-{n}`` brings the next
   task for the rest), open activities, timers and children kept under a cap,
   the close decision last. At an answered checkpoint the answer must match
   the events the ``DecisionTaskCompleted`` recorded (type, id, activity or
   child type, marker name), else :class:`~swf_gevent.workflow.NondeterminismError`.
5. At the last checkpoint the answer is returned.

Refusals for rate or limit (``*_RATE_EXCEEDED``, ``*_LIMIT_EXCEEDED``) are
re-issued after an internal back-off timer ``_backoff-{n}``; a close refused
with ``UNHANDLED_DECISION`` is re-issued at the next checkpoint.

Bugs (an unexpected exception in workflow code, non-determinism) hold the
decision task: :meth:`WorkflowDecider.decide` raises, the task is not
answered and SWF hands it out again after its timeout. After the
definition's ``max_held_tasks`` decision tasks timed out in a row
(:func:`swf.actors.timed_out_in_a_row`, read from the history) the execution
is failed with the error as its reason -- before the
:class:`~swf_gevent.actors.GreenletDecider`'s own ``max_decision_timeouts``
for deciders that raise, with the default counts.

A schedule or child start refused for a deploy bug (``ACTIVITY_TYPE_DOES_NOT_EXIST``,
a type deprecated, its defaults undefined, ``OPERATION_NOT_PERMITTED``) is
held the same way, not raised in the workflow as
:class:`~swf_gevent.workflow.ScheduleFailed`: the workflow did nothing wrong
and a failed execution cannot be resumed, while registering the type can
resume a held one. The task is held with a one-line reason; when SWF hands it
out again (a ``DecisionTaskTimedOut`` follows the refusal in the history) the
command is re-issued with the same id. After ``max_held_tasks`` such holds of
one command (counted from its refusals in the history, so deterministic) the
next refusal reaches the workflow as ``ScheduleFailed`` and, uncaught, fails
the execution. A refusal answered with no held task after it (histories
recorded that way) replays as ``ScheduleFailed``.

Workflow code stuck in a CPU loop (``while True: pass``) never switches back
to the replayer and blocks its decider greenlet: nothing bounds it short of a
trace function on every line, which would cost far more than the replay
itself. The decision task times out in SWF, the execution is handed to
another decider and stalls there too; find it from the held decision tasks
(``DecisionTaskTimedOut``) and the stuck greenlet's stack.

This module imports ``greenlet`` and ``swf``, never gevent.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import CodeType
from typing import Any

import greenlet  # type: ignore[import-untyped]

from swf import limits
from swf.actors import timed_out_in_a_row
from swf.exceptions import ValidationError
from swf.models import decisions
from swf.models import events as ev
from swf.models.decisions import Decision
from swf.models.events import ExecutionRef, HistoryEvent
from swf.models.history import DecisionTask
from swf.payloads import Payloads
from swf.replay import REPLAY_EXECUTION, recorded_decision_type
from swf_gevent import signals
from swf_gevent.signals import emit
from swf_gevent.workflow.context import (
    PACKAGE_DIR,
    ActivityHandle,
    ActivityInput,
    ChildHandle,
    Context,
    ContinueAsNew,
    Handle,
    TimerHandle,
    caller_position,
    frame_site,
    position_site,
)
from swf_gevent.workflow.definition import WorkflowDefinition, definitions
from swf_gevent.workflow.errors import (
    ActivityFailed,
    ActivityTimedOut,
    Cancelled,
    ChildFailed,
    Fail,
    NondeterminismError,
    ScheduleFailed,
    WorkflowCodeError,
    WorkflowOutcome,
)

__all__ = ["DEFAULT_MAX_OPEN", "WorkflowDecider", "WorkflowRun"]

log = logging.getLogger(__name__)

#: Open activities, timers and children each kept below SWF's 1,000 by default.
DEFAULT_MAX_OPEN = 900
#: Commands that may wait to be sent at once; more is taken for a runaway loop (a bug).
MAX_QUEUED = 100_000
#: The input key a continued run's envelope uses to carry unconsumed signals.
CONTINUED_KEY = "$continued"
_CLOSE_TYPES = frozenset(
    {
        "CompleteWorkflowExecution",
        "FailWorkflowExecution",
        "CancelWorkflowExecution",
        "ContinueAsNewWorkflowExecution",
    }
)
_KEY_ATTRIBUTES = ("activity_id", "timer_id", "workflow_id", "marker_name")
#: The id attribute of the event recording each decision type (``_same`` falls back to ``_KEY_ATTRIBUTES``).
_KEY_OF_DECISION = {
    "ScheduleActivityTask": "activity_id",
    "RequestCancelActivityTask": "activity_id",
    "StartTimer": "timer_id",
    "CancelTimer": "timer_id",
    "StartChildWorkflowExecution": "workflow_id",
    "RecordMarker": "marker_name",
}
#: Event types that are never the record of a decision (no ``decision_task_completed_event_id``): skipped at once.
_OUTCOME_TYPES = frozenset(
    {
        ev.WorkflowExecutionStarted,
        ev.DecisionTaskScheduled,
        ev.DecisionTaskTimedOut,
        ev.ActivityTaskStarted,
        ev.ActivityTaskCompleted,
        ev.ActivityTaskFailed,
        ev.ActivityTaskTimedOut,
        ev.ActivityTaskCanceled,
        ev.TimerFired,
        ev.WorkflowExecutionSignaled,
        ev.WorkflowExecutionCancelRequested,
        ev.ChildWorkflowExecutionStarted,
        ev.ChildWorkflowExecutionCompleted,
        ev.ChildWorkflowExecutionFailed,
        ev.ChildWorkflowExecutionTimedOut,
        ev.ChildWorkflowExecutionCanceled,
        ev.ChildWorkflowExecutionTerminated,
    }
)
#: Refusal causes that are deploy bugs (a type or its defaults not registered, a missing permission), not
#: the workflow's business: the task is held, and the command re-issued once a held task timed out.
_DEPLOY_CAUSES = frozenset(
    {
        "ACTIVITY_TYPE_DOES_NOT_EXIST",
        "ACTIVITY_TYPE_DEPRECATED",
        "WORKFLOW_TYPE_DOES_NOT_EXIST",
        "WORKFLOW_TYPE_DEPRECATED",
        "DEFAULT_TASK_LIST_UNDEFINED",
        "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED",
        "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED",
        "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED",
        "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED",
        "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED",
        "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED",
        "DEFAULT_CHILD_POLICY_UNDEFINED",
        "OPERATION_NOT_PERMITTED",
    }
)
#: The time a run reads before its first checkpoint (a constant: datetimes are immutable).
_EPOCH = datetime.fromtimestamp(0).astimezone()


class _Command:
    """One decision the workflow asked for, from its issue to its outcome."""

    __slots__ = (
        "seq",
        "decision_type",
        "key",
        "type_ref",
        "build",
        "where",
        "handle",
        "category",
        "decode",
        "event_id",
        "open",
        "on_fire",
        "attempt",
    )

    def __init__(
        self,
        seq: int,
        decision_type: str,
        key: str,
        build: Callable[[], Decision],
        where: tuple[CodeType, int] | None,
        *,
        type_ref: tuple[str, str] | None = None,
        handle: Handle | None = None,
        category: str | None = None,
        decode: Callable[[str | None], Any] | None = None,
        on_fire: Callable[[], None] | None = None,
        attempt: int = 1,
    ) -> None:
        self.seq = seq
        self.decision_type = decision_type
        self.key = key
        self.type_ref = type_ref
        self.build = build
        self.where = where
        self.handle = handle
        self.category = category
        self.decode = decode
        self.event_id: int | None = None
        self.open = False
        self.on_fire = on_fire
        self.attempt = attempt

    @property
    def site(self) -> str:
        """``"file:line"`` of the workflow code that issued the command, ``""`` for the runtime's own."""
        return position_site(self.where)

    def describe(self) -> str:
        typed = f" of type {self.type_ref[0]}/{self.type_ref[1]}" if self.type_ref else ""
        key = f" {self.key}" if self.key else ""
        return f"{self.decision_type}{key}{typed}"


class _Thread:
    """A workflow greenlet and what it waits for."""

    __slots__ = ("greenlet", "waiting", "throw")

    def __init__(self, glet: greenlet.greenlet) -> None:
        self.greenlet = glet
        self.waiting: Callable[[], bool] | None = None
        self.throw: BaseException | None = None


class WorkflowRun:
    """One replay of one execution's history for one decision task (never reused).

    :param definition: the workflow's definition.
    :param task: the decision task, with the whole history.
    :param max_open: the cap on open activities, timers and children (each).
    :param payloads: the chain and store the data fields of the decisions go through.
    :param domain: the task's domain, under which offloaded payloads are stored.
    """

    def __init__(
        self,
        definition: WorkflowDefinition,
        task: DecisionTask,
        *,
        max_open: int = DEFAULT_MAX_OPEN,
        payloads: Payloads | None = None,
        domain: str = "",
    ) -> None:
        self.definition = definition
        self.payloads = payloads if payloads is not None else Payloads()
        self.domain = domain
        self.task = task
        self.execution: ExecutionRef = task.workflow_execution
        self.max_open = max_open
        self.now: datetime = _EPOCH
        self.history_length = 0
        self.is_replaying = False
        self.checkpoints = 0
        self.cancel_requested = False
        self._seq = 0
        self._counters: dict[tuple[str, str], int] = {}
        self._pending: list[_Command] = []
        self._deferred: list[_Command] = []
        self._backoff: _Command | None = None
        self._backoffs = 0
        self._bound: dict[int, _Command] = {}
        self._open: dict[str, int] = {"activity": 0, "timer": 0, "child": 0}
        self._signals: dict[str, deque[str | None]] = {}
        self._threads: list[_Thread] = []
        self._greenlets: set[greenlet.greenlet] = set()
        self._current: _Thread | None = None
        self._driver: greenlet.greenlet | None = None
        self._finished = False
        self._killing = False
        self._bug: BaseException | None = None
        self._previous_trace: Callable[[str, tuple[Any, Any]], None] | None = None
        self._markers: dict[str, list[str | None]] = {}
        self._deploy_refused: list[tuple[_Command, str]] = []
        self._deploy_refusals: dict[str, int] = {}
        self.context = Context(self)

    # -- the replay ---------------------------------------------------------

    def decide(self) -> list[Decision]:
        """Replay every checkpoint; the decisions of the last one (``[]`` when every task was answered).

        :raises swf_gevent.workflow.NondeterminismError: an answered checkpoint does not match.
        :raises swf_gevent.workflow.WorkflowCodeError: the workflow code raised an unexpected
            error (chained), or misbehaved.
        """
        history = self.task.history
        events = history.events
        if not events or not isinstance(events[0], ev.WorkflowExecutionStarted):
            raise WorkflowCodeError("the history does not start with WorkflowExecutionStarted (a partial history?)")
        completed: dict[int, ev.DecisionTaskCompleted] = {}
        recorded: dict[int, list[tuple[HistoryEvent, str]]] = {}
        starts: list[ev.DecisionTaskStarted] = []
        last_started = self.task.started_event_id
        deliveries: list[tuple[HistoryEvent, Callable[[WorkflowRun, Any], None]]] = []
        for event in events:
            kind = type(event)
            handler = _HANDLERS.get(kind)
            if handler is not None:
                deliveries.append((event, handler))
            if kind in _OUTCOME_TYPES:
                continue
            if isinstance(event, ev.DecisionTaskCompleted):
                completed[event.started_event_id] = event
                continue
            if isinstance(event, ev.DecisionTaskStarted):
                if event.event_id <= last_started:
                    starts.append(event)
                continue
            if isinstance(event, ev.MarkerRecorded):
                self._markers.setdefault(event.marker_name, []).append(event.details)
            done_by = getattr(event, "decision_task_completed_event_id", None)
            if done_by is not None:
                decision_type = recorded_decision_type(event, done_by)
                if decision_type is not None:
                    recorded.setdefault(done_by, []).append((event, decision_type))
        checkpoints = [
            (s, completed.get(s.event_id))
            for i, s in enumerate(starts)
            if s.event_id in completed or i == len(starts) - 1
        ]
        self._driver = greenlet.getcurrent()
        self._spawn_main(events[0])
        index = 0
        self._previous_trace = greenlet.settrace(self._trace)
        try:
            for started, answered in checkpoints:
                while index < len(deliveries) and deliveries[index][0].event_id <= started.event_id:
                    event, handler = deliveries[index]
                    handler(self, event)
                    index += 1
                if self._deploy_refused:
                    self._deploy_refusals_at(answered is not None)
                self.now = started.timestamp
                self.history_length = started.event_id
                self.is_replaying = answered is not None
                self.checkpoints += 1
                self._run_threads()
                if self._bug is not None:
                    raise self._code_error(self._bug)
                answer = self._select()
                if answered is None:
                    return self._build(answer)
                self._match(answer, recorded.get(answered.event_id, []), started, answered)
            return []
        finally:
            self._kill_threads()
            self._greenlets.clear()
            if greenlet.gettrace() == self._trace:
                greenlet.settrace(self._previous_trace)
            # else a tracer installed on top of this one (another run, held by its own
            # bug) restores this one when it ends; with no greenlet left, it only chains.

    def _trace(self, event: str, args: tuple[Any, Any]) -> None:
        """The switch tracer: workflow code that switches anywhere but to the replayer (I/O, gevent.sleep) is a bug."""
        if event in ("switch", "throw") and self._bug is None:
            origin, target = args
            if origin is not self._driver and target is not self._driver and origin in self._greenlets:
                self._bug = WorkflowCodeError(
                    "workflow code switched to another greenlet (blocking I/O, gevent.sleep, a lock...)"
                    f" at {frame_site(origin.gr_frame or sys._getframe(0), skip_gevent=True) or 'an unknown line'};"
                    " do such work in an activity"
                )
        if self._previous_trace is not None:
            self._previous_trace(event, args)

    def _spawn_main(self, started: HistoryEvent) -> None:
        assert isinstance(started, ev.WorkflowExecutionStarted)
        try:
            value = json.loads(started.input) if started.input else None
        except ValueError as err:
            raise WorkflowCodeError(f"the execution's input is not JSON: {err}") from err
        if isinstance(value, dict) and set(value) == {CONTINUED_KEY}:
            carried = value[CONTINUED_KEY]
            value = carried.get("input")
            for name, text in carried.get("signals", []):
                self.signal_queue(name).append(text)
        args: tuple[Any, ...] = (self.context, value) if self.definition.takes_input else (self.context,)
        self._new_thread(self._main, (self.definition.function, args))

    def _main(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            value = function(*args)
        except ContinueAsNew as request:
            self._close(self._continue_as_new(request.state))
        except greenlet.GreenletExit:
            raise
        except Fail as err:
            self._close(self.fail_command(err.reason, err.details))
        except Cancelled as err:
            if self.cancel_requested:
                self._close(self._command("CancelWorkflowExecution", "", lambda: decisions.cancel_workflow_execution()))
            else:
                self._close(self.fail_command(f"Cancelled: {err}", None))
        except WorkflowOutcome as err:
            self._close(self.fail_command(f"{type(err).__name__}: {err}", getattr(err, "details", None)))
        except Exception as err:
            self._bug = err
            self._finished = True
        else:
            try:
                result = json.dumps(value, separators=(",", ":")) if value is not None else None
            except (TypeError, ValueError) as err:
                self._bug = WorkflowCodeError(f"the workflow's result cannot be encoded as JSON: {err}")
                self._finished = True
                return
            self._close(
                self._command(
                    "CompleteWorkflowExecution",
                    "",
                    lambda: decisions.complete_workflow_execution(
                        self.data(result, "CompleteWorkflowExecution.result")
                    ),
                )
            )

    def data(self, text: str | None, field: str) -> str | None:
        """A data field as it will be sent, through :attr:`payloads` (stored, when offloaded).

        :raises swf.exceptions.PayloadTooLarge: it does not fit; the decision task is held.
        """
        return self.payloads.encode(text, field, domain=self.domain, workflow_id=self.execution.workflow_id)

    def fail_command(self, reason: str, details: str | None) -> _Command:
        if details is not None and len(details) > decisions.MAX_DATA_LENGTH - len(reason) - 2:
            keep = decisions.MAX_DATA_LENGTH - len(reason) - 2 - len(decisions.TRUNCATION_MARKER)
            details = details[: max(keep, 0)] + decisions.TRUNCATION_MARKER
        if len(reason) > decisions.MAX_DATA_LENGTH // 2:
            reason = reason[: decisions.MAX_DATA_LENGTH // 2] + decisions.TRUNCATION_MARKER
        return self._command("FailWorkflowExecution", "", lambda: decisions.fail_workflow_execution(reason, details))

    def _continue_as_new(self, state: Any) -> _Command:
        definition = self.definition

        def build() -> Decision:
            carried = [[name, text] for name, queue in self._signals.items() for text in queue]
            payload: Any = {CONTINUED_KEY: {"input": state, "signals": carried}} if carried else state
            text = json.dumps(payload, separators=(",", ":")) if payload is not None else None
            return decisions.continue_as_new_workflow_execution(
                input=self.data(text, "ContinueAsNewWorkflowExecution.input"),
                task_list=definition.task_list,
                execution_start_to_close_timeout=definition.execution_timeout or decisions.DEFAULT,
                task_start_to_close_timeout=definition.decision_timeout or decisions.DEFAULT,
                child_policy=definition.child_policy,
                workflow_type_version=definition.version,
            )

        build()  # checks the state now, at the call
        return self._command("ContinueAsNewWorkflowExecution", "", build)

    def _close(self, command: _Command) -> None:
        self._finished = True
        self._pending.append(command)

    def _new_thread(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> _Thread:
        thread = _Thread(greenlet.greenlet(functools.partial(fn, *args), parent=self._driver))
        self._greenlets.add(thread.greenlet)
        self._threads.append(thread)
        return thread

    def _run_threads(self) -> None:
        progressed = True
        while progressed and not self._finished:
            progressed = False
            ended = False
            for thread in list(self._threads):
                if thread.greenlet.dead:
                    continue
                if thread.greenlet and thread.throw is None and (thread.waiting is None or not thread.waiting()):
                    continue
                progressed = True
                self._current = thread
                try:
                    thread.greenlet.switch()
                except Exception as err:  # raised past the workflow code (a close it cannot build): a bug
                    self._bug = err
                    self._finished = True
                finally:
                    self._current = None
                    ended = ended or thread.greenlet.dead
                if self._finished:
                    break
            if ended:  # a greenlet ends only while switched to, above
                self._threads = [t for t in self._threads if not t.greenlet.dead]

    def _kill_threads(self) -> None:
        self._killing = True
        for thread in self._threads:
            if thread.greenlet and not thread.greenlet.dead:
                try:
                    if thread.waiting is not None:
                        thread.greenlet.switch()  # wait_until raises GreenletExit: cheaper than a throw
                    else:
                        thread.greenlet.throw(greenlet.GreenletExit)
                except Exception:  # a finally block raising while the replay is thrown away
                    log.debug("a workflow greenlet raised while being discarded", exc_info=True)
        self._threads = []

    # -- what the context calls ---------------------------------------------

    def wait_until(self, ready: Callable[[], bool]) -> None:
        """Block the calling workflow greenlet until ``ready()`` (checked by the replayer)."""
        if self._killing:
            raise greenlet.GreenletExit()
        thread = self._current
        if thread is None or greenlet.getcurrent() is not thread.greenlet:
            raise WorkflowCodeError("ctx was called outside the workflow's own code (from another greenlet or thread)")
        if ready():
            return
        thread.waiting = ready
        assert self._driver is not None
        self._driver.switch()
        thread.waiting = None
        if self._killing:
            raise greenlet.GreenletExit()
        if thread.throw is not None:
            error, thread.throw = thread.throw, None
            raise error

    def spawn(self, fn: Callable[..., Any], *args: Any) -> Handle:
        """Run ``fn(*args)`` in a new workflow greenlet; the handle settles with its return or exception."""
        handle = Handle(self)

        def branch() -> None:
            try:
                value = fn(*args)
            except greenlet.GreenletExit:
                raise
            except ContinueAsNew as request:
                self._close(self._continue_as_new(request.state))
                return
            except Exception as err:
                handle.resolve(error=err)
                return
            handle.resolve(value)

        self._new_thread(branch, ())
        return handle

    def next_id(self, name: str, kind: str = "activity") -> str:
        """``"{name}-{n}"``, n counted from 1 per name within a kind (activity, timer, child)."""
        key = (kind, name)
        n = self._counters.get(key, 0) + 1
        self._counters[key] = n
        return f"{name}-{n}"

    def schedule(
        self, definition: Any, activity_id: str, encoded: ActivityInput, attempt: int, task_list: str | None
    ) -> ActivityHandle:
        """Queue ``ScheduleActivityTask`` for an ``@activity`` definition.

        When replaying, the input is encoded only if the command is sent (a
        replayed command is matched against its history, never sent).
        """
        _check_id("activity id", activity_id)
        if not self.is_replaying:
            encoded.text()  # a value that is not JSON fails at the call

        def build() -> Decision:
            return decisions.schedule_activity_task(
                activity_id,
                (definition.name, definition.version),
                input=self.data(encoded.text(), "ScheduleActivityTask.input"),
                task_list=task_list or definition.task_list,
                start_to_close_timeout=_or_default(definition.start_to_close_timeout),
                schedule_to_start_timeout=_or_default(definition.schedule_to_start_timeout),
                schedule_to_close_timeout=_or_default(definition.schedule_to_close_timeout),
                heartbeat_timeout=_or_default(definition.heartbeat_timeout),
            )

        handle = ActivityHandle(self, activity_id, attempt)
        self._seq += 1
        # Above this frame: a Context method (start, or a retry loop), never the workflow code.
        where = caller_position(1)
        self._push(
            _Command(
                self._seq,
                "ScheduleActivityTask",
                activity_id,
                build,
                where,
                type_ref=(definition.name, definition.version),
                handle=handle,
                category="activity",
                decode=definition.codec.decode,
                attempt=attempt,
            )
        )
        return handle

    def start_timer(self, duration: timedelta) -> TimerHandle:
        """Queue ``StartTimer`` with id ``"t-{n}"``."""
        timer_id = self.next_id("t", "timer")
        handle = TimerHandle(self, timer_id)
        self._issue(
            "StartTimer", timer_id, lambda: decisions.start_timer(timer_id, duration), handle=handle, category="timer"
        )
        return handle

    def cancel_activity(self, handle: ActivityHandle) -> None:
        """Cancel an activity: drop it if not sent yet, else queue ``RequestCancelActivityTask``."""
        for command in self._pending:
            if command.handle is handle:
                self._pending.remove(command)
                handle.resolve(error=ActivityFailed("canceled", None, handle.activity_id, handle.attempt))
                return
        activity_id = handle.activity_id
        self._issue(
            "RequestCancelActivityTask", activity_id, lambda: decisions.request_cancel_activity_task(activity_id)
        )

    def cancel_timer(self, handle: TimerHandle) -> None:
        """Cancel a timer: drop it if not sent yet, else queue ``CancelTimer``."""
        handle.cancelled = True
        for command in self._pending:
            if command.handle is handle:
                self._pending.remove(command)
                handle.resolve()
                return
        handle.resolve()
        self._issue("CancelTimer", handle.timer_id, lambda: decisions.cancel_timer(handle.timer_id))

    def start_child(self, workflow: WorkflowDefinition, encoded: str | None, workflow_id: str | None) -> ChildHandle:
        """Queue ``StartChildWorkflowExecution``."""
        child_id = workflow_id or _child_id(self.execution.workflow_id, self.next_id(workflow.name, "child"))
        _check_id("child workflow id", child_id)

        def build() -> Decision:
            return decisions.start_child_workflow_execution(
                child_id,
                workflow.key,
                input=self.data(encoded, "StartChildWorkflowExecution.input"),
                task_list=workflow.task_list,
                execution_start_to_close_timeout=workflow.execution_timeout or decisions.DEFAULT,
                task_start_to_close_timeout=workflow.decision_timeout or decisions.DEFAULT,
                child_policy=workflow.child_policy,
            )

        handle = ChildHandle(self, child_id)
        self._issue(
            "StartChildWorkflowExecution",
            child_id,
            build,
            type_ref=workflow.key,
            handle=handle,
            category="child",
        )
        return handle

    def record_marker(self, name: str, details: str | None) -> None:
        """Queue ``RecordMarker``."""
        _check_id("marker name", name)
        self._issue(
            "RecordMarker", name, lambda: decisions.record_marker(name, self.data(details, "RecordMarker.details"))
        )

    def marker_details(self, name: str, ordinal: int) -> str | None:
        """Details of the ``ordinal``-th (1-based) marker ``name`` of the history, ``None`` if there is none."""
        records = self._markers.get(name, [])
        return records[ordinal - 1] if len(records) >= ordinal else None

    def has_marker(self, name: str, details: str) -> bool:
        """Whether the history holds a marker ``name`` with these details."""
        return details in self._markers.get(name, [])

    def signal_queue(self, name: str) -> deque[str | None]:
        """The inputs of the signals ``name`` received and not yet consumed, oldest first."""
        queue = self._signals.get(name)
        if queue is None:
            queue = self._signals[name] = deque()
        return queue

    def _command(
        self, decision_type: str, key: str, build: Callable[[], Decision], *, skip: int = 0, **kwargs: Any
    ) -> _Command:
        """A command taken at the innermost caller outside the package, looked for from ``skip`` frames up."""
        self._seq += 1
        return _Command(self._seq, decision_type, key, build, caller_position(skip), **kwargs)

    def _issue(self, decision_type: str, key: str, build: Callable[[], Decision], **kwargs: Any) -> _Command:
        # Above this frame: a WorkflowRun method, then a Context or handle method: never the workflow code.
        return self._push(self._command(decision_type, key, build, skip=3, **kwargs))

    def _push(self, command: _Command) -> _Command:
        if len(self._pending) >= MAX_QUEUED:
            raise WorkflowCodeError(
                f"more than {MAX_QUEUED} commands wait to be sent: does the workflow start work in a loop without waiting?"
            )
        self._pending.append(command)
        return command

    # -- the answer ---------------------------------------------------------

    def _select(self) -> list[_Command]:
        if not self._pending:
            return []
        sendable: list[_Command] = []
        rest: list[_Command] = []
        opening: dict[str, int] = {}
        open_now = self._open
        max_open = self.max_open
        for command in self._pending:
            category = command.category
            if rest and command.decision_type in _CLOSE_TYPES:
                rest.append(command)
            elif category:
                opened = opening.get(category, 0)
                if open_now[category] + opened >= max_open:
                    rest.append(command)
                else:
                    sendable.append(command)
                    opening[category] = opened + 1
            else:
                sendable.append(command)
        if len(sendable) > decisions.MAX_DECISIONS:
            rest = sorted(rest + sendable[decisions.MAX_DECISIONS - 1 :], key=lambda c: c.seq)
            sendable = sendable[: decisions.MAX_DECISIONS - 1]
            timer_id = self.next_id("_next", "timer")
            self._seq += 1
            sendable.append(
                _Command(
                    self._seq,
                    "StartTimer",
                    timer_id,
                    lambda: decisions.start_timer(timer_id, timedelta(0)),
                    None,
                    category="timer",
                )
            )
        self._pending = rest
        for command in sendable:
            if command.category:
                self._open[command.category] += 1
                command.open = True
        return sendable

    def _build(self, answer: list[_Command]) -> list[Decision]:
        built = []
        for command in answer:
            try:
                built.append(command.build())
            except (ValidationError, WorkflowCodeError) as err:
                where = f" at {command.site}" if command.site else ""
                raise WorkflowCodeError(f"{command.describe()}{where}: {err}") from err
        return built

    def _match(
        self,
        answer: list[_Command],
        recorded: list[tuple[HistoryEvent, str]],
        started: ev.DecisionTaskStarted,
        completed: ev.DecisionTaskCompleted,
    ) -> None:
        for i, command in enumerate(answer):
            if i >= len(recorded):
                raise self._mismatch(started, completed, None, command)
            event, decision_type = recorded[i]
            if decision_type != command.decision_type or not _same(command, event):
                raise self._mismatch(started, completed, event, command)
            command.event_id = event.event_id
            self._bound[event.event_id] = command
        if len(recorded) > len(answer):
            raise self._mismatch(started, completed, recorded[len(answer)][0], None)

    def _mismatch(
        self,
        started: ev.DecisionTaskStarted,
        completed: ev.DecisionTaskCompleted,
        event: HistoryEvent | None,
        command: _Command | None,
    ) -> NondeterminismError:
        if command is not None:
            now, site = f"issues {command.describe()}", command.site
        else:
            now, site = "issues nothing in its place", self._waiting_site()
        if event is not None:
            key = next((getattr(event, a) for a in _KEY_ATTRIBUTES if isinstance(getattr(event, a, None), str)), "")
            was = f"recorded {event.event_type}{' ' + key if key else ''} (event {event.event_id})"
            typed = getattr(event, "activity_type", None) or getattr(event, "workflow_type", None)
            if typed is not None:
                was = f"recorded {event.event_type} {key} of type {typed.name}/{typed.version} (event {event.event_id})"
        else:
            was = "recorded nothing more"
        message = (
            f"{self.who}: decision task completed at event "
            f"{completed.event_id} (started at event {started.event_id}) {was}, but the code now {now}"
            f'{" at " + site if site else ""}. Guard the change with ctx.patched("change-id"), '
            "or register the new code as a new workflow version."
        )
        return NondeterminismError(message, site)

    @property
    def who(self) -> str:
        """``workflow name/version execution ID run ID`` for messages; a history saved without its ids says so."""
        head = f"workflow {self.definition.name}/{self.definition.version}"
        if self.execution == REPLAY_EXECUTION:
            return f"{head} (a saved history: its workflow id and run id not given)"
        return f"{head} execution {self.execution.workflow_id} run {self.execution.run_id}"

    def _waiting_site(self) -> str:
        for thread in self._threads:
            if not thread.greenlet.dead and thread.greenlet.gr_frame is not None:
                site = frame_site(thread.greenlet.gr_frame)
                if site:
                    return site
        code = getattr(self.definition.function, "__code__", None)
        return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""

    def _code_error(self, error: BaseException) -> WorkflowCodeError:
        site = ""
        tb = error.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if not filename.startswith(PACKAGE_DIR):
                site = f"{filename}:{tb.tb_lineno}"
            tb = tb.tb_next
        message = f"{self.who}: {type(error).__name__}: {error}"
        if site:
            message += f" (at {site})"
        code_error = WorkflowCodeError(message)
        code_error.__cause__ = error
        return code_error

    # -- events -------------------------------------------------------------

    def _settled(self, event_id: int) -> _Command | None:
        command = self._bound.get(event_id)
        if command is not None and command.open:
            command.open = False
            if command.category:
                self._open[command.category] -= 1
        return command

    def _on_started(self, event: ev.WorkflowExecutionStarted) -> None:
        pass

    def _on_activity_completed(self, event: ev.ActivityTaskCompleted) -> None:
        command = self._settled(event.scheduled_event_id)
        if command is not None and command.handle is not None:
            assert command.decode is not None
            command.handle.resolve_encoded(event.result, command.decode, command.key)

    def _on_activity_failed(self, event: ev.ActivityTaskFailed) -> None:
        command = self._settled(event.scheduled_event_id)
        if command is not None and command.handle is not None:
            command.handle.resolve(error=ActivityFailed(event.reason, event.details, command.key, command.attempt))

    def _on_activity_timed_out(self, event: ev.ActivityTaskTimedOut) -> None:
        command = self._settled(event.scheduled_event_id)
        if command is not None and command.handle is not None:
            error = ActivityTimedOut(event.timeout_type, event.details, command.key, command.attempt)
            command.handle.resolve(error=error)

    def _on_activity_canceled(self, event: ev.ActivityTaskCanceled) -> None:
        command = self._settled(event.scheduled_event_id)
        if command is not None and command.handle is not None:
            command.handle.resolve(error=ActivityFailed("canceled", event.details, command.key, command.attempt))

    def _on_refused(self, event: ev.ScheduleActivityTaskFailed | ev.StartTimerFailed) -> None:
        command = self._settled(event.event_id)
        if command is not None:
            self._refused(command, event.cause)

    def _refused(self, command: _Command, cause: str) -> None:
        if cause.endswith("_RATE_EXCEEDED") or cause.endswith("_LIMIT_EXCEEDED"):
            self._deferred.append(command)
            if self._backoff is None:
                self._backoffs += 1
                delay = timedelta(seconds=min(2 ** (self._backoffs - 1), 60))
                timer_id = self.next_id("_backoff", "timer")
                self._backoff = self._issue(
                    "StartTimer",
                    timer_id,
                    lambda: decisions.start_timer(timer_id, delay),
                    category="timer",
                    on_fire=self._backoff_fired,
                )
            return
        if cause in _DEPLOY_CAUSES:
            refusals = self._deploy_refusals[command.key] = self._deploy_refusals.get(command.key, 0) + 1
            if refusals <= self.definition.max_held_tasks:
                self._deploy_refused.append((command, cause))
                return
        if command.handle is not None:
            command.handle.resolve(error=ScheduleFailed(cause, command.key))

    def _deploy_refusals_at(self, answered: bool) -> None:
        """Refusals for a deploy bug that no held task followed: hold this task, or (answered) replay their failure."""
        if not answered:
            command, cause = self._deploy_refused[0]
            where = f" at {command.site}" if command.site else ""
            raise WorkflowCodeError(
                f"{self.who}: SWF refused {command.describe()}{where}: {cause}; register the type"
                " (or its defaults): the task is held and the command re-issued when SWF hands the task out again"
            )
        # Answered after the refusal with no held task between: the code took the failure then.
        for command, cause in self._deploy_refused:
            if command.handle is not None:
                command.handle.resolve(error=ScheduleFailed(cause, command.key))
        self._deploy_refused = []

    def _on_decision_timed_out(self, event: ev.DecisionTaskTimedOut) -> None:
        if self._deploy_refused:  # a task held for them timed out: re-issue them
            self._pending = sorted(self._pending + [c for c, _ in self._deploy_refused], key=lambda c: c.seq)
            self._deploy_refused = []

    def _backoff_fired(self) -> None:
        self._backoff = None
        self._pending = sorted(self._pending + self._deferred, key=lambda c: c.seq)
        self._deferred = []

    def _on_timer_fired(self, event: ev.TimerFired) -> None:
        command = self._settled(event.started_event_id)
        if command is None:
            return
        if command.on_fire is not None:
            command.on_fire()
        if command.handle is not None and not command.handle.done:
            command.handle.resolve()

    def _on_timer_canceled(self, event: ev.TimerCanceled) -> None:
        self._settled(event.started_event_id)

    def _on_child_start_failed(self, event: ev.StartChildWorkflowExecutionFailed) -> None:
        command = self._settled(event.initiated_event_id) or self._settled(event.event_id)
        if command is not None:
            self._refused(command, event.cause)

    def _on_child_started(self, event: ev.ChildWorkflowExecutionStarted) -> None:
        command = self._bound.get(event.initiated_event_id)
        if command is not None and isinstance(command.handle, ChildHandle):
            command.handle.run_id = event.workflow_execution.run_id

    def _on_child_completed(self, event: ev.ChildWorkflowExecutionCompleted) -> None:
        command = self._settled(event.initiated_event_id)
        if command is not None and command.handle is not None:
            try:
                value = json.loads(event.result) if event.result else None
            except ValueError as err:
                command.handle.resolve(error=WorkflowCodeError(f"child {command.key} result is not JSON: {err}"))
                return
            command.handle.resolve(value)

    def _on_child_closed(self, event: HistoryEvent) -> None:
        command = self._settled(getattr(event, "initiated_event_id", 0))
        if command is None or command.handle is None:
            return
        status = {
            "ChildWorkflowExecutionFailed": "FAILED",
            "ChildWorkflowExecutionTimedOut": "TIMED_OUT",
            "ChildWorkflowExecutionCanceled": "CANCELED",
            "ChildWorkflowExecutionTerminated": "TERMINATED",
        }[event.event_type]
        reason = getattr(event, "reason", None) or getattr(event, "timeout_type", None)
        command.handle.resolve(error=ChildFailed(command.key, status, reason, getattr(event, "details", None)))

    def _on_signaled(self, event: ev.WorkflowExecutionSignaled) -> None:
        self.signal_queue(event.signal_name).append(event.input)

    def _on_cancel_requested(self, event: ev.WorkflowExecutionCancelRequested) -> None:
        self.cancel_requested = True
        for thread in self._threads:
            if thread.waiting is not None and not thread.greenlet.dead:
                thread.throw = Cancelled("cancellation was requested for this execution")

    def _on_close_failed(self, event: HistoryEvent) -> None:
        command = self._bound.get(event.event_id)
        cause = getattr(event, "cause", "")
        if command is None:
            return
        if cause == "UNHANDLED_DECISION":
            self._pending.append(command)
        else:
            self._bug = WorkflowCodeError(f"SWF refused {command.decision_type} ({cause})")


#: The replayer's handler of each event type it delivers.
_HANDLERS: dict[type[HistoryEvent], Callable[[WorkflowRun, Any], None]] = {
    ev.WorkflowExecutionStarted: WorkflowRun._on_started,
    ev.ActivityTaskCompleted: WorkflowRun._on_activity_completed,
    ev.ActivityTaskFailed: WorkflowRun._on_activity_failed,
    ev.ActivityTaskTimedOut: WorkflowRun._on_activity_timed_out,
    ev.ActivityTaskCanceled: WorkflowRun._on_activity_canceled,
    ev.ScheduleActivityTaskFailed: WorkflowRun._on_refused,
    ev.StartTimerFailed: WorkflowRun._on_refused,
    ev.TimerFired: WorkflowRun._on_timer_fired,
    ev.DecisionTaskTimedOut: WorkflowRun._on_decision_timed_out,
    ev.TimerCanceled: WorkflowRun._on_timer_canceled,
    ev.StartChildWorkflowExecutionFailed: WorkflowRun._on_child_start_failed,
    ev.ChildWorkflowExecutionStarted: WorkflowRun._on_child_started,
    ev.ChildWorkflowExecutionCompleted: WorkflowRun._on_child_completed,
    ev.ChildWorkflowExecutionFailed: WorkflowRun._on_child_closed,
    ev.ChildWorkflowExecutionTimedOut: WorkflowRun._on_child_closed,
    ev.ChildWorkflowExecutionCanceled: WorkflowRun._on_child_closed,
    ev.ChildWorkflowExecutionTerminated: WorkflowRun._on_child_closed,
    ev.WorkflowExecutionSignaled: WorkflowRun._on_signaled,
    ev.WorkflowExecutionCancelRequested: WorkflowRun._on_cancel_requested,
    ev.CompleteWorkflowExecutionFailed: WorkflowRun._on_close_failed,
    ev.FailWorkflowExecutionFailed: WorkflowRun._on_close_failed,
    ev.CancelWorkflowExecutionFailed: WorkflowRun._on_close_failed,
    ev.ContinueAsNewWorkflowExecutionFailed: WorkflowRun._on_close_failed,
}


def _same(command: _Command, event: HistoryEvent) -> bool:
    """Same id and type as the recorded event (the decision type is compared by the caller)."""
    if command.decision_type in _CLOSE_TYPES:
        return True
    attribute = _KEY_OF_DECISION.get(command.decision_type)
    key = getattr(event, attribute, None) if attribute is not None else None
    if not isinstance(key, str):
        key = next((getattr(event, a) for a in _KEY_ATTRIBUTES if isinstance(getattr(event, a, None), str)), None)
    if key != command.key:
        return False
    typed = getattr(event, "activity_type", None) or getattr(event, "workflow_type", None)
    return command.type_ref is None or typed is None or (typed.name, typed.version) == command.type_ref


def _or_default(value: timedelta | None) -> decisions.Timeout:
    return value if value is not None else decisions.DEFAULT


def _check_id(what: str, identifier: str) -> None:
    """SWF's id length, checked at the call; data lengths are checked when the decision is built (:meth:`WorkflowRun.data`)."""
    if not identifier or len(identifier) > decisions.MAX_ID_LENGTH:
        raise WorkflowCodeError(f"{what} must be 1-{decisions.MAX_ID_LENGTH} characters, got {len(identifier)}")


def _child_id(parent: str, suffix: str) -> str:
    workflow_id = f"{parent}.{suffix}"
    if len(workflow_id) <= decisions.MAX_ID_LENGTH:
        return workflow_id
    digest = hashlib.sha256(workflow_id.encode()).hexdigest()[:16]
    return f"{workflow_id[: decisions.MAX_ID_LENGTH - 17]}-{digest}"


class WorkflowDecider:
    """A decider running ``@wf.workflow`` code, dispatched by the task's workflow type and version.

    Give it to :class:`~swf_gevent.actors.GreenletDecider` as its decision
    maker. Stateless: every task is replayed by a fresh :class:`WorkflowRun`.

    :param workflows: ``@wf.workflow`` definitions.
    :param max_open: the cap on open activities, timers and children (each),
        below SWF's :data:`swf.limits.MAX_OPEN_PER_EXECUTION`.
    :param hold: hold the task on a bug (raise), failing the execution after
        its definition's ``max_held_tasks``; ``False`` always raises (replay, tests).
    :param payloads: the :class:`swf.payloads.Payloads` the decisions' data
        fields go through (the same as the decider actor's); a value that
        cannot fit raises :class:`~swf.exceptions.PayloadTooLarge` and holds the task.
    :param domain: the domain, under which offloaded payloads are stored.
    :raises TypeError: an item that is not a ``@wf.workflow`` definition.
    :raises ValueError: two definitions of one workflow type.
    """

    def __init__(
        self,
        workflows: Iterable[WorkflowDefinition],
        *,
        max_open: int = DEFAULT_MAX_OPEN,
        hold: bool = True,
        payloads: Payloads | None = None,
        domain: str = "",
    ) -> None:
        self.payloads = payloads if payloads is not None else Payloads()
        self.domain = domain
        self.workflows: Mapping[tuple[str, str], WorkflowDefinition] = definitions(workflows)
        if not 1 <= max_open < limits.MAX_OPEN_PER_EXECUTION:
            raise ValueError(f"max_open must be between 1 and {limits.MAX_OPEN_PER_EXECUTION - 1}, got {max_open!r}")
        self.max_open = max_open
        self.hold = hold

    def decide(self, decision_task: DecisionTask) -> list[Decision]:
        """The decisions for ``decision_task`` (see the module doc).

        Sends ``workflow_replayed`` for every task replayed, ``workflow_task_held``
        for every held task and ``workflow_nondeterminism`` when the code no
        longer matches its history.

        :raises swf_gevent.workflow.NondeterminismError: (held) the code no longer matches.
        :raises swf_gevent.workflow.WorkflowCodeError: (held) a bug in the workflow code, or
            a workflow type that none of the definitions is for.
        """
        began = time.monotonic()
        workflow_type = decision_task.workflow_type
        definition = self.workflows.get((workflow_type.name, workflow_type.version))
        if definition is None:
            known = ", ".join(f"{n}/{v}" for n, v in self.workflows) or "none"
            raise WorkflowCodeError(
                f"no workflow definition for type {workflow_type.name}/{workflow_type.version} (known: {known})"
            )
        run = WorkflowRun(definition, decision_task, max_open=self.max_open, payloads=self.payloads, domain=self.domain)
        try:
            answer = run.decide()
        except (NondeterminismError, WorkflowCodeError) as err:
            if isinstance(err, NondeterminismError):
                emit(signals.workflow_nondeterminism, self, task=decision_task, error=err)
            line = str(err).splitlines()[0] if str(err) else type(err).__name__
            held = timed_out_in_a_row(decision_task)
            if self.hold and held >= definition.max_held_tasks:
                log.error(
                    "workflow %s run %s: failing after %d held decision tasks: %s",
                    run.execution.workflow_id,
                    run.execution.run_id,
                    held,
                    line,
                )
                return [run.fail_command(f"{type(err).__name__}: {line}", str(err)).build()]
            log.warning(
                "workflow %s run %s: decision task %d held (%d in a row): %s",
                run.execution.workflow_id,
                run.execution.run_id,
                decision_task.started_event_id,
                held + 1,
                line,
            )
            emit(signals.workflow_task_held, self, task=decision_task, error=line, held=held + 1)
            raise
        emit(
            signals.workflow_replayed,
            self,
            task=decision_task,
            workflow_name=definition.name,
            events=len(decision_task.history),
            checkpoints=run.checkpoints,
            decisions=len(answer),
            duration=time.monotonic() - began,
        )
        return answer
