"""The runner's config file: each mistake exits 2 with one line naming file, section and key."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from swf_gevent._config import load
from swf_gevent.run import main

CODE = '''
from swf_gevent.activities import activity


@activity("noop", version="1")
def noop(payload):
    return payload


class Flow:
    def decide(self, task):
        return []
'''

GOOD = {
    "swf": {"domain": "d", "endpoint_url": "local", "poll_timeout": "1"},
    "activities:work": {"task_list": "work", "greenlets": "3", "modules": "fleet_code"},
    "decider:flow": {
        "task_list": "flow",
        "greenlets": "2",
        "class": "fleet_code.Flow",
        "workflow_type": "flow",
        "workflow_version": "1",
    },
    "executions": {"workflow": "flow", "count": "4", "input": '{"n": 1}'},
    "handlers": {"log": "swf_gevent.handlers.LoggingHandler"},
}


@pytest.fixture(autouse=True)
def _isolated_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))


def _write(tmp_path: Path, sections: dict[str, dict[str, str]]) -> str:
    (tmp_path / "fleet_code.py").write_text(CODE)
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in keys.items()]
    path = tmp_path / "fleet.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _changed(section: str, key: str, value: Optional[str]) -> dict[str, dict[str, str]]:
    sections = {name: dict(keys) for name, keys in GOOD.items()}
    if value is None:
        del sections[section][key]
    else:
        sections[section][key] = value
    return sections


def _run(path: str) -> tuple[int, list[str]]:
    err = io.StringIO()
    code = main([path], stdout=io.StringIO(), stderr=err)
    return code, err.getvalue().splitlines()


def test_good_config_loads(tmp_path: Path) -> None:
    """A correct file gives the groups, counts, decider instance and handler class it names."""
    sys.path.insert(0, str(tmp_path))
    config = load(_write(tmp_path, GOOD))
    assert config.local and config.poll_timeout == 1.0 and config.domain == "d"
    assert [(g.name, g.task_list, g.greenlets) for g in config.activities] == [("work", "work", 3)]
    assert [d.key for d in config.activities[0].registry] == [("noop", "1")]
    assert type(config.deciders[0].decider).__name__ == "Flow"
    assert config.pollers == 5
    assert config.executions is not None and config.executions.count == 4
    assert config.executions.input(0) == '{"n": 1}'
    assert [key for key, _ in config.handlers] == ["log"]


CASES = [
    # (section, key, value or None to delete, expected line after "<path>: ")
    ("swf", "domain", None, "[swf] domain: missing"),
    ("swf", "domain", "d" * 257, "[swf] domain: is 257 characters; SWF takes at most 256"),
    ("decider:flow", "workflow_version", "v" * 65, "[decider:flow] workflow_version: is 65 characters; SWF takes at most 64"),
    ("swf", "domian", "d", "[swf] domian: unknown key (known: domain, endpoint_url, hub_block_threshold, log_level, poll_timeout, processes, region, stop_timeout)"),
    ("swf", "endpoint_url", "somewhere", "[swf] endpoint_url: must be a URL or 'local', got 'somewhere'"),
    ("swf", "poll_timeout", "soon", "[swf] poll_timeout: must be a positive number of seconds, got 'soon'"),
    ("swf", "log_level", "LOUD", "[swf] log_level: must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'LOUD'"),
    ("activities:work", "greenlets", "0", "[activities:work] greenlets: must be a positive integer, got '0'"),
    ("activities:work", "greenlets", "many", "[activities:work] greenlets: must be a positive integer, got 'many'"),
    ("activities:work", "task_list", None, "[activities:work] task_list: missing"),
    ("activities:work", "modules", "no_such_module", "[activities:work] modules: cannot import 'no_such_module': No module named 'no_such_module'"),
    ("decider:flow", "greenlets", "2.5", "[decider:flow] greenlets: must be a positive integer, got '2.5'"),
    ("decider:flow", "class", "fleet_code.Nope", "[decider:flow] class: cannot import 'fleet_code.Nope': module 'fleet_code' has no attribute 'Nope'"),
    ("decider:flow", "class", "nowhere.Flow", "[decider:flow] class: cannot import 'nowhere.Flow': No module named 'nowhere'"),
    ("decider:flow", "class", "fleet_code.noop", "[decider:flow] class: cannot build fleet_code.noop(): noop() missing 1 required positional argument: 'payload'"),
    ("executions", "count", "-5", "[executions] count: must be a positive integer, got '-5'"),
    ("executions", "workflow", "other", "[executions] workflow: no [decider:other] section (deciders: 'flow')"),
    ("executions", "input", "{not json", "[executions] input: must be JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("executions", "input_factory", "fleet_code.noop", "[executions] input_factory: give input or input_factory, not both"),
    ("handlers", "log", "swf_gevent.handlers.Nope", "[handlers] log: cannot import 'swf_gevent.handlers.Nope': module 'swf_gevent.handlers' has no attribute 'Nope'"),
]


@pytest.mark.parametrize(("section", "key", "value", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_bad_value_exits_2_with_one_line(tmp_path: Path, section: str, key: str, value: Optional[str], expected: str) -> None:
    """A bad or missing key exits 2 with one line naming the file, section and key."""
    path = _write(tmp_path, _changed(section, key, value))
    assert _run(path) == (2, [f"{path}: {expected}"])


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({k: v for k, v in GOOD.items() if k != "swf"}, "[swf]: missing section"),
        ({**GOOD, "activites:typo": {"task_list": "x"}}, "[activites:typo]: unknown section (expected [swf], [activities:<name>], [decider:<name>], [executions], [handlers])"),
        ({**GOOD, "activities:": {"task_list": "x"}}, "[activities:]: name the group: [activities:<name>]"),
        ({"swf": GOOD["swf"]}, "[swf]: nothing to run: add an [activities:<name>] or [decider:<name>] section"),
    ],
    ids=["missing-swf", "unknown-section", "unnamed-group", "nothing-to-run"],
)
def test_bad_section_exits_2_with_one_line(tmp_path: Path, sections: dict[str, Any], expected: str) -> None:
    """A missing, unknown or empty section exits 2 with one line naming the file and section."""
    path = _write(tmp_path, sections)
    assert _run(path) == (2, [f"{path}: {expected}"])


def test_unreadable_or_malformed_file_exits_2(tmp_path: Path) -> None:
    """A missing file, or one that is not ini, exits 2 with one line naming the file."""
    missing = str(tmp_path / "absent.ini")
    assert _run(missing) == (2, [f"{missing}: cannot read: No such file or directory"])
    broken = tmp_path / "broken.ini"
    broken.write_text("domain = d\n[swf]\n")
    code, lines = _run(str(broken))
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{broken}: File contains no section headers.")


def test_command_line_exit_status(tmp_path: Path) -> None:
    """``python -m swf_gevent.run`` itself exits 2 and prints the one line on stderr."""
    path = _write(tmp_path, _changed("activities:work", "greenlets", "0"))
    result = subprocess.run(
        [sys.executable, "-m", "swf_gevent.run", path],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{path}: [activities:work] greenlets: must be a positive integer, got '0'"]
    assert result.stdout == ""


