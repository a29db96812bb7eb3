"""The runner's config file: each mistake exits 2 with one line naming file, section and key."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf_gevent._config import load
from swf_gevent.run import main

CODE = """
from swf_gevent import workflow as wf
from swf_gevent.activities import activity


@activity("noop", version="1")
def noop(payload):
    return payload


class Flow:
    def decide(self, task):
        return []


def big_input(index):
    return "x" * 40_000


class Exploding:
    def __init__(self):
        raise RuntimeError("boom")


class NotAHandler:
    pass


class HalfHandler:
    def connect(self):
        pass


@wf.workflow("order", version="1", task_list="orders")
def order(ctx, o):
    return ctx.execute(noop, o)


@wf.workflow("ship", version="2", task_list="orders")
def ship(ctx, o):
    return o


@wf.workflow("elsewhere", version="1", task_list="other")
def elsewhere(ctx):
    return None


@wf.workflow("listless", version="1")
def listless(ctx):
    return None
"""

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
    (tmp_path / "broken_syntax.py").write_text("def broken(:\n")
    (tmp_path / "raises_on_import.py").write_text("raise RuntimeError('no database')\n")
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in keys.items()]
    path = tmp_path / "fleet.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _changed(section: str, key: str, value: str | None) -> dict[str, dict[str, str]]:
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
    assert [(g.name, g.task_list, g.slots, str(g.pollers)) for g in config.activities] == [("work", "work", 3, "1..3")]
    assert [d.key for d in config.activities[0].registry] == [("noop", "1")]
    assert type(config.deciders[0].decider).__name__ == "Flow"
    assert (config.slots, config.pollers) == (5, 5)
    assert config.executions is not None and config.executions.count == 4
    assert config.executions.input(0) == '{"n": 1}'
    assert [key for key, _ in config.handlers] == ["log"]


CASES = [
    # (section, key, value or None to delete, expected line after "<path>: ")
    ("swf", "domain", None, "[swf] domain: missing"),
    ("swf", "domain", "d" * 257, "[swf] domain: is 257 characters; SWF takes at most 256"),
    (
        "decider:flow",
        "workflow_version",
        "v" * 65,
        "[decider:flow] workflow_version: is 65 characters; SWF takes at most 64",
    ),
    (
        "swf",
        "domian",
        "d",
        "[swf] domian: unknown key (known: debug_loggers, domain, endpoint_url, hub_block_threshold, local_db, log_level, poll_timeout, processes, read_timeout, region, stop_timeout, unknown_domain_timeout)",
    ),
    (
        "swf",
        "endpoint_url",
        "somewhere",
        "[swf] endpoint_url: must be an http:// or https:// URL with a host, or 'local', got 'somewhere'",
    ),
    (
        "swf",
        "endpoint_url",
        "http://",
        "[swf] endpoint_url: must be an http:// or https:// URL with a host, or 'local', got 'http://'",
    ),
    (
        "swf",
        "endpoint_url",
        "ftp://example.com/swf",
        "[swf] endpoint_url: must be an http:// or https:// URL with a host, or 'local', got 'ftp://example.com/swf'",
    ),
    (
        "swf",
        "endpoint_url",
        "http://host:port",
        "[swf] endpoint_url: must be an http:// or https:// URL with a host, or 'local', got 'http://host:port': Port could not be cast to integer value as 'port'",
    ),
    ("swf", "region", "not a region!", "[swf] region: must be an AWS region such as 'us-east-1', got 'not a region!'"),
    (
        "swf",
        "local_db",
        "",
        "[swf] local_db: empty: give the database file, or leave the key out to keep state in memory",
    ),
    (
        "swf",
        "domain",
        "bad:name",
        "[swf] domain: must not contain ':' (SWF refuses ':', '/', '|' and control characters)",
    ),
    ("swf", "domain", "a/b", "[swf] domain: must not contain '/' (SWF refuses ':', '/', '|' and control characters)"),
    ("swf", "domain", "arn", "[swf] domain: must not be the literal string 'arn' (SWF refuses it)"),
    (
        "activities:work",
        "task_list",
        "a|b",
        "[activities:work] task_list: must not contain '|' (SWF refuses ':', '/', '|' and control characters)",
    ),
    (
        "decider:flow",
        "workflow_type",
        "x:y",
        "[decider:flow] workflow_type: must not contain ':' (SWF refuses ':', '/', '|' and control characters)",
    ),
    (
        "decider:flow",
        "workflow_version",
        "1/2",
        "[decider:flow] workflow_version: must not contain '/' (SWF refuses ':', '/', '|' and control characters)",
    ),
    ("swf", "poll_timeout", "61", "[swf] poll_timeout: must be at most 60 seconds, got '61'"),
    ("swf", "poll_timeout", "nan", "[swf] poll_timeout: must be a positive number of seconds, got 'nan'"),
    ("swf", "poll_timeout", "inf", "[swf] poll_timeout: must be a positive number of seconds, got 'inf'"),
    ("swf", "processes", "100000", "[swf] processes: must be at most 256, got '100000'"),
    ("activities:work", "greenlets", "100000", "[activities:work] greenlets: must be at most 10,000, got '100000'"),
    ("decider:flow", "greenlets", "10001", "[decider:flow] greenlets: must be at most 10,000, got '10001'"),
    (
        "executions",
        "count",
        "100000000000000000000",
        "[executions] count: must be at most 1,000,000, got '100000000000000000000'",
    ),
    (
        "decider:flow",
        "execution_timeout",
        "31536001",
        "[decider:flow] execution_timeout: must be at most 31,536,000, got '31536001'",
    ),
    ("activities:work", "modules", "fleet_code, json", "[activities:work] modules: no @activity functions in json"),
    (
        "activities:work",
        "modules",
        "broken_syntax",
        "[activities:work] modules: cannot import 'broken_syntax': SyntaxError: invalid syntax ({dir}/broken_syntax.py, line 1)",
    ),
    (
        "activities:work",
        "modules",
        "raises_on_import",
        "[activities:work] modules: cannot import 'raises_on_import': RuntimeError: no database",
    ),
    (
        "decider:flow",
        "class",
        "fleet_code.Exploding",
        "[decider:flow] class: cannot build fleet_code.Exploding(): RuntimeError: boom",
    ),
    (
        "handlers",
        "log",
        "fleet_code.NotAHandler",
        "[handlers] log: fleet_code.NotAHandler has no connect() nor disconnect() method",
    ),
    ("handlers", "log", "fleet_code.HalfHandler", "[handlers] log: fleet_code.HalfHandler has no disconnect() method"),
    ("swf", "poll_timeout", "soon", "[swf] poll_timeout: must be a positive number of seconds, got 'soon'"),
    ("swf", "log_level", "LOUD", "[swf] log_level: must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'LOUD'"),
    ("activities:work", "greenlets", "0", "[activities:work] greenlets: must be a positive integer, got '0'"),
    ("activities:work", "greenlets", "many", "[activities:work] greenlets: must be a positive integer, got 'many'"),
    ("activities:work", "task_list", None, "[activities:work] task_list: missing"),
    (
        "activities:work",
        "modules",
        "no_such_module",
        "[activities:work] modules: cannot import 'no_such_module': No module named 'no_such_module'",
    ),
    ("decider:flow", "greenlets", "2.5", "[decider:flow] greenlets: must be a positive integer, got '2.5'"),
    (
        "decider:flow",
        "class",
        "fleet_code.Nope",
        "[decider:flow] class: cannot import 'fleet_code.Nope': module 'fleet_code' has no attribute 'Nope'",
    ),
    (
        "decider:flow",
        "class",
        "nowhere.Flow",
        "[decider:flow] class: cannot import 'nowhere.Flow': No module named 'nowhere'",
    ),
    (
        "decider:flow",
        "class",
        "fleet_code.noop",
        "[decider:flow] class: cannot build fleet_code.noop(): TypeError: noop() missing 1 required positional argument: 'payload'",
    ),
    ("executions", "count", "-5", "[executions] count: must be a positive integer, got '-5'"),
    (
        "activities:work",
        "pollers",
        "1-3",
        "[activities:work] pollers: must be N or MIN..MAX (positive integers), got '1-3'",
    ),
    (
        "activities:work",
        "pollers",
        "3..1",
        "[activities:work] pollers: pollers maximum (1) must not be below the minimum (3)",
    ),
    (
        "activities:work",
        "pollers",
        "1..5",
        "[activities:work] pollers: maximum 5 is above slots (3): a poller polls only with a free slot",
    ),
    ("activities:work", "slots", "4", "[activities:work] greenlets: give slots (its new name) or greenlets, not both"),
    ("executions", "workflow", "other", "[executions] workflow: no [decider:other] section (deciders: 'flow')"),
    (
        "executions",
        "input",
        "{not json",
        "[executions] input: must be JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ),
    (
        "executions",
        "input_factory",
        "fleet_code.noop",
        "[executions] input_factory: give input or input_factory, not both",
    ),
    (
        "executions",
        "input",
        '"' + "x" * 32_767 + '"',
        "[executions] input: is 32769 characters; SWF takes at most 32768 characters",
    ),
    (
        "handlers",
        "log",
        "swf_gevent.handlers.Nope",
        "[handlers] log: cannot import 'swf_gevent.handlers.Nope': module 'swf_gevent.handlers' has no attribute 'Nope'",
    ),
]


@pytest.mark.parametrize(("section", "key", "value", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_bad_value_exits_2_with_one_line(
    tmp_path: Path, section: str, key: str, value: str | None, expected: str
) -> None:
    """A bad or missing key exits 2 with one line naming the file, section and key."""
    path = _write(tmp_path, _changed(section, key, value))
    assert _run(path) == (2, [f"{path}: {expected.format(dir=tmp_path)}"])


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({k: v for k, v in GOOD.items() if k != "swf"}, "[swf]: missing section"),
        (
            {**GOOD, "activites:typo": {"task_list": "x"}},
            "[activites:typo]: unknown section (expected [swf], [activities:<name>], [decider:<name>], [executions], [handlers], [payloads])",
        ),
        ({**GOOD, "activities:": {"task_list": "x"}}, "[activities:]: name the group: [activities:<name>]"),
        ({"swf": GOOD["swf"]}, "[swf]: nothing to run: add an [activities:<name>] or [decider:<name>] section"),
    ],
    ids=["missing-swf", "unknown-section", "unnamed-group", "nothing-to-run"],
)
def test_bad_section_exits_2_with_one_line(tmp_path: Path, sections: dict[str, Any], expected: str) -> None:
    """A missing, unknown or empty section exits 2 with one line naming the file and section."""
    path = _write(tmp_path, sections)
    assert _run(path) == (2, [f"{path}: {expected}"])


def test_local_db_expands_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``local_db = ~/x`` names a file in the home directory, as a shell would."""
    sys.path.insert(0, str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    good = {**GOOD, "swf": {**GOOD["swf"], "local_db": "~/state.sqlite3"}}
    assert load(_write(tmp_path, good)).local_db == str(tmp_path / "state.sqlite3")


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


def test_input_factory_result_over_swfs_limit_exits_2_at_the_first(tmp_path: Path) -> None:
    """An input_factory result longer than SWF takes stops the starts at the first: one line, exit 2."""
    sections = _changed("executions", "input", None)
    sections["executions"]["input_factory"] = "fleet_code.big_input"
    path = _write(tmp_path, sections)
    with gevent.Timeout(60):
        result = _run(path)
    assert result == (
        2,
        [
            f"{path}: [executions] input_factory: the input for execution 0 is 40002 characters as JSON; "
            "SWF takes at most 32768 characters"
        ],
    )


@pytest.fixture
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS_* variable, ~/.swf or ~/.aws; the new, empty HOME."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home


_NOT_A_URL = "is not an http:// or https:// URL with a host"


@pytest.mark.parametrize(
    ("ini", "environment", "swf_file", "expected"),
    [
        (
            {"region": "us-east-1"},
            {"AWS_ENDPOINT_URL_SWF": "ftp://x"},
            None,
            f"[swf] endpoint_url: not set here, and AWS_ENDPOINT_URL_SWF = 'ftp://x' {_NOT_A_URL}",
        ),
        (
            {"region": "us-east-1"},
            {"AWS_ENDPOINT_URL_SWF": "http://h:port"},
            None,
            f"[swf] endpoint_url: not set here, and AWS_ENDPOINT_URL_SWF = 'http://h:port' {_NOT_A_URL}: "
            "Port could not be cast to integer value as 'port'",
        ),
        (
            {"endpoint_url": "http://127.0.0.1:9"},
            {"AWS_DEFAULT_REGION": "bad region"},
            None,
            "[swf] region: not set here, and AWS_DEFAULT_REGION = 'bad region' is not an AWS region such as 'us-east-1'",
        ),
        (
            {"region": "us-east-1"},
            {},
            "[defaults]\nendpoint_url = ftp://x\n",
            f"[swf] endpoint_url: not set here, and {{home}}/.swf [defaults] endpoint_url = 'ftp://x' {_NOT_A_URL}",
        ),
    ],
    ids=["env-endpoint-scheme", "env-endpoint-port", "env-region", "swf-file-endpoint"],
)
def test_endpoint_and_region_from_elsewhere_are_checked_like_the_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    _home: Path,
    ini: dict[str, str],
    environment: dict[str, str],
    swf_file: str | None,
    expected: str,
) -> None:
    """An endpoint URL or region left to the environment or ~/.swf is checked as [swf]'s own: one line naming where it came from, exit 2."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if swf_file is not None:
        (_home / ".swf").write_text(swf_file)
        (_home / ".swf").chmod(0o600)
    sections = _changed("swf", "endpoint_url", None)
    sections["swf"].update(ini)
    path = _write(tmp_path, sections)
    with gevent.Timeout(30):
        result = _run(path)
    assert result == (2, [f"{path}: {expected.format(home=_home)}"])


def test_deprecated_domain_exits_2_naming_swf_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _home: Path, local_swf: Any, swf_client: Any
) -> None:
    """A domain that exists but is deprecated in SWF ends the run with one line naming [swf] domain, exit 2."""
    from swf.connection import call

    call(swf_client, "RegisterDomain", name="old", workflowExecutionRetentionPeriodInDays="1")
    call(swf_client, "DeprecateDomain", name="old")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    sections = _changed("swf", "domain", "old")
    sections["swf"].update(endpoint_url=local_swf.endpoint_url, region="us-east-1")
    path = _write(tmp_path, sections)
    with gevent.Timeout(30):
        result = _run(path)
    assert result == (
        2,
        [
            f"{path}: [swf] domain: domain 'old' is deprecated in SWF: it takes no new types, executions or tasks; "
            "name another domain"
        ],
    )


def test_non_utf8_or_binary_file_exits_2(tmp_path: Path) -> None:
    """A file that is not UTF-8 text exits 2 with one line naming the file and the offending byte."""
    latin = tmp_path / "latin.ini"
    latin.write_bytes("[swf]\ndomain = caf\xe9\n".encode("latin-1"))
    assert _run(str(latin)) == (2, [f"{latin}: not a UTF-8 text file (byte 0xe9 at offset 18)"])
    binary = tmp_path / "binary.ini"
    binary.write_bytes(bytes(range(256)))
    code, lines = _run(str(binary))
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{binary}: not a UTF-8 text file")


def test_inline_comments_need_whitespace_before_them(tmp_path: Path) -> None:
    """``#`` and ``;`` after whitespace start a comment; inside a value without whitespace before, they are kept."""
    sections = _changed("executions", "input", '{"note": "a;b#c"}   ; the input')
    sections["executions"]["count"] = "3   # three"
    sys.path.insert(0, str(tmp_path))
    config = load(_write(tmp_path, sections))
    assert config.executions is not None and config.executions.count == 3
    assert config.executions.input(0) == '{"note": "a;b#c"}'


WORKFLOW_GROUP = {**GOOD, "decider:flow": {"workflow": "fleet_code.order, fleet_code.ship", "greenlets": "2"}}


def test_workflow_group_loads_its_definitions(tmp_path: Path) -> None:
    """workflow = names @wf.workflow definitions: one decider for all, their task list, the type [executions] names."""
    sys.path.insert(0, str(tmp_path))
    sections = {**WORKFLOW_GROUP, "executions": {**GOOD["executions"], "workflow_type": "ship"}}
    config = load(_write(tmp_path, sections))
    [group] = config.deciders
    assert [w.key for w in group.workflows] == [("order", "1"), ("ship", "2")]
    assert (group.task_list, group.workflow_type, group.slots) == ("orders", "order", 2)
    assert type(group.decider).__name__ == "WorkflowDecider"
    assert config.executions is not None
    assert (config.executions.workflow.workflow_type, config.executions.workflow.workflow_version) == ("ship", "2")
    assert [d.key for d in group.workflows[0].activities()] == [("noop", "1")]


WORKFLOW_CASES = [
    # (the decider group's keys, [executions] keys added, expected line after "<path>: ")
    (
        {"workflow": "fleet_code.order", "class": "fleet_code.Flow"},
        {},
        "[decider:flow] class: give workflow = (@wf.workflow definitions) or class =, not both",
    ),
    (
        {"greenlets": "2"},
        {},
        "[decider:flow] workflow: missing: name @wf.workflow definitions (workflow =) or a decider class (class =)",
    ),
    (
        {"workflow": "fleet_code.noop"},
        {},
        "[decider:flow] workflow: fleet_code.noop is not a @wf.workflow definition (got function)",
    ),
    (
        {"workflow": "fleet_code.order fleet_code.nowhere"},
        {},
        "[decider:flow] workflow: cannot import 'fleet_code.nowhere': module 'fleet_code' has no attribute 'nowhere'",
    ),
    (
        {"workflow": "fleet_code.order fleet_code.order"},
        {},
        "[decider:flow] workflow: workflow type 'order' version '1' is named twice",
    ),
    (
        {"workflow": "fleet_code.order fleet_code.elsewhere"},
        {},
        "[decider:flow] task_list: missing: the workflows name 'orders', 'other'",
    ),
    ({"workflow": "fleet_code.listless"}, {}, "[decider:flow] task_list: missing: no workflow names one"),
    (
        {"workflow": "fleet_code.order", "task_list": "mine"},
        {},
        "[decider:flow] task_list: is 'mine', but workflow 'order' names task list 'orders'",
    ),
    (
        {"workflow": "fleet_code.order", "workflow_type": "order"},
        {},
        "[decider:flow] workflow_type: comes from the @wf.workflow definitions in a workflow = group",
    ),
    (
        {"workflow": "fleet_code.order fleet_code.ship"},
        {},
        "[executions] workflow_type: missing: [decider:flow] runs 'order', 'ship'; name one",
    ),
    (
        {"workflow": "fleet_code.order"},
        {"workflow_type": "ship"},
        "[executions] workflow_type: [decider:flow] runs no 'ship' (it runs 'order')",
    ),
    (
        GOOD["decider:flow"],
        {"workflow_type": "flow"},
        "[executions] workflow_type: [decider:flow] is a class = group: it runs one type",
    ),
]


@pytest.mark.parametrize(("group", "executions", "expected"), WORKFLOW_CASES, ids=[c[2][:40] for c in WORKFLOW_CASES])
def test_bad_workflow_group_exits_2_with_one_line(
    tmp_path: Path, group: dict[str, str], executions: dict[str, str], expected: str
) -> None:
    """A workflow = group with both keys, neither, a bad path or task lists that disagree exits 2 with one line."""
    sections = {**GOOD, "decider:flow": group, "executions": {**GOOD["executions"], **executions}}
    path = _write(tmp_path, sections)
    assert _run(path) == (2, [f"{path}: {expected}"])


def test_payloads_section_configures_every_actor_and_names_bad_keys(tmp_path: Path) -> None:
    """[payloads] gives the config's Payloads; a bad key exits 2 with one line naming file, section and key."""
    sections = {name: dict(keys) for name, keys in GOOD.items()}
    sections["payloads"] = {"compression": "zlib", "store": "directory", "path": str(tmp_path / "store")}
    sys.path.insert(0, str(tmp_path))
    config = load(_write(tmp_path, sections))
    assert [c.codec_id for c in config.payloads.codecs] == ["z"] and config.payloads.store is not None
    sections["payloads"] = {"store": "s3"}
    path = _write(tmp_path, sections)
    assert _run(path) == (2, [f"{path}: [payloads] bucket: store = s3 needs a bucket"])
