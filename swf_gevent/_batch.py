"""The runner's ``[executions]``: a batch of executions started, then awaited until all closed.

Every execution carries one tag naming the batch, so the open ones are
counted (``CountOpenWorkflowExecutions``) and the closed ones listed
(``ListClosedWorkflowExecutions``) with a tag filter. An endpoint that
cannot count (moto answers HTTP 500) is listed instead
(``ListOpenWorkflowExecutions``), said once in the log.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from gevent.event import Event
from gevent.pool import Pool

from swf.connection import Connection
from swf.exceptions import (
    DefaultUndefinedError,
    DeprecatedError,
    DoesNotExistError,
    OperationNotPermittedError,
    SWFError,
    ThrottlingError,
)
from swf.models import CLOSED, COMPLETED, OPEN, WorkflowExecution, WorkflowType
from swf.querysets import WorkflowExecutionQuerySet
from swf.retry import NO_RETRY
from swf_gevent._report import BatchOutcome

__all__ = ["REFUSING_EVERY_START", "ExecutionBatch"]

log = logging.getLogger(__name__)

#: Faults that refuse every start of a type alike: the batch stops at the first.
REFUSING_EVERY_START = (DefaultUndefinedError, DeprecatedError, DoesNotExistError, OperationNotPermittedError)
_CONCURRENCY = 20  # StartWorkflowExecution calls in flight at once
_CLOCK_SKEW = timedelta(minutes=5)  # the start-time filter reaches this far before the batch's start


class ExecutionBatch:
    """``count`` executions of ``workflow_type``, started and then awaited.

    :param workflow_type: the type to start (with its domain and client).
    :param count: how many executions.
    :param make_input: the input of execution ``index`` (a JSON text or
        ``None``); whatever it raises stops the starts and is :attr:`error`.
    :param start: the other arguments of :meth:`WorkflowType.start_execution
        <swf.models.WorkflowType.start_execution>` (task list, timeouts, child policy).
    """

    #: StartWorkflowExecution calls in flight at once.
    concurrency = _CONCURRENCY

    def __init__(
        self,
        workflow_type: WorkflowType,
        count: int,
        make_input: Callable[[int], str | None],
        **start: object,
    ) -> None:
        self.workflow_type = workflow_type
        self.count = count
        self.tag = f"swf_gevent.run:{uuid.uuid4().hex[:12]}"
        #: Executions started, by workflow id.
        self.started: dict[str, WorkflowExecution] = {}
        #: Executions seen closed, by workflow id (each with its ``close_status``).
        self.closed: dict[str, WorkflowExecution] = {}
        #: What stopped the starts for good: an error of ``make_input``, or one of :data:`REFUSING_EVERY_START`.
        self.error: BaseException | None = None
        self._make_input = make_input
        self._start = start
        self._since = datetime.now(timezone.utc) - _CLOCK_SKEW
        self._pool = Pool(self.concurrency)
        self._stop = Event()
        self._listing = False  # counting failed once: the open executions are listed instead
        executions = WorkflowExecutionQuerySet(workflow_type.domain, client=workflow_type.client)
        self._open = executions.filter(status=OPEN, tag=self.tag, started_after=self._since)
        self._closed = executions.filter(status=CLOSED, tag=self.tag, started_after=self._since)
        client = workflow_type.client
        # One attempt per count: a count that fails is not retried (for up to 120 s) but replaced by listing.
        counting = replace(Connection.of(client), retry=NO_RETRY) if client is not None else None
        self._counted = WorkflowExecutionQuerySet(workflow_type.domain, client=counting).filter(
            status=OPEN, tag=self.tag, started_after=self._since
        )

    def start(self) -> None:
        """Start the executions, :attr:`concurrency` at a time; returns once all started, or at :meth:`stop`.

        A start refused by a fault that refuses every start, or an input that
        cannot be made, stops the starts (:attr:`error`); any other refused
        start is logged and skipped.
        """
        name = self.workflow_type.name
        prefix = f"{name}-{self.tag.rsplit(':', 1)[1]}"

        def start(index: int) -> None:
            if self._stop.is_set():
                return
            workflow_id = f"{prefix}-{index}"
            try:
                payload = self._make_input(index)
                execution = self.workflow_type.start_execution(
                    workflow_id,
                    payload,
                    tag_list=[self.tag],
                    **self._start,  # type: ignore[arg-type]
                )
            except REFUSING_EVERY_START as err:
                self._give_up(err)
                return
            except SWFError as err:
                log.error("cannot start execution %s: %s", workflow_id, err)
                return
            except Exception as err:  # the input factory: user code
                self._give_up(err)
                return
            self.started[workflow_id] = execution

        for index in range(self.count):
            self._pool.wait_available()
            if self._stop.is_set():
                break
            self._pool.spawn(start, index)
        self._pool.join()
        log.info("%d executions of %s started (tag %s)", len(self.started), name, self.tag)

    def stop(self) -> None:
        """Start no more executions (those being started finish)."""
        self._stop.set()

    def kill(self) -> None:
        """Start no more executions and abandon the starts in flight."""
        self._stop.set()
        self._pool.kill(block=False)

    def _give_up(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self._stop.set()

    def open_count(self) -> int:
        """How many executions of the batch are open (a count, else a listing).

        Each count is sent once; a throttled one is raised, any other failure
        switches to listing for the rest of the batch, said once in the log.

        :raises swf.exceptions.SWFError: the count was throttled, or listing failed.
        """
        if not self._listing:
            try:
                return self._counted.count()
            except ThrottlingError:  # counting works, just not now: the next check counts again
                raise
            except SWFError as err:  # moto's HTTP 500, an endpoint without the operation
                log.warning("cannot count the open executions (%s): listing them instead from now on", err)
                self._listing = True
        return sum(1 for _ in self._open)

    def refresh_closed(self) -> None:
        """Read which started executions closed, and how (a failed listing is logged, and keeps the last)."""
        closed: dict[str, WorkflowExecution] = {}
        try:
            for execution in self._closed:
                mine = self.started.get(execution.workflow_id)
                if mine is not None and mine.run_id == execution.run_id:
                    closed[execution.workflow_id] = execution
        except SWFError as err:
            log.warning("cannot list the closed executions: %s", err)
            return
        self.closed = closed

    def outcome(self, examples: bool = True) -> BatchOutcome:
        """The batch as it stands: started, close statuses, and one example of each status but ``COMPLETED``.

        :param examples: read one history per such status for its reason.
        """
        statuses = Counter(str(execution.close_status) for execution in self.closed.values())
        found: dict[str, str] = {}
        if examples:
            for status in statuses:
                if status != COMPLETED:
                    workflow_id = min(w for w, e in self.closed.items() if e.close_status == status)
                    found[status] = _example(self.closed[workflow_id])
        return BatchOutcome(self.count, len(self.started), dict(statuses), found)

    def wait(self, until: Event, timeout: float | None, every: float, tick: Callable[[int | None], None]) -> bool:
        """Wait until every started execution closed, ``until`` is set, or ``timeout`` seconds.

        :param every: seconds between checks.
        :param tick: called after each check with the count of open executions
            (``None`` when it could not be read).
        :returns: whether every execution closed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not until.is_set():
            open_count: int | None
            try:
                open_count = self.open_count()
                if open_count == 0:
                    self.refresh_closed()
                    if set(self.started) <= set(self.closed):
                        return True
            except SWFError as err:
                log.warning("cannot check the executions: %s", err)
                open_count = None
            if deadline is not None and time.monotonic() >= deadline:
                log.error("executions still open after %s s; stopping (they stay open)", timeout)
                break
            tick(open_count)
            until.wait(every)
        self.refresh_closed()
        return False


def _example(execution: WorkflowExecution) -> str:
    """``"workflow id: reason: details"`` from the last event of the execution's history."""
    try:
        last = execution.history()[-1]
    except (SWFError, IndexError) as err:
        return f"{execution.workflow_id} (history unavailable: {err})"
    reason = getattr(last, "reason", None) or getattr(last, "timeout_type", None) or getattr(last, "cause", None)
    details = getattr(last, "details", None)
    text = str(reason) if reason else "no reason given"
    if details:
        text += f": {' '.join(str(details).split())[:200]}"
    return f"{execution.workflow_id}: {text}"
