"""Workflow definitions (``@wf.workflow``) and activity retry policies.

::

    @wf.workflow("order", version="1", task_list="orders", execution_timeout=timedelta(days=7))
    def order(ctx: wf.Context, o: dict) -> dict: ...

The decorator turns the function into a :class:`WorkflowDefinition`: the
workflow type and the code. It is also a decider for that one type (its
:meth:`WorkflowDefinition.decide`), so ``python -m swf.replay history.json
pkg.mod:order --each`` replays it like any decider.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from swf import limits
from swf.models.decisions import CHILD_POLICIES

if TYPE_CHECKING:
    from swf.models import Domain, WorkflowType
    from swf_gevent.activities import ActivityDefinition

__all__ = ["RetryPolicy", "WorkflowDefinition", "workflow"]

#: Consecutive held decision tasks after which the execution is failed.
DEFAULT_MAX_HELD_TASKS = 3
#: The default execution timeout registered for a definition that has none: a year, SWF's longest.
DEFAULT_EXECUTION_TIMEOUT = limits.MAX_EXECUTION_TIMEOUT
#: The default decision task timeout registered for a definition that has none.
DEFAULT_DECISION_TIMEOUT = timedelta(seconds=30)
#: History length past which ``ctx.info.continue_as_new_suggested`` is true.
DEFAULT_CONTINUE_AS_NEW_AFTER = 10_000


@dataclass(frozen=True)
class RetryPolicy:
    """How an activity is retried: on SWF timers, with the same activity id.

    Attempt n (from 2) starts after ``initial_interval * backoff ** (n - 2)``,
    at most ``max_interval``.

    :param initial_interval: the wait before the second attempt.
    :param backoff: the factor applied to each next wait (at least 1).
    :param max_interval: the longest wait; ``None`` for no cap.
    :param max_attempts: attempts in all, the first one included (at least 1).
    :param non_retryable: exception type names (the head of the activity's
        failure reason, ``"CardDeclined"``) that are never retried.
    :raises ValueError: a field out of range, naming it.
    """

    initial_interval: timedelta = timedelta(seconds=1)
    backoff: float = 2.0
    max_interval: timedelta | None = timedelta(minutes=10)
    max_attempts: int = 3
    non_retryable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.initial_interval, timedelta) or self.initial_interval < timedelta(0):
            raise ValueError(f"initial_interval must be a timedelta of 0 or more, got {self.initial_interval!r}")
        if self.backoff < 1:
            raise ValueError(f"backoff must be at least 1, got {self.backoff!r}")
        if self.max_interval is not None and self.max_interval < timedelta(0):
            raise ValueError(f"max_interval must be a timedelta of 0 or more or None, got {self.max_interval!r}")
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an int of at least 1, got {self.max_attempts!r}")
        if isinstance(self.non_retryable, str):
            raise ValueError("non_retryable must be a tuple of exception type names, not a string")

    def delay(self, attempt: int) -> timedelta:
        """The wait before attempt ``attempt`` (2 or more)."""
        seconds = self.initial_interval.total_seconds() * self.backoff ** (attempt - 2)
        if self.max_interval is not None:
            seconds = min(seconds, self.max_interval.total_seconds())
        return timedelta(seconds=seconds)


@dataclass(frozen=True, eq=False)
class WorkflowDefinition:
    """A workflow type and the function that runs it.

    :ivar name: the workflow type name.
    :ivar version: the workflow type version.
    :ivar function: ``function(ctx)`` or ``function(ctx, input)``: the input
        is the execution's input decoded from JSON (``None`` when it has none).
    :ivar task_list: the decision task list (registered as the default and
        used for children); ``None`` leaves it to the registered default.
    :ivar execution_timeout: the longest run of one execution.
    :ivar decision_timeout: the longest decision task.
    :ivar child_policy: what happens to its children when it closes.
    :ivar description: registered with the type.
    :ivar max_held_tasks: consecutive held decision tasks (counted from
        ``DecisionTaskTimedOut`` events) after which a bug fails the execution.
    :ivar continue_as_new_after: history length past which
        ``ctx.info.continue_as_new_suggested`` is true.
    """

    name: str
    version: str
    function: Callable[..., Any] = field(repr=False)
    task_list: str | None = None
    execution_timeout: timedelta | None = None
    decision_timeout: timedelta | None = None
    child_policy: str = "TERMINATE"
    description: str | None = None
    max_held_tasks: int = DEFAULT_MAX_HELD_TASKS
    continue_as_new_after: int = DEFAULT_CONTINUE_AS_NEW_AFTER
    takes_input: bool = field(default=True, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """``(name, version)``, the SWF identity of the workflow type."""
        return (self.name, self.version)

    def workflow_type(
        self,
        domain: Domain,
        task_list: str | None = None,
        *,
        execution_timeout: timedelta = DEFAULT_EXECUTION_TIMEOUT,
        decision_timeout: timedelta = DEFAULT_DECISION_TIMEOUT,
    ) -> WorkflowType:
        """The workflow type to register for this definition (``WorkflowType.save()`` sends ``RegisterWorkflowType``).

        Its defaults are this definition's -- the description, the child
        policy, the task list, the execution and decision timeouts -- and,
        where the definition leaves one unset, the arguments.

        :param domain: the domain to register in.
        :param task_list: the default decision task list when the definition names none.
        :param execution_timeout: the default execution timeout when the
            definition has none (a year, SWF's longest, unless given).
        :param decision_timeout: the default decision task timeout when the
            definition has none (30 s unless given).
        :returns: an unsaved :class:`swf.models.WorkflowType`.
        :raises ValueError: neither the definition nor ``task_list`` names a task list.
        """
        from swf.models import WorkflowType

        default_task_list = self.task_list or task_list
        if default_task_list is None:
            raise ValueError(f"workflow {self.name}/{self.version} names no task list, and none was given")
        execution, decision = self.timeouts(execution_timeout, decision_timeout)
        return WorkflowType(
            domain,
            self.name,
            self.version,
            description=self.description or None,
            default_task_list=default_task_list,
            default_execution_start_to_close_timeout=execution,
            default_task_start_to_close_timeout=decision,
            default_child_policy=self.child_policy,
        )

    def timeouts(
        self,
        execution_timeout: timedelta = DEFAULT_EXECUTION_TIMEOUT,
        decision_timeout: timedelta = DEFAULT_DECISION_TIMEOUT,
    ) -> tuple[timedelta, timedelta]:
        """``(execution timeout, decision task timeout)`` of this type's executions: the definition's, else these."""
        return (self.execution_timeout or execution_timeout, self.decision_timeout or decision_timeout)

    def activities(self) -> tuple[ActivityDefinition, ...]:
        """The ``@activity`` definitions the workflow's code names, in the order first named.

        Found among the global names its function (and the functions
        defined in it) reads: what ``ctx.execute(charge, ...)`` passes. An
        activity reached only through a variable or another module's
        function is not found. The runner registers these activity types.

        :returns: the definitions, each once.
        """
        from swf_gevent.activities import definition_of

        found: dict[tuple[str, str], ActivityDefinition] = {}
        scope = getattr(self.function, "__globals__", {})
        codes = [getattr(self.function, "__code__", None)]
        while codes:
            code = codes.pop(0)
            if code is None:
                continue
            for name in code.co_names:
                definition = definition_of(scope.get(name))
                if definition is not None:
                    found.setdefault(definition.key, definition)
            codes += [c for c in code.co_consts if isinstance(c, type(code))]
        return tuple(found.values())

    def decide(self, decision_task: Any) -> list[dict[str, Any]]:
        """Decide ``decision_task`` with this one workflow (see :class:`~swf_gevent.workflow.decider.WorkflowDecider`)."""
        from swf_gevent.workflow.decider import WorkflowDecider

        return WorkflowDecider([self]).decide(decision_task)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function itself (a workflow calling another one inline, or a unit test)."""
        return self.function(*args, **kwargs)


def workflow(
    name: str | None = None,
    version: str = "1",
    *,
    task_list: str | None = None,
    execution_timeout: timedelta | None = None,
    decision_timeout: timedelta | None = None,
    child_policy: str = "TERMINATE",
    description: str | None = None,
    max_held_tasks: int = DEFAULT_MAX_HELD_TASKS,
    continue_as_new_after: int = DEFAULT_CONTINUE_AS_NEW_AFTER,
) -> Callable[[Callable[..., Any]], WorkflowDefinition]:
    """Make a function the code of workflow type ``(name, version)``.

    :param name: the workflow type name; the function's name by default.
    :param version: the workflow type version.
    :param task_list: see :class:`WorkflowDefinition`.
    :param execution_timeout: see :class:`WorkflowDefinition`.
    :param decision_timeout: see :class:`WorkflowDefinition`.
    :param child_policy: ``"TERMINATE"``, ``"REQUEST_CANCEL"`` or ``"ABANDON"``.
    :param description: see :class:`WorkflowDefinition`.
    :param max_held_tasks: see :class:`WorkflowDefinition` (at least 1).
    :param continue_as_new_after: see :class:`WorkflowDefinition`.
    :returns: a decorator returning a :class:`WorkflowDefinition`.
    :raises ValueError: an unknown child policy, a function that does not
        take ``ctx`` first, or a count out of range (when the decorator is applied).
    """
    if child_policy not in CHILD_POLICIES:
        raise ValueError(f"child_policy must be one of {', '.join(CHILD_POLICIES)}, got {child_policy!r}")
    if max_held_tasks < 1:
        raise ValueError(f"max_held_tasks must be at least 1, got {max_held_tasks!r}")

    def define(function: Callable[..., Any]) -> WorkflowDefinition:
        params = [
            p
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        if not params:
            raise ValueError(f"workflow {function.__qualname__} must take the context (ctx) as its first argument")
        return WorkflowDefinition(
            name=name or function.__name__,
            version=version,
            function=function,
            task_list=task_list,
            execution_timeout=execution_timeout,
            decision_timeout=decision_timeout,
            child_policy=child_policy,
            description=description,
            max_held_tasks=max_held_tasks,
            continue_as_new_after=continue_as_new_after,
            takes_input=len(params) > 1,
        )

    return define


def definitions(workflows: Iterable[WorkflowDefinition]) -> Mapping[tuple[str, str], WorkflowDefinition]:
    """The definitions by ``(name, version)``.

    :raises TypeError: an item is not a ``@wf.workflow`` definition.
    :raises ValueError: two definitions of one workflow type.
    """
    if isinstance(workflows, WorkflowDefinition):
        workflows = [workflows]
    by_key: dict[tuple[str, str], WorkflowDefinition] = {}
    for item in workflows:
        if not isinstance(item, WorkflowDefinition):
            raise TypeError(f"{item!r} is not a @wf.workflow definition")
        known = by_key.get(item.key)
        if known is not None and known is not item:
            raise ValueError(f"workflow type {item.name!r} version {item.version!r} is defined twice")
        by_key[item.key] = item
    return by_key
