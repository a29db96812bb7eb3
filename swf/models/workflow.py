"""Workflow types, and the executions started from them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from swf import limits
from swf._convert import Limit, aware, duration_from_wire, duration_to_wire, priority_from_wire, priority_to_wire
from swf.connection import call, call_pages
from swf.exceptions import SWFError, ValidationError, WorkflowExecutionAlreadyStartedError
from swf.models.base import (
    CHILD_POLICIES,
    CLOSE_STATUSES,
    CLOSED,
    OPEN,
    REGISTERED,
    Model,
    _bind_domain,
    _Default,
    _TypeModel,
    check_aware,
    check_choice,
    check_optional_string,
    check_string,
)
from swf.models.decisions import fit_reason
from swf.models.domain import Domain

if TYPE_CHECKING:
    from swf.models.history import History
    from swf.payloads import Payloads

__all__ = ["OpenCounts", "WorkflowExecution", "WorkflowType"]

log = logging.getLogger(__name__)

#: SWF allows at most this many tags on an execution.
MAX_EXECUTION_TAGS = 5
#: An execution runs at most a year: every open one started within this window.
_LONGEST_EXECUTION = timedelta(days=366)


@dataclass(frozen=True, eq=False, repr=False)
class WorkflowType(_TypeModel):
    """A registered workflow type: ``WorkflowType(domain, 'TestType1', '1.0')``.

    Equal when domain, name and version are equal; the repr shows name and version.

    ``default_task_start_to_close_timeout`` is a ``timedelta`` (registered as
    whole seconds, ``"60"``), :data:`~swf.models.NO_LIMIT` (registered as
    SWF's ``"NONE"``, no limit), or ``None``: no default registered, the
    member is left out of ``RegisterWorkflowType``.
    ``default_execution_start_to_close_timeout`` is a ``timedelta`` or
    ``None``: SWF takes no ``"NONE"`` there. A type read back from SWF
    (``DescribeWorkflowType``) holds the same values.

    :param domain: the :class:`~swf.models.Domain`.
    :param name: the type name (1 to 256 characters).
    :param version: the type version (1 to 64 characters).
    :param status: ``REGISTERED`` or ``DEPRECATED``.
    :param description: free text (at most 1024 characters), or ``None``.
    :param creation_date: when it was registered (aware UTC), ``None`` for a local model.
    :param deprecation_date: when it was deprecated (aware UTC), or ``None``.
    :param default_task_start_to_close_timeout: default time a decider has for
        a decision task.
    :param default_execution_start_to_close_timeout: default time an execution may run.
    :param default_task_list: default decision task list name.
    :param default_task_priority: default decision task priority (higher first).
    :param default_child_policy: default child policy, ``TERMINATE``,
        ``REQUEST_CANCEL`` or ``ABANDON``.
    :param default_lambda_role: default IAM role ARN for Lambda tasks.
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :raises swf.exceptions.ValidationError: an attribute SWF would refuse, naming it.
    """

    domain: Domain
    name: str
    version: str
    status: str = field(default=REGISTERED, kw_only=True)
    description: str | None = field(default=None, kw_only=True)
    creation_date: datetime | None = field(default=None, kw_only=True)
    deprecation_date: datetime | None = field(default=None, kw_only=True)
    default_task_start_to_close_timeout: Limit | None = field(default=None, kw_only=True)
    default_execution_start_to_close_timeout: timedelta | None = field(default=None, kw_only=True)
    default_task_list: str | None = field(default=None, kw_only=True)
    default_task_priority: int | None = field(default=None, kw_only=True)
    default_child_policy: str | None = field(default=None, kw_only=True)
    default_lambda_role: str | None = field(default=None, kw_only=True)
    client: Any = field(default=None, kw_only=True)
    _unknown: frozenset[str] = field(default=frozenset(), init=False)

    _identity = ("domain", "name", "version")
    _repr_fields = ("name", "version")
    _kind = "Workflow"
    _type_key = "workflowType"
    _defaults = (
        _Default("default_task_start_to_close_timeout", "defaultTaskStartToCloseTimeout", "duration"),
        _Default("default_execution_start_to_close_timeout", "defaultExecutionStartToCloseTimeout", "bounded_duration"),
        _Default("default_task_list", "defaultTaskList", "task_list"),
        _Default("default_task_priority", "defaultTaskPriority", "priority"),
        _Default("default_child_policy", "defaultChildPolicy", "child_policy"),
        _Default("default_lambda_role", "defaultLambdaRole", "arn"),
    )
    _compared = ("status", "description") + tuple(d.attr for d in _defaults)

    def __post_init__(self) -> None:
        self._check_type()

    def start_execution(
        self,
        workflow_id: str,
        input: str | None = None,  # noqa: A002 - SWF's name
        *,
        tag_list: Sequence[str] | None = None,
        task_list: str | None = None,
        task_priority: int | None = None,
        execution_start_to_close_timeout: timedelta | None = None,
        task_start_to_close_timeout: timedelta | None = None,
        child_policy: str | None = None,
        lambda_role: str | None = None,
        payloads: Payloads | None = None,
    ) -> WorkflowExecution:
        """Start an execution of this type (``StartWorkflowExecution``).

        Every override left ``None`` is not sent, so SWF applies the type's
        registered default; falsy values (``0``, ``""``, ``timedelta(0)``) are sent.

        :param workflow_id: the id you give the execution (1 to 256 characters),
            unique among the open executions of the domain.
        :param input: the input the deciders read (at most 32768 characters);
            ``None`` sends none.
        :param tag_list: up to 5 tags to filter executions by.
        :param task_list: decision task list name, instead of the type's default.
        :param task_priority: decision task priority, instead of the default.
        :param execution_start_to_close_timeout: how long the execution may run.
        :param task_start_to_close_timeout: how long a decision task may take.
        :param child_policy: ``TERMINATE``, ``REQUEST_CANCEL`` or ``ABANDON``.
        :param lambda_role: IAM role ARN for Lambda tasks.
        :param payloads: the :class:`swf.payloads.Payloads` the input goes
            through (stored under the domain and ``workflow_id`` when offloaded).
        :returns: the started :class:`WorkflowExecution` (status ``OPEN``;
            attributes SWF chose, such as the start time, are unknown until
            :meth:`WorkflowExecution.upstream`).
        :raises swf.exceptions.ValidationError: bad input, naming the field, before any call.
        :raises swf.exceptions.WorkflowExecutionAlreadyStartedError: an open
            execution already has this workflow id; its ``run_id`` (also in
            the message) is read with one more call,
            ``ListOpenWorkflowExecutions`` filtered by the workflow id
            (``None`` if that run closed meanwhile or the call failed).
        :raises swf.exceptions.TypeDeprecatedError: the type is deprecated.
        :raises swf.exceptions.DefaultUndefinedError: a value is neither given nor a registered default.
        """
        check_string(workflow_id, "workflow_id", "WorkflowId", identifier=True)
        params: dict[str, Any] = {
            "domain": self.domain.name,
            "workflowId": workflow_id,
            "workflowType": self._type_ref(),
        }
        if payloads is not None:
            input = payloads.encode(  # noqa: A001 - SWF's name
                input, "StartWorkflowExecution.input", domain=self.domain.name, workflow_id=workflow_id
            )
        if input is not None:
            params["input"] = check_string(input, "input", "Data")
        tags = _check_tags(tag_list)
        if tag_list is not None:
            params["tagList"] = list(tags)
        if task_list is not None:
            params["taskList"] = {"name": check_string(task_list, "task_list", "Name", identifier=True)}
        if task_priority is not None:
            params["taskPriority"] = priority_to_wire(task_priority, "task_priority")
        if execution_start_to_close_timeout is not None:
            params["executionStartToCloseTimeout"] = _duration(
                execution_start_to_close_timeout, "execution_start_to_close_timeout"
            )
        if task_start_to_close_timeout is not None:
            params["taskStartToCloseTimeout"] = _duration(task_start_to_close_timeout, "task_start_to_close_timeout")
        if child_policy is not None:
            params["childPolicy"] = check_choice(child_policy, "child_policy", CHILD_POLICIES)
        if lambda_role is not None:
            params["lambdaRole"] = check_string(lambda_role, "lambda_role", "Arn")
        try:
            answer = call(self._client(), "StartWorkflowExecution", **params)
        except WorkflowExecutionAlreadyStartedError as err:
            raise self._already_started(err, workflow_id) from err
        run_id = answer["runId"]
        log.info(
            "started execution %s (run %s) of %s %s in %s",
            workflow_id,
            run_id,
            self.name,
            self.version,
            self.domain.name,
        )
        execution = WorkflowExecution(
            self.domain,
            workflow_id,
            run_id,
            workflow_type=self,
            status=OPEN,
            tags=tags,
            input=input,
            client=self.client,
        )
        execution._set("_unknown", _EXECUTION_DETAILS | {"start_timestamp"})
        return execution

    def _already_started(
        self, err: WorkflowExecutionAlreadyStartedError, workflow_id: str
    ) -> WorkflowExecutionAlreadyStartedError:
        """``err`` with the run id of the open execution of ``workflow_id``, read by ``ListOpenWorkflowExecutions``."""
        run_id: str | None = None
        try:
            answer = call(
                self._client(),
                "ListOpenWorkflowExecutions",
                domain=self.domain.name,
                startTimeFilter={"oldestDate": datetime.now(timezone.utc) - _LONGEST_EXECUTION},
                executionFilter={"workflowId": workflow_id},
                maximumPageSize=1,
            )
            infos = answer.get("executionInfos") or []
            if infos:
                run_id = str(infos[0]["execution"]["runId"])
                found = f"the open run is {run_id}"
            else:
                found = "it closed before its run id could be read"
        except SWFError as lookup:
            log.debug("could not read the open run of %s: %s", workflow_id, lookup)
            found = f"its run id could not be read ({lookup})"
        return WorkflowExecutionAlreadyStartedError(
            f"{err.message} ({found})",
            error_code=err.error_code,
            response=err.response,
            workflow_id=workflow_id,
            run_id=run_id,
        )


class OpenCounts(NamedTuple):
    """What an open execution has outstanding (``WorkflowExecutionOpenCounts``)."""

    open_activity_tasks: int
    open_decision_tasks: int
    open_timers: int
    open_child_workflow_executions: int
    open_lambda_functions: int


#: The execution attributes only ``DescribeWorkflowExecution`` (and its history) give.
_EXECUTION_DETAILS = frozenset(
    {
        "input",
        "execution_start_to_close_timeout",
        "task_start_to_close_timeout",
        "task_list",
        "task_priority",
        "child_policy",
        "lambda_role",
        "open_counts",
        "latest_activity_task_timestamp",
        "latest_execution_context",
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class WorkflowExecution(Model):
    """One run of a workflow: ``WorkflowExecution(domain, 'order-42', run_id)``.

    Equal when domain, workflow id and run id are equal; the repr shows the
    workflow id and run id.

    :param domain: the :class:`~swf.models.Domain`.
    :param workflow_id: the id given at start.
    :param run_id: the id SWF gave this run.
    :param workflow_type: its :class:`WorkflowType`.
    :param status: ``OPEN`` or ``CLOSED``.
    :param close_status: for a closed execution: ``COMPLETED``, ``FAILED``,
        ``CANCELED``, ``TERMINATED``, ``CONTINUED_AS_NEW`` or ``TIMED_OUT``.
    :param tags: its tags (at most 5).
    :param start_timestamp: when it started (aware UTC).
    :param close_timestamp: when it closed (aware UTC), or ``None``.
    :param cancel_requested: whether a cancellation was requested.
    :param input: its input, or ``None``.
    :param execution_start_to_close_timeout: how long it may run.
    :param task_start_to_close_timeout: how long each decision task may take.
    :param task_list: its decision task list name.
    :param task_priority: its decision task priority.
    :param child_policy: what happens to its children when it closes.
    :param lambda_role: the IAM role ARN for its Lambda tasks.
    :param open_counts: its outstanding work, an :class:`OpenCounts`.
    :param parent: the execution that started it as a child, or ``None``.
    :param latest_activity_task_timestamp: when an activity task was last scheduled.
    :param latest_execution_context: the context the last decision recorded.
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    """

    domain: Domain
    workflow_id: str
    run_id: str
    workflow_type: WorkflowType | None = field(default=None, kw_only=True)
    status: str = field(default=OPEN, kw_only=True)
    close_status: str | None = field(default=None, kw_only=True)
    tags: tuple[str, ...] = field(default=(), kw_only=True)
    start_timestamp: datetime | None = field(default=None, kw_only=True)
    close_timestamp: datetime | None = field(default=None, kw_only=True)
    cancel_requested: bool = field(default=False, kw_only=True)
    input: str | None = field(default=None, kw_only=True)
    execution_start_to_close_timeout: timedelta | None = field(default=None, kw_only=True)
    task_start_to_close_timeout: timedelta | None = field(default=None, kw_only=True)
    task_list: str | None = field(default=None, kw_only=True)
    task_priority: int | None = field(default=None, kw_only=True)
    child_policy: str | None = field(default=None, kw_only=True)
    lambda_role: str | None = field(default=None, kw_only=True)
    open_counts: OpenCounts | None = field(default=None, kw_only=True)
    parent: WorkflowExecution | None = field(default=None, kw_only=True)
    latest_activity_task_timestamp: datetime | None = field(default=None, kw_only=True)
    latest_execution_context: str | None = field(default=None, kw_only=True)
    client: Any = field(default=None, kw_only=True)
    _unknown: frozenset[str] = field(default=frozenset(), init=False)

    _identity = ("domain", "workflow_id", "run_id")
    _repr_fields = ("workflow_id", "run_id")
    _compared = (
        "status",
        "close_status",
        "tags",
        "close_timestamp",
        "cancel_requested",
        "input",
        "execution_start_to_close_timeout",
        "task_start_to_close_timeout",
        "task_list",
        "task_priority",
        "child_policy",
        "lambda_role",
        "open_counts",
        "latest_activity_task_timestamp",
        "latest_execution_context",
    )

    def __post_init__(self) -> None:
        _bind_domain(self)
        check_string(self.workflow_id, "workflow_id", "WorkflowId")
        check_string(self.run_id, "run_id", "WorkflowRunId")
        check_choice(self.status, "status", (OPEN, CLOSED))
        check_choice(self.close_status, "close_status", CLOSE_STATUSES)
        self._set("tags", _check_tags(self.tags))
        check_aware(self.start_timestamp, "start_timestamp")
        check_aware(self.close_timestamp, "close_timestamp")
        check_optional_string(self.input, "input", "Data")

    # -- construction from SWF ------------------------------------------------------

    @classmethod
    def _from_info(cls, domain: Domain, info: Mapping[str, Any], client: Any) -> WorkflowExecution:
        """A model from a ``WorkflowExecutionInfo`` of a listing (details unknown)."""
        model = cls(
            domain,
            info["execution"]["workflowId"],
            info["execution"]["runId"],
            client=client,
            **_info_attrs(domain, info, client),
        )
        model._set("_unknown", _EXECUTION_DETAILS)
        return model

    def _ref(self) -> dict[str, str]:
        return {"workflowId": self.workflow_id, "runId": self.run_id}

    def _fetch_description(self) -> dict[str, Any]:
        return call(self._client(), "DescribeWorkflowExecution", domain=self.domain.name, execution=self._ref())

    def upstream(self) -> WorkflowExecution:
        """The execution as SWF has it now.

        Sends ``DescribeWorkflowExecution``, and ``GetWorkflowExecutionHistory``
        for one event (the start event holds the input).

        :returns: a new :class:`WorkflowExecution` with every attribute known.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the execution.
        """
        client = self._client()
        answer = self._fetch_description()
        configuration = answer["executionConfiguration"]
        counts = answer.get("openCounts") or {}
        first = call(
            client,
            "GetWorkflowExecutionHistory",
            domain=self.domain.name,
            execution=self._ref(),
            maximumPageSize=1,
        ).get("events", [])
        started = first[0].get("workflowExecutionStartedEventAttributes", {}) if first else {}
        task_list = configuration.get("taskList")
        return WorkflowExecution(
            self.domain,
            self.workflow_id,
            self.run_id,
            client=self.client,
            input=started.get("input"),
            execution_start_to_close_timeout=duration_from_wire(configuration.get("executionStartToCloseTimeout")),
            task_start_to_close_timeout=duration_from_wire(configuration.get("taskStartToCloseTimeout")),
            task_list=task_list["name"] if task_list else None,
            task_priority=priority_from_wire(configuration.get("taskPriority")),
            child_policy=configuration.get("childPolicy"),
            lambda_role=configuration.get("lambdaRole"),
            open_counts=OpenCounts(
                counts.get("openActivityTasks", 0),
                counts.get("openDecisionTasks", 0),
                counts.get("openTimers", 0),
                counts.get("openChildWorkflowExecutions", 0),
                counts.get("openLambdaFunctions", 0),
            ),
            latest_activity_task_timestamp=aware(answer.get("latestActivityTaskTimestamp")),
            latest_execution_context=answer.get("latestExecutionContext"),
            **_info_attrs(self.domain, answer["executionInfo"], self.client),
        )

    # -- actions --------------------------------------------------------------------

    def signal(
        self,
        signal_name: str,
        input: str | None = None,  # noqa: A002 - SWF's name
        *,
        payloads: Payloads | None = None,
    ) -> None:
        """Send a signal to this run (``SignalWorkflowExecution``).

        :param signal_name: the signal name (1 to 256 characters).
        :param input: the signal's input (at most 32768 characters); ``None`` sends none.
        :param payloads: the :class:`swf.payloads.Payloads` the input goes through.
        :raises swf.exceptions.DoesNotExistError: the execution is unknown or closed.
        """
        params: dict[str, Any] = {
            "domain": self.domain.name,
            "workflowId": self.workflow_id,
            "runId": self.run_id,
            "signalName": check_string(signal_name, "signal_name", "SignalName"),
        }
        if payloads is not None:
            input = payloads.encode(  # noqa: A001 - SWF's name
                input, "SignalWorkflowExecution.input", domain=self.domain.name, workflow_id=self.workflow_id
            )
        if input is not None:
            params["input"] = check_string(input, "input", "Data")
        call(self._client(), "SignalWorkflowExecution", **params)
        log.info("signaled %s to execution %s (run %s)", signal_name, self.workflow_id, self.run_id)

    def request_cancel(self) -> None:
        """Ask the deciders to cancel this run (``RequestCancelWorkflowExecution``).

        :raises swf.exceptions.DoesNotExistError: the execution is unknown or closed.
        """
        call(
            self._client(),
            "RequestCancelWorkflowExecution",
            domain=self.domain.name,
            workflowId=self.workflow_id,
            runId=self.run_id,
        )
        log.info("requested cancellation of execution %s (run %s)", self.workflow_id, self.run_id)

    def terminate(
        self,
        reason: str | None = None,
        details: str | None = None,
        child_policy: str | None = None,
    ) -> None:
        """Close this run now (``TerminateWorkflowExecution``).

        :param reason: a short reason; ``None`` sends none. One over SWF's 256
            characters is cut, ends with a "truncated" marker, and is kept whole at
            the head of ``details``.
        :param details: longer details; over 32,768 characters (with a moved
            reason) they keep their head and tail around a marker.
        :param child_policy: what happens to its children, instead of its own
            policy: ``TERMINATE``, ``REQUEST_CANCEL`` or ``ABANDON``.
        :raises swf.exceptions.DoesNotExistError: the execution is unknown or closed.
        """
        params: dict[str, Any] = {"domain": self.domain.name, "workflowId": self.workflow_id, "runId": self.run_id}
        reason, details = fit_reason(reason, details)
        if reason is not None:
            params["reason"] = check_string(reason, "reason", "TerminateReason")
        if details is not None:
            params["details"] = check_string(details, "details", "Data")
        if child_policy is not None:
            params["childPolicy"] = check_choice(child_policy, "child_policy", CHILD_POLICIES)
        call(self._client(), "TerminateWorkflowExecution", **params)
        log.info("terminated execution %s (run %s)", self.workflow_id, self.run_id)

    def history(self, *, page_size: int | None = None, reverse_order: bool = False) -> History:
        """The run's whole event history (``GetWorkflowExecutionHistory``, following every ``nextPageToken``).

        :param page_size: events asked for per page (1 to 1000); ``None`` lets SWF choose.
        :param reverse_order: ask SWF for the newest events first (the
            :class:`~swf.models.history.History` is in ascending order either way).
        :returns: a :class:`~swf.models.history.History` of typed events.
        :raises swf.exceptions.DoesNotExistError: SWF does not know the execution.
        """
        from swf.models.history import History

        params: dict[str, Any] = {"domain": self.domain.name, "execution": self._ref()}
        if page_size is not None:
            params["maximumPageSize"] = _page_size(page_size)
        if reverse_order:
            params["reverseOrder"] = True
        return History.from_pages(call_pages(self._client(), "GetWorkflowExecutionHistory", **params))


def _info_attrs(domain: Domain, info: Mapping[str, Any], client: Any) -> dict[str, Any]:
    """The model attributes a ``WorkflowExecutionInfo`` gives.

    Its type and parent are references: their own state is unknown until
    their ``upstream()``.
    """
    ref = info["workflowType"]
    workflow_type = WorkflowType(domain, ref["name"], ref["version"], client=client)
    workflow_type._set("_unknown", frozenset(WorkflowType._compared))
    parent: WorkflowExecution | None = None
    if info.get("parent"):
        parent = WorkflowExecution(domain, info["parent"]["workflowId"], info["parent"]["runId"], client=client)
        parent._set("_unknown", frozenset(WorkflowExecution._compared))
    return {
        "workflow_type": workflow_type,
        "status": info["executionStatus"],
        "close_status": info.get("closeStatus"),
        "tags": tuple(info.get("tagList") or ()),
        "start_timestamp": aware(info.get("startTimestamp")),
        "close_timestamp": aware(info.get("closeTimestamp")),
        "cancel_requested": bool(info.get("cancelRequested", False)),
        "parent": parent,
    }


def _check_tags(tags: Sequence[str] | None) -> tuple[str, ...]:
    if tags is None:
        return ()
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise ValidationError(f"tag_list must be a list of str, not {type(tags).__name__}")
    if len(tags) > MAX_EXECUTION_TAGS:
        raise ValidationError(f"tag_list must hold at most {MAX_EXECUTION_TAGS} tags (got {len(tags)})")
    for tag in tags:
        check_string(tag, "tag_list item", "Tag")
    return tuple(tags)


def _duration(value: Any, field_name: str) -> str:
    if not isinstance(value, timedelta):
        raise ValidationError(f"{field_name} must be a timedelta, not {type(value).__name__}")
    return duration_to_wire(value, field_name)


def _page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits.MAX_PAGE_SIZE:
        raise ValidationError(f"page_size must be an int from 1 to {limits.MAX_PAGE_SIZE} (got {value!r})")
    return value
