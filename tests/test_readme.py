"""README.rst's commands agree with CI and with the runner."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gevent

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


def _section(title: str) -> str:
    """The text of the README section titled ``title``, up to the next section."""
    underline = "-" * len(title)
    body = README.split(f"\n{title}\n{underline}\n", 1)[1]
    return re.split(r"\n[^\n]+\n-{3,}\n", body, maxsplit=1)[0]


def test_readme_lists_every_signal_of_the_catalogue() -> None:
    """Every signal in ``swf_gevent.signals.__all__`` is named, in full, in the README's signal section."""
    from blinker import NamedSignal

    from swf_gevent import signals

    section = _section("Signals and handlers")
    names = [name for name in signals.__all__ if isinstance(getattr(signals, name), NamedSignal)]
    assert "hub_blocked" in names and "actor_crashed" in names
    missing = [name for name in names if f"``{name}``" not in section]
    assert missing == []


def test_readme_points_to_the_signal_docstring() -> None:
    """The README names the attribute that holds a signal's documentation, and that attribute holds it."""
    from swf_gevent import signals

    assert "``signals.actor_started.__doc__``" in README
    assert "Sender: the actor" in (signals.actor_started.__doc__ or "")


def _code_block(marker: str) -> str:
    """The README literal block (``::`` then indented lines) that contains ``marker``, dedented."""
    import textwrap

    for block in re.findall(r"::\n\n((?:(?: {4}.*)?\n)+)", README):
        if marker in block:
            return textwrap.dedent(block)
    raise AssertionError(f"no literal block of README.rst contains {marker!r}")


def test_readme_local_endpoint_example_runs(capsys: Any) -> None:
    """The README's ``with LocalSWF(...)`` example imports what it uses, keeps the ``swf`` name free, and prints a URL."""
    code = _code_block("with LocalSWF(")
    assert "from swf_gevent.local import LocalSWF" in code
    assert " as swf:" not in code
    exec(compile(code, "README.rst", "exec"), {})
    assert capsys.readouterr().out.startswith("http://127.0.0.1:")


def test_readme_worker_example_patches_first() -> None:
    """The README's greenlet worker example starts with gevent's monkey.patch_all(), before any other import."""
    code = _code_block("GreenletActivityWorker(")
    statements = [line for line in code.splitlines() if line.strip()]
    assert statements[:2] == ["from gevent import monkey", statements[1]]
    assert statements[1].startswith("monkey.patch_all()")


def test_gitignore_ignores_the_readme_virtualenv() -> None:
    """The virtualenv the Quickstart creates (``venv``) is ignored by git, as a directory or a link to one."""
    assert "python3 -m venv venv" in README
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "venv" in ignored  # no trailing slash: "venv/" would not match a symbolic link


def _pipeline() -> Any:
    """An instance of the README's example ``Pipeline`` decider, from its own code block."""
    namespace: dict[str, Any] = {}
    exec(compile(_code_block("class Pipeline"), "README.rst", "exec"), namespace)
    return namespace["Pipeline"]()


def _run_pipeline(client: Any, domain: str, register_fetch: bool) -> dict[str, Any]:
    """Run one execution driven by the README's Pipeline (and a worker answering ``fetch``); its last event's attributes."""
    from swf.actors import ActivityWorker, Decider
    from swf.connection import call

    call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
    call(
        client,
        "RegisterWorkflowType",
        domain=domain,
        name="flow",
        version="1",
        defaultTaskList={"name": "deciders"},
        defaultChildPolicy="TERMINATE",
        defaultExecutionStartToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="30",
    )
    if register_fetch:
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name="Fetch",
            version="1.0",
            defaultTaskList={"name": "workers"},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskHeartbeatTimeout="NONE",
        )
    run_id = call(
        client,
        "StartWorkflowExecution",
        domain=domain,
        workflowId="readme",
        workflowType={"name": "flow", "version": "1"},
        input="http://example.invalid/",
    )["runId"]
    decider, worker, pipeline = (
        Decider(domain, "deciders", client=client),
        ActivityWorker(domain, "workers", client=client),
        _pipeline(),
    )
    with gevent.Timeout(30):
        while True:
            described = call(
                client, "DescribeWorkflowExecution", domain=domain, execution={"workflowId": "readme", "runId": run_id}
            )
            if described["executionInfo"]["executionStatus"] == "CLOSED":
                break
            task = decider.poll()
            if task is not None:
                decider.complete(task.task_token, pipeline.decide(task))
                if register_fetch and task.history.state.activities.get("fetch") is None:
                    activity = None
                    while activity is None:
                        activity = worker.poll()
                    worker.complete(activity.task_token, f"body of {activity.input}")
    history = call(
        client,
        "GetWorkflowExecutionHistory",
        domain=domain,
        reverseOrder=True,
        maximumPageSize=1,
        execution={"workflowId": "readme", "runId": run_id},
    )
    event = history["events"][0]
    return {"type": event["eventType"], **next(v for k, v in event.items() if k.endswith("EventAttributes"))}


def test_readme_pipeline_fails_the_execution_when_fetch_cannot_be_scheduled(swf_client: Any, domain_name: str) -> None:
    """The README's Pipeline fails its execution with SWF's cause when ``fetch`` cannot be scheduled, instead of hanging."""
    closed = _run_pipeline(swf_client, domain_name, register_fetch=False)
    assert closed["type"] == "WorkflowExecutionFailed"
    assert (closed["reason"], closed["details"]) == ("fetch SCHEDULE_FAILED", "ACTIVITY_TYPE_DOES_NOT_EXIST")


def test_readme_pipeline_completes_with_the_fetched_result(swf_client: Any, domain_name: str) -> None:
    """The README's Pipeline completes its execution with ``fetch``'s result."""
    closed = _run_pipeline(swf_client, domain_name, register_fetch=True)
    assert closed == {
        "type": "WorkflowExecutionCompleted",
        "result": "body of http://example.invalid/",
        "decisionTaskCompletedEventId": closed["decisionTaskCompletedEventId"],
    }


def test_readme_credentials_then_retries_examples_run_in_sequence(local_swf: Any) -> None:
    """The Credentials example then the Retries example run as one session against a local endpoint, output as shown."""
    import doctest

    from swf.connection import reset_default_client
    from swf.credentials import clear_aws_credentials

    text = _section("Credentials") + _section("Retries")
    text = text.replace("http://127.0.0.1:8765", local_swf.endpoint_url)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.rst", "README.rst", 0)
    assert len(test.examples) >= 9
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    try:
        with gevent.Timeout(30):
            results = runner.run(test, out=lambda report: None)
    finally:
        clear_aws_credentials()
        reset_default_client()
    assert (results.failed, results.attempted) == (0, len(test.examples))


def test_readme_names_the_actor_state_members_and_hub_monitor_path() -> None:
    """The README's actor states are ActorState's member names, and HubMonitor is given by its import path."""
    from swf_gevent.actors import ActorState
    from swf_gevent.hub_monitor import HubMonitor

    section = _section("Actors")
    assert "``swf_gevent.hub_monitor.HubMonitor(threshold).start()``" in section and HubMonitor is not None
    states = "``, ``".join(member.name for member in ActorState)
    assert states in " ".join(section.split()).replace("``,\n``", "``, ``")
