"""Replaying a decider over saved histories: the API and ``python -m swf.replay``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf import replay as rp
from swf.connection import call
from swf.exceptions import ValidationError
from swf.models import DecisionTask, ExecutionRef, History
from swf.models import decisions as d
from tests.swf._history_events import HistoryBuilder, LocalFlow
from tests.swf._replay_deciders import (
    BadDecider,
    ChangedDecider,
    IdEcho,
    OtherIdDecider,
    OtherInputDecider,
    OtherVersionDecider,
    RetryDecider,
)

ROOT = Path(__file__).resolve().parent.parent.parent


def _retried_history() -> HistoryBuilder:
    """fetch fails once, then completes; the workflow completes with its result."""
    b = HistoryBuilder(workflow_input="url")
    b.complete_decision()
    s1 = b.schedule_activity("fetch", input="url")
    b.add("ActivityTaskFailed", scheduledEventId=s1, startedEventId=b.start_activity(s1), reason="503")
    b.start_decision()
    b.complete_decision()
    s2 = b.schedule_activity("fetch", input="url")
    b.add("ActivityTaskCompleted", scheduledEventId=s2, startedEventId=b.start_activity(s2), result="body")
    b.start_decision()
    return b


def test_replay_gives_the_decisions_for_the_latest_task() -> None:
    """At the end of the history the decider completes with the activity's result."""
    history = History.from_events(_retried_history().events)
    assert rp.replay(history, RetryDecider()) == [d.complete_workflow_execution("body")]


def test_replay_at_an_earlier_decision_point() -> None:
    """Replaying at an earlier DecisionTaskStarted sees only the events up to it."""
    history = History.from_events(_retried_history().events)
    starts = [e.event_id for e in history.filter("DecisionTaskStarted")]
    assert rp.replay(history, RetryDecider(), at=starts[0]) == [
        d.schedule_activity_task("fetch", ("work", "1"), input="url")
    ]
    task = rp.task_for(history, at=starts[1])
    assert task.history.last_event_id == starts[1]
    assert task.previous_started_event_id == starts[0]
    assert task.workflow_type == ("flow", "1") and task.workflow_execution == rp.REPLAY_EXECUTION
    with pytest.raises(ValidationError, match="event 5 is not a DecisionTaskStarted event"):
        rp.replay(history, RetryDecider(), at=5)


def test_replay_each_compares_with_recorded_decisions() -> None:
    """Every decision point is replayed; an unchanged decider matches what the history recorded."""
    history = History.from_events(_retried_history().events)
    steps = rp.replay_each(history, RetryDecider())
    assert [s.started_event_id for s in steps] == [3, 9, 15]
    assert [s.recorded_decision_types for s in steps] == [["ScheduleActivityTask"], ["ScheduleActivityTask"], []]
    assert [s.matches for s in steps] == [True, True, False]  # the last task was never answered
    changed = rp.replay_each(history, ChangedDecider())
    assert [s.matches for s in changed] == [False, False, False]


def test_replay_refuses_invalid_decisions() -> None:
    """A decider's over-long field is caught by replay, as it would be before sending."""
    history = History.from_events(_retried_history().events)
    with pytest.raises(ValidationError, match="decisions\\[0\\]: StartTimer: timerId is 300 characters"):
        rp.replay(history, BadDecider())


def test_replay_from_a_saved_poll_keeps_the_task_ids(tmp_path: Path) -> None:
    """A saved decision task (poll answer) replays with its own workflow and run ids."""
    b = _retried_history()
    task = DecisionTask.from_pages(
        [
            {
                "taskToken": "tok",
                "startedEventId": 15,
                "previousStartedEventId": 9,
                "workflowExecution": {"workflowId": "job", "runId": "r1"},
                "workflowType": {"name": "flow", "version": "1"},
                "events": b.events,
            }
        ]
    )
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task.to_document()))
    assert rp.replay(path, IdEcho()) == [d.complete_workflow_execution("job/r1/9")]
    given = ExecutionRef("other", "r2")
    assert rp.replay(History.from_events(b.events), IdEcho(), workflow_execution=given) == [
        d.complete_workflow_execution("other/r2/9")
    ]


def test_load_decider_specs() -> None:
    """module:Class is instantiated, module:instance used as is; bad specs say what is wrong."""
    assert isinstance(rp.load_decider("tests.swf._replay_deciders:RetryDecider"), RetryDecider)
    assert isinstance(rp.load_decider("tests.swf._replay_deciders:instance"), RetryDecider)
    for spec, message in [
        ("no_colon", "module:Name"),
        ("no_such_module_xyz:A", "cannot import"),
        ("tests.swf._replay_deciders:Missing", "has no 'Missing'"),
        ("tests.swf._replay_deciders:NeedsArguments", "cannot create the decider with no arguments"),
        ("tests.swf._replay_deciders:MAX_ATTEMPTS", "has no decide"),
    ]:
        with pytest.raises(ValidationError, match=message):
            rp.load_decider(spec)


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "swf.replay", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_command_prints_decisions_as_json(tmp_path: Path) -> None:
    """python -m swf.replay FILE module:Class prints the decisions; --each prints every step."""
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli(str(path), "tests.swf._replay_deciders:RetryDecider")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [d.complete_workflow_execution("body")]
    each = _run_cli(str(path), "tests.swf._replay_deciders:RetryDecider", "--each")
    assert each.returncode == 0, each.stderr
    steps = json.loads(each.stdout)
    assert [(s["startedEventId"], s["matches"]) for s in steps] == [(3, True), (9, True), (15, False)]
    assert steps[0]["decisions"] == [d.schedule_activity_task("fetch", ("work", "1"), input="url")]


def test_command_reports_a_truncated_file(tmp_path: Path) -> None:
    """A truncated history file ends the command with status 2 and the position of the error."""
    path = tmp_path / "cut.json"
    text = History.from_events(_retried_history().events).to_json()
    cut = text[: text.index(",", 150) + 1]  # ends after a comma: the error is at the very end
    path.write_text(cut)
    done = _run_cli(str(path), "tests.swf._replay_deciders:RetryDecider")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{path}: invalid JSON at line" in done.stderr and f"(char {len(cut)})" in done.stderr


def test_replay_matches_a_live_run(swf_client: Any, domain_name: str, tmp_path: Path) -> None:
    """Decisions made live on the local endpoint are exactly what replaying the saved history gives."""
    flow = LocalFlow(swf_client, domain_name)
    decider = RetryDecider()
    live: list[list[dict[str, Any]]] = []
    outcomes = iter([("fail", "503"), ("fail", "504"), ("complete", "body")])
    with gevent.Timeout(30):
        run_id = flow.start("job", input="url")
        while True:
            task = flow.poll()
            decisions = decider.decide(task)
            live.append(decisions)
            flow.respond(task, decisions)
            if decisions[0]["decisionType"] != "ScheduleActivityTask":
                break
            while True:
                activity = call(
                    swf_client, "PollForActivityTask", domain=flow.domain, taskList={"name": f"{flow.domain}-workers"}
                )
                if activity.get("taskToken"):
                    break
            assert activity["input"] == "url"
            kind, value = next(outcomes)
            if kind == "fail":
                call(swf_client, "RespondActivityTaskFailed", taskToken=activity["taskToken"], reason=value)
            else:
                call(swf_client, "RespondActivityTaskCompleted", taskToken=activity["taskToken"], result=value)
        saved = flow.history("job", run_id)
    assert live[-1] == [d.complete_workflow_execution("body")]
    path = tmp_path / "live.json"
    path.write_text(saved.to_json())
    steps = rp.replay_each(path, RetryDecider())
    assert [s.decisions for s in steps] == live
    assert all(s.matches for s in steps)
    assert saved.state.activities["fetch"].times_scheduled == 3


def test_command_reports_a_raising_decider_in_one_line(tmp_path: Path) -> None:
    """A decider that raises ends the command with status 1 and one line: decider, event id, error; no traceback."""
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    spec = "tests.swf._replay_deciders:Raising"
    done = _run_cli(str(path), spec)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"swf.replay: decider {spec} raised at DecisionTaskStarted event 15: "
        "KeyError: 'no such activity: merge' (--traceback prints where)"
    ]
    each = _run_cli(str(path), spec, "--each")
    assert each.returncode == 1
    assert each.stderr.splitlines()[-1].startswith(
        f"swf.replay: decider {spec} raised at DecisionTaskStarted event 9: "
    )


def test_command_traceback_flag_shows_only_the_deciders_frames(tmp_path: Path) -> None:
    """With --traceback the decider's own frames are printed before the line, without runpy's or the command's."""
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli(str(path), "tests.swf._replay_deciders:Raising", "--traceback")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "_second_decision" in done.stderr and "_replay_deciders.py" in done.stderr
    assert "runpy" not in done.stderr and os.path.join("swf", "replay.py") not in done.stderr
    assert lines[-1].startswith(
        "swf.replay: decider tests.swf._replay_deciders:Raising raised at DecisionTaskStarted event 15: KeyError"
    )


def _run_cli_with(module_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(module_dir), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-m", "swf.replay", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize(
    ("source", "spec", "line"),
    [
        ("def broken(:\n", "syntaxmod:D", "swf.replay: cannot import 'syntaxmod': SyntaxError: "),
        (
            "raise RuntimeError('no config')\n",
            "raisingmod:D",
            "swf.replay: cannot import 'raisingmod': RuntimeError: no config",
        ),
        (
            "class D:\n    def __init__(self):\n        raise KeyError('table')\n    def decide(self, t):\n        return []\n",
            "initmod:D",
            "swf.replay: initmod:D: creating the decider raised KeyError: 'table'",
        ),
    ],
)
def test_command_reports_a_decider_that_cannot_load_in_one_line(
    tmp_path: Path, source: str, spec: str, line: str
) -> None:
    """A decider module with a syntax error, raising on import, or whose __init__ raises: one line, status 2."""
    (tmp_path / f"{spec.partition(':')[0]}.py").write_text(source)
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli_with(tmp_path, str(path), spec)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(line), done.stderr


def test_command_reports_deeply_nested_json_naming_the_file(tmp_path: Path) -> None:
    """A history file nested deeper than Python can decode: one line naming the file, status 2."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    done = _run_cli(str(path), "tests.swf._replay_deciders:RetryDecider")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"swf.replay: {path}: JSON nested too deeply to read"]


def test_command_each_exits_1_when_an_answered_point_does_not_match(tmp_path: Path) -> None:
    """--each prints every step and ends with status 1 when an answered decision point does not match."""
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli(str(path), "tests.swf._replay_deciders:ChangedDecider", "--each")
    assert done.returncode == 1
    assert [s["matches"] for s in json.loads(done.stdout)] == [False, False, False]
    assert done.stderr.splitlines() == [
        "swf.replay: DecisionTaskStarted event 3: decision count: recorded 1 (ScheduleActivityTask),"
        " now 2 (RecordMarker, ScheduleActivityTask)",
        "swf.replay: DecisionTaskStarted event 9: decision count: recorded 1 (ScheduleActivityTask),"
        " now 2 (RecordMarker, ScheduleActivityTask)",
        "swf.replay: some decision points do not match what was recorded",
    ]


@pytest.mark.parametrize(
    ("decider", "difference"),
    [
        (OtherIdDecider, "activityId: recorded 'fetch', now 'fetch-2'"),
        (OtherInputDecider, "input: recorded 'url', now '" + "y" * 54 + "...y'"),  # cut to 60 characters
        (
            OtherVersionDecider,
            "activityType: recorded {'name': 'work', 'version': '1'}, now {'name': 'work', 'version': '2'}",
        ),
    ],
)
def test_replay_each_compares_whole_decisions(decider: type[RetryDecider], difference: str) -> None:
    """A decider scheduling the same activity type with another id, input or version no longer matches, saying where."""
    history = History.from_events(_retried_history().events)
    steps = rp.replay_each(history, decider())
    assert [s.matches for s in steps[:2]] == [False, False]
    assert steps[0].difference == f"decision 1 (ScheduleActivityTask): {difference}"
    assert rp.replay_each(history, RetryDecider())[0].difference is None


def test_command_each_prints_the_field_that_differs(tmp_path: Path) -> None:
    """--each exits 1 for a changed activity id and prints which decision, which field, recorded and now."""
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli(str(path), "tests.swf._replay_deciders:OtherIdDecider", "--each")
    assert done.returncode == 1
    steps = json.loads(done.stdout)
    assert steps[0]["difference"] == "decision 1 (ScheduleActivityTask): activityId: recorded 'fetch', now 'fetch-2'"
    assert done.stderr.splitlines()[0] == (
        "swf.replay: DecisionTaskStarted event 3: decision 1 (ScheduleActivityTask):"
        " activityId: recorded 'fetch', now 'fetch-2'"
    )


def test_command_reports_a_decider_returning_a_non_list(tmp_path: Path) -> None:
    """A decider returning 42 is reported as returning 42, not as a TypeError, with status 1."""
    (tmp_path / "intmod.py").write_text("class D:\n    def decide(self, t):\n        return 42\n")
    path = tmp_path / "history.json"
    path.write_text(History.from_events(_retried_history().events).to_json())
    done = _run_cli_with(tmp_path, str(path), "intmod:D")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "swf.replay: decider intmod:D returned 42, not a list of decisions, at DecisionTaskStarted event 15"
    ]
