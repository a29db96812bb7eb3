"""The execution engine of the local SWF endpoint.

:class:`Engine` answers SWF's execution operations, one method per operation
named in snake_case after it (``start_workflow_execution``,
``poll_for_decision_task``...), each taking the validated request dict and
returning the response dict in the wire shape, raising
:class:`~swf_gevent.local._faults.Fault` with SWF's fault codes. Decisions are
applied by :mod:`swf_gevent.local._decisions`.

State lives in memory and is touched only from the hub thread that serves the
endpoint: requests run in greenlets of that hub and timeouts are watchers on
its loop, so no change ever interleaves with another. Executions are indexed
by domain, workflow id, run id and status; task lists by domain and name; so
starting, polling and answering cost the same with one or a million stored
executions.

Time is the endpoint's :class:`~swf_gevent.local._timers.Clock` and every
timeout an entry of its virtual timer queue. With time skipping on, whenever
no decision task and no activity task is scheduled or started, so that only a
timer or a timeout can change anything, the clock jumps to the next due
entry: a 30-day timer fires at once, its events stamped 30 days later. A task
being worked on holds the clock to real time, so its timeouts never fire
early.

Semantics follow SWF's API reference: each task goes to exactly one poller; an
execution has at most one decision task scheduled and one started; timeouts
fire on time; the child policy is applied to open children when an execution
is terminated or times out (not when it completes, fails or is canceled);
closed executions are kept for the domain's retention period (``"NONE"``/0
days: forgotten at the next call); a history reaching 25,000 events is
terminated with cause ``EVENT_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import gevent

from ._executions import (
    MAX_EXECUTION_SECONDS,
    MAX_HISTORY_EVENTS,
    ActivityTask,
    Child,
    DecisionTask,
    Execution,
    compact,
)
from ._faults import Fault
from ._restore import Rebuilt, rebuild
from ._store import Journal, StoredExecution
from ._tasks import Queueable, TaskList
from ._timers import Clock, Timers
from ._wire import PageTokens, new_run_id, page_size, parse_duration, parse_priority, task_token

logger = logging.getLogger(__name__)

_CHILD_CLOSE_EVENTS = {
    "COMPLETED": "ChildWorkflowExecutionCompleted",
    "FAILED": "ChildWorkflowExecutionFailed",
    "CANCELED": "ChildWorkflowExecutionCanceled",
    "TIMED_OUT": "ChildWorkflowExecutionTimedOut",
    "TERMINATED": "ChildWorkflowExecutionTerminated",
}

#: SWF's quota on PollFor*Task calls one task list holds at once (its quotas page:
#: "Maximum pollers per task list"); past it SWF answers ``LimitExceededException``.
MAX_POLLS_PER_TASK_LIST = 1000

_START_FAULTS = {
    "WORKFLOW_TYPE_DOES_NOT_EXIST": "UnknownResourceFault",
    "WORKFLOW_TYPE_DEPRECATED": "TypeDeprecatedFault",
}


class StartRefused(Exception):
    """A workflow execution could not start; ``cause`` is SWF's failure cause."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
        self.message = message


_Operation = TypeVar("_Operation", bound=Callable[..., dict[str, Any]])
_Task = TypeVar("_Task", bound=Queueable)


def _operation(method: _Operation) -> _Operation:
    """Run :meth:`Engine.settle` after an operation, whether it succeeded or not."""

    @functools.wraps(method)
    def operation(self: Engine, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return method(self, request)
        finally:
            self.settle()

    return operation  # type: ignore[return-value]


class Engine:
    """Workflow executions, their histories, task lists and timeouts.

    :param registry: the endpoint's :class:`~swf_gevent.local._registry.Registry`
        (``domain(name)``, ``workflow_type(domain, name, version)``,
        ``activity_type(domain, name, version)``).
    :param poll_timeout: how long a poll on an empty task list is held, in
        seconds (SWF holds it 60 s).
    :param clock: the endpoint's clock (a new :class:`~swf_gevent.local._timers.Clock`
        on real time by default); every timestamp and timeout reads it.
    :param time_skipping: jump the clock to the next due timer or timeout
        whenever no task is scheduled or started (see :meth:`set_time_skipping`).
    :param max_polls: PollFor*Task calls one task list may hold in flight at
        once; one more is answered ``LimitExceededException`` (SWF's quota:
        1,000 pollers per task list).
    :param journal: told of every change and committed at the end of every
        operation, timer callback and clock jump
        (:class:`~swf_gevent.local._store.Store` with a database); keeps
        nothing by default.
    :param key: the secret key (32 bytes) signing task tokens and page
        tokens; a fresh one by default.
    """

    def __init__(
        self,
        registry: Any,
        poll_timeout: float,
        clock: Clock | None = None,
        *,
        time_skipping: bool = False,
        max_polls: int = MAX_POLLS_PER_TASK_LIST,
        journal: Journal | None = None,
        key: bytes | None = None,
    ) -> None:
        self.registry = registry
        self.journal = journal if journal is not None else Journal()
        self._key = key if key is not None else secrets.token_bytes(32)
        self._poll_timeout = poll_timeout
        self._max_polls = max_polls
        self.clock = clock or Clock()
        self._clock: Callable[[], float] = self.clock
        self.timers = Timers(self.clock)
        #: Whether the clock jumps ahead when only a timer or timeout can change anything.
        self.time_skipping = time_skipping
        self._skip_pending = False
        # Open executions that had a task scheduled; pruned of idle ones by _idle(), of closed ones on close.
        self._busy: set[Execution] = set()
        self._pages = PageTokens(self._key)
        self._stopped = False
        self._executions: dict[tuple[str, str, str], Execution] = {}
        self._open_by_workflow_id: dict[tuple[str, str], Execution] = {}
        self._open: dict[str, dict[str, Execution]] = {}
        self._closed: dict[str, deque[Execution]] = {}
        self._runs: dict[tuple[str, str], list[Execution]] = {}
        self._decision_lists: dict[tuple[str, str], TaskList[DecisionTask]] = {}
        self._activity_lists: dict[tuple[str, str], TaskList[ActivityTask]] = {}
        self._decision_tokens: dict[str, DecisionTask] = {}
        self._activity_tokens: dict[str, ActivityTask] = {}
        self._over_limit: list[Execution] = []
        #: Number of PollFor*Task calls parked right now (read by tests from any thread).
        self.parked_polls = 0
        self.timers.after_fire = self.settle

    # -- lifecycle ------------------------------------------------------------------

    def stop(self) -> None:
        """Answer every parked poll with no task and cancel every timer.

        Call it from the hub thread that serves the endpoint.
        """
        self._stopped = True
        self.timers.close_all()
        for decisions in self._decision_lists.values():
            decisions.release()
        for activities in self._activity_lists.values():
            activities.release()

    def now(self) -> float:
        """The current time, epoch seconds."""
        return self._clock()

    # -- time skipping --------------------------------------------------------------

    def set_time_skipping(self, enabled: bool) -> None:
        """Turn time skipping on or off; on, the clock jumps at once if nothing runs."""
        self.time_skipping = enabled
        self._skip_when_idle()

    def skip(self, seconds: float) -> int:
        """Move the clock ``seconds`` ahead, running every timer and timeout due on the way.

        Timeouts of running tasks fire too: this is time passing by hand.

        :param seconds: how far, in seconds (0 or more).
        :returns: how many timers and timeouts fired.
        :raises ValueError: ``seconds`` negative or not finite.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        if self._stopped:
            return 0
        fired = self.timers.advance(self._clock() + seconds)
        self.settle()
        return fired

    def is_idle(self) -> bool:
        """Whether no decision task and no activity task is scheduled or started anywhere."""
        return self._idle()

    def _idle(self) -> bool:
        """Whether no decision task and no activity task is scheduled or started anywhere."""
        idle = []
        busy = False
        for execution in self._busy:
            if execution.is_open and (
                execution.decision_scheduled is not None
                or execution.decision_started is not None
                or execution.activities
            ):
                busy = True
                break
            idle.append(execution)
        self._busy.difference_update(idle)
        return not busy

    def _skip_when_idle(self) -> None:
        """With time skipping on and nothing running, jump to the next due timer (from the loop)."""
        if self.time_skipping and not self._skip_pending and not self._stopped and self._idle():
            if self.timers.next_due() is not None:
                self._skip_pending = True
                gevent.get_hub().loop.run_callback(self._skip_to_next)

    def _skip_to_next(self) -> None:
        self._skip_pending = False
        try:
            if self.time_skipping and not self._stopped and self._idle():
                due = self.timers.next_due()
                if due is not None:
                    logger.debug("nothing runs: skipping %.3f s ahead", due - self._clock())
                    self.timers.advance(due)
            self.settle()
        except Exception:
            logger.exception("time skipping failed")

    # -- lookups --------------------------------------------------------------------

    def _domain(self, name: str) -> Any:
        record = self.registry.domain(name)
        self._purge(name, record.retention_days)
        return record

    def _purge(self, domain: str, retention_days: int) -> None:
        closed = self._closed.get(domain)
        if not closed:
            return
        cutoff = self._clock() - retention_days * 86400
        while closed and (closed[0].close_timestamp or 0.0) <= cutoff:
            gone = closed.popleft()
            self.journal.forget(gone)
            self._executions.pop((domain, gone.workflow_id, gone.run_id), None)
            runs = self._runs.get((domain, gone.workflow_id))
            if runs is not None:
                try:
                    runs.remove(gone)
                except ValueError:
                    pass
                if not runs:
                    del self._runs[(domain, gone.workflow_id)]

    def _take(self, task_list: TaskList[_Task]) -> _Task | None:
        """Take the next task of ``task_list``, holding the poll up to ``poll_timeout``.

        :raises Fault: ``LimitExceededException`` when the task list already
            holds ``max_polls`` polls in flight.
        """
        if task_list.polls >= self._max_polls:
            raise Fault(
                "LimitExceededException",
                f"Cannot have more than {self._max_polls} pollers on task list {task_list.name!r} "
                f"in domain {task_list.domain!r} at once",
            )
        task_list.polls += 1
        self.parked_polls += 1
        try:
            return task_list.take(self._poll_timeout)
        finally:
            self.parked_polls -= 1
            task_list.polls -= 1

    def _decision_list(self, domain: str, name: str) -> TaskList[DecisionTask]:
        key = (domain, name)
        task_list = self._decision_lists.get(key)
        if task_list is None:
            task_list = self._decision_lists[key] = TaskList(domain, name)
        return task_list

    def _activity_list(self, domain: str, name: str) -> TaskList[ActivityTask]:
        key = (domain, name)
        task_list = self._activity_lists.get(key)
        if task_list is None:
            task_list = self._activity_lists[key] = TaskList(domain, name)
        return task_list

    def find_open(self, domain: str, workflow_id: str, run_id: str | None) -> Execution | None:
        """The open execution of ``workflow_id`` (and ``run_id`` when given), or ``None``."""
        execution = self._open_by_workflow_id.get((domain, workflow_id))
        if execution is None or (run_id and execution.run_id != run_id):
            return None
        return execution

    def _require_open(self, domain: str, workflow_id: str, run_id: str | None) -> Execution:
        execution = self.find_open(domain, workflow_id, run_id)
        if execution is None:
            described = f"{workflow_id}" + (f", runId={run_id}" if run_id else "")
            raise Fault("UnknownResourceFault", f"Unknown execution: WorkflowExecution=[workflowId={described}]")
        return execution

    def _require_execution(self, domain: str, ref: dict[str, str]) -> Execution:
        execution = self._executions.get((domain, ref["workflowId"], ref["runId"]))
        if execution is None:
            raise Fault(
                "UnknownResourceFault",
                f"Unknown execution: WorkflowExecution=[workflowId={ref['workflowId']}, runId={ref['runId']}]",
            )
        return execution

    # -- starting executions --------------------------------------------------------

    def resolve_workflow(
        self, domain: str, workflow_type: dict[str, str], attrs: dict[str, Any], path: str
    ) -> dict[str, Any]:
        """The start configuration of a new execution: ``attrs`` over the type's defaults.

        :param attrs: StartWorkflowExecution / StartChildWorkflowExecution /
            ContinueAsNewWorkflowExecution members (``taskList``,
            ``executionStartToCloseTimeout``, ``taskStartToCloseTimeout``,
            ``childPolicy``, ``taskPriority``, ``tagList``, ``lambdaRole``).
        :param path: the member path prefix named in validation errors.
        :raises StartRefused: with SWF's cause (``WORKFLOW_TYPE_DOES_NOT_EXIST``,
            ``DEFAULT_TASK_LIST_UNDEFINED``...).
        :raises Fault: ``ValidationException`` for a malformed duration or priority.
        """
        check_start_durations(attrs, path)
        name, version = workflow_type["name"], workflow_type["version"]
        try:
            record = self.registry.workflow_type(domain, name, version)
        except Fault as err:
            if err.code != "UnknownResourceFault":
                raise
            raise StartRefused(
                "WORKFLOW_TYPE_DOES_NOT_EXIST", f"Unknown type: WorkflowType=[name={name}, version={version}]"
            ) from None
        if record.status != "REGISTERED":
            raise StartRefused(
                "WORKFLOW_TYPE_DEPRECATED", f"WorkflowType=[name={name}, version={version}] is deprecated"
            )
        defaults = record.configuration

        def pick(member: str, default: str, cause: str) -> Any:
            value = attrs.get(member)
            if value is None:
                value = defaults.get(default)
            if value is None:
                raise StartRefused(
                    cause, f"No {member} given and WorkflowType=[name={name}, version={version}] has no {default}"
                )
            return value

        task_list = pick("taskList", "defaultTaskList", "DEFAULT_TASK_LIST_UNDEFINED")
        execution_timeout = pick(
            "executionStartToCloseTimeout",
            "defaultExecutionStartToCloseTimeout",
            "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED",
        )
        task_timeout = pick(
            "taskStartToCloseTimeout", "defaultTaskStartToCloseTimeout", "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED"
        )
        child_policy = pick("childPolicy", "defaultChildPolicy", "DEFAULT_CHILD_POLICY_UNDEFINED")
        parse_duration(
            execution_timeout, path + "executionStartToCloseTimeout", allow_none=False, maximum=MAX_EXECUTION_SECONDS
        )
        priority = attrs.get("taskPriority", defaults.get("defaultTaskPriority"))
        parse_priority(priority, path + "taskPriority")
        return {
            "workflowType": {"name": name, "version": version},
            "taskList": {"name": task_list["name"]},
            "taskPriority": priority,
            "executionStartToCloseTimeout": execution_timeout,
            "taskStartToCloseTimeout": task_timeout,
            "childPolicy": child_policy,
            "tagList": list(attrs.get("tagList") or []),
            "lambdaRole": attrs.get("lambdaRole", defaults.get("defaultLambdaRole")),
        }

    def launch(
        self,
        domain: str,
        workflow_id: str,
        config: dict[str, Any],
        input: str | None,  # noqa: A002 - SWF's name
        parent: Execution | None = None,
        parent_initiated_event_id: int = 0,
        continued_from: Execution | None = None,
        run_id: str | None = None,
    ) -> Execution:
        """Open a new execution: index it, record WorkflowExecutionStarted, schedule a decision."""
        execution = Execution(self._clock, domain, workflow_id, run_id or new_run_id(), config)
        execution.parent = parent
        execution.parent_initiated_event_id = parent_initiated_event_id
        self._index(execution)
        execution.add_event(
            "WorkflowExecutionStarted",
            {
                "input": input,
                "executionStartToCloseTimeout": config["executionStartToCloseTimeout"],
                "taskStartToCloseTimeout": config["taskStartToCloseTimeout"],
                "childPolicy": config["childPolicy"],
                "taskList": dict(config["taskList"]),
                "taskPriority": config.get("taskPriority"),
                "workflowType": dict(config["workflowType"]),
                "tagList": list(config["tagList"]) or None,
                "continuedExecutionRunId": continued_from.run_id if continued_from else None,
                "parentWorkflowExecution": parent.ref if parent else None,
                "parentInitiatedEventId": parent_initiated_event_id if parent else None,
                "lambdaRole": config.get("lambdaRole"),
            },
        )
        execution.start_timestamp = execution.events[0]["eventTimestamp"]
        self._arm_execution_timeout(execution)
        logger.debug("started execution %s/%s in %s", workflow_id, execution.run_id, domain)
        self.schedule_decision(execution)
        return execution

    def _index(self, execution: Execution) -> None:
        """Index a new or restored execution (open or closed) and hook its changes to the journal."""
        domain, workflow_id = execution.domain, execution.workflow_id
        self._executions[(domain, workflow_id, execution.run_id)] = execution
        self._runs.setdefault((domain, workflow_id), []).append(execution)
        if execution.is_open:
            execution.on_event_limit = self._on_event_limit
            execution.on_change = self.journal.touch
            self._open_by_workflow_id[(domain, workflow_id)] = execution
            self._open.setdefault(domain, {})[execution.run_id] = execution
        else:
            self._closed.setdefault(domain, deque()).append(execution)

    def restore(self, stored: Iterable[StoredExecution]) -> None:
        """Take back the executions of a database and go on with the open ones.

        Each history is read back (:func:`~swf_gevent.local._restore.rebuild`);
        open executions are linked to their parents and children, and their
        timeouts count from the recorded times: a timer or timeout that fell
        due while the endpoint was down fires at once, a task handed out and
        never answered times out as SWF's would (its worker may still answer
        it: its task token is the same), a scheduled task is handed out.

        :param stored: in the order they started (:meth:`Store.load
            <swf_gevent.local._store.Store.load>`).
        :raises ValueError: KeyError: a history is malformed.
        """
        rebuilt = []
        for item in stored:
            state = rebuild(self._clock, item)
            self._index(state.execution)
            self.journal.adopt(state.execution, item)
            rebuilt.append((state, item.heartbeats))
        for closed in self._closed.values():  # the retention purge takes them in close order
            ordered = sorted(closed, key=lambda execution: execution.close_timestamp or 0.0)
            closed.clear()
            closed.extend(ordered)
        self._link_families([state for state, _ in rebuilt])
        for state, heartbeats in rebuilt:
            if state.execution.is_open:
                self._resume(state, heartbeats)
        self.settle()

    def _link_families(self, rebuilt: list[Rebuilt]) -> None:
        """Point each restored execution at its parent, and each open parent at its open children."""
        open_children = {state.execution: state.children for state in rebuilt}
        for state in rebuilt:  # in start order: the latest run of a child that continued as new wins
            execution = state.execution
            if state.parent is None:
                continue
            parent = self._executions.get((execution.domain, state.parent["workflowId"], state.parent["runId"]))
            execution.parent = parent
            initiated = execution.parent_initiated_event_id
            if parent is not None and parent.is_open and initiated in open_children[parent]:
                child = parent.children[initiated] = Child(initiated, execution)
                child.started_event_id = open_children[parent][initiated]

    def _resume(self, state: Rebuilt, heartbeats: dict[int, tuple[str | None, float]]) -> None:
        """Arm a restored open execution's timeouts from its recorded times and queue its scheduled tasks."""
        from ._decisions import arm_timer

        execution = state.execution
        self._arm_execution_timeout(execution)
        if execution.decision_started is not None:
            self._busy.add(execution)
            self._track_started_decision(execution.decision_started)
        elif execution.decision_scheduled is not None:
            self._busy.add(execution)
            self._dispatch_decision(execution.decision_scheduled, since=state.released_at)
        for task in execution.activities.values():
            task.details, heartbeat_at = heartbeats.get(task.scheduled_event_id, (None, None))
            self.dispatch_activity(task)
            if task.state == "STARTED":
                task.token = self._task_token(execution, task.started_event_id)
                self._activity_tokens[task.token] = task
                self._arm_started_activity(task, heartbeat_at)
        for timer in execution.timers.values():
            arm_timer(self, execution, timer)

    def _arm_execution_timeout(self, execution: Execution) -> None:
        seconds = parse_duration(execution.execution_timeout, "executionStartToCloseTimeout", allow_none=False)
        if seconds is not None:
            execution.timeout_handle = self.timers.call_at(
                execution.start_timestamp + seconds, self._on_execution_timeout, execution
            )

    # -- decision tasks -------------------------------------------------------------

    def schedule_decision(self, execution: Execution) -> None:
        """Record DecisionTaskScheduled unless one is already scheduled; dispatch it when none is started."""
        if not execution.is_open or execution.decision_scheduled is not None:
            return
        event_id = execution.add_event(
            "DecisionTaskScheduled",
            {
                "taskList": {"name": execution.task_list},
                "taskPriority": execution.task_priority,
                "startToCloseTimeout": execution.task_timeout,
                "scheduleToStartTimeout": execution.decision_schedule_to_start,
            },
        )
        task = DecisionTask(execution, event_id, parse_priority(execution.task_priority, "taskPriority"))
        execution.decision_scheduled = task
        self._busy.add(execution)
        if execution.decision_started is None:
            self._dispatch_decision(task)

    def _dispatch_decision(self, task: DecisionTask, since: float | None = None) -> None:
        """Queue a scheduled decision task; its schedule-to-start timeout counts from ``since`` (now)."""
        if task.dispatched:
            return
        task.dispatched = True
        execution = task.execution
        if execution.decision_schedule_to_start is not None:
            due = (self._clock() if since is None else since) + float(execution.decision_schedule_to_start)
            task.timer = self.timers.call_at(due, self._on_decision_schedule_timeout, task)
        self._decision_list(execution.domain, execution.task_list).put(task)

    def _track_started_decision(self, task: DecisionTask) -> None:
        """Give a started decision task its token and its start-to-close timeout, from its DecisionTaskStarted event."""
        execution = task.execution
        execution.decision_started = task
        task.token = self._task_token(execution, task.started_event_id)
        self._decision_tokens[task.token] = task
        if task.timer is not None:
            task.timer.cancel()
            task.timer = None
        seconds = parse_duration(execution.task_timeout, "taskStartToCloseTimeout")
        if seconds is not None:
            due = _stamp(execution, task.started_event_id) + seconds
            task.timer = self.timers.call_at(due, self._on_decision_timeout, task)

    def _task_token(self, execution: Execution, started_event_id: int) -> str:
        return task_token(self._key, execution.domain, execution.workflow_id, execution.run_id, started_event_id)

    def _on_decision_schedule_timeout(self, task: DecisionTask) -> None:
        execution = task.execution
        if task.state != "SCHEDULED" or execution.decision_scheduled is not task or not execution.is_open:
            return
        self._finish_decision(task)
        self._decision_list(execution.domain, execution.task_list).discard(task)
        execution.decision_scheduled = None
        execution.add_event(
            "DecisionTaskTimedOut",
            {
                "timeoutType": "SCHEDULE_TO_START",
                "scheduledEventId": task.scheduled_event_id,
                "startedEventId": 0,
            },
        )
        self.schedule_decision(execution)

    def _finish_decision(self, task: DecisionTask) -> None:
        task.state = "DONE"
        self._decision_tokens.pop(task.token, None)
        if task.timer is not None:
            task.timer.cancel()
            task.timer = None
        execution = task.execution
        if execution.decision_started is task:
            execution.decision_started = None

    def _on_decision_timeout(self, task: DecisionTask) -> None:
        execution = task.execution
        if task.state != "STARTED" or not execution.is_open:
            return
        self._finish_decision(task)
        execution.add_event(
            "DecisionTaskTimedOut",
            {
                "timeoutType": "START_TO_CLOSE",
                "scheduledEventId": task.scheduled_event_id,
                "startedEventId": task.started_event_id,
            },
        )
        logger.debug("decision task %s of %s timed out", task.started_event_id, execution.workflow_id)
        if execution.decision_scheduled is not None:
            self._dispatch_decision(execution.decision_scheduled)
        else:
            self.schedule_decision(execution)

    def _decision_answer(self, task: DecisionTask, request: dict[str, Any], offset: int) -> dict[str, Any]:
        execution = task.execution
        first = 0
        if request.get("startAtPreviousStartedEvent") and task.previous_started_event_id:
            first = task.previous_started_event_id - 1
        ordered = range(first, task.started_event_id)
        if request.get("reverseOrder"):
            ordered = ordered[::-1]
        size = page_size(request)
        ids = ordered[offset : offset + size]
        answer: dict[str, Any] = {
            "taskToken": task.token,
            "startedEventId": task.started_event_id,
            "previousStartedEventId": task.previous_started_event_id,
            "workflowExecution": execution.ref,
            "workflowType": dict(execution.workflow_type),
            "events": [execution.events[index] for index in ids],
        }
        if offset + size < len(ordered):
            answer["nextPageToken"] = self._pages.encode("decision", {"t": task.token, "o": offset + size})
        return answer

    # -- activity tasks -------------------------------------------------------------

    def dispatch_activity(self, task: ActivityTask) -> None:
        """Start an activity task's schedule-side timeouts, from its ActivityTaskScheduled event; queue it if not started.

        A task restored from the database in the started state is not queued.
        """
        self._busy.add(task.execution)
        scheduled_at = _stamp(task.execution, task.scheduled_event_id)
        for seconds, timeout_type in (
            (task.schedule_to_close, "SCHEDULE_TO_CLOSE"),
            (task.schedule_to_start if task.state == "SCHEDULED" else None, "SCHEDULE_TO_START"),
        ):
            if seconds is not None:
                task.timers.append(
                    self.timers.call_at(scheduled_at + seconds, self._on_activity_timeout, task, timeout_type)
                )
        if task.state == "SCHEDULED":
            self._activity_list(task.execution.domain, task.task_list).put(task)

    def close_activity(self, task: ActivityTask) -> None:
        """Forget an activity task that reached a close event (or whose execution closed)."""
        task.state = "CLOSED"
        self._activity_tokens.pop(task.token, None)
        task.cancel_timers()
        self._activity_list(task.execution.domain, task.task_list).discard(task)
        if task.execution.activities.get(task.activity_id) is task:
            del task.execution.activities[task.activity_id]

    def _on_activity_timeout(self, task: ActivityTask, timeout_type: str) -> None:
        execution = task.execution
        if task.state == "CLOSED" or not execution.is_open:
            return
        if timeout_type == "SCHEDULE_TO_START" and task.state != "SCHEDULED":
            return
        if timeout_type in ("START_TO_CLOSE", "HEARTBEAT") and task.state != "STARTED":
            return
        self.close_activity(task)
        execution.add_event(
            "ActivityTaskTimedOut",
            {
                "timeoutType": timeout_type,
                "scheduledEventId": task.scheduled_event_id,
                "startedEventId": task.started_event_id,
                "details": task.details,
            },
        )
        logger.debug("activity %s of %s timed out (%s)", task.activity_id, execution.workflow_id, timeout_type)
        self.schedule_decision(execution)

    def _arm_started_activity(self, task: ActivityTask, heartbeat_at: float | None = None) -> None:
        """Start a started activity task's start-to-close and heartbeat timeouts, from its ActivityTaskStarted event.

        :param heartbeat_at: when its latest heartbeat came (epoch seconds), if one did.
        """
        started_at = _stamp(task.execution, task.started_event_id)
        if task.start_to_close is not None:
            task.timers.append(
                self.timers.call_at(started_at + task.start_to_close, self._on_activity_timeout, task, "START_TO_CLOSE")
            )
        self._arm_heartbeat(task, started_at if heartbeat_at is None else heartbeat_at)

    def _arm_heartbeat(self, task: ActivityTask, since: float) -> None:
        if task.heartbeat_timer is not None:
            task.heartbeat_timer.cancel()
            task.heartbeat_timer = None
        if task.heartbeat is not None:
            task.heartbeat_timer = self.timers.call_at(
                since + task.heartbeat, self._on_activity_timeout, task, "HEARTBEAT"
            )

    def _started_activity(self, token: str) -> ActivityTask:
        task = self._activity_tokens.get(token)
        if task is None or task.state != "STARTED" or not task.execution.is_open:
            raise Fault(
                "UnknownResourceFault",
                "Unknown task token: the activity task is unknown, "
                "already closed or timed out, or its execution closed.",
            )
        return task

    # -- closing executions ---------------------------------------------------------

    def close_execution(
        self,
        execution: Execution,
        close_status: str,
        event_type: str,
        attrs: dict[str, Any],
        report: dict[str, Any] | None = None,
        child_policy: str | None = None,
    ) -> int:
        """Record the close event, close everything open, move the indexes, tell the parent.

        :param report: attributes for the parent's ChildWorkflowExecution* event
            (``result``, ``reason``, ``details``, ``timeoutType``).
        :param child_policy: applied to open children (terminate and timeout).
        :returns: the close event's id.
        """
        event_id = execution.add_event(event_type, attrs)
        execution.close_status = close_status
        execution.close_timestamp = execution.events[-1]["eventTimestamp"]
        self._busy.discard(execution)
        if execution.timeout_handle is not None:
            execution.timeout_handle.cancel()
            execution.timeout_handle = None
        for decision in (execution.decision_scheduled, execution.decision_started):
            if decision is not None:
                self._finish_decision(decision)
                self._decision_list(execution.domain, execution.task_list).discard(decision)
        execution.decision_scheduled = None
        execution.decision_started = None
        for activity in list(execution.activities.values()):
            self.close_activity(activity)
        for timer in execution.timers.values():
            if timer.handle is not None:
                timer.handle.cancel()
        execution.timers.clear()
        domain = execution.domain
        self._open.get(domain, {}).pop(execution.run_id, None)
        if self._open_by_workflow_id.get((domain, execution.workflow_id)) is execution:
            del self._open_by_workflow_id[(domain, execution.workflow_id)]
        self._closed.setdefault(domain, deque()).append(execution)
        logger.debug("closed execution %s/%s: %s", execution.workflow_id, execution.run_id, close_status)
        self._report_to_parent(execution, close_status, report or {})
        if child_policy is not None:
            self._apply_child_policy(execution, child_policy)
        return event_id

    def _report_to_parent(self, execution: Execution, close_status: str, report: dict[str, Any]) -> None:
        parent = execution.parent
        if parent is None or not parent.is_open or close_status not in _CHILD_CLOSE_EVENTS:
            return
        child = parent.children.get(execution.parent_initiated_event_id)
        if child is None or child.execution is not execution:
            return
        del parent.children[execution.parent_initiated_event_id]
        parent.add_event(
            _CHILD_CLOSE_EVENTS[close_status],
            {
                "workflowExecution": execution.ref,
                "workflowType": dict(execution.workflow_type),
                **report,
                "initiatedEventId": child.initiated_event_id,
                "startedEventId": child.started_event_id,
            },
        )
        self.schedule_decision(parent)

    def _apply_child_policy(self, execution: Execution, policy: str) -> None:
        for child in list(execution.children.values()):
            target = child.execution
            if not target.is_open or policy == "ABANDON":
                continue
            if policy == "TERMINATE":
                self.close_execution(
                    target,
                    "TERMINATED",
                    "WorkflowExecutionTerminated",
                    {
                        "childPolicy": target.child_policy,
                        "cause": "CHILD_POLICY_APPLIED",
                    },
                    child_policy=target.child_policy,
                )
            elif policy == "REQUEST_CANCEL":
                self.request_cancel(target, {"cause": "CHILD_POLICY_APPLIED"})

    def request_cancel(self, execution: Execution, attrs: dict[str, Any]) -> None:
        """Record WorkflowExecutionCancelRequested and schedule a decision."""
        execution.cancel_requested = True
        execution.add_event("WorkflowExecutionCancelRequested", attrs)
        self.schedule_decision(execution)

    def signal(self, execution: Execution, attrs: dict[str, Any]) -> None:
        """Record WorkflowExecutionSignaled and schedule a decision."""
        execution.add_event("WorkflowExecutionSignaled", attrs)
        self.schedule_decision(execution)

    def _on_event_limit(self, execution: Execution) -> None:
        # Terminated by settle(), once the change that reached the limit is complete.
        self._over_limit.append(execution)

    def settle(self) -> None:
        """Finish what a completed change left due.

        Terminates executions over the event limit; with time skipping on and
        nothing running, has the clock jump to the next due timer; commits the
        journal (with a database, what changed is then saved).
        """
        while self._over_limit:
            execution = self._over_limit.pop()
            if not execution.is_open:
                continue
            logger.warning(
                "execution %s/%s reached %d events: terminated",
                execution.workflow_id,
                execution.run_id,
                MAX_HISTORY_EVENTS,
            )
            self.close_execution(
                execution,
                "TERMINATED",
                "WorkflowExecutionTerminated",
                {
                    "childPolicy": execution.child_policy,
                    "cause": "EVENT_LIMIT_EXCEEDED",
                },
                child_policy=execution.child_policy,
            )
        self._skip_when_idle()
        self.journal.commit()

    def _on_execution_timeout(self, execution: Execution) -> None:
        if not execution.is_open:
            return
        execution.timeout_handle = None
        self.close_execution(
            execution,
            "TIMED_OUT",
            "WorkflowExecutionTimedOut",
            {
                "timeoutType": "START_TO_CLOSE",
                "childPolicy": execution.child_policy,
            },
            report={"timeoutType": "START_TO_CLOSE"},
            child_policy=execution.child_policy,
        )

    def add_child(self, parent: Execution, initiated_event_id: int, child: Execution) -> None:
        """Record ChildWorkflowExecutionStarted in ``parent`` for a child just launched."""
        record = Child(initiated_event_id, child)
        parent.children[initiated_event_id] = record
        record.started_event_id = parent.add_event(
            "ChildWorkflowExecutionStarted",
            {
                "workflowExecution": child.ref,
                "workflowType": dict(child.workflow_type),
                "initiatedEventId": initiated_event_id,
            },
        )
        self.schedule_decision(parent)

    # == operations =================================================================

    @_operation
    def start_workflow_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        """StartWorkflowExecution: open an execution and schedule its first decision task.

        :returns: ``{"runId": str}``.
        :raises Fault: ``UnknownResourceFault`` (domain or type),
            ``TypeDeprecatedFault``, ``DefaultUndefinedFault``,
            ``WorkflowExecutionAlreadyStartedFault``, ``ValidationException``.
        """
        domain = request["domain"]
        self._domain(domain)
        workflow_id = request["workflowId"]
        try:
            config = self.resolve_workflow(domain, request["workflowType"], request, "")
        except StartRefused as refused:
            raise Fault(_START_FAULTS.get(refused.cause, "DefaultUndefinedFault"), refused.message) from None
        if (domain, workflow_id) in self._open_by_workflow_id:
            raise Fault(
                "WorkflowExecutionAlreadyStartedFault",
                f"An open execution with workflowId {workflow_id} already exists in domain {domain}",
            )
        execution = self.launch(domain, workflow_id, config, request.get("input"))
        return {"runId": execution.run_id}

    @_operation
    def poll_for_decision_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """PollForDecisionTask: hand out the next decision task, holding the poll up to ``poll_timeout``.

        With ``nextPageToken``, answers the next page of events of the same task.

        :returns: ``{"taskToken", "startedEventId", "previousStartedEventId",
            "workflowExecution", "workflowType", "events", "nextPageToken"?}``,
            or ``{"taskToken": "", "startedEventId": 0, "previousStartedEventId": 0}`` when no
            task came in time.
        :raises Fault: ``UnknownResourceFault``, ``ValidationException`` (token).
        """
        domain = request["domain"]
        self._domain(domain)
        token = request.get("nextPageToken")
        if token:
            cursor = self._pages.decode("decision", token)
            task = self._decision_tokens.get(str(cursor.get("t")))
            if task is None or task.state != "STARTED":
                raise Fault("UnknownResourceFault", "Unknown decision task: it was completed or timed out.")
            return self._decision_answer(task, request, int(cursor.get("o", 0)))
        empty = {"taskToken": "", "startedEventId": 0, "previousStartedEventId": 0}
        if self._stopped:
            return empty
        task = self._take(self._decision_list(domain, request["taskList"]["name"]))
        if task is None:
            return empty
        execution = task.execution
        if execution.decision_scheduled is task:
            execution.decision_scheduled = None
        task.state = "STARTED"
        task.previous_started_event_id = execution.previous_started_event_id
        task.started_event_id = execution.add_event(
            "DecisionTaskStarted",
            {
                "identity": request.get("identity"),
                "scheduledEventId": task.scheduled_event_id,
            },
        )
        self._track_started_decision(task)
        logger.debug("decision task %s of %s started", task.started_event_id, execution.workflow_id)
        return self._decision_answer(task, request, 0)

    @_operation
    def respond_decision_task_completed(self, request: dict[str, Any]) -> dict[str, Any]:
        """RespondDecisionTaskCompleted: record DecisionTaskCompleted and apply the decisions.

        The decision list is checked whole first: a malformed decision
        changes nothing. Decisions SWF cannot carry out are recorded as
        ``*Failed`` events with SWF's causes.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` for an unknown, answered or
            timed-out task token or a closed execution; ``ValidationException``.
        """
        from . import _decisions

        task = self._decision_tokens.get(request["taskToken"])
        if task is None or task.state != "STARTED" or not task.execution.is_open:
            raise Fault(
                "UnknownResourceFault",
                "Unknown task token: the decision task is unknown, "
                "already answered or timed out, or its execution closed.",
            )
        decisions = list(request.get("decisions") or [])
        _decisions.check(self, task.execution, decisions)
        schedule_to_start = request.get("taskListScheduleToStartTimeout")
        if schedule_to_start is not None:
            parse_duration(schedule_to_start, "taskListScheduleToStartTimeout")
        execution = task.execution
        unhandled = execution.decision_scheduled is not None
        self._finish_decision(task)
        if request.get("taskList"):
            execution.task_list = request["taskList"]["name"]
        if schedule_to_start is not None:
            execution.decision_schedule_to_start = None if schedule_to_start == "NONE" else schedule_to_start
        completed_id = execution.add_event(
            "DecisionTaskCompleted",
            {
                "executionContext": request.get("executionContext"),
                "scheduledEventId": task.scheduled_event_id,
                "startedEventId": task.started_event_id,
                "taskList": request.get("taskList"),
                "taskListScheduleToStartTimeout": request.get("taskListScheduleToStartTimeout"),
            },
        )
        execution.previous_started_event_id = task.started_event_id
        if request.get("executionContext") is not None:
            execution.latest_execution_context = request["executionContext"]
        _decisions.apply(self, execution, completed_id, decisions, unhandled)
        if execution.is_open and execution.decision_scheduled is not None:
            self._dispatch_decision(execution.decision_scheduled)
        return {}

    @_operation
    def poll_for_activity_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """PollForActivityTask: hand out the next activity task, holding the poll up to ``poll_timeout``.

        :returns: ``{"taskToken", "activityId", "startedEventId",
            "workflowExecution", "activityType", "input"?}``, or
            ``{"taskToken": "", "startedEventId": 0}`` when no task came in time (an empty
            ``taskToken``, as SWF's API reference gives it and botocore's model requires).
        :raises Fault: ``UnknownResourceFault`` (domain).
        """
        domain = request["domain"]
        self._domain(domain)
        empty = {"taskToken": "", "startedEventId": 0}
        if self._stopped:
            return empty
        task = self._take(self._activity_list(domain, request["taskList"]["name"]))
        if task is None:
            return empty
        execution = task.execution
        task.state = "STARTED"
        task.started_event_id = execution.add_event(
            "ActivityTaskStarted",
            {
                "identity": request.get("identity"),
                "scheduledEventId": task.scheduled_event_id,
            },
        )
        task.token = self._task_token(execution, task.started_event_id)
        self._activity_tokens[task.token] = task
        self._arm_started_activity(task)
        logger.debug("activity %s of %s started", task.activity_id, execution.workflow_id)
        return compact(
            {
                "taskToken": task.token,
                "activityId": task.activity_id,
                "startedEventId": task.started_event_id,
                "workflowExecution": execution.ref,
                "activityType": dict(task.activity_type),
                "input": task.input,
            }
        )

    @_operation
    def respond_activity_task_completed(self, request: dict[str, Any]) -> dict[str, Any]:
        """RespondActivityTaskCompleted: record ActivityTaskCompleted and schedule a decision.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` for an unknown, closed or timed-out task.
        """
        task = self._started_activity(request["taskToken"])
        self._close_started_activity(task, "ActivityTaskCompleted", {"result": request.get("result")})
        return {}

    @_operation
    def respond_activity_task_failed(self, request: dict[str, Any]) -> dict[str, Any]:
        """RespondActivityTaskFailed: record ActivityTaskFailed and schedule a decision.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` for an unknown, closed or timed-out task.
        """
        task = self._started_activity(request["taskToken"])
        self._close_started_activity(
            task, "ActivityTaskFailed", {"reason": request.get("reason"), "details": request.get("details")}
        )
        return {}

    @_operation
    def respond_activity_task_canceled(self, request: dict[str, Any]) -> dict[str, Any]:
        """RespondActivityTaskCanceled: record ActivityTaskCanceled and schedule a decision.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` for an unknown, closed or timed-out task.
        """
        task = self._started_activity(request["taskToken"])
        self._close_started_activity(
            task,
            "ActivityTaskCanceled",
            {
                "details": request.get("details"),
                "latestCancelRequestedEventId": task.latest_cancel_requested_event_id or None,
            },
        )
        return {}

    def _close_started_activity(self, task: ActivityTask, event_type: str, attrs: dict[str, Any]) -> None:
        execution = task.execution
        self.close_activity(task)
        execution.add_event(
            event_type, {**attrs, "scheduledEventId": task.scheduled_event_id, "startedEventId": task.started_event_id}
        )
        self.schedule_decision(execution)

    @_operation
    def record_activity_task_heartbeat(self, request: dict[str, Any]) -> dict[str, Any]:
        """RecordActivityTaskHeartbeat: restart the heartbeat timeout, keep ``details``.

        :returns: ``{"cancelRequested": bool}``, true after a
            RequestCancelActivityTask decision for this task.
        :raises Fault: ``UnknownResourceFault`` for an unknown, closed or timed-out task.
        """
        task = self._started_activity(request["taskToken"])
        if request.get("details") is not None:
            task.details = request["details"]
        now = self._clock()
        self.journal.heartbeat(task.execution, task.scheduled_event_id, task.details, now)
        self._arm_heartbeat(task, now)
        return {"cancelRequested": task.cancel_requested}

    @_operation
    def get_workflow_execution_history(self, request: dict[str, Any]) -> dict[str, Any]:
        """GetWorkflowExecutionHistory: one page of an execution's events.

        :returns: ``{"events": [...], "nextPageToken"?}``; pages of
            ``maximumPageSize`` events (1000 by default), newest first with
            ``reverseOrder``.
        :raises Fault: ``UnknownResourceFault``, ``ValidationException`` (token).
        """
        domain = request["domain"]
        self._domain(domain)
        execution = self._require_execution(domain, request["execution"])
        offset = 0
        if request.get("nextPageToken"):
            cursor = self._pages.decode("history", request["nextPageToken"])
            if cursor.get("r") != execution.run_id or cursor.get("v") != bool(request.get("reverseOrder")):
                raise Fault("ValidationException", "Invalid value for nextPageToken: issued for another request.")
            offset = int(cursor.get("o", 0))
        ordered = range(len(execution.events))
        if request.get("reverseOrder"):
            ordered = ordered[::-1]
        size = page_size(request)
        answer: dict[str, Any] = {"events": [execution.events[index] for index in ordered[offset : offset + size]]}
        if offset + size < len(ordered):
            answer["nextPageToken"] = self._pages.encode(
                "history", {"r": execution.run_id, "v": bool(request.get("reverseOrder")), "o": offset + size}
            )
        return answer

    @_operation
    def describe_workflow_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        """DescribeWorkflowExecution: info, configuration and open counts of one execution.

        :returns: ``{"executionInfo", "executionConfiguration", "openCounts",
            "latestActivityTaskTimestamp"?, "latestExecutionContext"?}``.
        :raises Fault: ``UnknownResourceFault``.
        """
        domain = request["domain"]
        self._domain(domain)
        execution = self._require_execution(domain, request["execution"])
        return compact(
            {
                "executionInfo": execution.info(),
                "executionConfiguration": execution.configuration(),
                "openCounts": execution.open_counts(),
                "latestActivityTaskTimestamp": execution.latest_activity_timestamp,
                "latestExecutionContext": execution.latest_execution_context,
            }
        )

    @_operation
    def signal_workflow_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        """SignalWorkflowExecution: record WorkflowExecutionSignaled and schedule a decision.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` when no such open execution exists.
        """
        domain = request["domain"]
        self._domain(domain)
        execution = self._require_open(domain, request["workflowId"], request.get("runId"))
        self.signal(execution, {"signalName": request["signalName"], "input": request.get("input")})
        return {}

    @_operation
    def request_cancel_workflow_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        """RequestCancelWorkflowExecution: record WorkflowExecutionCancelRequested once.

        A second request while one is pending changes nothing.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` when no such open execution exists.
        """
        domain = request["domain"]
        self._domain(domain)
        execution = self._require_open(domain, request["workflowId"], request.get("runId"))
        if not execution.cancel_requested:
            self.request_cancel(execution, {})
        return {}

    @_operation
    def terminate_workflow_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        """TerminateWorkflowExecution: close the execution now and apply the child policy.

        :returns: ``{}``.
        :raises Fault: ``UnknownResourceFault`` when no such open execution exists.
        """
        domain = request["domain"]
        self._domain(domain)
        execution = self._require_open(domain, request["workflowId"], request.get("runId"))
        policy = request.get("childPolicy") or execution.child_policy
        self.close_execution(
            execution,
            "TERMINATED",
            "WorkflowExecutionTerminated",
            {
                "reason": request.get("reason"),
                "details": request.get("details"),
                "childPolicy": policy,
                "cause": "OPERATOR_INITIATED",
            },
            child_policy=policy,
        )
        return {}

    # -- listing and counting -------------------------------------------------------

    def _select(self, request: dict[str, Any], closed: bool) -> tuple[list[Execution], str]:
        domain = request["domain"]
        self._domain(domain)
        exclusive = ["executionFilter", "typeFilter", "tagFilter"] + (["closeStatusFilter"] if closed else [])
        given = [name for name in exclusive if request.get(name) is not None]
        if len(given) > 1:
            raise Fault(
                "ValidationException",
                f"{', '.join(given)} are mutually exclusive: give at most one of {', '.join(exclusive)}.",
            )
        start_filter = request.get("startTimeFilter")
        close_filter = request.get("closeTimeFilter") if closed else None
        if closed and (start_filter is None) == (close_filter is None):
            raise Fault(
                "ValidationException",
                "startTimeFilter and closeTimeFilter are mutually exclusive: give exactly one of them.",
            )
        if not closed and start_filter is None:
            raise Fault("ValidationException", "startTimeFilter is required.")
        execution_filter = request.get("executionFilter")
        candidates: Iterable[Execution]
        if execution_filter is not None:
            runs = self._runs.get((domain, execution_filter["workflowId"]), [])
            candidates = [run for run in runs if run.is_open != closed]
        elif closed:
            candidates = self._closed.get(domain, ())
        else:
            candidates = self._open.get(domain, {}).values()
        time_filter: dict[str, Any] = close_filter or start_filter or {}
        attribute = "close_timestamp" if close_filter else "start_timestamp"
        oldest = _epoch(time_filter.get("oldestDate"))
        latest = _epoch(time_filter["latestDate"]) if time_filter.get("latestDate") is not None else None
        type_filter = request.get("typeFilter")
        tag = (request.get("tagFilter") or {}).get("tag")
        status = (request.get("closeStatusFilter") or {}).get("status")
        selected = []
        for execution in candidates:
            stamp = getattr(execution, attribute) or 0.0
            if stamp < oldest or (latest is not None and stamp > latest):
                continue
            if type_filter is not None and (
                execution.workflow_type["name"] != type_filter["name"]
                or (type_filter.get("version") and execution.workflow_type["version"] != type_filter["version"])
            ):
                continue
            if tag is not None and tag not in execution.tag_list:
                continue
            if status is not None and execution.close_status != status:
                continue
            selected.append(execution)
        return selected, attribute

    def _list(self, request: dict[str, Any], closed: bool) -> dict[str, Any]:
        selected, attribute = self._select(request, closed)
        reverse = bool(request.get("reverseOrder"))
        keyed = sorted(((getattr(execution, attribute) or 0.0, execution.run_id), execution) for execution in selected)
        keys = [key for key, _ in keyed]
        kind = f"list:{request['domain']}:{int(closed)}:{attribute}:{int(reverse)}"
        if reverse:
            start = 0
            if request.get("nextPageToken"):
                cursor = self._pages.decode(kind, request["nextPageToken"])
                start = bisect.bisect_right(keys, (float(cursor["s"]), str(cursor["r"])))
            order = list(range(start, len(keyed)))
        else:
            end = len(keyed)
            if request.get("nextPageToken"):
                cursor = self._pages.decode(kind, request["nextPageToken"])
                end = bisect.bisect_left(keys, (float(cursor["s"]), str(cursor["r"])))
            order = list(range(end - 1, -1, -1))
        size = page_size(request)
        page = order[:size]
        answer: dict[str, Any] = {"executionInfos": [keyed[index][1].info() for index in page]}
        if len(order) > size:
            last_stamp, last_run = keys[page[-1]]
            answer["nextPageToken"] = self._pages.encode(kind, {"s": last_stamp, "r": last_run})
        return answer

    @_operation
    def list_open_workflow_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListOpenWorkflowExecutions: open executions started in ``startTimeFilter``.

        At most one of ``executionFilter``, ``typeFilter``, ``tagFilter``.
        Newest start first; oldest first with ``reverseOrder``.

        :returns: ``{"executionInfos": [...], "nextPageToken"?}``.
        :raises Fault: ``UnknownResourceFault``, ``ValidationException``.
        """
        return self._list(request, closed=False)

    @_operation
    def list_closed_workflow_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListClosedWorkflowExecutions: closed executions kept for the domain's retention period.

        Exactly one of ``startTimeFilter`` / ``closeTimeFilter``; at most one
        of ``executionFilter``, ``typeFilter``, ``tagFilter``,
        ``closeStatusFilter``. Newest first by the filtered time; oldest first
        with ``reverseOrder``.

        :returns: ``{"executionInfos": [...], "nextPageToken"?}``.
        :raises Fault: ``UnknownResourceFault``, ``ValidationException``.
        """
        return self._list(request, closed=True)

    @_operation
    def count_open_workflow_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        """CountOpenWorkflowExecutions: ``{"count": int, "truncated": False}`` under the list filters."""
        selected, _ = self._select(request, closed=False)
        return {"count": len(selected), "truncated": False}

    @_operation
    def count_closed_workflow_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        """CountClosedWorkflowExecutions: ``{"count": int, "truncated": False}`` under the list filters."""
        selected, _ = self._select(request, closed=True)
        return {"count": len(selected), "truncated": False}

    @_operation
    def count_pending_decision_tasks(self, request: dict[str, Any]) -> dict[str, Any]:
        """CountPendingDecisionTasks: ``{"count": int, "truncated": False}``: tasks scheduled, not handed out."""
        self._domain(request["domain"])
        task_list = self._decision_lists.get((request["domain"], request["taskList"]["name"]))
        return {"count": len(task_list) if task_list is not None else 0, "truncated": False}

    @_operation
    def count_pending_activity_tasks(self, request: dict[str, Any]) -> dict[str, Any]:
        """CountPendingActivityTasks: ``{"count": int, "truncated": False}``: tasks scheduled, not handed out."""
        self._domain(request["domain"])
        task_list = self._activity_lists.get((request["domain"], request["taskList"]["name"]))
        return {"count": len(task_list) if task_list is not None else 0, "truncated": False}


def check_start_durations(attrs: dict[str, Any], path: str) -> None:
    """Check the durations and priority a start request gives.

    :raises Fault: ``ValidationException`` naming the member.
    """
    if attrs.get("executionStartToCloseTimeout") is not None:
        parse_duration(
            attrs["executionStartToCloseTimeout"],
            path + "executionStartToCloseTimeout",
            allow_none=False,
            maximum=MAX_EXECUTION_SECONDS,
        )
    if attrs.get("taskStartToCloseTimeout") is not None:
        parse_duration(attrs["taskStartToCloseTimeout"], path + "taskStartToCloseTimeout")
    if attrs.get("taskPriority") is not None:
        parse_priority(attrs["taskPriority"], path + "taskPriority")


def _epoch(value: Any) -> float:
    if value is None:
        return 0.0
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


def _stamp(execution: Execution, event_id: int) -> float:
    """The timestamp of event ``event_id`` of ``execution``, epoch seconds."""
    return float(execution.events[event_id - 1]["eventTimestamp"])
