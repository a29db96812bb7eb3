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

Each signal is described once, as data: :data:`CATALOGUE` maps its name to a
:class:`SignalSpec` (doc, payload keys, counter name, log level, duration
metric), from which the logging, metrics, Prometheus and statsd handlers
build their tables. Adding a signal is one ``_declare(SignalSpec(...))``
statement below (and its name in ``__all__``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from blinker import NamedSignal, Namespace

from swf.exceptions import SWFError
from swf.retry import DEFAULT_RETRY, RetryPolicy

__all__ = [
    "CATALOGUE",
    "DURATION_METRICS",
    "SignalSpec",
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
    "pollers_changed",
    "retry_policy",
    "signals",
    "workflow_nondeterminism",
    "workflow_replayed",
    "workflow_task_held",
]

log = logging.getLogger(__name__)

#: The namespace every signal of the toolkit lives in.
signals = Namespace()


@dataclass(frozen=True)
class SignalSpec:
    """One signal of the catalogue, as data: the handlers derive their tables from these.

    :param name: the blinker name, ``"activity-task-completed"``.
    :param doc: when it fires, the sender and the payload (becomes ``signal.__doc__``).
    :param payload: the keyword payload's keys, the SWF ids :func:`emit` fills in included.
    :param counter: the counter's name in the exporting handlers, without
        prefix or suffix (Prometheus ``swf_<counter>_total``, statsd ``<prefix>.<counter>``).
    :param level: the level :class:`~swf_gevent.handlers.LoggingHandler` logs it at.
    :param duration: the histogram or timer its ``duration`` (s) goes to, without
        prefix or unit (a key of :data:`DURATION_METRICS`); ``None`` when it has none.
    :param outcome: the ``outcome`` label (statsd: suffix) of that duration, or ``None``.
    :param answers: ``"activity"`` or ``"decision"`` when its ``duration`` is the
        latency of an answered task of that kind (what the metrics handler's
        histograms and the runner's summary count).
    """

    name: str
    doc: str
    payload: tuple[str, ...]
    counter: str
    level: int = logging.DEBUG
    duration: str | None = None
    outcome: str | None = None
    answers: str | None = None

    @property
    def attribute(self) -> str:
        """The module attribute and typed-count name: ``"activity_task_completed"``."""
        return self.name.replace("-", "_")

    @property
    def carries_duration(self) -> bool:
        """Whether the payload has a ``duration`` in seconds."""
        return "duration" in self.payload


#: Every signal's :class:`SignalSpec`, by signal name, in the order declared.
CATALOGUE: dict[str, SignalSpec] = {}

#: The duration metrics the exporting handlers keep (histograms, timers): name -> what it measures.
DURATION_METRICS: dict[str, str] = {
    "activity_task_duration": "Activity task received to answered",
    "decision_task_duration": "Decision task received to answered (or given up)",
    "poll_empty_duration": "How long empty polls were held",
    "hub_blocked": "How long a greenlet held the gevent hub",
}

# Payload keys shared by families of signals.
_QUEUE = ("domain", "task_list")
_DECISION = ("task", "domain", "task_list", "workflow_id", "run_id")
_ACTIVITY = (*_DECISION, "activity_id", "activity_name", "activity_version")


def _declare(spec: SignalSpec) -> NamedSignal:
    """Add ``spec`` to :data:`CATALOGUE` and make its signal in :data:`signals`."""
    if spec.name in CATALOGUE:
        raise ValueError(f"signal {spec.name!r} declared twice")
    CATALOGUE[spec.name] = spec
    return signals.signal(spec.name, doc=spec.doc)


# One statement per signal: name, doc, payload keys, counter, log level, and
# for a duration its metric, outcome and the task kind whose latency it is.
actor_started = _declare(
    SignalSpec(
        "actor-started",
        "An actor's loop began. Sender: the actor. Payload: domain, task_list.",
        _QUEUE,
        "actors_started",
        logging.DEBUG,
    )
)
actor_stopping = _declare(
    SignalSpec(
        "actor-stopping",
        "stop() was asked: no new poll; polls in flight and running tasks finish. Sender: the actor. Payload: domain, task_list, timeout (s or None).",
        (*_QUEUE, "timeout"),
        "actors_stopping",
        logging.INFO,
    )
)
actor_stopped = _declare(
    SignalSpec(
        "actor-stopped",
        "An actor's loop ended, its running tasks done or failed back. Sender: the actor. Payload: domain, task_list.",
        _QUEUE,
        "actors_stopped",
        logging.DEBUG,
    )
)
actor_crashed = _declare(
    SignalSpec(
        "actor-crashed",
        "An actor's loop raised an unexpected error; the actor restarts its loop after a backoff that doubles up to its maximum. Sender: the actor. Payload: domain, task_list, error, restart_in (s).",
        (*_QUEUE, "error", "restart_in"),
        "actors_crashed",
        logging.WARNING,
    )
)
poll_empty = _declare(
    SignalSpec(
        "poll-empty",
        "A long poll ended with no task. Sender: the actor. Payload: domain, task_list, duration (s).",
        (*_QUEUE, "duration"),
        "polls_empty",
        logging.DEBUG,
        duration="poll_empty_duration",
    )
)
pollers_changed = _declare(
    SignalSpec(
        "pollers-changed",
        "An actor's pollers (long polls in flight, or waiting for a free slot) changed: at start, one more after a poll brought a task, one fewer after an empty poll (swf_gevent.pollers). Sender: the actor. Payload: domain, task_list, pollers, minimum, maximum.",
        (*_QUEUE, "pollers", "minimum", "maximum"),
        "pollers_changes",
        logging.DEBUG,
    )
)
poll_failed = _declare(
    SignalSpec(
        "poll-failed",
        "A poll raised; the actor backs off and polls again. Sender: the actor. Payload: domain, task_list, error (SWFError), retry_in (s).",
        (*_QUEUE, "error", "retry_in"),
        "polls_failed",
        logging.WARNING,
    )
)
call_retried = _declare(
    SignalSpec(
        "call-retried",
        "An SWF call failed transiently and is retried after a backoff. Sender: the retry hook's owner (runner or actor). Payload: operation, attempt (1-based, the attempt that failed), delay (s), error (SWFError).",
        ("operation", "attempt", "delay", "error"),
        "calls_retried",
        logging.INFO,
    )
)
decision_task_received = _declare(
    SignalSpec(
        "decision-task-received",
        "A decider polled a decision task with its whole history. Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id.",
        _DECISION,
        "decision_tasks_received",
        logging.DEBUG,
    )
)
decision_task_completed = _declare(
    SignalSpec(
        "decision-task-completed",
        "A decider answered a task (RespondDecisionTaskCompleted). Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, decisions (list of decision dicts), duration (s).",
        (*_DECISION, "decisions", "duration"),
        "decision_tasks_completed",
        logging.INFO,
        duration="decision_task_duration",
        outcome="completed",
        answers="decision",
    )
)
decision_task_failed = _declare(
    SignalSpec(
        "decision-task-failed",
        "decide() or the answer raised; the task is left to time out and be retried. Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, error, duration (s).",
        (*_DECISION, "error", "duration"),
        "decision_tasks_failed",
        logging.WARNING,
        duration="decision_task_duration",
        outcome="failed",
        answers="decision",
    )
)
execution_failed_by_decider = _declare(
    SignalSpec(
        "execution-failed-by-decider",
        "A decision task failed (decide() raised, or its decisions could not be sent) after the execution's last max_decision_timeouts decision tasks timed out, so the decider answered it with FailWorkflowExecution rather than leave it to loop (should SWF refuse that decision, as UNHANDLED_DECISION, the next failing task sends it again at once). Sender: the decider. Payload: task, domain, task_list, workflow_id, run_id, error, timeouts (decision tasks timed out in a row, from the history), reason (str, as sent), duration (s).",
        (*_DECISION, "error", "timeouts", "reason", "duration"),
        "execution_failed_by_decider",
        logging.WARNING,
    )
)
activity_task_received = _declare(
    SignalSpec(
        "activity-task-received",
        "A worker polled an activity task. Sender: the worker. Payload: task, domain, task_list, workflow_id, run_id, activity_id, activity_name, activity_version.",
        _ACTIVITY,
        "activity_tasks_received",
        logging.DEBUG,
    )
)
activity_task_completed = _declare(
    SignalSpec(
        "activity-task-completed",
        "A worker reported success (RespondActivityTaskCompleted). Sender: the worker. Payload: the received payload plus result (str or None), duration (s).",
        (*_ACTIVITY, "result", "duration"),
        "activity_tasks_completed",
        logging.INFO,
        duration="activity_task_duration",
        outcome="completed",
        answers="activity",
    )
)
activity_task_failed = _declare(
    SignalSpec(
        "activity-task-failed",
        "A worker reported failure (RespondActivityTaskFailed), also when failing a task back at shutdown. Sender: the worker. Payload: the received payload plus reason, details, duration (s).",
        (*_ACTIVITY, "reason", "details", "duration"),
        "activity_tasks_failed",
        logging.WARNING,
        duration="activity_task_duration",
        outcome="failed",
        answers="activity",
    )
)
activity_task_canceled = _declare(
    SignalSpec(
        "activity-task-canceled",
        "A worker reported the task canceled (RespondActivityTaskCanceled) after SWF asked. Sender: the worker. Payload: the received payload plus details, duration (s).",
        (*_ACTIVITY, "details", "duration"),
        "activity_tasks_canceled",
        logging.INFO,
        duration="activity_task_duration",
        outcome="canceled",
        answers="activity",
    )
)
activity_task_gone = _declare(
    SignalSpec(
        "activity-task-gone",
        "SWF no longer knows the task (timed out, or its execution closed): it is killed and not answered. Sender: the worker. Payload: the received payload plus duration (s).",
        (*_ACTIVITY, "duration"),
        "activity_tasks_gone",
        logging.WARNING,
        duration="activity_task_duration",
        outcome="gone",
    )
)
heartbeat_sent = _declare(
    SignalSpec(
        "heartbeat-sent",
        "RecordActivityTaskHeartbeat answered. Sender: the worker. Payload: the received payload plus cancel_requested (bool).",
        (*_ACTIVITY, "cancel_requested"),
        "heartbeats_sent",
        logging.DEBUG,
    )
)
heartbeat_failed = _declare(
    SignalSpec(
        "heartbeat-failed",
        "A heartbeat was throttled (the beat is skipped, the next one is sent on time) or failed otherwise (logged, tried again after a quarter interval). Sender: the worker. Payload: the received payload plus error (SWFError).",
        (*_ACTIVITY, "error"),
        "heartbeats_failed",
        logging.WARNING,
    )
)
hub_blocked = _declare(
    SignalSpec(
        "hub-blocked",
        "A greenlet held the gevent hub longer than the set limit. Sender: None. Payload: duration (s, at least the limit), greenlet (repr str).",
        ("duration", "greenlet"),
        "hub_blocked",
        logging.WARNING,
        duration="hub_blocked",
    )
)

workflow_replayed = _declare(
    SignalSpec(
        "workflow-replayed",
        "A workflow decider replayed a decision task's history and answered it. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, workflow_name, events (int), checkpoints (int), decisions (int), duration (s).",
        (*_DECISION, "workflow_name", "events", "checkpoints", "decisions", "duration"),
        "workflow_replays",
        logging.DEBUG,
    )
)
workflow_task_held = _declare(
    SignalSpec(
        "workflow-task-held",
        "Workflow code raised unexpectedly or no longer matches its history: the decision task is left unanswered, to be retried after its timeout. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, error (one-line str), held (int, tasks held in a row with this one).",
        (*_DECISION, "error", "held"),
        "workflow_tasks_held",
        logging.WARNING,
    )
)
workflow_nondeterminism = _declare(
    SignalSpec(
        "workflow-nondeterminism",
        "Replaying a history, workflow code issued other commands than were recorded. Sender: the WorkflowDecider. Payload: task, workflow_id, run_id, error (NondeterminismError, naming file:line).",
        (*_DECISION, "error"),
        "workflow_nondeterminism_errors",
        logging.WARNING,
    )
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
