"""Activity functions: plain Python functions bound to an SWF activity type.

Mark a function with :func:`activity`; a :class:`ActivityRegistry` gathers
the marked functions of some modules and maps each activity type
``(name, version)`` to its function::

    @activity("count", version="1", task_list="text", start_to_close_timeout=timedelta(minutes=5))
    def count(text: str) -> dict[str, int]:
        ...

The function gets the task input decoded by its codec (JSON by default,
``None`` when the task has none) and returns a value the codec encodes,
the task's result. A function that declares a parameter named ``context``
also gets an :class:`ActivityContext` (task token, ids, execution,
:meth:`~ActivityContext.heartbeat`, cancellation state). Raising fails the
task: reason ``"<ExceptionType>: <message>"``, details the traceback; so
does ``sys.exit()`` (reason ``"SystemExit: 3"``) or ``KeyboardInterrupt``,
which never end the worker. Raising :class:`ActivityCanceled` reports the
task canceled.

Where the function runs is its ``executor``: ``"hub"`` (the default: in the
worker's greenlet, for I/O-bound work that yields), ``"thread"`` (gevent's
thread pool, for blocking calls and C code that releases the GIL) or
``"process"`` (a pool of child Python processes, for CPU-bound Python; the
function must be importable by module and name, take no ``context``, and
its input and result must pickle). In a thread or a process the hub keeps
running, so heartbeats and other workers go on.

The mark is an attribute on the function; nothing is kept in module state.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType
from typing import Any, Protocol, TypeVar

from swf.actors import ActivityTask
from swf.models import NO_LIMIT, ActivityType, Domain
from swf.models.events import ExecutionRef

__all__ = [
    "ActivityCanceled",
    "ActivityContext",
    "ActivityDefinition",
    "ActivityRegistry",
    "Codec",
    "EXECUTORS",
    "JSON",
    "JsonCodec",
    "activity",
    "definition_of",
]

_MARK = "__swf_activity__"

#: Where an activity function may run: ``"hub"``, ``"thread"``, ``"process"``.
EXECUTORS = ("hub", "thread", "process")


class Codec(Protocol):
    """How task input is decoded and results encoded: any object with these two methods."""

    def decode(self, text: str | None) -> Any:
        """The function's argument from the task's ``input`` (``None`` when it has none)."""
        ...

    def encode(self, value: Any) -> str | None:
        """The task's ``result`` text from the function's return value; ``None`` sends no result."""
        ...


class JsonCodec:
    """JSON both ways; no input decodes to ``None`` and ``None`` encodes to no result."""

    def decode(self, text: str | None) -> Any:
        """Parse ``text`` as JSON.

        :raises ValueError: ``text`` is not JSON, with the parser's message.
        """
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as err:
            raise ValueError(f"task input is not JSON: {err}") from err

    def encode(self, value: Any) -> str | None:
        """Compact JSON of ``value``; ``None`` for ``None``.

        :raises TypeError: ``value`` is not JSON-serializable.
        """
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"))


#: The default codec.
JSON = JsonCodec()

F = TypeVar("F", bound=Callable[..., Any])


class ActivityCanceled(BaseException):
    """The task's cancellation: raised inside the function when SWF asks, or raised by it to report the task canceled.

    A ``BaseException``, as gevent's ``GreenletExit`` and asyncio's
    ``CancelledError`` are, so that ``except Exception`` in a retry loop
    does not swallow it. Catch it by name to clean up; return afterwards to
    complete the task anyway, or let it (or anything else) propagate to have
    the task answered canceled.

    :param details: text sent with ``RespondActivityTaskCanceled``.
    """

    def __init__(self, details: str | None = None) -> None:
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
    :param task_list: the default task list registered with the type;
        ``None`` leaves it to the worker group that performs it.
    :param executor: where the function runs, one of :data:`EXECUTORS`.
    :param codec: decodes the input and encodes the result (:data:`JSON`).
    :raises ValueError: an unknown executor, a process function taking a
        context, an empty task list or a timeout that is not a positive
        timedelta, naming the field.
    """

    name: str
    version: str
    function: Callable[..., Any] = field(compare=False)
    wants_context: bool = False
    description: str | None = None
    heartbeat_timeout: timedelta | None = None
    schedule_to_start_timeout: timedelta | None = None
    start_to_close_timeout: timedelta | None = timedelta(minutes=5)
    schedule_to_close_timeout: timedelta | None = None
    task_list: str | None = None
    executor: str = "hub"
    codec: Codec = field(default=JSON, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.executor == "process" and self.wants_context:
            raise ValueError(
                f"activity {self.name!r}: a function run in a process cannot take a context "
                "(heartbeats are sent for it automatically)"
            )
        if self.task_list is not None and (not isinstance(self.task_list, str) or not self.task_list):
            raise ValueError(f"task_list must be a non-empty string or None, got {self.task_list!r}")
        for name in (
            "heartbeat_timeout",
            "schedule_to_start_timeout",
            "start_to_close_timeout",
            "schedule_to_close_timeout",
        ):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
                raise ValueError(f"{name} must be a positive timedelta or None, got {value!r}")

    @property
    def key(self) -> tuple[str, str]:
        """``(name, version)``, the SWF identity of the activity type."""
        return (self.name, self.version)

    def activity_type(self, domain: Domain, task_list: str) -> ActivityType:
        """The activity type to register for this definition (``ActivityType.save()`` sends ``RegisterActivityType``).

        Its defaults are this definition's: the description, the timeouts
        (``None`` registers SWF's ``"NONE"``, :data:`swf.models.NO_LIMIT`) and
        the task list, :attr:`task_list` when set, else ``task_list``.

        :param domain: the domain to register in.
        :param task_list: the default task list when the definition names none
            (the task list of the worker group that performs it).
        :returns: an unsaved :class:`swf.models.ActivityType`.
        """
        return ActivityType(
            domain,
            self.name,
            self.version,
            description=self.description or None,
            default_task_list=self.task_list or task_list,
            default_task_heartbeat_timeout=_limit(self.heartbeat_timeout),
            default_task_schedule_to_start_timeout=_limit(self.schedule_to_start_timeout),
            default_task_start_to_close_timeout=_limit(self.start_to_close_timeout),
            default_task_schedule_to_close_timeout=_limit(self.schedule_to_close_timeout),
        )


def _limit(value: timedelta | None) -> Any:
    """A timeout to register: ``None`` (no limit) is :data:`swf.models.NO_LIMIT`."""
    return NO_LIMIT if value is None else value


def activity(
    name: str | None = None,
    version: str = "1",
    *,
    task_list: str | None = None,
    executor: str = "hub",
    codec: Codec = JSON,
    description: str | None = None,
    heartbeat_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = timedelta(minutes=5),
    schedule_to_close_timeout: timedelta | None = None,
) -> Callable[[F], F]:
    """Mark a function as the implementation of activity type ``(name, version)``.

    :param name: the activity type name; defaults to the function's name.
    :param version: the activity type version.
    :param task_list: the default task list registered with the type.
    :param executor: ``"hub"`` (default), ``"thread"`` or ``"process"``; see the module doc.
    :param codec: decodes the input and encodes the result; JSON by default.
    :param description: registered with the type (at most 1,024 characters).
    :param heartbeat_timeout: see :class:`ActivityDefinition`.
    :param schedule_to_start_timeout: see :class:`ActivityDefinition`.
    :param start_to_close_timeout: see :class:`ActivityDefinition` (5 minutes by default).
    :param schedule_to_close_timeout: see :class:`ActivityDefinition`.
    :returns: a decorator returning the function unchanged but marked.
    :raises ValueError: an unknown ``executor``, a ``"process"`` function
        taking a ``context``, or a timeout that is not a positive timedelta
        (raised when the decorator is applied, naming the field).
    """

    def mark(function: F) -> F:
        definition = ActivityDefinition(
            name=name or function.__name__,
            version=version,
            function=function,
            wants_context="context" in inspect.signature(function).parameters,
            task_list=task_list,
            executor=executor,
            codec=codec,
            description=description,
            heartbeat_timeout=heartbeat_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
        )
        setattr(function, _MARK, definition)
        return function

    return mark


def definition_of(function: object) -> ActivityDefinition | None:
    """The :class:`ActivityDefinition` :func:`activity` gave ``function``; ``None`` for anything unmarked."""
    definition = getattr(function, _MARK, None)
    return definition if isinstance(definition, ActivityDefinition) else None


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
    def from_modules(cls, modules: Iterable[str | ModuleType]) -> ActivityRegistry:
        """Gather the :func:`activity`-marked functions of modules.

        :param modules: modules or their dotted names.
        :raises ImportError: a module name that does not import.
        :raises ValueError: a module with no :func:`activity` function (named
            in the message), or the same activity type marked twice.
        """
        if isinstance(modules, (str, ModuleType)):
            modules = [modules]
        registry = cls()
        for module in modules:
            if isinstance(module, str):
                module = importlib.import_module(module)
            found = [definition_of(value) for value in vars(module).values()]
            definitions = [d for d in found if isinstance(d, ActivityDefinition)]
            if not definitions:
                raise ValueError(f"no @activity functions in {module.__name__}")
            for definition in definitions:
                registry.add(definition)
        return registry

    @classmethod
    def from_functions(cls, functions: Iterable[Callable[..., Any]]) -> ActivityRegistry:
        """Gather :func:`activity`-marked functions given one by one.

        ``ActivityRegistry.from_functions([count, merge])``.

        :param functions: functions marked with :func:`activity`.
        :raises TypeError: ``functions`` is a string or a mapping, or one of
            them is not marked with ``@activity`` (named in the message).
        :raises ValueError: the same activity type performed by two functions.
        """
        if isinstance(functions, (str, bytes, Mapping)):
            raise TypeError(f"functions must be an iterable of @activity functions, got a {type(functions).__name__}")
        registry = cls()
        for function in functions:
            definition = definition_of(function)
            if definition is None:
                raise TypeError(f"{_qualname(function)} is not marked with @activity(name, version=...)")
            registry.add(definition)
        return registry

    @classmethod
    def of(cls, activities: ActivityRegistry | Iterable[Callable[..., Any]]) -> ActivityRegistry:
        """``activities`` as a registry: a registry as is, else :meth:`from_functions`.

        :param activities: an :class:`ActivityRegistry`, or an iterable of
            :func:`activity`-marked functions.
        :raises TypeError: anything else (a dict, a module, a string, an
            unmarked function), with what is accepted.
        """
        if isinstance(activities, ActivityRegistry):
            return activities
        if isinstance(activities, (str, bytes, Mapping)) or not isinstance(activities, Iterable):
            raise TypeError(
                "activities must be a swf_gevent.activities.ActivityRegistry (ActivityRegistry.from_modules([...])) "
                f"or an iterable of @activity functions, got {type(activities).__name__}"
            )
        return cls.from_functions(activities)

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

    def get(self, name: str, version: str) -> ActivityDefinition | None:
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

    The worker heartbeats on its own while the function runs, sending the
    latest details given to :meth:`heartbeat`. When SWF answers a heartbeat
    that cancellation was requested, :attr:`cancel_requested` becomes true
    and :class:`ActivityCanceled` is raised inside the function once (in the
    hub; a function in a thread sees only the flag, and its result is
    dropped), never while the function is inside its own :meth:`heartbeat`
    call to SWF: that call raises it once it returned.

    :param task: the task being performed.
    :param heartbeat: sends one heartbeat with optional details and returns
        whether cancellation was requested; ``None`` for a function running
        outside the hub (a thread), whose heartbeats the worker sends.
    """

    def __init__(self, task: ActivityTask, heartbeat: Callable[[str | None], bool] | None) -> None:
        self.task = task
        self._heartbeat = heartbeat
        #: Set once a heartbeat answered that cancellation was requested.
        self.cancel_requested = False
        #: The latest details given to :meth:`heartbeat`; sent by every automatic heartbeat.
        self.details: str | None = None

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

    def heartbeat(self, details: str | None = None) -> bool:
        """Record progress and, from the hub, a heartbeat now (``RecordActivityTaskHeartbeat``).

        From a thread the details are kept and sent by the next automatic
        heartbeat, and no call is made.
        A heartbeat that is throttled or fails is skipped (the next automatic
        one carries the details); when SWF no longer knows the task (timed
        out, or its execution closed), the function is ended right here and
        its task is not answered.

        :param details: progress text (at most 2,048 characters are kept);
            ``None`` keeps the previous details.

        :returns: whether cancellation was requested: from a thread, the
            flag; from the hub, ``True`` only after :class:`ActivityCanceled`
            was raised once and caught.
        :raises ActivityCanceled: from the hub, the first time the worker
            learns that cancellation was requested (from this heartbeat, or
            an automatic one that answered while this call was under way).
        """
        if details is not None:
            self.details = details
        if self._heartbeat is not None and self._heartbeat(self.details):
            self.cancel_requested = True
        return self.cancel_requested


def _qualname(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
