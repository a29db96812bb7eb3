"""The signals greenlet actors send, and the one helper that sends them.

Connect a receiver with blinker as usual (``activity_task_completed.connect(fn)``);
it is called as ``fn(sender, **payload)``. Receivers run in the actor's
greenlet, so they must not block for long. A receiver that raises is logged
and skipped: it never fails a task or kills an actor. Durations in payloads
are ``float`` seconds. Tasks are :class:`swf.actors.ActivityTask` and
decision task values from :class:`swf.actors.Decider`; log their ids, never
their ``task_token`` or ``input``.

The runtime sends every signal through :func:`emit`, which costs next to
nothing when no receiver is connected and, when one is, adds the SWF ids a
payload lacks: ``domain`` and ``task_list`` from the sender, ``workflow_id``
and ``run_id`` from the task, and for activity tasks ``activity_id``,
``activity_name`` and ``activity_version``. So a receiver of
``activity_task_completed`` may be written as::

    def on_completed(sender, *, activity_name, workflow_id, duration, **payload): ...

:func:`retry_policy` makes a retry policy whose every retry sends
:data:`call_retried`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from blinker import NamedSignal, Namespace

from swf.exceptions import SWFError
from swf.retry import DEFAULT_RETRY, RetryPolicy

__all__ = [
    "activity_task_canceled",
    "activity_task_completed",
    "activity_task_failed",
    "activity_task_gone",
    "activity_task_received",
    "actor_crashed",
    "actor_started",
    "actor_stopped",
    "actor_stopping",
    "call_retried",
    "decision_task_completed",
    "decision_task_failed",
    "decision_task_received",
    "emit",
    "execution_failed_by_decider",
    "heartbeat_failed",
    "heartbeat_sent",
    "hub_blocked",
    "poll_empty",
    "poll_failed",
    "retry_policy",
    "signals",
    "workflow_nondeterminism",
    "workflow_replayed",
    "workflow_task_held",
]

log = logging.getLogger(__name__)

#: The namespace every signal of the toolkit lives in.
signals = Namespace()

actor_started = signals.signal(
    "actor-started", doc="An actor's loop began. Sender: the actor. Payload: domain, task_list."
)
actor_stopping = signals.signal(
    "actor-stopping",
    doc="stop() was asked: no new poll; polls in flight and running tasks finish. Sender: the actor. Payload: domain, task_list, timeout (s or None).",
)
actor_stopped = signals.signal(
    "actor-stopped",
    doc="An actor's loop ended, its running tasks done or failed back. Sender: the actor. Payload: domain, task_list.",
)
actor_crashed = signals.signal(
    "actor-crashed",
    doc="An actor's loop raised an unexpected error; the actor restarts its loop after a backoff that doubles up to its maximum. Sender: the actor. Payload: domain, task_list, error, restart_in (s).",
)
poll_empty = signals.signal(
    "poll-empty", doc="A long poll ended with no task. Sender: the actor. Payload: domain, task_list, duration (s)."
)
poll_failed = signals.signal(
    "poll-failed",
    doc="A poll raised; the actor backs off and polls again. Sender: the actor. Payload: domain, task_list, error (SWFError), retry_in (s).",
)
call_retried = signals.signal(
    "call-retried",
    doc="An SWF call failed transiently and is retried after a backoff. Sender: the retry hook's owner (runner or actor). Payload: operation, attempt (1-based, the attempt that failed), delay (s), error (SWFError).",
)
decision_task_received = signals.signal(
    "decision-task-received",
    doc="A decider polled a decision task with its whole history. Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id.",
)
decision_task_completed = signals.signal(
    "decision-task-completed",
    doc="A decider answered a task (RespondDecisionTaskCompleted). Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, decisions (list of decision dicts), duration (s).",
)
decision_task_failed = signals.signal(
    "decision-task-failed",
    doc="decide() or the answer raised; the task is left to time out and be retried. Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, error, duration (s).",
)
execution_failed_by_decider = signals.signal(
    "execution-failed-by-decider",
    doc="A decision task failed (decide() raised, or its decisions could not be sent) after the execution's last max_decision_timeouts decision tasks timed out, so the decider answered it with FailWorkflowExecution rather than leave it to loop (should SWF refuse that decision, as UNHANDLED_DECISION, the next failing task sends it again at once). Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, error, timeouts (decision tasks timed out in a row, from the history), reason (str, as sent), duration (s).",
)
activity_task_received = signals.signal(
    "activity-task-received",
    doc="A worker polled an activity task. Sender: the worker. Payload: task, domain, task_list, workflow_id, run_id, activity_id, activity_name, activity_version.",
)
activity_task_completed = signals.signal(
    "activity-task-completed",
    doc="A worker reported success (RespondActivityTaskCompleted). Sender: the worker. Payload: the received payload plus result (str or None), duration (s).",
)
activity_task_failed = signals.signal(
    "activity-task-failed",
    doc="A worker reported failure (RespondActivityTaskFailed), also when failing a task back at shutdown. Sender: the worker. Payload: the received payload plus reason, details, duration (s).",
)
activity_task_canceled = signals.signal(
    "activity-task-canceled",
    doc="A worker reported the task canceled (RespondActivityTaskCanceled) after SWF asked. Sender: the worker. Payload: the received payload plus details, duration (s).",
)
activity_task_gone = signals.signal(
    "activity-task-gone",
    doc="SWF no longer knows the task (timed out, or its execution closed): it is killed and not answered. Sender: the worker. Payload: the received payload plus duration (s).",
)
heartbeat_sent = signals.signal(
    "heartbeat-sent",
    doc="RecordActivityTaskHeartbeat answered. Sender: the worker. Payload: the received payload plus cancel_requested (bool).",
)
heartbeat_failed = signals.signal(
    "heartbeat-failed",
    doc="A heartbeat was throttled (the beat is skipped, the next one is sent on time) or failed otherwise (logged, tried again after a quarter interval). Sender: the worker. Payload: the received payload plus error (SWFError).",
)
hub_blocked = signals.signal(
    "hub-blocked",
    doc="A greenlet held the gevent hub longer than the set limit. Sender: None. Payload: duration (s, at least the limit), greenlet (repr str).",
)

workflow_replayed = signals.signal(
    "workflow-replayed",
    doc="A workflow decider replayed a decision task's history and answered it. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, workflow_name, events (int), checkpoints (int), decisions (int), duration (s).",
)
workflow_task_held = signals.signal(
    "workflow-task-held",
    doc="Workflow code raised unexpectedly or no longer matches its history: the decision task is left unanswered, to be retried after its timeout. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, error (one-line str), held (int, tasks held in a row with this one).",
)
workflow_nondeterminism = signals.signal(
    "workflow-nondeterminism",
    doc="Replaying a history, workflow code issued other commands than were recorded. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, error (NondeterminismError, naming file:line).",
)


def emit(signal: NamedSignal, sender: Any, **payload: Any) -> None:
    """Send ``signal`` from ``sender``; a receiver's exception is logged, not raised.

    Returns at once when nothing is connected (or the signal is muted): a
    call costs well under a microsecond then (``benchmarks/signals.py``).
    With receivers, the SWF ids the caller did not pass are filled in first,
    so that call sites pass only the ``task``: ``domain`` and ``task_list``
    from the sender (its own attributes, else its ``actor``'s);
    ``workflow_id`` and ``run_id`` from ``task.workflow_execution``;
    ``activity_id``, ``activity_name`` and ``activity_version`` from an
    activity task. An id that cannot be found is left out. Each receiver is
    then called as ``receiver(sender, **payload)``; one that raises is logged
    on ``swf_gevent.signals`` with the signal's name, and the others still run.

    :param signal: one of this module's signals.
    :param sender: the actor sending it (``None`` for process-wide signals).
    :param payload: the keyword payload its docstring (``signal.__doc__``) names.
    """
    if not signal.receivers or signal.is_muted:
        return
    _fill_ids(sender, payload)
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **payload)
        except Exception:
            log.exception("receiver %r of signal %r raised", receiver, signal.name)


def _fill_ids(sender: Any, payload: dict[str, Any]) -> None:
    """Add to ``payload`` the SWF ids of ``sender`` and ``payload["task"]`` it lacks."""
    if "domain" not in payload or "task_list" not in payload:
        for owner in (sender, getattr(sender, "actor", None)):
            domain = getattr(owner, "domain", None)
            task_list = getattr(owner, "task_list", None)
            if isinstance(domain, str) and isinstance(task_list, str):
                payload.setdefault("domain", domain)
                payload.setdefault("task_list", task_list)
                break
    task = payload.get("task")
    if task is None:
        return
    execution = getattr(task, "workflow_execution", None)
    if execution is not None:
        payload.setdefault("workflow_id", execution.workflow_id)
        payload.setdefault("run_id", execution.run_id)
    activity_id = getattr(task, "activity_id", None)
    if activity_id is not None:
        payload.setdefault("activity_id", activity_id)
        activity_type = getattr(task, "activity_type", None)
        if activity_type is not None:
            payload.setdefault("activity_name", activity_type.name)
            payload.setdefault("activity_version", activity_type.version)


def retry_policy(base: RetryPolicy = DEFAULT_RETRY, sender: Any = None) -> RetryPolicy:
    """``base`` with an ``on_retry`` hook that sends :data:`call_retried`.

    Give it to :func:`swf.connection.make_client` (``retry=``) so that every
    retried call of that client is seen by the handlers. ``base``'s own
    hook, if any, is called first.

    :param base: the policy to derive from (its attempts, delays, deadline).
    :param sender: the sender of the signal (the runner, or an actor).
    :returns: a new policy; ``base`` is unchanged.
    """
    previous = base.on_retry

    def on_retry(operation: str, attempt: int, delay: float, error: SWFError) -> None:
        if previous is not None:
            previous(operation, attempt, delay, error)
        emit(call_retried, sender, operation=operation, attempt=attempt, delay=delay, error=error)

    return replace(base, on_retry=on_retry)
