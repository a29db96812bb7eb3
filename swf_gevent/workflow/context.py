"""What workflow code sees: :class:`Context` (``ctx``), its handles and :class:`Info`.

Every call is deterministic: it records a command for the runtime, or reads
what the history says, and a call that waits (a result, a timer, a signal)
switches back to the replayer until the history settles it. Workflow code
must do nothing else that depends on the world (I/O, clocks, random):
wrap such work in an activity, or in :meth:`Context.side_effect`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeVar

from swf_gevent.activities import ActivityDefinition, definition_of
from swf_gevent.workflow.definition import RetryPolicy, WorkflowDefinition
from swf_gevent.workflow.errors import ActivityFailed, TimedOut, WorkflowCodeError

if TYPE_CHECKING:
    from swf_gevent.workflow.decider import WorkflowRun

__all__ = ["ActivityHandle", "ActivityInput", "ChildHandle", "Context", "Handle", "Info", "TimerHandle"]

H = TypeVar("H", bound="Handle")

_SIDE_EFFECT = "side-effect"
_PATCHED = "patched"


class Handle:
    """Something started that will finish: an activity, a timer, a child, a branch of ``ctx.map``."""

    # The outcome, set by the runtime (class defaults: one handle per command, made on every replay).
    _value: Any = None
    _error: BaseException | None = None
    _decode: Callable[[str | None], Any] | None = None
    _encoded: str | None = None
    _what = ""

    def __init__(self, run: WorkflowRun) -> None:
        self._run = run
        #: Whether the outcome is known.
        self.done = False

    def result(self) -> Any:
        """Wait for the outcome and return it (decoded), or raise its error.

        :raises swf_gevent.workflow.WorkflowOutcome: the failure
            (``ActivityFailed``, ``ChildFailed``...), or ``Cancelled`` when
            cancellation is requested while waiting.
        """
        self._run.wait_until(lambda: self.done)
        return self._outcome()

    def _outcome(self) -> Any:
        """The decoded value or the raised error of a handle that is done."""
        if self._decode is not None:
            decode, self._decode = self._decode, None
            try:
                self._value = decode(self._encoded)
            except ValueError as err:
                self._error = WorkflowCodeError(f"activity {self._what} result: {err}")
        if self._error is not None:
            raise self._error
        return self._value

    def resolve(self, value: Any = None, error: BaseException | None = None) -> None:
        """Settle the handle (called by the runtime)."""
        self.done = True
        self._value = value
        self._error = error

    def resolve_encoded(self, text: str | None, decode: Callable[[str | None], Any], activity_id: str) -> None:
        """Settle the handle with an encoded result, decoded by ``decode`` when first asked for (called by the runtime).

        :param activity_id: names the result in the error when ``decode`` raises ``ValueError``.
        """
        self.done = True
        self._encoded = text
        self._decode = decode
        self._what = activity_id


class ActivityHandle(Handle):
    """A scheduled activity. :ivar activity_id: its id. :ivar attempt: the current attempt, 1-based."""

    def __init__(self, run: WorkflowRun, activity_id: str, attempt: int = 1) -> None:
        # Handle.__init__ inline: one handle per activity, made again on every replay.
        self._run = run
        self.done = False
        self.activity_id = activity_id
        self.attempt = attempt

    def cancel(self) -> None:
        """Ask SWF to cancel the activity (``RequestCancelActivityTask``); no-op once it is done.

        Not sent yet, it is dropped and :meth:`result` raises
        :class:`~swf_gevent.workflow.ActivityFailed` (reason ``"canceled"``) at
        once. Running, its worker learns of the request at its next heartbeat
        (``ActivityCanceled`` in the function); :meth:`result` then raises
        ``ActivityFailed`` with reason ``"canceled"`` once the worker answers
        canceled, or returns the result if the activity completed first. An
        activity that never heartbeats runs to its end.
        """
        if not self.done:
            self._run.cancel_activity(self)


class TimerHandle(Handle):
    """A started timer; :meth:`cancel` stops it. :ivar timer_id: its id. :ivar cancelled: it was canceled."""

    def __init__(self, run: WorkflowRun, timer_id: str) -> None:
        super().__init__(run)
        self.timer_id = timer_id
        self.cancelled = False

    def cancel(self) -> None:
        """Cancel the timer (``CancelTimer``); its :meth:`result` returns ``None`` at once. No-op once fired."""
        if not self.done:
            self._run.cancel_timer(self)


class ChildHandle(Handle):
    """A child execution. :ivar workflow_id: its workflow id. :ivar run_id: its run id once started."""

    def __init__(self, run: WorkflowRun, workflow_id: str) -> None:
        super().__init__(run)
        self.workflow_id = workflow_id
        self.run_id: str | None = None


class Info:
    """What the workflow may know about its execution, as of the decision task being replayed."""

    def __init__(self, run: WorkflowRun) -> None:
        self._run = run

    @property
    def workflow_id(self) -> str:
        """The execution's workflow id."""
        return self._run.execution.workflow_id

    @property
    def run_id(self) -> str:
        """The execution's run id."""
        return self._run.execution.run_id

    @property
    def workflow_type(self) -> tuple[str, str]:
        """``(name, version)`` of the workflow type."""
        return self._run.definition.key

    @property
    def history_length(self) -> int:
        """Events in the history at this decision task (its ``DecisionTaskStarted`` event id)."""
        return self._run.history_length

    @property
    def is_replaying(self) -> bool:
        """This decision task was answered before: the code is being replayed."""
        return self._run.is_replaying

    @property
    def continue_as_new_suggested(self) -> bool:
        """The history is past the definition's ``continue_as_new_after`` events."""
        return self._run.history_length >= self._run.definition.continue_as_new_after


class Context:
    """The workflow's handle on its execution; the first argument of a workflow function."""

    def __init__(self, run: WorkflowRun) -> None:
        self._run = run
        #: What the workflow may know about its execution.
        self.info = Info(run)
        self._patches: dict[str, bool] = {}
        self._side_effects = 0

    # -- activities --------------------------------------------------------

    def execute(
        self,
        activity: Callable[..., Any],
        input: Any = None,  # noqa: A002 - SWF's name
        *,
        id: str | None = None,  # noqa: A002 - the activity id
        retry: RetryPolicy | None = None,
        task_list: str | None = None,
    ) -> Any:
        """Run an ``@activity`` function as an activity task (``ScheduleActivityTask``); its decoded result.

        :param activity: a function marked with :func:`swf_gevent.activities.activity`.
        :param input: its argument, encoded by the activity's codec (JSON).
        :param id: the activity id; ``"{name}-{n}"`` by default (n counted per activity name).
        :param retry: retry failures and timeouts on SWF timers, with the same activity id.
        :param task_list: overrides the activity type's task list.
        :raises swf_gevent.workflow.ActivityFailed: it failed (``ActivityTimedOut``: timed out) on its last attempt.
        :raises swf_gevent.workflow.ScheduleFailed: SWF refused to schedule it.
        :raises swf_gevent.workflow.Cancelled: cancellation was requested while waiting.
        """
        if retry is None:
            return self.start(activity, input, id=id, task_list=task_list).result()
        definition, activity_id, encoded = self._prepare(activity, input, id)
        return self._retrying(definition, activity_id, encoded, retry, task_list)

    def start(
        self,
        activity: Callable[..., Any],
        input: Any = None,  # noqa: A002 - SWF's name
        *,
        id: str | None = None,  # noqa: A002 - the activity id
        retry: RetryPolicy | None = None,
        task_list: str | None = None,
    ) -> Handle:
        """Schedule an activity (``ScheduleActivityTask``) and return at once; ``handle.result()`` waits (see :meth:`execute`)."""
        definition, activity_id, encoded = self._prepare(activity, input, id)
        if retry is not None:
            return self._run.spawn(self._retrying, definition, activity_id, encoded, retry, task_list)
        return self._run.schedule(definition, activity_id, encoded, 1, task_list)

    def _prepare(
        self, activity: Callable[..., Any], value: Any, activity_id: str | None
    ) -> tuple[Any, str, ActivityInput]:
        definition = definition_of(activity)
        if definition is None:
            raise WorkflowCodeError(f"{activity!r} is not an @activity function")
        encoded = ActivityInput(definition, value)
        if not self._run.is_replaying:
            encoded.text()  # raises at the call when the input cannot be encoded
        return definition, activity_id or self._run.next_id(definition.name), encoded

    def _retrying(
        self, definition: Any, activity_id: str, encoded: ActivityInput, retry: RetryPolicy, task_list: str | None
    ) -> Any:
        attempt = 1
        while True:
            handle = self._run.schedule(definition, activity_id, encoded, attempt, task_list)
            try:
                return handle.result()
            except ActivityFailed as err:
                if attempt >= retry.max_attempts or err.error_type in retry.non_retryable:
                    raise
            attempt += 1
            self.sleep(retry.delay(attempt))

    def gather(self, *handles: Handle) -> list[Any]:
        """Wait for every handle; their results in argument order.

        :raises: the first failure in argument order, once all are done.
        """
        cursor = 0

        def all_done() -> bool:
            nonlocal cursor
            while cursor < len(handles) and handles[cursor].done:
                cursor += 1
            return cursor == len(handles)

        self._run.wait_until(all_done)
        return [h._outcome() for h in handles]

    def wait_any(self, *handles: H) -> H:
        """Wait until one handle is done and return it (the first done, in argument order)."""
        if not handles:
            raise WorkflowCodeError("wait_any() needs at least one handle")
        self._run.wait_until(lambda: any(h.done for h in handles))
        return next(h for h in handles if h.done)

    def map(self, fn: Callable[..., Any], items: Iterable[Any], *, max_concurrency: int | None = None) -> list[Any]:
        """``fn`` over every item, in parallel; the results in input order.

        :param fn: an ``@activity`` function (each item becomes one activity
            task) or workflow code (run in a branch per item).
        :param max_concurrency: at most this many at once; ``None`` for all
            (the runtime still keeps SWF's open-activity limit).
        :raises: the first failure, in input order, once every branch is done.
        """
        work: Sequence[Any] = list(items)
        if max_concurrency is not None and max_concurrency < 1:
            raise WorkflowCodeError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
        limit = max_concurrency or max(len(work), 1)
        if definition_of(fn) is not None:
            # Activities need no branch of their own: a window of handles, refilled as they finish.
            handles: list[Handle] = []
            window: list[Handle] = []
            for item in work:
                if len(window) >= limit:
                    self._run.wait_until(lambda: any(h.done for h in window))
                    window[:] = [h for h in window if not h.done]
                handles.append(self.start(fn, item))
                window.append(handles[-1])
            return self.gather(*handles)
        results: list[Any] = [None] * len(work)
        cursor = [0]

        def branch() -> None:
            while cursor[0] < len(work):
                index = cursor[0]
                cursor[0] += 1
                results[index] = fn(work[index])

        self.gather(*(self._run.spawn(branch) for _ in range(min(len(work), limit))))
        return results

    # -- time --------------------------------------------------------------

    def now(self) -> datetime:
        """The time of the decision task being replayed (its ``DecisionTaskStarted``), aware UTC."""
        return self._run.now

    def timer(self, duration: timedelta) -> TimerHandle:
        """Start a timer (``StartTimer``, id ``"t-{n}"``); ``handle.result()`` waits for it to fire."""
        if not isinstance(duration, timedelta) or duration < timedelta(0):
            raise WorkflowCodeError(f"a timer needs a timedelta of 0 or more, got {duration!r}")
        return self._run.start_timer(duration)

    def sleep(self, duration: timedelta) -> None:
        """Wait ``duration`` (whole seconds, rounded up) on an SWF timer."""
        self.timer(duration).result()

    # -- signals -----------------------------------------------------------

    def wait_signal(self, name: str, *, timeout: timedelta | None = None) -> Any:
        """The input (decoded JSON) of the next signal ``name`` not yet consumed; waits for one.

        Each signal is consumed once, in the order received.

        :param timeout: wait at most this long (on an SWF timer); ``None`` waits forever.
        :raises swf_gevent.workflow.TimedOut: no such signal came in time.
        """
        queue = self._run.signal_queue(name)
        if queue:
            return _decode(queue.popleft())
        timer = self.timer(timeout) if timeout is not None else None
        self._run.wait_until(lambda: bool(queue) or (timer is not None and timer.done))
        if queue:
            if timer is not None:
                timer.cancel()
            return _decode(queue.popleft())
        raise TimedOut(f"no signal {name!r} within {timeout}")

    # -- children ----------------------------------------------------------

    def child(
        self,
        workflow: WorkflowDefinition,
        input: Any = None,  # noqa: A002 - SWF's name
        *,
        workflow_id: str | None = None,
    ) -> Any:
        """Run a child execution (``StartChildWorkflowExecution``) and return its decoded result.

        :param workflow: a ``@wf.workflow`` definition.
        :param workflow_id: ``"{this workflow id}.{name}-{n}"`` by default.
        :raises swf_gevent.workflow.ChildFailed: it failed, timed out, was canceled or terminated.
        :raises swf_gevent.workflow.ScheduleFailed: SWF refused to start it.
        """
        return self.start_child(workflow, input, workflow_id=workflow_id).result()

    def start_child(
        self,
        workflow: WorkflowDefinition,
        input: Any = None,  # noqa: A002 - SWF's name
        *,
        workflow_id: str | None = None,
    ) -> ChildHandle:
        """Start a child execution (``StartChildWorkflowExecution``) and return its handle."""
        if not isinstance(workflow, WorkflowDefinition):
            raise WorkflowCodeError(f"{workflow!r} is not a @wf.workflow definition")
        return self._run.start_child(workflow, _encode(input, f"child {workflow.name} input"), workflow_id)

    # -- markers -----------------------------------------------------------

    def side_effect(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` once and record its result as a marker (``RecordMarker`` ``side-effect``); replays return the recorded value.

        :param fn: takes nothing, returns what JSON holds.
        """
        self._side_effects += 1
        details = self._run.marker_details(_SIDE_EFFECT, self._side_effects)
        if details is None:
            details = _encode(fn(), "side_effect result") or "null"
        self._run.record_marker(_SIDE_EFFECT, details)
        return json.loads(details)

    def patched(self, change_id: str) -> bool:
        """Whether this execution runs the new code of change ``change_id``.

        True when first run (a ``RecordMarker`` named ``patched`` with the id as details); when replaying
        a history recorded before the change (no such marker), False: take
        the old path there.
        """
        known = self._patches.get(change_id)
        if known is not None:
            return known
        recorded = self._run.has_marker(_PATCHED, change_id)
        value = recorded or not self._run.is_replaying
        if value:
            self._run.record_marker(_PATCHED, change_id)
        self._patches[change_id] = value
        return value

    # -- closing -----------------------------------------------------------

    def continue_as_new(self, state: Any = None) -> None:
        """Close this run and start a new one of the same workflow with input ``state`` (``ContinueAsNewWorkflowExecution``).

        Signals not yet consumed are carried into the new run. Does not return.
        """
        raise ContinueAsNew(state)


class ActivityInput:
    """An activity's input, encoded by its codec once, when first needed.

    A command replayed over its history is matched, never sent: its input is
    encoded only if the command is sent (or at the call, when not replaying).
    """

    __slots__ = ("_definition", "_value", "_text", "_encoded")

    def __init__(self, definition: ActivityDefinition, value: Any) -> None:
        self._definition = definition
        self._value = value
        self._text: str | None = None
        self._encoded = False

    def text(self) -> str | None:
        """The encoded input (``None`` for no input).

        :raises swf_gevent.workflow.WorkflowCodeError: the codec cannot encode it.
        """
        if not self._encoded:
            try:
                self._text = self._definition.codec.encode(self._value)
            except (TypeError, ValueError) as err:
                raise WorkflowCodeError(f"activity {self._definition.name}: input cannot be encoded: {err}") from err
            self._encoded = True
        return self._text


class ContinueAsNew(BaseException):
    """Raised by :meth:`Context.continue_as_new`; a ``BaseException`` so ``except Exception`` lets it through."""

    def __init__(self, state: Any) -> None:
        super().__init__("continue as new")
        self.state = state


def _encode(value: Any, what: str) -> str | None:
    if value is None:
        return None
    try:
        text = json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise WorkflowCodeError(f"{what} cannot be encoded as JSON: {err}") from err
    return text  # its length is checked when the decision is built, after the payload chain


def _decode(text: str | None) -> Any:
    return json.loads(text) if text else None


def caller_position(skip: int = 0) -> tuple[CodeType, int] | None:
    """``(code, last instruction offset)`` of the innermost caller outside this package (the workflow code).

    ``None`` when every caller is in the package. Taken for every command
    issued, so kept cheap: ``skip`` frames above the caller, known to be the
    package's, are passed over without being looked at (each frame looked at
    is made into a frame object), and the line is found only for a message,
    by :func:`position_site`.
    """
    try:
        frame: Any = sys._getframe(1 + skip)
    except ValueError:
        return None
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(PACKAGE_DIR):
            return (code, frame.f_lasti)
        frame = frame.f_back
    return None


def position_site(position: tuple[CodeType, int] | None) -> str:
    """``"file:line"`` of a :func:`caller_position`, ``""`` for ``None``."""
    if position is None:
        return ""
    code, offset = position
    line = next((n for start, end, n in code.co_lines() if start <= offset < end and n is not None), None)
    return f"{code.co_filename}:{line if line is not None else code.co_firstlineno}"


PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def frame_site(frame: Any, *, skip_gevent: bool = False) -> str:
    """``"file:line"`` of the innermost frame of ``frame``'s chain outside this package, or ``""``.

    :param skip_gevent: skip gevent's and greenlet's frames too (a switch to the hub).
    """
    if not skip_gevent:
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith(PACKAGE_DIR):
                return f"{filename}:{frame.f_lineno}"
            frame = frame.f_back
        return ""
    skipped = [PACKAGE_DIR]
    if skip_gevent:
        for name in ("gevent", "greenlet"):
            module = sys.modules.get(name)
            if module is not None and getattr(module, "__file__", None):
                skipped.append(os.path.dirname(os.path.abspath(str(module.__file__))) + os.sep)
    prefixes = tuple(skipped)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(prefixes):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return ""
