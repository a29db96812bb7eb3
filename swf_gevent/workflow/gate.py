"""The replay gate: would new workflow code break the executions SWF holds now?

Before deploying a change to a workflow, replay the histories of its open
executions (and of those closed since a time, still in retention) with the
new code::

    python -m swf_gevent.workflow.gate pkg.mod:order [pkg.mod:other ...] --domain D \\
        [--since 2026-12-01T00:00:00Z] [--endpoint-url URL] [--region REGION]

Each ``module:name`` is a ``@wf.workflow`` definition; the executions of its
workflow type (name and version) are listed through
:class:`swf.querysets.WorkflowExecutionQuerySet` (``ListOpenWorkflowExecutions``,
``ListClosedWorkflowExecutions`` with a close-time window) and each history
(``GetWorkflowExecutionHistory``) is replayed at every decision point with
:func:`swf_gevent.workflow.testing.replay`.

Output: one line on stdout per execution that would break -- workflow id,
run id, and the error's one line with the ``file:line`` of the code -- and a
count on stderr. Exit status 0 when none would break, 1 when some would, 2
for a bad argument, a definition that cannot be loaded or an SWF error (one
line on stderr). Credentials and region resolve as for every ``swf`` client
(:func:`swf.credentials.resolve_settings`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn

from swf.exceptions import SWFError, ValidationError
from swf.models import CLOSED, OPEN, Domain, WorkflowExecution, WorkflowType
from swf.models.events import ExecutionRef
from swf.querysets import WorkflowExecutionQuerySet
from swf.replay import load_decider
from swf_gevent.workflow.definition import WorkflowDefinition
from swf_gevent.workflow.errors import NondeterminismError, WorkflowCodeError
from swf_gevent.workflow.testing import replay

__all__ = ["Broken", "check", "executions", "load_workflow", "main"]


@dataclass(frozen=True)
class Broken:
    """An execution the new code would break.

    :ivar workflow_id: its workflow id.
    :ivar run_id: its run id.
    :ivar error: the :class:`~swf_gevent.workflow.NondeterminismError` (or
        :class:`~swf_gevent.workflow.WorkflowCodeError`) the replay raised.
    """

    workflow_id: str
    run_id: str
    error: NondeterminismError | WorkflowCodeError

    @property
    def line(self) -> str:
        """``"<workflow id> <run id>: <the error's first line>"``, with its ``file:line`` when the message lacks it."""
        text = (str(self.error).splitlines() or [type(self.error).__name__])[0]
        site = getattr(self.error, "site", "")
        if site and site not in text:
            text = f"{text} (at {site})"
        return f"{self.workflow_id} {self.run_id}: {text}"


def load_workflow(spec: str) -> WorkflowDefinition:
    """Import ``"package.module:name"``, a ``@wf.workflow`` definition.

    :raises swf.exceptions.ValidationError: a malformed spec, a module that
        cannot be imported, a missing name, or an object that is not a workflow definition.
    """
    target: Any = load_decider(spec)
    if not isinstance(target, WorkflowDefinition):
        raise ValidationError(f"{spec} is not a @wf.workflow definition (got {type(target).__name__})")
    return target


def executions(
    domain: Domain, workflow: WorkflowDefinition, since: datetime | None, client: Any = None
) -> Iterator[WorkflowExecution]:
    """The executions of ``workflow``'s type: the open ones, then those closed since ``since`` (if given).

    :param domain: the domain.
    :param workflow: the definition whose type (name and version) is listed.
    :param since: oldest close time (aware); ``None`` lists open executions only.
    :raises swf.exceptions.SWFError: as the listing calls.
    """
    workflow_type = WorkflowType(domain, workflow.name, workflow.version)
    listed = WorkflowExecutionQuerySet(domain, client=client)
    yield from listed.filter(status=OPEN, workflow_type=workflow_type)
    if since is not None:
        yield from listed.filter(status=CLOSED, workflow_type=workflow_type, closed_after=since)


def check(
    domain: Domain, workflows: Sequence[WorkflowDefinition], since: datetime | None = None, client: Any = None
) -> tuple[int, list[Broken]]:
    """Replay every listed execution of ``workflows`` (see :func:`executions`) with their code.

    :returns: how many executions were replayed, and those that would break, in listing order.
    :raises swf.exceptions.SWFError: a listing or history call failed (an unknown domain...).
    """
    replayed = 0
    broken: list[Broken] = []
    for workflow in workflows:
        for execution in executions(domain, workflow, since, client):
            replayed += 1
            try:
                replay(
                    execution.history(),
                    workflows,
                    workflow_execution=ExecutionRef(execution.workflow_id, execution.run_id),
                )
            except (NondeterminismError, WorkflowCodeError) as err:
                broken.append(Broken(execution.workflow_id, execution.run_id, err))
    return replayed, broken


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--since must be an ISO 8601 time, not {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``python -m swf_gevent.workflow.gate`` command; returns the exit status (0, 1 or 2, see the module)."""
    parser = _Parser(
        prog="python -m swf_gevent.workflow.gate",
        description="Replay the histories of a workflow type's executions with new code; list those it would break.",
    )
    parser.add_argument("workflows", nargs="+", metavar="module:name", help="@wf.workflow definitions")
    parser.add_argument("--domain", required=True, help="the SWF domain")
    parser.add_argument(
        "--since", type=_since, default=None, help="also executions closed since this ISO 8601 time (UTC if naive)"
    )
    parser.add_argument("--endpoint-url", default=None, help="SWF endpoint URL (default: resolved)")
    parser.add_argument("--region", default=None, help="AWS region (default: resolved)")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    try:
        from swf.connection import make_client

        workflows = [load_workflow(spec) for spec in args.workflows]
        client = make_client(region_name=args.region, endpoint_url=args.endpoint_url)
        replayed, broken = check(Domain(args.domain, client=client), workflows, args.since, client)
    except (SWFError, OSError) as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 2
    for item in broken:
        print(item.line)
    print(f"{parser.prog}: {replayed} executions replayed, {len(broken)} would break", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
