"""Activity functions: plain Python functions bound to an SWF activity type.

Mark a function with :func:`activity`; a :class:`ActivityRegistry` gathers
the marked functions of some modules and maps each activity type
``(name, version)`` to its function::

    @activity("count", version="1", start_to_close_timeout=timedelta(minutes=5))
    def count(text: str) -> dict[str, int]:
        ...

The function gets the task input decoded from JSON (``None`` when the task
has none) and returns a JSON-encodable value, the task's result. A function
that declares a parameter named ``context`` also gets an
:class:`ActivityContext` (task ids, :meth:`~ActivityContext.heartbeat`).
Raising fails the task: reason ``"<ExceptionType>: <message>"``, details the
traceback. Raising :class:`ActivityCanceled` reports the task canceled.

The mark is an attribute on the function; nothing is kept in module state.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar, Union

from swf.actors import ActivityTask
from swf.models.events import ExecutionRef

__all__ = [
    "ActivityCanceled",
    "ActivityContext",
    "ActivityDefinition",
    "ActivityRegistry",
    "activity",
]

_MARK = "__swf_activity__"

F = TypeVar("F", bound=Callable[..., Any])


class ActivityCanceled(Exception):
    """Raise from an activity function to report the task canceled.

    :param details: text sent with ``RespondActivityTaskCanceled``.
    """

    def __init__(self, details: Optional[str] = None) -> None:
        super().__init__(details or "canceled")
        self.details = details


@dataclass(frozen=True)
class ActivityDefinition:
    """An activity type and the function that performs it.

    The durations are the defaults registered with the type
    (``RegisterActivityType``); ``None`` registers ``"NONE"`` (no limit).

    :param name: the activity type name.
    :param version: the activity type version.
    :param function: the Python callable.
    :param wants_context: whether ``function`` takes a ``context`` argument.
    :param description: registered with the type.
    :param heartbeat_timeout: the longest gap between heartbeats; when set,
        the worker also heartbeats on its own every third of it.
    :param schedule_to_start_timeout: the longest wait on the task list.
    :param start_to_close_timeout: the longest run of one attempt.
    :param schedule_to_close_timeout: the longest wait plus run.
    """

    name: str
    version: str
    function: Callable[..., Any] = field(compare=False)
    wants_context: bool = False
    description: Optional[str] = None
    heartbeat_timeout: Optional[timedelta] = None
    schedule_to_start_timeout: Optional[timedelta] = None
    start_to_close_timeout: Optional[timedelta] = timedelta(minutes=5)
    schedule_to_close_timeout: Optional[timedelta] = None

    @property
    def key(self) -> tuple[str, str]:
        """``(name, version)``, the SWF identity of the activity type."""
        return (self.name, self.version)


def activity(
    name: Optional[str] = None,
    version: str = "1",
    *,
    description: Optional[str] = None,
    heartbeat_timeout: Optional[timedelta] = None,
    schedule_to_start_timeout: Optional[timedelta] = None,
    start_to_close_timeout: Optional[timedelta] = timedelta(minutes=5),
    schedule_to_close_timeout: Optional[timedelta] = None,
) -> Callable[[F], F]:
    """Mark a function as the implementation of activity type ``(name, version)``.

    :param name: the activity type name; defaults to the function's name.
    :param version: the activity type version.
    :param description: registered with the type (at most 1,024 characters).
    :param heartbeat_timeout: see :class:`ActivityDefinition`.
    :param schedule_to_start_timeout: see :class:`ActivityDefinition`.
    :param start_to_close_timeout: see :class:`ActivityDefinition` (5 minutes by default).
    :param schedule_to_close_timeout: see :class:`ActivityDefinition`.
    :returns: a decorator returning the function unchanged but marked.
    """

    def mark(function: F) -> F:
        definition = ActivityDefinition(
            name=name or function.__name__,
            version=version,
            function=function,
            wants_context="context" in inspect.signature(function).parameters,
            description=description,
            heartbeat_timeout=heartbeat_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
        )
        setattr(function, _MARK, definition)
        return function

    return mark


class ActivityRegistry:
    """Activity types mapped to the functions performing them.

    :param definitions: the definitions to hold.
    :raises ValueError: two functions for the same ``(name, version)``.
    """

    def __init__(self, definitions: Iterable[ActivityDefinition] = ()) -> None:
        self._by_key: dict[tuple[str, str], ActivityDefinition] = {}
        for definition in definitions:
            self.add(definition)

    @classmethod
    def from_modules(cls, modules: Iterable[Union[str, ModuleType]]) -> ActivityRegistry:
        """Gather the :func:`activity`-marked functions of modules.

        :param modules: modules or their dotted names.
        :raises ImportError: a module name that does not import.
        :raises ValueError: the same activity type marked twice.
        """
        registry = cls()
        for module in modules:
            if isinstance(module, str):
                module = importlib.import_module(module)
            for value in vars(module).values():
                definition = getattr(value, _MARK, None)
                if isinstance(definition, ActivityDefinition):
                    registry.add(definition)
        return registry

    def add(self, definition: ActivityDefinition) -> None:
        """Hold ``definition``; the same function marked twice is kept once.

        :raises ValueError: another function already performs that type.
        """
        known = self._by_key.get(definition.key)
        if known is not None and known.function is not definition.function:
            raise ValueError(
                f"activity type {definition.name!r} version {definition.version!r} is performed by both "
                f"{_qualname(known.function)} and {_qualname(definition.function)}"
            )
        self._by_key[definition.key] = definition

    def get(self, name: str, version: str) -> Optional[ActivityDefinition]:
        """The definition of activity type ``(name, version)``, or ``None``."""
        return self._by_key.get((name, version))

    def __iter__(self) -> Iterator[ActivityDefinition]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key


class ActivityContext:
    """What an activity function may know and do about its task.

    :param task: the task being performed.
    :param heartbeat: sends one heartbeat with optional details and returns
        whether cancellation was requested.
    """

    def __init__(self, task: ActivityTask, heartbeat: Callable[[Optional[str]], bool]) -> None:
        self.task = task
        self._heartbeat = heartbeat
        #: Set once a heartbeat answered that cancellation was requested.
        self.cancel_requested = False

    @property
    def task_token(self) -> str:
        """The task's token (opaque; never log it)."""
        return self.task.task_token

    @property
    def activity_id(self) -> str:
        """The ``activityId`` the decider gave."""
        return self.task.activity_id

    @property
    def workflow_execution(self) -> ExecutionRef:
        """The execution the task belongs to (``workflow_id``, ``run_id``)."""
        return self.task.workflow_execution

    def heartbeat(self, details: Optional[str] = None) -> bool:
        """Record a heartbeat now (``RecordActivityTaskHeartbeat``).

        :param details: progress text (at most 2,048 characters are kept).
        :returns: ``True`` when cancellation was requested; then raise
            :class:`ActivityCanceled` to report it.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        if self._heartbeat(details):
            self.cancel_requested = True
        return self.cancel_requested


def _qualname(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
