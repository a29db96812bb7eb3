"""A workflow execution's history, and the decision task that carries one.

:class:`History` is an ordered, immutable sequence of typed events
(:mod:`swf.models.events`) read from every page of a decision-task poll, from
every page of ``GetWorkflowExecutionHistory``, or from exported JSON. Its
:attr:`History.state` correlates the events into what a decider needs
(:class:`swf.models.history_state.HistoryState`).

:class:`DecisionTask` is the value ``PollForDecisionTask`` answers with, built
by :meth:`DecisionTask.from_pages` from all the pages of one poll.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, overload

from swf.exceptions import ValidationError
from swf.models.events import ExecutionRef, HistoryEvent, TypeRef, event_from_wire
from swf.models.history_state import HistoryState

__all__ = ["DecisionTask", "History", "read_json"]

log = logging.getLogger(__name__)

EventTypeSpec = str | type[HistoryEvent]


class History(Sequence[HistoryEvent]):
    """The events of one workflow execution, in ascending ``eventId`` order.

    Index it (``history[0]``, ``history[-3:]`` -> a :class:`History`), iterate
    it, take its ``len``; :meth:`get` finds an event by id, :meth:`filter`
    selects by type, :meth:`since` gives the events after an event id
    (``previousStartedEventId`` for the events new to a decider).

    :param events: typed events; pages read in reverse order (``reverseOrder``)
        are put back in ascending order.
    :raises swf.exceptions.ValidationError: two events share an id, or the ids
        are not in order.
    """

    def __init__(self, events: Iterable[HistoryEvent] = ()) -> None:
        items = list(events)
        if len(items) > 1 and items[0].event_id > items[-1].event_id:
            items.reverse()
        previous: int | None = None
        for event in items:
            if previous is not None and event.event_id <= previous:
                if event.event_id == previous:
                    raise ValidationError(f"history: event {event.event_id} appears twice")
                raise ValidationError(f"history: events out of order (event {event.event_id} after event {previous})")
            previous = event.event_id
        self._events: tuple[HistoryEvent, ...] = tuple(items)
        self._by_id = {event.event_id: event for event in items}

    # -- constructors -----------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[Mapping[str, Any]]) -> History:
        """A history from event dicts in boto3's shape (``{"eventId", "eventType", ...}``).

        :raises swf.exceptions.ValidationError: an event is malformed (the
            message names its position, ``events[12]``).
        """
        return cls(event_from_wire(raw, f"events[{i}]") for i, raw in enumerate(events))

    @classmethod
    def from_pages(cls, pages: Iterable[Mapping[str, Any]], *, contiguous: bool = True) -> History:
        """A history from every page of ``PollForDecisionTask`` or ``GetWorkflowExecutionHistory``.

        :param pages: the response dicts, in the order they were fetched
            (each ``{"events": [...], "nextPageToken": ...}``).
        :param contiguous: check that event ids follow each other with no gap
            (a lost page); the first id need not be 1 (``startAtPreviousStartedEvent``).
        :raises swf.exceptions.ValidationError: a malformed event (named by
            page and position), a repeated event, or a gap between ids.
        """
        events: list[HistoryEvent] = []
        for page_no, page in enumerate(pages):
            raw_events = page.get("events", [])
            if not isinstance(raw_events, list):
                raise ValidationError(f"pages[{page_no}].events must be a list")
            for i, raw in enumerate(raw_events):
                events.append(event_from_wire(raw, f"pages[{page_no}].events[{i}]"))
        history = cls(events)
        if contiguous:
            history._check_contiguous()
        return history

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "history JSON") -> History:
        """A history from exported JSON.

        Accepts what ``aws swf get-workflow-execution-history`` prints
        (``{"events": [...]}``), a saved boto3 response (poll or history, with
        or without ``ResponseMetadata``), a list of such pages, or a bare list
        of events.

        :param text: the JSON document.
        :param source: how to name the document in errors (a file name).
        :raises swf.exceptions.ValidationError: invalid or truncated JSON (the
            message gives line, column and character offset), or a malformed event.
        """
        return cls.from_document(_parse_json(text, source), source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """A history from a JSON file (see :meth:`from_json` for the shapes).

        :raises OSError: the file cannot be read.
        :raises swf.exceptions.ValidationError: invalid JSON or events.
        """
        return cls.from_document(read_json(path), source=os.fspath(path))

    @classmethod
    def from_document(cls, document: Any, *, source: str = "history") -> History:
        """A history from decoded JSON (see :meth:`from_json` for the shapes)."""
        if isinstance(document, Mapping):
            if "events" not in document:
                raise ValidationError(f"{source}: no 'events' member")
            return cls.from_pages([document])
        if isinstance(document, list):
            if document and all(isinstance(item, Mapping) and "events" in item for item in document):
                return cls.from_pages(document)
            return cls.from_events(document)
        raise ValidationError(f"{source}: expected an object with 'events' or a list, not {type(document).__name__}")

    # -- sequence ---------------------------------------------------------

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[HistoryEvent]:
        return iter(self._events)

    @overload
    def __getitem__(self, index: int) -> HistoryEvent: ...

    @overload
    def __getitem__(self, index: slice) -> History: ...

    def __getitem__(self, index: int | slice) -> HistoryEvent | History:
        if isinstance(index, slice):
            return History(self._events[index])
        return self._events[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            return self._events == other._events
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a sequence value, compared by content

    def __repr__(self) -> str:
        if not self._events:
            return "<History: no events>"
        return f"<History: {len(self)} events, {self._events[0].event_id}..{self._events[-1].event_id}>"

    # -- queries ----------------------------------------------------------

    @property
    def events(self) -> tuple[HistoryEvent, ...]:
        """All events, oldest first."""
        return self._events

    @property
    def last_event_id(self) -> int:
        """The id of the newest event, 0 for an empty history."""
        return self._events[-1].event_id if self._events else 0

    def get(self, event_id: int) -> HistoryEvent | None:
        """The event with this ``eventId``, or ``None``."""
        return self._by_id.get(event_id)

    def filter(self, *event_types: EventTypeSpec) -> list[HistoryEvent]:
        """The events of the given types, oldest first.

        :param event_types: SWF event type names (``"TimerFired"``) or event
            classes (:class:`swf.models.events.TimerFired`); a class matches
            its subclasses too.
        """
        names = {t for t in event_types if isinstance(t, str)}
        classes = tuple(t for t in event_types if not isinstance(t, str))
        return [e for e in self._events if e.event_type in names or (classes and isinstance(e, classes))]

    def since(self, event_id: int | None) -> History:
        """The events after ``event_id`` (exclusive); all of them for ``None`` or 0.

        A decider passes ``previousStartedEventId`` to get the events it has
        not seen in an earlier decision task.
        """
        if not event_id:
            return self
        return History(e for e in self._events if e.event_id > event_id)

    @cached_property
    def state(self) -> HistoryState:
        """What the events say, correlated by id (activities, timers, children...)."""
        return HistoryState(self._events)

    # -- export -----------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        """``{"events": [...]}`` in boto3's shape, times as epoch seconds (JSON-safe)."""
        return {"events": [_json_safe(event.to_wire()) for event in self._events]}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The history as JSON, readable back by :meth:`from_json`."""
        return json.dumps(self.to_document(), indent=indent)

    def _check_contiguous(self) -> None:
        expected: int | None = None
        for event in self._events:
            if expected is not None and event.event_id != expected:
                raise ValidationError(
                    f"history: events {expected}..{event.event_id - 1} are missing (a page was lost?)"
                )
            expected = event.event_id + 1


@dataclass(frozen=True)
class DecisionTask:
    """A decision task as ``PollForDecisionTask`` hands it out, with the full history.

    :ivar task_token: the opaque token to answer with; never logged or shown in ``repr``.
    :ivar workflow_execution: the execution to decide for.
    :ivar workflow_type: its workflow type.
    :ivar started_event_id: id of this task's ``DecisionTaskStarted`` event.
    :ivar previous_started_event_id: id of the ``DecisionTaskStarted`` event of
        the last decision task processed for this execution, 0 if none.
    :ivar history: every event of every page.
    """

    task_token: str = field(repr=False)
    workflow_execution: ExecutionRef
    workflow_type: TypeRef
    started_event_id: int
    previous_started_event_id: int
    history: History = field(compare=False)

    @classmethod
    def from_pages(cls, pages: Iterable[Mapping[str, Any]]) -> DecisionTask:
        """Build the task from every page of one ``PollForDecisionTask`` answer.

        :param pages: the response dicts in the order fetched; the first one
            carries the task, each next one was asked with the previous
            ``nextPageToken``. With ``startAtPreviousStartedEvent`` the
            history (and so :attr:`state`) starts at that event, not at 1.
        :returns: the task, its history holding every event of every page.
        :raises swf.exceptions.ValidationError: no pages, an empty poll (no
            ``taskToken``: check for it before calling), pages of different
            tasks, or events repeated, lost or malformed.
        """
        pages = list(pages)
        if not pages:
            raise ValidationError("decision task: no pages")
        first = pages[0]
        token = first.get("taskToken")
        if not token:
            raise ValidationError("decision task: the poll returned no task (empty taskToken)")
        for i, page in enumerate(pages[1:], start=1):
            if page.get("taskToken", token) != token:
                raise ValidationError(f"decision task: pages[{i}] belongs to another task")
        execution = first.get("workflowExecution")
        workflow_type = first.get("workflowType")
        if not isinstance(execution, Mapping) or not isinstance(workflow_type, Mapping):
            raise ValidationError("decision task: workflowExecution and workflowType are required")
        try:
            task = cls(
                task_token=str(token),
                workflow_execution=ExecutionRef(str(execution["workflowId"]), str(execution["runId"])),
                workflow_type=TypeRef(str(workflow_type["name"]), str(workflow_type["version"])),
                started_event_id=int(first.get("startedEventId", 0)),
                previous_started_event_id=int(first.get("previousStartedEventId", 0) or 0),
                history=History.from_pages(pages),
            )
        except KeyError as err:
            raise ValidationError(f"decision task: missing {err.args[0]}") from None
        log.debug(
            "decision task for %s/%s: %d events over %d pages (started %d, previous %d)",
            task.workflow_execution.workflow_id,
            task.workflow_execution.run_id,
            len(task.history),
            len(pages),
            task.started_event_id,
            task.previous_started_event_id,
        )
        return task

    @property
    def new_events(self) -> History:
        """The events after ``previous_started_event_id``: what this decider has not seen."""
        return self.history.since(self.previous_started_event_id)

    @property
    def state(self) -> HistoryState:
        """The correlated state of the whole history (``history.state``)."""
        return self.history.state

    def to_document(self) -> dict[str, Any]:
        """The task as one poll answer (boto3 shape, JSON-safe), for saving and :mod:`swf.replay`."""
        document = self.history.to_document()
        document.update(
            taskToken=self.task_token,
            workflowExecution=self.workflow_execution.to_wire(),
            workflowType=self.workflow_type.to_wire(),
            startedEventId=self.started_event_id,
            previousStartedEventId=self.previous_started_event_id,
        )
        return document


def read_json(path: str | os.PathLike[str]) -> Any:
    """Decode a JSON file, turning a syntax error into one that gives its position.

    :raises OSError: the file cannot be read.
    :raises swf.exceptions.ValidationError: invalid or truncated JSON (line,
        column and character offset in the message), or JSON nested too deeply.
    """
    with open(path, "rb") as fh:
        return _parse_json(fh.read(), os.fspath(path))


def _parse_json(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"{source}: invalid JSON at line {err.lineno} column {err.colno} (char {err.pos}): {err.msg}"
        ) from None
    except UnicodeDecodeError as err:
        raise ValidationError(f"{source}: not UTF-8 text (byte {err.start})") from None
    except RecursionError:
        raise ValidationError(f"{source}: JSON nested too deeply to read") from None


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Mapping):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
