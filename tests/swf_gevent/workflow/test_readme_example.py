"""The README's workflow example runs as written."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.swf_gevent.workflow.simulated import Simulation

README = (Path(__file__).resolve().parents[3] / "README.rst").read_text(encoding="utf-8")


def _example() -> str:
    block = README.split("until the history settles\nit::\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line[4:])
    return "\n".join(lines)


def test_readme_workflow_example_completes() -> None:
    """The README's ``words`` workflow, run over random outcome orders, completes with the words counted."""
    namespace: dict[str, Any] = {}
    exec(compile(_example(), "README.rst", "exec"), namespace)
    words = namespace["words"]
    history = Simulation(words, ["a b", "c d e"], random.Random(0), signals=1, signal_name="approve").run()
    attributes = history.state.close_event.raw["workflowExecutionCompletedEventAttributes"]
    assert json.loads(attributes["result"]) == 2 + 3 + 5


def _block(marker: str) -> str:
    """The README literal block containing ``marker``, dedented."""
    import re
    import textwrap

    for block in re.findall(r"::\n\n((?:(?: {4}.*)?\n)+)", README):
        if marker in block:
            return textwrap.dedent(block)
    raise AssertionError(f"no literal block of README.rst contains {marker!r}")


def test_readme_workflow_environment_example_runs() -> None:
    """The README's WorkflowEnvironment example runs the ``words`` workflow to its asserted result."""
    import gevent

    namespace: dict[str, Any] = {}
    exec(compile(_example(), "README.rst", "exec"), namespace)
    with gevent.Timeout(30):
        exec(compile(_block("with WorkflowEnvironment("), "README.rst", "exec"), namespace)
    assert namespace["history"].state.close_event.event_type == "WorkflowExecutionCompleted"
