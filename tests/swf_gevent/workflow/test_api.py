"""The workflow package's public names, and what importing it loads."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from swf_gevent import workflow as wf

ROOT = Path(__file__).resolve().parents[3]

EXPORTS = [
    "ActivityFailed",
    "ActivityHandle",
    "ActivityTimedOut",
    "Cancelled",
    "ChildFailed",
    "ChildHandle",
    "Context",
    "Fail",
    "Handle",
    "Info",
    "NondeterminismError",
    "RetryPolicy",
    "ScheduleFailed",
    "TimedOut",
    "TimerHandle",
    "WorkflowCodeError",
    "WorkflowDecider",
    "WorkflowDefinition",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowOutcome",
    "workflow",
]


def test_exports_are_pinned() -> None:
    """``swf_gevent.workflow.__all__`` is exactly the pinned list, sorted, and every name exists."""
    assert wf.__all__ == EXPORTS
    for name in wf.__all__:
        assert hasattr(wf, name), name


def test_errors_belong_to_the_one_tree() -> None:
    """Every workflow error derives from swf.exceptions.SWFError; outcomes from wf.WorkflowOutcome."""
    from swf.exceptions import SWFError

    for name in (
        "ActivityFailed",
        "ActivityTimedOut",
        "ScheduleFailed",
        "ChildFailed",
        "TimedOut",
        "Cancelled",
        "Fail",
    ):
        assert issubclass(getattr(wf, name), wf.WorkflowOutcome), name
    for name in ("NondeterminismError", "WorkflowCodeError", "WorkflowFailed", "WorkflowOutcome"):
        assert issubclass(getattr(wf, name), wf.WorkflowError), name
    assert issubclass(wf.WorkflowError, SWFError)


def test_import_loads_neither_gevent_nor_ssl() -> None:
    """Importing the workflow package (and replaying with it) loads neither gevent, ssl nor botocore."""
    code = (
        "import sys; from swf_gevent import workflow; import swf_gevent.workflow.testing; "
        "print(sorted(m for m in ('gevent', 'ssl', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_bad_definitions_are_refused_with_one_line() -> None:
    """A workflow without a ctx parameter, an unknown child policy or a bad retry policy is refused at once."""
    import pytest

    with pytest.raises(ValueError, match="must take the context"):
        wf.workflow("x")(lambda: None)
    with pytest.raises(ValueError, match="child_policy"):
        wf.workflow("x", child_policy="KEEP")
    with pytest.raises(ValueError, match="max_attempts"):
        wf.RetryPolicy(max_attempts=0)


def test_workflow_type_carries_the_definition_defaults() -> None:
    """workflow_type() registers the definition's task list, timeouts and child policy; the arguments fill gaps."""
    from swf.models import Domain

    @wf.workflow("typed", version="2", task_list="orders", decision_timeout=timedelta(seconds=45))
    def typed(ctx: wf.Context) -> None:
        return None

    @wf.workflow("bare", version="1")
    def bare(ctx: wf.Context) -> None:
        return None

    domain = Domain("d")
    t = typed.workflow_type(domain)
    assert (t.name, t.version, t.default_task_list, t.default_child_policy) == ("typed", "2", "orders", "TERMINATE")
    assert t.default_task_start_to_close_timeout == timedelta(seconds=45)
    assert t.default_execution_start_to_close_timeout == timedelta(days=365)
    b = bare.workflow_type(domain, "deciders", decision_timeout=timedelta(seconds=5))
    assert (b.default_task_list, b.default_task_start_to_close_timeout) == ("deciders", timedelta(seconds=5))
    with pytest.raises(ValueError, match="workflow bare/1 names no task list"):
        bare.workflow_type(domain)
