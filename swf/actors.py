"""Deciders and activity workers: the SWF verbs every actor speaks.

An :class:`Actor` polls one task list of one domain. :class:`Decider` polls
for decision tasks (``PollForDecisionTask``, every history page) and answers
them (``RespondDecisionTaskCompleted``); :class:`ActivityWorker` polls for
activity tasks (``PollForActivityTask``) and completes, fails, cancels or
heartbeats them. ``poll()`` returns a task value, or ``None`` when the long
poll ended empty.

Failure texts longer than SWF accepts are never refused: a ``reason`` over
256 characters is cut with :data:`swf.models.decisions.TRUNCATION_MARKER`
and kept whole at the head of ``details``; ``details`` over their limit keep
their head and tail around a marker saying how much was cut
(:func:`swf.models.decisions.fit_reason`, :func:`truncate`). This holds for
the reasons and details of decisions too (``FailWorkflowExecution``,
``CancelWorkflowExecution``, ``RecordMarker``). A ``result``,
``execution_context``, id, name or input over its limit raises
:class:`swf.exceptions.ValidationError` instead, since a cut value would be
a wrong value.

The actors here are synchronous; ``start()`` runs a plain poll loop in the
calling thread until ``stop()``. :mod:`swf_gevent.actors` runs them as
greenlets.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from swf import limits
from swf.connection import Connection, _ClientPolicy, call
from swf.exceptions import PayloadError, ValidationError
from swf.models.decisions import check_request_size, fit_decisions, fit_reason, truncate
from swf.models.events import (
    DecisionTaskCompleted,
    DecisionTaskTimedOut,
    ExecutionRef,
    FailWorkflowExecutionFailed,
    TypeRef,
)
from swf.models.history import DecisionTask
from swf.payloads import Payloads
from swf.retry import RetryPolicy

__all__ = [
    "ActivityTask",
    "ActivityWorker",
    "Actor",
    "Decider",
    "timed_out_in_a_row",
]

log = logging.getLogger(__name__)


class _Named(Protocol):
    @property
    def name(self) -> str: ...


DomainLike = str | _Named


@dataclass(frozen=True)
class ActivityTask:
    """One activity task, as ``PollForActivityTask`` hands it out.

    :param task_token: the opaque token every answer quotes; never log it.
    :param activity_id: the ``activityId`` the decider gave.
    :param started_event_id: id of the ``ActivityTaskStarted`` event.
    :param workflow_execution: the execution the task belongs to.
    :param activity_type: the task's activity type.
    :param input: the task input as sent (a string, often JSON), or ``None``.
    """

    task_token: str = field(repr=False)
    activity_id: str
    started_event_id: int
    workflow_execution: ExecutionRef
    activity_type: TypeRef
    input: str | None = field(default=None, repr=False)

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> ActivityTask:
        """Build from a ``PollForActivityTask`` answer that holds a task."""
        return cls(
            task_token=response["taskToken"],
            activity_id=response["activityId"],
            started_event_id=int(response["startedEventId"]),
            workflow_execution=ExecutionRef(
                response["workflowExecution"]["workflowId"], response["workflowExecution"]["runId"]
            ),
            activity_type=TypeRef(response["activityType"]["name"], response["activityType"]["version"]),
            input=response.get("input"),
        )


def timed_out_in_a_row(task: DecisionTask) -> int:
    """How many decision tasks of the task's execution timed out in a row just before it.

    Counted from the history, so every decider counts the same: the
    ``DecisionTaskTimedOut`` events (``START_TO_CLOSE``: a decider took the
    task and did not answer) after the last ``DecisionTaskCompleted``. A
    completed task whose ``FailWorkflowExecution`` SWF refused
    (``FailWorkflowExecutionFailed``, such as ``UNHANDLED_DECISION`` when
    events arrived meanwhile) does not end the count: the execution is
    still to be failed.

    :param task: a polled decision task with its whole history.
    :returns: 0 when the last decision task before it was answered (or there was none).
    """
    count = 0
    refused_fails: set[int] = set()
    for event in reversed(task.history):
        if isinstance(event, FailWorkflowExecutionFailed):
            refused_fails.add(event.decision_task_completed_event_id)
        elif isinstance(event, DecisionTaskCompleted):
            if event.event_id not in refused_fails:
                break
        elif isinstance(event, DecisionTaskTimedOut) and event.timeout_type == "START_TO_CLOSE":
            count += 1
    return count


def _check_length(value: str | None, limit: int, name: str) -> None:
    if value is not None and len(value) > limit:
        raise ValidationError(f"{name} is {len(value)} characters; SWF takes at most {limit}")


def _default_identity() -> str:
    """``host:pid``, at most :data:`swf.limits.MAX_IDENTITY_LENGTH` (256) characters."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[: limits.MAX_IDENTITY_LENGTH]


def _default_client() -> Any:
    """The client actors use when none is given: the process-wide one."""
    from swf.connection import default_client

    return default_client()


class Actor:
    """Something that polls one SWF task list: the base of deciders and workers.

    :param domain: the domain, by name or as a model with a ``name``.
    :param task_list: the task list name polled by default.
    :param client: a :class:`swf.connection.Connection` or a boto3 SWF client; ``None`` uses the process-wide
        :func:`swf.connection.default_client`.
    :param identity: sent with each poll and recorded in the history
        (at most 256 characters); defaults to ``host:pid``.
    :param payloads: the :class:`swf.payloads.Payloads` applied to the data
        fields read and sent (``None``: ``Payloads()``, which only checks lengths).
    :raises swf.exceptions.ValidationError: an empty domain or task list.
    """

    def __init__(
        self,
        domain: DomainLike,
        task_list: str,
        client: Any = None,
        identity: str | None = None,
        *,
        payloads: Payloads | None = None,
    ) -> None:
        name = domain if isinstance(domain, str) else getattr(domain, "name", None)
        if not isinstance(name, str) or not name:
            raise ValidationError(f"domain must be a name or have a .name, got {domain!r}")
        if not isinstance(task_list, str) or not task_list:
            raise ValidationError(f"task_list must be a non-empty string, got {task_list!r}")
        _check_length(identity, limits.MAX_IDENTITY_LENGTH, "identity")
        self.domain = name
        self.task_list = task_list
        self.identity = identity if identity is not None else _default_identity()
        self._client = client
        #: The codec chain and store applied to data fields (see :mod:`swf.payloads`).
        self.payloads = payloads if payloads is not None else Payloads()
        self._stop = threading.Event()

    @property
    def client(self) -> Any:
        """The connection (or boto3 SWF client) every call goes through: the given one, else the process-wide one."""
        if self._client is None:
            return _default_client()
        return self._client

    @property
    def retry_policy(self) -> RetryPolicy | None:
        """The :class:`swf.retry.RetryPolicy` this actor's calls apply unless given one: its connection's.

        ``None`` when the client sends each call once (see :func:`swf.connection.make_client`).
        """
        return Connection.of(self.client).retry

    def __repr__(self) -> str:
        return f"{type(self).__name__}(domain={self.domain!r}, task_list={self.task_list!r})"

    def poll(self) -> Any:
        """Long-poll for one task; ``None`` when the poll ended empty."""
        raise NotImplementedError

    def process(self, task: Any) -> None:
        """Handle one polled task; subclasses override it."""
        raise NotImplementedError

    def start(self) -> None:
        """Poll and :meth:`process` tasks in the calling thread until :meth:`stop`.

        Each poll blocks for up to SWF's long-poll time (60 s), so a stop is
        seen when the poll under way returns.
        """
        self._stop.clear()
        log.info("%r started", self)
        while not self._stop.is_set():
            task = self.poll()
            if task is not None:
                self.process(task)
        log.info("%r stopped", self)

    def stop(self) -> None:
        """Ask :meth:`start`'s loop to end after the current poll; safe at any time."""
        self._stop.set()


class Decider(Actor):
    """Polls decision tasks and answers them with decisions."""

    def poll(
        self,
        task_list: str | None = None,
        identity: str | None = None,
        maximum_page_size: int | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
    ) -> DecisionTask | None:
        """Long-poll for a decision task and read its whole history.

        Calls ``PollForDecisionTask``, then again with each ``nextPageToken``
        until the history is complete.

        :param task_list: the task list to poll; defaults to the actor's.
        :param identity: recorded in ``DecisionTaskStarted``; defaults to the actor's.
        :param maximum_page_size: events per page (1 to 1000; SWF's default is 1000).
        :param retry: the :class:`swf.retry.RetryPolicy` of the long poll, the
            first call (``None``: one attempt); by default the client's. The
            history pages that follow, once a task is in hand, use the client's.
        :returns: the task with every event, or ``None`` on an empty poll.
        :raises swf.exceptions.DoesNotExistError: unknown domain.
        :raises swf.exceptions.SWFError: any other SWF fault.
        """
        params: dict[str, Any] = {
            "domain": self.domain,
            "taskList": {"name": task_list or self.task_list},
            "identity": identity if identity is not None else self.identity,
        }
        if maximum_page_size is not None:
            params["maximumPageSize"] = maximum_page_size
        first = call(self.client, "PollForDecisionTask", retry=retry, **params)
        if not first.get("taskToken"):
            return None
        pages = [first]
        token = first.get("nextPageToken")
        while token:
            page = call(self.client, "PollForDecisionTask", nextPageToken=token, **params)
            pages.append(page)
            token = page.get("nextPageToken")
        return DecisionTask.from_pages(self.payloads.decode_pages(pages))

    def complete(
        self,
        task_token: str,
        decisions: Iterable[Mapping[str, Any]] | None = None,
        execution_context: str | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
        workflow_id: str = "",
    ) -> None:
        """Answer a decision task (``RespondDecisionTaskCompleted``).

        :param task_token: the polled task's token.
        :param decisions: SWF ``Decision`` dicts (``{"decisionType": ...,
            "<decisionType>DecisionAttributes": {...}}``, as the builders of
            :mod:`swf.models.decisions` make them), their reasons and details
            cut to fit and the list checked by
            :func:`swf.models.decisions.fit_decisions` before sending; none
            closes the task without decisions.
        :param execution_context: free text kept with the execution (at most
            32,768 characters).
        :param retry: the call's :class:`swf.retry.RetryPolicy` (``None``:
            sent once); the connection's by default.
        :param workflow_id: the task's workflow id, under which offloaded payloads are stored.
        :raises swf.exceptions.PayloadTooLarge: a data field that does not fit
            even after :attr:`payloads` (nothing was sent).
        :raises swf.exceptions.ValidationError: an oversized context, more than
            100 decisions, a bad decision, or a request over
            :data:`swf.models.decisions.MAX_REQUEST_BYTES` (nothing was sent);
            or SWF's ``ValidationException``.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        _check_length(execution_context, limits.MAX_DATA_LENGTH, "execution_context")
        encoded = self.payloads.encode_decisions(decisions or (), domain=self.domain, workflow_id=workflow_id)
        params: dict[str, Any] = {"taskToken": task_token, "decisions": fit_decisions(encoded)}
        if execution_context is not None:
            params["executionContext"] = execution_context
        check_request_size(params, "RespondDecisionTaskCompleted")
        call(self.client, "RespondDecisionTaskCompleted", retry=retry, **params)


class ActivityWorker(Actor):
    """Polls activity tasks and reports how each went."""

    def poll(
        self,
        task_list: str | None = None,
        identity: str | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
    ) -> ActivityTask | None:
        """Long-poll for an activity task (``PollForActivityTask``).

        :param task_list: the task list to poll; defaults to the actor's.
        :param identity: recorded in ``ActivityTaskStarted``; defaults to the actor's.
        :param retry: the :class:`swf.retry.RetryPolicy` of the call (``None``:
            one attempt); by default the client's, as for :func:`swf.connection.call`.
        :returns: the task, its input decoded by :attr:`payloads`, or ``None`` on
            an empty poll -- and when the input cannot be decoded (a wrong key,
            a missing object): then the task is failed (``RespondActivityTaskFailed``)
            with a ``PayloadError: <field>: <problem>`` reason.
        :raises swf.exceptions.DoesNotExistError: unknown domain.
        :raises swf.exceptions.SWFError: any other SWF fault.
        """
        response = call(
            self.client,
            "PollForActivityTask",
            retry=retry,
            domain=self.domain,
            taskList={"name": task_list or self.task_list},
            identity=identity if identity is not None else self.identity,
        )
        if not response.get("taskToken"):
            return None
        task = ActivityTask.from_response(response)
        try:
            decoded = self.payloads.decode(task.input, "ActivityTask.input")
        except PayloadError as err:  # a wrong key or a missing object: the task fails saying so
            log.error("activity task %s: %s; failing it", task.activity_id, err)
            self.fail(task.task_token, reason=f"PayloadError: {err}", workflow_id=task.workflow_execution.workflow_id)
            return None
        return task if decoded is task.input else dataclasses.replace(task, input=decoded)

    def complete(
        self,
        task_token: str,
        result: str | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
        workflow_id: str = "",
    ) -> None:
        """Report success (``RespondActivityTaskCompleted``).

        :param task_token: the polled task's token.
        :param result: the result text, or ``None``; encoded by :attr:`payloads`
            (see :meth:`encode_result`).
        :param retry: the :class:`swf.retry.RetryPolicy` of the call (``None``:
            one attempt); by default the client's, as for :func:`swf.connection.call`.
        :param workflow_id: the task's workflow id, under which an offloaded result is stored.
        :raises swf.exceptions.PayloadTooLarge: the result does not fit even
            after :attr:`payloads`; nothing was sent.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        result = self.encode_result(result, workflow_id)
        params: dict[str, Any] = {"taskToken": task_token}
        if result is not None:
            params["result"] = result
        call(self.client, "RespondActivityTaskCompleted", retry=retry, **params)

    def encode_result(self, result: str | None, workflow_id: str) -> str | None:
        """The result as it will be sent: through :attr:`payloads` (stored, when offloaded).

        :raises swf.exceptions.PayloadTooLarge: it does not fit; nothing was sent.
        """
        return self.payloads.encode(
            result, "RespondActivityTaskCompleted.result", domain=self.domain, workflow_id=workflow_id
        )

    def fail(
        self,
        task_token: str,
        details: str | None = None,
        reason: str | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
        workflow_id: str = "",
    ) -> None:
        """Report failure (``RespondActivityTaskFailed``).

        :param task_token: the polled task's token.
        :param details: free text such as a traceback; over 32,768 characters
            it keeps its head and tail around a marker.
        :param reason: a one-line cause; over 256 characters it is cut with a
            marker and kept whole at the head of ``details``.
        :param retry: the call's retry policy, as for :meth:`complete`.
        :param workflow_id: the task's workflow id, under which offloaded details are stored.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        details = self.payloads.encode(
            details, "RespondActivityTaskFailed.details", domain=self.domain, workflow_id=workflow_id, required=False
        )
        reason, details = fit_reason(reason, details)
        params: dict[str, Any] = {"taskToken": task_token}
        if reason is not None:
            params["reason"] = reason
        if details is not None:
            params["details"] = details
        call(self.client, "RespondActivityTaskFailed", retry=retry, **params)

    def cancel(self, task_token: str, details: str | None = None, *, retry: object = _ClientPolicy.CLIENT) -> None:
        """Report the task canceled (``RespondActivityTaskCanceled``).

        :param task_token: the polled task's token.
        :param details: free text; over 32,768 characters it keeps its head
            and tail around a marker.
        :param retry: the call's retry policy, as for :meth:`complete`.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        params: dict[str, Any] = {"taskToken": task_token}
        if details is not None:
            params["details"] = truncate(details, limits.MAX_DATA_LENGTH, "details")
        call(self.client, "RespondActivityTaskCanceled", retry=retry, **params)

    def heartbeat(
        self,
        task_token: str,
        details: str | None = None,
        *,
        retry: object = _ClientPolicy.CLIENT,
        workflow_id: str = "",
    ) -> bool:
        """Tell SWF the task is alive (``RecordActivityTaskHeartbeat``).

        :param task_token: the polled task's token.
        :param details: progress text; over 2,048 characters it keeps its
            head and tail around a marker.
        :param retry: the call's retry policy, as for :meth:`complete`.
        :param workflow_id: the task's workflow id, under which offloaded details are stored.
        :returns: ``True`` when cancellation of the task was requested.
        :raises swf.exceptions.DoesNotExistError: the task is closed or timed out.
        """
        params: dict[str, Any] = {"taskToken": task_token}
        details = self.payloads.encode(
            details,
            "RecordActivityTaskHeartbeat.details",
            domain=self.domain,
            workflow_id=workflow_id,
            limit=limits.MAX_HEARTBEAT_DETAILS_LENGTH,
            required=False,
        )
        if details is not None:
            params["details"] = truncate(details, limits.MAX_HEARTBEAT_DETAILS_LENGTH, "details")
        response = call(self.client, "RecordActivityTaskHeartbeat", retry=retry, **params)
        return bool(response.get("cancelRequested", False))
