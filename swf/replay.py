"""Run a decider over a saved history, with no SWF endpoint.

A decider is any object with ``decide(decision_task) -> list[decision dict]``
(the runtime calls the same method). :func:`replay` hands it a
:class:`~swf.models.history.DecisionTask` built from the history and returns
the decisions it makes, as the runtime would send them: reasons and details
cut to fit, the rest validated as SWF would
(:func:`swf.models.decisions.fit_decisions`). :func:`replay_each` replays
every decision point of the history and puts next to each the decisions
that were actually recorded, to spot a decider whose logic changed: the
whole decisions are compared, type, ids, type name and version, input and
the other attributes (:attr:`ReplayStep.difference`).

From the shell::

    python -m swf.replay HISTORY.json module:DeciderClass [--at EVENT_ID] [--each] [--traceback]

prints the decisions as JSON. A decider that raises (or returns something
other than a list of decisions) ends it with status 1 and one line naming
the decider, the decision point and the error (``--traceback`` adds the
decider's traceback). With ``--each``, status 1 also means an answered
decision point does not match what was recorded; each such point gets one
line on stderr naming the decision, the field, and the recorded and new
values. A history or decider that
cannot be loaded ends it with status 2 and one line. ``HISTORY.json`` is anything
:meth:`History.from_json <swf.models.history.History.from_json>` reads (the
output of ``aws swf get-workflow-execution-history``, a saved poll answer...);
the class is instantiated with no arguments.
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import importlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Union

from swf.exceptions import SWFError, ValidationError
from swf.models import events as ev
from swf.models.decisions import Decision, attributes_key, decision_fields, fit_decisions
from swf.models.events import ExecutionRef
from swf.models.history import DecisionTask, History, read_json
from swf.payloads import Payloads

__all__ = [
    "DecisionMaker",
    "ReplayStep",
    "decode_source",
    "load_decider",
    "load_payloads",
    "main",
    "recorded_decision_type",
    "replay",
    "replay_each",
    "task_for",
]

log = logging.getLogger(__name__)

#: The run id and workflow id given to a replayed task when the file has none.
REPLAY_EXECUTION = ExecutionRef("replay", "replay")
#: The task token of a replayed task.
REPLAY_TOKEN = "replay"


class DecisionMaker(Protocol):
    """A decider's ``decide``: what :func:`replay` drives, and what :class:`swf_gevent.actors.GreenletDecider` asks.

    ``decide(decision_task)`` gets a :class:`~swf.models.history.DecisionTask`
    and returns the decisions (SWF ``Decision`` dicts) answering it.
    """

    def decide(self, decision_task: DecisionTask) -> Iterable[Mapping[str, Any]]: ...


HistorySource = Union[History, DecisionTask, str, "os.PathLike[str]"]


#: The events a decision records at once (not later outcomes), by event type.
_RECORDED_BY = {
    "ActivityTaskScheduled": "ScheduleActivityTask",
    "ScheduleActivityTaskFailed": "ScheduleActivityTask",
    "ActivityTaskCancelRequested": "RequestCancelActivityTask",
    "RequestCancelActivityTaskFailed": "RequestCancelActivityTask",
    "WorkflowExecutionCompleted": "CompleteWorkflowExecution",
    "CompleteWorkflowExecutionFailed": "CompleteWorkflowExecution",
    "WorkflowExecutionFailed": "FailWorkflowExecution",
    "FailWorkflowExecutionFailed": "FailWorkflowExecution",
    "WorkflowExecutionCanceled": "CancelWorkflowExecution",
    "CancelWorkflowExecutionFailed": "CancelWorkflowExecution",
    "WorkflowExecutionContinuedAsNew": "ContinueAsNewWorkflowExecution",
    "ContinueAsNewWorkflowExecutionFailed": "ContinueAsNewWorkflowExecution",
    "MarkerRecorded": "RecordMarker",
    "RecordMarkerFailed": "RecordMarker",
    "TimerStarted": "StartTimer",
    "StartTimerFailed": "StartTimer",
    "TimerCanceled": "CancelTimer",
    "CancelTimerFailed": "CancelTimer",
    "SignalExternalWorkflowExecutionInitiated": "SignalExternalWorkflowExecution",
    "SignalExternalWorkflowExecutionFailed": "SignalExternalWorkflowExecution",
    "RequestCancelExternalWorkflowExecutionInitiated": "RequestCancelExternalWorkflowExecution",
    "RequestCancelExternalWorkflowExecutionFailed": "RequestCancelExternalWorkflowExecution",
    "StartChildWorkflowExecutionInitiated": "StartChildWorkflowExecution",
    "StartChildWorkflowExecutionFailed": "StartChildWorkflowExecution",
    "LambdaFunctionScheduled": "ScheduleLambdaFunction",
    "ScheduleLambdaFunctionFailed": "ScheduleLambdaFunction",
}


@dataclass(frozen=True)
class ReplayStep:
    """One decision point of a replayed history.

    :ivar started_event_id: the ``DecisionTaskStarted`` event replayed at.
    :ivar decisions: what the decider decides now.
    :ivar recorded: the events the decisions of that task recorded at once
        (``ActivityTaskScheduled``, ``TimerStarted``, a refusal such as
        ``StartTimerFailed``...), tied by ``decisionTaskCompletedEventId`` to
        its ``DecisionTaskCompleted``; empty if the task timed out or is the
        last, unanswered one.
    :ivar completed_event_id: the ``DecisionTaskCompleted`` event of that
        task; ``None`` if it timed out or is the last, unanswered one.
    """

    started_event_id: int
    decisions: list[Decision]
    recorded: list[ev.HistoryEvent]
    completed_event_id: int | None = None

    @property
    def recorded_decision_types(self) -> list[str]:
        """The decision types the recorded events stand for, in history order."""
        return [_RECORDED_BY[e.event_type] for e in self.recorded]

    @property
    def difference(self) -> str | None:
        """The first way the decisions now differ from the recorded ones, in one line; ``None`` when they match.

        The decisions are compared in order with the events they recorded:
        the decision type, then each attribute the decision gives (ids, type
        name and version, input, control, reason, details, timeouts...) with
        the event's value. An attribute the decision leaves out is compared
        too, except those SWF fills in from the type's registered defaults
        (timeouts, task list, priority, child policy, tags, Lambda role). An
        event that reports a refused decision (``StartTimerFailed``...)
        carries only the ids, so only they are compared. Values longer than
        60 characters are shortened in the line.
        """
        if len(self.decisions) != len(self.recorded):
            return (
                f"decision count: recorded {len(self.recorded)} ({', '.join(self.recorded_decision_types)}), "
                f"now {len(self.decisions)} ({', '.join(d['decisionType'] for d in self.decisions)})"
            )
        for index, (decision, event) in enumerate(zip(self.decisions, self.recorded, strict=True), start=1):
            found = _decision_difference(decision, event)
            if found is not None:
                return f"decision {index} ({_RECORDED_BY[event.event_type]}): {found}"
        return None

    @property
    def matches(self) -> bool:
        """The decider now makes the same decisions, in the same order, as were recorded (see :attr:`difference`)."""
        return self.difference is None


#: Decision attributes SWF fills in from the registered defaults when a decision leaves them out.
_DEFAULTED = frozenset(
    {
        "scheduleToCloseTimeout",
        "scheduleToStartTimeout",
        "startToCloseTimeout",
        "heartbeatTimeout",
        "executionStartToCloseTimeout",
        "taskStartToCloseTimeout",
        "taskList",
        "taskPriority",
        "childPolicy",
        "tagList",
        "lambdaRole",
        "workflowTypeVersion",
    }
)

_SHORT = 60


def _decision_difference(decision: Mapping[str, Any], event: ev.HistoryEvent) -> str | None:
    """``"<field>: recorded <value>, now <value>"`` for the first attribute that differs; ``None`` if none does."""
    recorded_type = _RECORDED_BY[event.event_type]
    if decision["decisionType"] != recorded_type:
        return f"decision type: recorded {recorded_type}, now {decision['decisionType']}"
    now = decision.get(attributes_key(recorded_type)) or {}
    wire = event.to_wire()
    then = dict(wire.get(event.event_type[:1].lower() + event.event_type[1:] + "EventAttributes") or {})
    if "workflowType" in then and recorded_type == "ContinueAsNewWorkflowExecution":
        then["workflowTypeVersion"] = then["workflowType"].get("version")
    refused = event.event_type.endswith("Failed")
    for name in decision_fields(recorded_type):
        value, recorded = now.get(name), then.get(name)
        if value is None and name in _DEFAULTED:
            continue  # SWF recorded the registered default
        if refused and name not in then:
            continue  # a refusal records the ids only
        if value != recorded:
            return f"{name}: recorded {_short(recorded)}, now {_short(value)}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHORT else f"{text[: _SHORT - 5]}...{text[-2:]}"


def task_for(
    history: HistorySource,
    *,
    at: int | None = None,
    workflow_execution: ExecutionRef | None = None,
) -> DecisionTask:
    """The decision task a decider would have received.

    :param history: a :class:`History`, a :class:`DecisionTask`, or the path
        of a JSON file.
    :param at: the ``DecisionTaskStarted`` event id to stop at; ``None`` keeps
        the whole history (the task's own ``started_event_id``, else the
        latest ``DecisionTaskStarted``).
    :param workflow_execution: ids to give the task when the source has none.
    :returns: a task whose history ends at ``at`` and whose
        ``previous_started_event_id`` is the last decision task answered before it.
    :raises swf.exceptions.ValidationError: ``at`` is not a
        ``DecisionTaskStarted`` event of this history, or a bare history has
        no ``WorkflowExecutionStarted`` event to take the workflow type from.
    """
    base, full = _source(history)
    starts = [e.event_id for e in full.filter(ev.DecisionTaskStarted)]
    if at is None:
        at = base.started_event_id if base is not None else (starts[-1] if starts else full.last_event_id)
    elif at not in starts:
        raise ValidationError(f"event {at} is not a DecisionTaskStarted event of this history")
    log.debug("replaying at event %d of %d", at, full.last_event_id)
    events = History(e for e in full if e.event_id <= at)
    started = events.state.started
    if base is not None:
        workflow_type = base.workflow_type
    elif started is not None:
        workflow_type = started.workflow_type
    else:
        raise ValidationError("the history has no WorkflowExecutionStarted event")
    # SWF's previousStartedEventId: the last decision task a decider answered.
    answered = {e.started_event_id for e in _completions(full)}
    previous = max((s for s in answered if s < at), default=0)
    return DecisionTask(
        task_token=REPLAY_TOKEN,
        workflow_execution=workflow_execution or (base.workflow_execution if base else REPLAY_EXECUTION),
        workflow_type=workflow_type,
        started_event_id=at,
        previous_started_event_id=previous,
        history=events,
    )


def replay(
    history: HistorySource,
    decider: DecisionMaker,
    *,
    at: int | None = None,
    workflow_execution: ExecutionRef | None = None,
) -> list[Decision]:
    """The decisions ``decider`` makes for the history (see :func:`task_for`).

    :returns: the decisions in boto3's shape, as the runtime would send
        them (reasons and details cut to fit: :func:`swf.models.decisions.fit_decisions`).
    :raises swf.exceptions.ValidationError: a decision SWF would refuse.
    """
    task = task_for(history, at=at, workflow_execution=workflow_execution)
    return fit_decisions(decider.decide(task))


def replay_each(
    history: HistorySource,
    decider: DecisionMaker,
    *,
    workflow_execution: ExecutionRef | None = None,
) -> list[ReplayStep]:
    """Replay every decision point (each ``DecisionTaskStarted``), oldest first.

    :returns: one :class:`ReplayStep` per decision point.
    """
    base, full = _source(history)
    source: History | DecisionTask = base if base is not None else full
    completed_for = {e.started_event_id: e.event_id for e in _completions(full)}
    steps = []
    for start in full.filter(ev.DecisionTaskStarted):
        task = task_for(source, at=start.event_id, workflow_execution=workflow_execution)
        completed = completed_for.get(start.event_id)
        recorded = [e for e in full if completed is not None and _recorded_by(e, completed)]
        steps.append(ReplayStep(start.event_id, fit_decisions(decider.decide(task)), recorded, completed))
    return steps


def _completions(history: History) -> list[ev.DecisionTaskCompleted]:
    return [e for e in history if isinstance(e, ev.DecisionTaskCompleted)]


def _recorded_by(event: ev.HistoryEvent, completed_event_id: int) -> bool:
    """Whether a decision of the task completed by ``completed_event_id`` recorded ``event`` at once."""
    if event.event_type not in _RECORDED_BY:
        return False
    if getattr(event, "decision_task_completed_event_id", None) != completed_event_id:
        return False
    # A failure reported after an Initiated event is a later outcome, not the decision itself.
    return not (event.event_type.endswith("Failed") and bool(getattr(event, "initiated_event_id", 0)))


def recorded_decision_type(event: ev.HistoryEvent, completed_event_id: int) -> str | None:
    """The decision type whose taking recorded ``event`` at once, in the task completed by ``completed_event_id``.

    ``"ScheduleActivityTask"`` for ``ActivityTaskScheduled`` or
    ``ScheduleActivityTaskFailed``...; ``None`` for an event that is not the
    immediate record of a decision of that task (a later outcome).
    """
    return _RECORDED_BY[event.event_type] if _recorded_by(event, completed_event_id) else None


def load_decider(spec: str) -> DecisionMaker:
    """Import ``"package.module:Name"`` and return the decider.

    A class is instantiated with no arguments; any other object with a
    ``decide`` method is returned as is -- a ``@wf.workflow`` definition of
    ``swf_gevent.workflow`` is one (it decides its own workflow type), so
    workflows replay with no import of ``swf_gevent`` here.

    :raises swf.exceptions.ValidationError: a malformed spec, a module that
        cannot be imported (missing, a syntax error, raising as it runs), a
        missing name, a class whose ``__init__`` raises, or an object without
        ``decide``.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValidationError(f"decider must be given as module:Name, not {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValidationError(f"cannot import {module_name!r}: {err}") from err
    except Exception as err:  # a SyntaxError, or whatever the module raises while it runs
        raise ValidationError(f"cannot import {module_name!r}: {type(err).__name__}: {err}") from err
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValidationError(f"{module_name!r} has no {attr!r}") from None
    if isinstance(target, type):
        try:
            target = target()
        except TypeError as err:
            raise ValidationError(f"{spec}: cannot create the decider with no arguments ({err})") from err
        except Exception as err:
            raise ValidationError(f"{spec}: creating the decider raised {type(err).__name__}: {err}") from err
    if not callable(getattr(target, "decide", None)):
        raise ValidationError(f"{spec} has no decide(decision_task) method")
    decider: DecisionMaker = target
    return decider


class _DeciderRaised(Exception):
    """The decider's ``decide`` raised ``error`` at decision point ``started_event_id``."""

    def __init__(self, started_event_id: int, error: Exception) -> None:
        super().__init__(started_event_id, error)
        self.started_event_id = started_event_id
        self.error = error


class _DeciderReturned(Exception):
    """The decider's ``decide`` returned ``value``, not a list of decisions, at ``started_event_id``."""

    def __init__(self, started_event_id: int, value: object) -> None:
        super().__init__(started_event_id, value)
        self.started_event_id = started_event_id
        self.value = value


class _Watched:
    """A decider whose exceptions and non-list answers are tagged with the decision point."""

    def __init__(self, decider: DecisionMaker) -> None:
        self._decider = decider

    def decide(self, decision_task: DecisionTask) -> Iterable[Mapping[str, Any]]:
        try:
            answer: object = self._decider.decide(decision_task)
        except Exception as err:
            raise _DeciderRaised(decision_task.started_event_id, err) from err
        if not isinstance(answer, (list, tuple)):
            raise _DeciderReturned(decision_task.started_event_id, answer)
        return list(answer)


def _decider_frames(error: BaseException) -> str:
    """The traceback of ``error`` from the decider's ``decide`` down, without this module's frames."""
    tb = error.__traceback__
    own = os.path.normcase(os.path.abspath(__file__))
    while tb is not None and os.path.normcase(os.path.abspath(tb.tb_frame.f_code.co_filename)) == own:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``python -m swf.replay`` command; returns the exit status.

    0 with the decisions printed; 1 when the decider raised or returned
    something other than a list of decisions (one line naming the decider,
    the decision point and the error; its traceback too with
    ``--traceback``), and with ``--each`` when an answered decision point
    does not match what was recorded (``"matches": false`` and its
    ``"difference"``, also printed as one line on stderr per point; the
    last, unanswered point is not counted); 2 for a history or a decider that
    cannot be loaded.
    """
    parser = argparse.ArgumentParser(
        prog="python -m swf.replay",
        description="Print as JSON the decisions a decider makes for a saved SWF history.",
    )
    parser.add_argument("history", help="JSON file: {'events': [...]}, a saved poll answer, or a list of events")
    parser.add_argument("decider", help="module:DeciderClass (created with no arguments) or module:instance")
    parser.add_argument("--at", type=int, default=None, help="replay at this DecisionTaskStarted event id")
    parser.add_argument("--each", action="store_true", help="replay every decision point")
    parser.add_argument("--workflow-id", default=None, help="workflow id to give the task")
    parser.add_argument("--run-id", default=None, help="run id to give the task")
    parser.add_argument("--traceback", action="store_true", help="when the decider raises, print its traceback too")
    parser.add_argument(
        "--payloads",
        default=None,
        metavar="CONFIG",
        help="ini file whose [payloads] section decodes the history's encoded fields and references",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    execution = None
    if args.workflow_id or args.run_id:
        execution = ExecutionRef(
            args.workflow_id or REPLAY_EXECUTION.workflow_id, args.run_id or REPLAY_EXECUTION.run_id
        )
    status = 0
    differing: list[ReplayStep] = []
    try:
        source: HistorySource = args.history
        if args.payloads is not None:
            source = decode_source(args.history, load_payloads(args.payloads))
        decider = _Watched(load_decider(args.decider))
        if args.each:
            steps = replay_each(source, decider, workflow_execution=execution)
            output: Any = [
                {
                    "startedEventId": step.started_event_id,
                    "decisions": step.decisions,
                    "recorded": step.recorded_decision_types,
                    "matches": step.matches,
                    "difference": step.difference,
                }
                for step in steps
            ]
            differing = [step for step in steps if step.completed_event_id is not None and not step.matches]
            if differing:
                status = 1
        else:
            output = replay(source, decider, at=args.at, workflow_execution=execution)
    except _DeciderRaised as raised:
        error = raised.error
        if args.traceback:
            sys.stderr.write(_decider_frames(error))
        hint = "" if args.traceback else " (--traceback prints where)"
        print(
            f"swf.replay: decider {args.decider} raised at DecisionTaskStarted event {raised.started_event_id}: "
            f"{type(error).__name__}: {error}{hint}",
            file=sys.stderr,
        )
        return 1
    except _DeciderReturned as returned:
        print(
            f"swf.replay: decider {args.decider} returned {returned.value!r}, not a list of decisions, "
            f"at DecisionTaskStarted event {returned.started_event_id}",
            file=sys.stderr,
        )
        return 1
    except (SWFError, OSError) as err:
        print(f"swf.replay: {err}", file=sys.stderr)
        return 2
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if status:
        for step in differing:
            print(f"swf.replay: DecisionTaskStarted event {step.started_event_id}: {step.difference}", file=sys.stderr)
        print("swf.replay: some decision points do not match what was recorded", file=sys.stderr)
    return status


def load_payloads(path: str | os.PathLike[str]) -> Payloads:
    """The :class:`swf.payloads.Payloads` of an ini file's ``[payloads]`` section (the runner's config).

    :raises swf.exceptions.ValidationError: one line naming the file, the section and the key.
    :raises OSError: the file cannot be read.
    """
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"), default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    with open(path, encoding="utf-8") as stream:
        try:
            parser.read_file(stream)
        except configparser.Error as err:
            raise ValidationError(f"{os.fspath(path)}: {' '.join(str(err).split())}") from None
    if not parser.has_section("payloads"):
        raise ValidationError(f"{os.fspath(path)}: [payloads]: missing section")
    return Payloads.from_options(dict(parser["payloads"]), f"{os.fspath(path)}: [payloads]")


def decode_source(history: HistorySource, payloads: Payloads) -> DecisionTask | History:
    """The history (or task) with its encoded fields decoded and references fetched by ``payloads``.

    :raises swf.exceptions.PayloadError: a field that cannot be decoded, naming it.
    """
    task, events = _source(history)
    decoded = History.from_events(payloads.decode_events(events.to_document()["events"]))
    return decoded if task is None else dataclasses.replace(task, history=decoded)


def _source(history: HistorySource) -> tuple[DecisionTask | None, History]:
    """The task (if the source is one) and the full history of a replay source."""
    if isinstance(history, DecisionTask):
        return history, history.history
    if isinstance(history, History):
        return None, history
    return _load(history)


def _load(path: str | os.PathLike[str]) -> tuple[DecisionTask | None, History]:
    """Read a file; a saved poll answer (with ``taskToken``) keeps its task ids."""
    source = os.fspath(path)
    document = read_json(path)
    if isinstance(document, Mapping) and document.get("taskToken") and "workflowExecution" in document:
        task = DecisionTask.from_pages([document])
        return task, task.history
    return None, History.from_document(document, source=source)


if __name__ == "__main__":
    sys.exit(main())
