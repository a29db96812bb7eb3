"""What the runner prints: the start line, the progress lines and the summary, as pure functions.

Each function reads values and the :class:`swf_gevent.handlers.MetricsHandler`
and returns text; none prints, calls SWF or reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from swf.models import COMPLETED, FAILED
from swf_gevent import signals
from swf_gevent.handlers import MetricsHandler

__all__ = ["BatchOutcome", "Stopping", "progress_line", "start_line", "summary"]


@dataclass(frozen=True)
class BatchOutcome:
    """The executions a run started and how they closed.

    :param requested: ``[executions] count``.
    :param started: how many were started.
    :param close_statuses: ``{close status: executions closed so}`` (``{"COMPLETED": 8}``).
    :param examples: ``{close status: "workflow id: reason[: details]"}`` for one
        execution of each status but ``COMPLETED``.
    """

    requested: int
    started: int
    close_statuses: Mapping[str, int] = field(default_factory=dict)
    examples: Mapping[str, str] = field(default_factory=dict)

    @property
    def closed(self) -> int:
        """How many of the started executions closed."""
        return sum(self.close_statuses.values())

    @property
    def ok(self) -> bool:
        """Whether every execution asked for was started and completed."""
        return self.started == self.requested and self.close_statuses.get(COMPLETED, 0) == self.started


@dataclass(frozen=True)
class Stopping:
    """How the run was stopped: by how many stop requests (SIGINT, SIGTERM), the second killing at once."""

    requests: int = 0

    @property
    def interrupted(self) -> bool:
        """Whether a stop request came."""
        return self.requests > 0

    @property
    def killed(self) -> bool:
        """Whether a second request killed the actors, leaving running tasks to their SWF timeouts."""
        return self.requests > 1


def start_line(
    slots: int, pollers: int, processes: int, domain: str, endpoint: str, executions: tuple[int, str] | None
) -> str:
    """The line printed once the fleet runs.

    :param slots: task slots in each process.
    :param pollers: the most long polls in flight in each process.
    :param processes: worker processes (1: this one).
    :param executions: ``(started, workflow type name)``, or ``None`` without ``[executions]``.
    """
    what = f"{slots} task slots on up to {pollers} pollers"
    if executions is not None:
        who = what if processes == 1 else f"{processes} processes of {what}"
        started, workflow_type = executions
        return f"{who} polling domain {domain!r} at {endpoint}; {started} executions of {workflow_type!r} started"
    where = f" in {processes} processes" if processes > 1 else ""
    return f"{what} polling domain {domain!r} at {endpoint}{where}; SIGINT or SIGTERM stops them"


def progress_line(elapsed: float, closed: int, started: int, metrics: MetricsHandler) -> str:
    """One progress line: seconds since the first start, executions closed, the metrics' status.

    :param elapsed: seconds since the first execution was started.
    """
    return f"  {elapsed:6.1f} s   {closed}/{started} executions closed; {metrics.status()}"


def summary(
    path: str,
    endpoint: str,
    elapsed: float,
    metrics: MetricsHandler,
    batch: BatchOutcome | None = None,
    processes: tuple[int, int] | None = None,
    stopping: Stopping = Stopping(),
) -> str:
    """The summary printed at the end of a run (lines joined by newlines, no trailing one).

    :param path: the config file.
    :param endpoint: the endpoint, as the start line names it.
    :param elapsed: seconds the work took (from the first start to the last close).
    :param batch: the executions started, or ``None`` without ``[executions]``.
    :param processes: ``(worker processes, restarts)``, or ``None`` for one process.
    """
    lines = [f"simple-workflow run: {path} on {endpoint}"]
    if batch is not None:
        statuses = batch.close_statuses
        others = ", ".join(
            f"{n} {status.lower()}" for status, n in sorted(statuses.items()) if status not in (COMPLETED, FAILED)
        )
        lines.append(
            f"  executions     {batch.started}/{batch.requested} started, {statuses.get(COMPLETED, 0)} completed, "
            f"{statuses.get(FAILED, 0)} failed, {batch.started - batch.closed} still open"
            + (f", {others}" if others else "")
        )
        for status in sorted(statuses):
            if status != COMPLETED:
                lines.append(f"  e.g. {status.lower():9} {batch.examples.get(status, '')}")
    tasks = metrics.activity_tasks
    rate = tasks / elapsed if elapsed > 0 else 0.0
    lines.append(f"  activity tasks {tasks} in {elapsed:.1f} s: {rate:.1f} tasks/s")
    p50, p95 = metrics.latency(0.50), metrics.latency(0.95)
    if p50 is not None and p95 is not None:
        lines.append(
            f"  latency        p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (activity task received to answered)"
        )
    lines.append(
        f"  decision tasks {metrics.count(signals.decision_task_completed)} completed, "
        f"{metrics.count(signals.decision_task_failed)} failed"
    )
    if processes is not None:
        count, restarts = processes
        lines.append(f"  processes      {count}, {restarts} restart{'' if restarts == 1 else 's'}")
    if stopping.interrupted:
        twice = " (twice: running tasks left to their SWF timeouts)" if stopping.killed else ""
        lines.append(f"  interrupted by a signal{twice}")
    return "\n".join(lines)
