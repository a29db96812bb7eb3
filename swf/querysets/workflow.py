"""The querysets of workflow types and workflow executions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from swf.connection import call, call_pages
from swf.exceptions import DoesNotExistError, ValidationError, WorkflowExecutionAlreadyStartedError
from swf.models.base import CLOSE_STATUSES, CLOSED, OPEN, check_aware, check_choice, check_string
from swf.models.workflow import WorkflowExecution, WorkflowType
from swf.querysets.base import _DomainQuerySet, _TypeQuerySet

__all__ = ["WorkflowExecutionQuerySet", "WorkflowTypeQuerySet"]

log = logging.getLogger(__name__)

#: Without a time window, listings start this far back: the longest an
#: execution may run (one year), plus a day.
DEFAULT_LOOKBACK = timedelta(days=366)

#: Filters SWF allows only one of in a single listing.
_EXCLUSIVE = ("workflow_id", "workflow_type", "tag", "close_status")
_CLOSED_ONLY = ("close_status", "closed_after", "closed_before")
_START_WINDOW = ("started_after", "started_before")
_CLOSE_WINDOW = ("closed_after", "closed_before")


class WorkflowTypeQuerySet(_TypeQuerySet[WorkflowType]):
    """The workflow types of one domain: ``WorkflowTypeQuerySet(domain).all()``.

    Listing sends ``ListWorkflowTypes`` (registered types unless filtered on
    ``status``); :meth:`get` sends ``DescribeWorkflowType``.

    :param domain: the :class:`~swf.models.Domain` (a domain name is accepted).
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :param page_size: ``maximumPageSize`` of each listing call (1 to 1000).
    """

    _model = WorkflowType
    _kind = "Workflow"


class WorkflowExecutionQuerySet(_DomainQuerySet[WorkflowExecution]):
    """The workflow executions of one domain, open or closed.

    Listing sends ``ListOpenWorkflowExecutions`` or
    ``ListClosedWorkflowExecutions``; :meth:`count` sends the matching
    ``Count...`` operation. Open executions are listed unless filtered on
    ``status=CLOSED`` or on a closed-only filter. Without a time window the
    listing covers the executions started in the last 366 days.

    :param domain: the :class:`~swf.models.Domain` (a domain name is accepted).
    :param client: the boto3 SWF client; ``None`` uses the domain's, else the shared default client.
    :param page_size: ``maximumPageSize`` of each listing call (1 to 1000).
    """

    def _unfiltered(self) -> WorkflowExecutionQuerySet:
        """This domain's executions, without this queryset's filters (for lookups by id)."""
        return WorkflowExecutionQuerySet(self.domain, client=self.client, page_size=self.page_size)

    def filter(
        self,
        *,
        status: str | None = None,
        workflow_id: str | None = None,
        workflow_type: WorkflowType | str | None = None,
        tag: str | None = None,
        close_status: str | None = None,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
        closed_after: datetime | None = None,
        closed_before: datetime | None = None,
    ) -> WorkflowExecutionQuerySet:
        """A new queryset narrowed by these filters (``None`` leaves one as it was).

        SWF's rules are checked here, before any call: at most one of
        ``workflow_id``, ``workflow_type``, ``tag`` and ``close_status``; a
        start window (``started_...``) or a close window (``closed_...``), not
        both; ``close_status`` and the close window only for closed executions.

        :param status: ``OPEN`` (the default) or ``CLOSED``.
        :param workflow_id: only the runs of this workflow id.
        :param workflow_type: only this :class:`~swf.models.WorkflowType`
            (name and version), or every version of a type name (a ``str``).
        :param tag: only the executions carrying this tag.
        :param close_status: only the closed executions that ended so
            (``COMPLETED``, ``FAILED``, ``CANCELED``, ``TERMINATED``,
            ``CONTINUED_AS_NEW``, ``TIMED_OUT``).
        :param started_after: oldest start time, a timezone-aware ``datetime``.
        :param started_before: latest start time, a timezone-aware ``datetime``.
        :param closed_after: oldest close time, a timezone-aware ``datetime``.
        :param closed_before: latest close time, a timezone-aware ``datetime``.
        :raises swf.exceptions.ValidationError: a bad value or a combination SWF
            refuses, naming the filters.
        """
        check_choice(status, "status", (OPEN, CLOSED))
        check_choice(close_status, "close_status", CLOSE_STATUSES)
        if workflow_id is not None:
            check_string(workflow_id, "workflow_id", "WorkflowId")
        if tag is not None:
            check_string(tag, "tag", "Tag")
        if workflow_type is not None and not isinstance(workflow_type, (WorkflowType, str)):
            raise ValidationError(
                f"workflow_type must be a WorkflowType or a type name, not {type(workflow_type).__name__}"
            )
        for name, value in (
            ("started_after", started_after),
            ("started_before", started_before),
            ("closed_after", closed_after),
            ("closed_before", closed_before),
        ):
            check_aware(value, name)
        return self._clone(
            status=status,
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            tag=tag,
            close_status=close_status,
            started_after=started_after,
            started_before=started_before,
            closed_after=closed_after,
            closed_before=closed_before,
        )

    def _check_filters(self) -> None:
        given = self._filters
        exclusive = [name for name in _EXCLUSIVE if name in given]
        if len(exclusive) > 1:
            raise ValidationError(
                f"SWF accepts only one of workflow_id, workflow_type, tag and close_status; got {' and '.join(exclusive)}"
            )
        if given.get("status") == OPEN:
            closed_only = [name for name in _CLOSED_ONLY if name in given]
            if closed_only:
                raise ValidationError(f"{', '.join(closed_only)} apply only to closed executions, not status=OPEN")
        if any(name in given for name in _START_WINDOW) and any(name in given for name in _CLOSE_WINDOW):
            started = [name for name in _START_WINDOW if name in given]
            closed = [name for name in _CLOSE_WINDOW if name in given]
            raise ValidationError(
                f"a start window ({', '.join(started)}) and a close window ({', '.join(closed)}) exclude each other"
            )
        for after, before in (_START_WINDOW, _CLOSE_WINDOW):
            if after in given and before in given and given[after] > given[before]:
                raise ValidationError(f"{after} must not be later than {before}")

    def _status(self) -> str:
        status = self._filters.get("status")
        if status is not None:
            return str(status)
        return CLOSED if any(name in self._filters for name in _CLOSED_ONLY) else OPEN

    def _request(self) -> tuple[str, dict[str, Any]]:
        """The operation suffix (``"OpenWorkflowExecutions"``) and its filter members."""
        given = self._filters
        status = self._status()
        params: dict[str, Any] = {"domain": self.domain.name}
        if any(name in given for name in _CLOSE_WINDOW):
            params["closeTimeFilter"] = _window(given.get("closed_after"), given.get("closed_before"))
        else:
            params["startTimeFilter"] = _window(given.get("started_after"), given.get("started_before"))
        if "workflow_id" in given:
            params["executionFilter"] = {"workflowId": given["workflow_id"]}
        if "workflow_type" in given:
            workflow_type = given["workflow_type"]
            if isinstance(workflow_type, WorkflowType):
                params["typeFilter"] = {"name": workflow_type.name, "version": workflow_type.version}
            else:
                params["typeFilter"] = {"name": workflow_type}
        if "tag" in given:
            params["tagFilter"] = {"tag": given["tag"]}
        if "close_status" in given:
            params["closeStatusFilter"] = {"status": given["close_status"]}
        return ("OpenWorkflowExecutions" if status == OPEN else "ClosedWorkflowExecutions"), params

    def _iterate(self) -> Iterator[WorkflowExecution]:
        suffix, params = self._request()
        for page in call_pages(self._client(), f"List{suffix}", **params, **self._page_params()):
            for info in page.get("executionInfos", []):
                yield WorkflowExecution._from_info(self.domain, info, self.client)

    def count(self) -> int:
        """How many executions match (``CountOpenWorkflowExecutions`` or ``CountClosedWorkflowExecutions``).

        SWF stops counting at a limit and says so; that count is returned as
        is, and logged.

        :raises swf.exceptions.SWFError: as the count call.
        """
        suffix, params = self._request()
        answer = call(self._client(), f"Count{suffix}", **params)
        if answer.get("truncated"):
            log.warning("count of %s in %s truncated by SWF at %d", suffix, self.domain.name, answer["count"])
        return int(answer["count"])

    def get(self, workflow_id: str, run_id: str | None = None) -> WorkflowExecution:
        """One execution, with every attribute (``DescribeWorkflowExecution``).

        :param workflow_id: its workflow id.
        :param run_id: its run id; ``None`` takes the open run of this
            workflow id, else its latest closed run.
        :raises swf.exceptions.DoesNotExistError: no such execution.
        """
        if run_id is not None:
            return WorkflowExecution(self.domain, workflow_id, run_id, client=self.client).upstream()
        for status in (OPEN, CLOSED):
            found = next(iter(self._unfiltered().filter(status=status, workflow_id=workflow_id)), None)
            if found is not None:
                return found.upstream()
        raise DoesNotExistError(f"no execution of workflow id {workflow_id!r} in domain {self.domain.name!r}")

    def create(self, workflow_type: WorkflowType, workflow_id: str, **start: Any) -> WorkflowExecution:
        """Start an execution: :meth:`WorkflowType.start_execution <swf.models.WorkflowType.start_execution>`.

        :param workflow_type: the type to start (in this queryset's domain).
        :param workflow_id: the execution's workflow id.
        :param start: the other arguments of ``start_execution`` (``input``, ``tag_list``...).
        :raises swf.exceptions.WorkflowExecutionAlreadyStartedError: an open
            execution already has this workflow id.
        """
        if not isinstance(workflow_type, WorkflowType):
            raise ValidationError(f"workflow_type must be a WorkflowType, not {type(workflow_type).__name__}")
        if workflow_type.domain != self.domain:
            raise ValidationError(
                f"workflow_type belongs to domain {workflow_type.domain.name!r}, not {self.domain.name!r}"
            )
        return workflow_type.start_execution(workflow_id, **start)

    def get_or_create(self, workflow_type: WorkflowType, workflow_id: str, **start: Any) -> WorkflowExecution:
        """The open execution of this workflow id, started first if there is none.

        Safe when several processes do it at once: the one whose start loses
        the race reads the winner's execution. ``start`` is used only when
        this call starts the execution.

        :returns: the open execution, with every attribute.
        """
        open_runs = self._unfiltered().filter(status=OPEN, workflow_id=workflow_id)
        found = next(iter(open_runs), None)
        if found is not None:
            return found.upstream()
        try:
            return self.create(workflow_type, workflow_id, **start).upstream()
        except WorkflowExecutionAlreadyStartedError:
            log.debug("execution %s started concurrently; reading it", workflow_id)
            found = next(iter(open_runs), None)
            if found is None:
                raise
            return found.upstream()


def _window(oldest: datetime | None, latest: datetime | None) -> dict[str, datetime]:
    """An ``ExecutionTimeFilter``; no oldest date means :data:`DEFAULT_LOOKBACK` ago."""
    window = {"oldestDate": oldest if oldest is not None else datetime.now(timezone.utc) - DEFAULT_LOOKBACK}
    if latest is not None:
        window["latestDate"] = latest
    return window
