"""README.rst, the front page: its commands agree with CI and with the files they name."""

from __future__ import annotations

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


def test_gitignore_ignores_the_readme_virtualenv() -> None:
    """The virtualenv the Quickstart creates (``venv``) is ignored by git, as a directory or a link to one."""
    assert "python3 -m venv venv" in README
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "venv" in ignored  # no trailing slash: "venv/" would not match a symbolic link


def test_readme_links_into_the_docs_exist() -> None:
    """Every page of docs/ the front page links to exists, and so does its picture."""
    import re

    targets = re.findall(r"<(docs/[^>]+)>`_", README) + re.findall(r"^\.\. image:: (\S+)", README, re.M)
    assert len(targets) > 10
    assert [t for t in targets if not (ROOT / t).is_file()] == []
