"""README.rst's commands agree with CI and with the runner."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.rst").read_text(encoding="utf-8")


def _literal_after(label: str) -> str:
    """The first line of the literal block that follows ``label::``."""
    block = README.split(label + "::", 1)[1]
    return next(line.strip() for line in block.splitlines() if line.strip())


def test_readme_test_command_is_what_ci_runs() -> None:
    """The README's test command is, verbatim, the command .ci/run executes."""
    command = _literal_after("Run the whole test suite")
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command.endswith("python -m pytest")
    assert command in ci


def test_readme_demo_command_runs_the_demo_config() -> None:
    """The Quickstart's demo command runs examples/demo.ini, which exists."""
    command = _literal_after("account needed)")
    assert command.endswith("python -m swf_gevent.run examples/demo.ini")
    assert (ROOT / "examples" / "demo.ini").is_file()


def test_readme_config_reference_names_every_key() -> None:
    """Every key the runner accepts is shown in the README's config reference."""
    from swf_gevent._config import _KEYS

    shown = set(re.findall(r"^ {4};? ?(\w+) = ", README, flags=re.MULTILINE))
    for required, optional in _KEYS.values():
        assert required | optional <= shown
