"""Five changes to ``flows.mutable`` that break replay of its recorded histories.

Each is registered under the same type, ``mutable/1``; the line a replay
must name ends with ``# <- <name>``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from swf_gevent import workflow as wf
from tests.swf_gevent.workflow.flows import add, child_ok, double, other_child, undo


def _reordered(ctx: wf.Context, _: Any) -> int:
    b = ctx.execute(add, [2, 2])  # <- reordered
    a = ctx.execute(double, 1)
    ctx.sleep(timedelta(seconds=1))
    result: int = ctx.child(child_ok, a + b)
    return result


def _changed_activity_type(ctx: wf.Context, _: Any) -> int:
    a = ctx.execute(undo, "x", id="double-1")  # <- changed_activity_type
    ctx.sleep(timedelta(seconds=1))
    b = ctx.execute(add, [a, a])
    result: int = ctx.child(child_ok, b)
    return result


def _removed_timer(ctx: wf.Context, _: Any) -> int:
    a = ctx.execute(double, 1)
    b = ctx.execute(add, [a, a])  # <- removed_timer
    result: int = ctx.child(child_ok, b)
    return result


def _inserted_activity(ctx: wf.Context, _: Any) -> int:
    a = ctx.execute(double, 1)
    ctx.sleep(timedelta(seconds=1))
    ctx.execute(double, 5)  # <- inserted_activity
    b = ctx.execute(add, [a, a])
    result: int = ctx.child(child_ok, b)
    return result


def _changed_child_type(ctx: wf.Context, _: Any) -> int:
    a = ctx.execute(double, 1)
    ctx.sleep(timedelta(seconds=1))
    b = ctx.execute(add, [a, a])
    result: int = ctx.child(other_child, b, workflow_id=f"{ctx.info.workflow_id}.child-ok-1")  # <- changed_child_type
    return result


MUTATIONS = {
    name: wf.workflow("mutable", version="1")(function)
    for name, function in {
        "reordered": _reordered,
        "changed_activity_type": _changed_activity_type,
        "removed_timer": _removed_timer,
        "inserted_activity": _inserted_activity,
        "changed_child_type": _changed_child_type,
    }.items()
}

#: Mutated as a module attribute, for ``python -m swf.replay ... tests.swf_gevent.workflow.mutations:reordered``.
reordered = MUTATIONS["reordered"]
