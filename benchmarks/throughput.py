"""Activity tasks per second and CPU per task: the toolkit's workers against a plain boto3 loop.

A local SWF endpoint runs in its own process (``python -m swf_gevent.local``).
Before each row, this script loads a fresh task list with ``--tasks``
activity tasks (executions whose first decision schedules 100 each). Then
a fresh Python process drains it with ``--workers`` pollers and measures,
from its first poll to its last task answered, the wall time and its own
CPU time (user + system): tasks per second, and CPU per task in ms (the
client's process only; the endpoint's CPU is not counted). Each task's
input is a small JSON object that the worker decodes and sends back
encoded as its result.

Rows (each the median of ``--repeat`` runs):

- ``toolkit slots``: gevent-patched; ONE ``GreenletActivityWorker`` with
  ``--workers`` slots and self-scaling pollers 1..``--workers``
  (:mod:`swf_gevent.pollers`), on a client from
  :func:`swf.connection.make_client`.
- ``toolkit greenlets`` (the old layout, one poll per slot): gevent-patched;
  ``GreenletActivityWorker`` of one slot x workers sharing one client from :func:`swf.connection.make_client`
  (the activity function returns its input).
- ``plain greenlets`` (its baseline): gevent-patched; greenlets each
  running ``poll_for_activity_task`` / ``respond_activity_task_completed``
  on one shared ``boto3.client("swf")`` (with ``make_client``'s botocore
  settings: pool, timeouts, no botocore retries), ``json.loads`` /
  ``json.dumps`` in between.
- ``toolkit threads``: no gevent; OS threads each running the synchronous
  ``swf.actors.ActivityWorker`` (``poll()`` / ``complete()``) on one
  shared client from ``make_client``.
- ``plain threads`` (its baseline): no gevent; the plain loop in OS threads.

The last column is the CPU per task against the baseline of the same
concurrency model. Run by hand from the repository root::

    python benchmarks/throughput.py [--tasks 2000] [--workers 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _endpoint import start_endpoint

DOMAIN = "throughput-bench"
ACTIVITY = {"name": "echo", "version": "1"}
WORKFLOW = {"name": "feed", "version": "1"}
VARIANTS = ("toolkit-slots", "toolkit-greenlets", "plain-greenlets", "toolkit-threads", "plain-threads")
BASELINE = {
    "toolkit-slots": "plain-greenlets",
    "toolkit-greenlets": "plain-greenlets",
    "toolkit-threads": "plain-threads",
}
_PER_EXECUTION = 100  # activity tasks each execution schedules


def _plain_client(url: str, workers: int) -> Any:
    import boto3
    from botocore.config import Config

    # make_client's botocore settings, so that the rows differ only by the toolkit's layer
    config = Config(
        max_pool_connections=workers + 4,
        read_timeout=30,
        connect_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.client(
        "swf",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=config,
    )


def _toolkit_client(url: str, workers: int) -> Any:
    from swf.connection import make_client

    return make_client(
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        max_pool_connections=workers + 4,
        read_timeout=30,
        poll_hold=1.0,  # the endpoint's poll timeout (start_endpoint(1.0))
    )


def setup(url: str) -> Any:
    """Register the domain and types; the feeder's client."""
    client = _plain_client(url, 4)
    client.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    client.register_workflow_type(
        domain=DOMAIN,
        **WORKFLOW,
        defaultTaskList={"name": "feed"},
        defaultExecutionStartToCloseTimeout="3600",
        defaultTaskStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    client.register_activity_type(
        domain=DOMAIN,
        **ACTIVITY,
        defaultTaskList={"name": "unused"},
        defaultTaskStartToCloseTimeout="600",
        defaultTaskScheduleToStartTimeout="NONE",
        defaultTaskScheduleToCloseTimeout="NONE",
        defaultTaskHeartbeatTimeout="NONE",
    )
    return client


def load(client: Any, task_list: str, tasks: int) -> None:
    """Put ``tasks`` activity tasks on ``task_list``: executions whose first decision schedules them."""
    executions = -(-tasks // _PER_EXECUTION)
    for e in range(executions):
        client.start_workflow_execution(domain=DOMAIN, workflowId=f"{task_list}-{e}", workflowType=WORKFLOW)
    left = tasks
    for _ in range(executions):
        task = client.poll_for_decision_task(domain=DOMAIN, taskList={"name": "feed"})
        count = min(left, _PER_EXECUTION)
        left -= count
        decisions = [
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityId": f"a{i}",
                    "activityType": ACTIVITY,
                    "taskList": {"name": task_list},
                    "input": json.dumps({"index": i, "text": "some words to send back"}),
                },
            }
            for i in range(count)
        ]
        client.respond_decision_task_completed(taskToken=task["taskToken"], decisions=decisions)


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def measure(
    variant: str, url: str, task_list: str, tasks: int, workers: int, profile: bool = False
) -> dict[str, float]:
    """In a fresh process: drain ``tasks`` tasks from ``task_list`` with ``workers`` pollers of ``variant``.

    With ``profile``, the figures also hold ``"profile:<package>"``: ms of
    own time per task in that package's functions (cProfile; greenlet rows
    only, as it sees one thread).
    """
    greenlets = variant.endswith(("greenlets", "slots"))
    if greenlets:
        from gevent import monkey

        monkey.patch_all()
    import threading

    done = threading.Event()
    answered = [0]
    lock = threading.Lock()

    def count_one() -> None:
        with lock:
            answered[0] += 1
            if answered[0] == tasks:
                done.set()

    client = _toolkit_client(url, workers) if variant.startswith("toolkit") else _plain_client(url, workers)
    start: list[Callable[[], Any]] = []
    if variant in ("toolkit-greenlets", "toolkit-slots"):
        from swf_gevent import signals
        from swf_gevent.activities import ActivityRegistry, activity
        from swf_gevent.actors import GreenletActivityWorker

        @activity("echo", version="1")
        def echo(payload: Any) -> Any:
            return payload

        registry = ActivityRegistry.from_modules([_module_of(echo)])

        def on_completed(sender: Any, **payload: Any) -> None:
            count_one()

        signals.activity_task_completed.connect(on_completed, weak=False)
        if variant == "toolkit-slots":
            actors = [
                GreenletActivityWorker(DOMAIN, task_list, registry, client=client, slots=workers, pollers=(1, workers))
            ]
        else:
            actors = [
                GreenletActivityWorker(DOMAIN, task_list, registry, client=client, identity=f"w{i}")
                for i in range(workers)
            ]
        start = [actor.start for actor in actors]
    elif variant == "toolkit-threads":
        from swf.actors import ActivityWorker

        def toolkit_loop(index: int) -> None:
            worker = ActivityWorker(DOMAIN, task_list, client=client, identity=f"w{index}")
            while True:
                task = worker.poll()
                if task is not None:
                    worker.complete(task.task_token, json.dumps(json.loads(task.input or "null")))
                    count_one()

        start = [threading.Thread(target=toolkit_loop, args=(i,), daemon=True).start for i in range(workers)]
    else:

        def plain_loop(index: int) -> None:
            while True:
                task = client.poll_for_activity_task(domain=DOMAIN, taskList={"name": task_list}, identity=f"w{index}")
                if task.get("taskToken"):
                    result = json.dumps(json.loads(task["input"]))
                    client.respond_activity_task_completed(taskToken=task["taskToken"], result=result)
                    count_one()

        if greenlets:
            import gevent

            start = [partial(gevent.spawn, plain_loop, i) for i in range(workers)]
        else:
            start = [threading.Thread(target=plain_loop, args=(i,), daemon=True).start for i in range(workers)]
    client.list_domains(registrationStatus="REGISTERED")  # the client's first-call setup, outside the window
    profiler = cProfile.Profile() if profile else None
    cpu, began = _cpu_seconds(), time.monotonic()
    if profiler is not None:
        profiler.enable()
    for begin in start:
        begin()
    if not done.wait(600):
        raise SystemExit(f"only {answered[0]} of {tasks} tasks answered in 600 s")
    if profiler is not None:
        profiler.disable()
    elapsed, cpu = time.monotonic() - began, _cpu_seconds() - cpu
    figures = {"tasks_per_second": tasks / elapsed, "cpu_ms_per_task": 1000 * cpu / tasks, "seconds": elapsed}
    if profiler is not None:
        for package, seconds in _by_package(profiler).items():
            figures[f"profile:{package}"] = 1000 * seconds / tasks
    return figures


_PACKAGES = ("swf_gevent", "swf", "botocore", "urllib3", "gevent", "http", "json", "blinker")


def _by_package(profiler: cProfile.Profile) -> dict[str, float]:
    """Seconds of own time (cProfile's tottime) by package of the function's file."""
    totals: dict[str, float] = {}
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, tottime, _, _) in stats.items():
        parts = Path(filename).parts
        package = next((name for name in _PACKAGES if name in parts or f"{name}.py" in parts), "other")
        totals[package] = totals.get(package, 0.0) + tottime
    return totals


def _module_of(*functions: Any) -> Any:
    """A module holding ``functions``, for :meth:`ActivityRegistry.from_modules`."""
    import types

    module = types.ModuleType("throughput_activities")
    for function in functions:
        setattr(module, function.__name__, function)
    return module


def run_row(
    variant: str, url: str, task_list: str, tasks: int, workers: int, profile: bool = False
) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", variant, url, task_list, str(tasks), str(workers), str(int(profile))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    if result.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        variant, url, task_list, tasks, workers, profile = sys.argv[2:8]
        print(json.dumps(measure(variant, url, task_list, int(tasks), int(workers), profile == "1")), flush=True)
        os._exit(0)  # without waiting for the polls under way
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000, help="activity tasks per run (default 2000)")
    parser.add_argument("--workers", type=int, default=20, help="pollers per run (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is shown (default 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated rows to run")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead: one cProfile'd run of each greenlet row, own time per task by package",
    )
    args = parser.parse_args()
    if args.profile:
        return profile_rows(args.tasks, args.workers)
    endpoint, url = start_endpoint(1.0)
    try:
        feeder = setup(url)
        results: dict[str, dict[str, float]] = {}
        for variant in args.variants.split(","):
            runs = []
            for _ in range(args.repeat):
                task_list = f"{variant}-{uuid.uuid4().hex[:8]}"
                load(feeder, task_list, args.tasks)
                runs.append(run_row(variant, url, task_list, args.tasks, args.workers))
            results[variant] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"Activity tasks drained by {args.workers} pollers, {args.tasks} tasks per run, median of {args.repeat}; "
            f"endpoint in another process; {os.cpu_count()} cores"
        )
        print(f"{'variant':<18} {'tasks/s':>9} {'CPU ms/task':>12} {'vs baseline':>12}")
        for variant, figures in results.items():
            base = results.get(BASELINE.get(variant, ""))
            ratio = f"{figures['cpu_ms_per_task'] / base['cpu_ms_per_task']:.2f}x" if base else "(baseline)"
            print(f"{variant:<18} {figures['tasks_per_second']:>9.0f} {figures['cpu_ms_per_task']:>12.3f} {ratio:>12}")
    finally:
        endpoint.terminate()
        endpoint.wait(30)
    return 0


def profile_rows(tasks: int, workers: int) -> int:
    """Print where the client's CPU goes, by package, for the two greenlet rows (one cProfile'd run each)."""
    endpoint, url = start_endpoint(1.0)
    try:
        feeder = setup(url)
        rows = {}
        for variant in ("toolkit-greenlets", "plain-greenlets"):
            task_list = f"{variant}-{uuid.uuid4().hex[:8]}"
            load(feeder, task_list, tasks)
            rows[variant] = run_row(variant, url, task_list, tasks, workers, profile=True)
    finally:
        endpoint.terminate()
        endpoint.wait(30)
    packages = sorted({key for figures in rows.values() for key in figures if key.startswith("profile:")})
    print(f"Own time per task by package, ms (cProfile, {tasks} tasks, {workers} pollers; profiling slows everything)")
    print(f"{'package':<12}" + "".join(f"{variant:>19}" for variant in rows))
    for key in packages:
        print(f"{key.split(':', 1)[1]:<12}" + "".join(f"{figures.get(key, 0.0):>19.3f}" for figures in rows.values()))
    totals = [sum(v for k, v in figures.items() if k.startswith("profile:")) for figures in rows.values()]
    print(f"{'total':<12}" + "".join(f"{total:>19.3f}" for total in totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
