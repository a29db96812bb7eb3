"""Testing workflows: :func:`replay` checks recorded histories against the current code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from swf.exceptions import ValidationError
from swf.models import events as ev
from swf.models.decisions import Decision
from swf.models.events import ExecutionRef
from swf.models.history import DecisionTask, History
from swf.replay import REPLAY_EXECUTION, REPLAY_TOKEN
from swf_gevent.workflow.decider import WorkflowDecider
from swf_gevent.workflow.definition import WorkflowDefinition

__all__ = ["replay"]


def replay(
    history: History | DecisionTask,
    workflows: Iterable[WorkflowDefinition],
    *,
    workflow_execution: ExecutionRef | None = None,
) -> list[Decision]:
    """Replay a recorded history with the current workflow code, checking every answered decision task.

    :param history: the whole history (``run.history()``, ``History.load(path)``) or a decision task.
    :param workflows: the ``@wf.workflow`` definitions; the one for the history's workflow type is used.
    :param workflow_execution: ids to give the replay when the source has none; give the
        recorded workflow id when the workflow starts children with default ids (derived from it).
    :returns: the decisions the code makes after the last recorded event
        (``[]`` when the last decision task was answered).
    :raises swf_gevent.workflow.NondeterminismError: the code issues other commands than were
        recorded, naming the decision task, the event and the ``file:line``.
    :raises swf_gevent.workflow.WorkflowCodeError: the code raised an unexpected error.
    :raises swf.exceptions.ValidationError: a history with no ``WorkflowExecutionStarted`` or decision task.
    """
    decider = WorkflowDecider(workflows, hold=False)
    return decider.decide(_whole_task(history, workflow_execution))


def _whole_task(history: History | DecisionTask, workflow_execution: ExecutionRef | None) -> Any:
    if isinstance(history, DecisionTask):
        return history
    started = history.state.started
    if started is None:
        raise ValidationError("the history has no WorkflowExecutionStarted event")
    starts = history.filter(ev.DecisionTaskStarted)
    if not starts:
        raise ValidationError("the history has no DecisionTaskStarted event")
    return DecisionTask(
        task_token=REPLAY_TOKEN,
        workflow_execution=workflow_execution or REPLAY_EXECUTION,
        workflow_type=started.workflow_type,
        started_event_id=starts[-1].event_id,
        previous_started_event_id=0,
        history=history,
    )
