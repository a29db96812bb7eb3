"""The signals greenlet actors send, and the one helper that sends them.

Connect a receiver with blinker as usual (``activity_task_completed.connect(fn)``);
it is called as ``fn(sender, **payload)``. Receivers run in the actor's
greenlet, so they must not block for long. A receiver that raises is logged
and skipped: it never fails a task or kills an actor. Durations in payloads
are ``float`` seconds. Tasks are :class:`swf.actors.ActivityTask` and
decision task values from :class:`swf.actors.Decider`; log their ids, never
their ``task_token`` or ``input``.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

__all__ = [
    "activity_task_canceled",
    "activity_task_completed",
    "activity_task_failed",
    "activity_task_received",
    "actor_started",
    "actor_stopped",
    "decision_task_completed",
    "decision_task_failed",
    "decision_task_received",
    "emit",
    "heartbeat_sent",
    "poll_failed",
    "signals",
]

log = logging.getLogger(__name__)

#: The namespace every signal of the toolkit lives in.
signals = Namespace()

actor_started = signals.signal("actor-started", doc="An actor's loop began. Sender: the actor. Payload: none.")
actor_stopped = signals.signal("actor-stopped", doc="An actor's loop ended, its running tasks done. Sender: the actor. Payload: none.")
poll_failed = signals.signal("poll-failed", doc="A poll raised; the actor backs off and polls again. Sender: the actor. Payload: error (SWFError).")
decision_task_received = signals.signal("decision-task-received", doc="A decider polled a decision task with its whole history. Sender: the decider. Payload: task.")
decision_task_completed = signals.signal("decision-task-completed", doc="A decider answered a task (RespondDecisionTaskCompleted). Sender: the decider. Payload: task, decisions (list of Decision dicts), duration (s).")
decision_task_failed = signals.signal("decision-task-failed", doc="decide() or the answer raised; the task is left to time out and be retried. Sender: the decider. Payload: task, error, duration (s).")
activity_task_received = signals.signal("activity-task-received", doc="A worker polled an activity task. Sender: the worker. Payload: task.")
activity_task_completed = signals.signal("activity-task-completed", doc="A worker reported success (RespondActivityTaskCompleted). Sender: the worker. Payload: task, result (str or None), duration (s).")
activity_task_failed = signals.signal("activity-task-failed", doc="A worker reported failure (RespondActivityTaskFailed). Sender: the worker. Payload: task, reason, details, duration (s).")
activity_task_canceled = signals.signal("activity-task-canceled", doc="A worker reported the task canceled (RespondActivityTaskCanceled). Sender: the worker. Payload: task, details, duration (s).")
heartbeat_sent = signals.signal("heartbeat-sent", doc="RecordActivityTaskHeartbeat answered. Sender: the worker. Payload: task, cancel_requested (bool).")


def emit(signal: NamedSignal, sender: Any, **payload: Any) -> None:
    """Send ``signal`` from ``sender``; a receiver's exception is logged, not raised.

    Returns at once when nothing is connected.

    :param signal: one of this module's signals.
    :param sender: the actor sending it.
    :param payload: the keyword payload its ``doc`` names.
    """
    if signal.is_muted or not signal.receivers:
        return
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **payload)
        except Exception:
            log.exception("receiver %r of signal %r raised", receiver, signal.name)
