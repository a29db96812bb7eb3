"""Server CPU per call of the local SWF endpoint as stored executions grow, in memory and with a database.

Part 1, CPU per call. Measures the CPU time the endpoint's server thread
spends on one call of StartWorkflowExecution, PollForDecisionTask,
RespondDecisionTaskCompleted, PollForActivityTask and
RespondActivityTaskCompleted (each poll finds a task waiting), in µs per
call, read from the server thread's own CPU clock
(``time.pthread_getcpuclockid``) around each synchronous boto3 call. The
same workload runs on a fresh endpoint holding 0 (the baseline), 10,000 and
100,000 stored executions, side by side in memory and with a database
(``LocalSWF(db=...)``, a new SQLite file in a temporary directory), whose
every call commits a transaction before it answers. After the largest
store, the endpoint with a database is restarted on its file and the time
it takes to read every execution back is printed. The stored executions are loaded in-process: a
callback posted to the server thread's loop calls the engine's
``start_workflow_execution`` directly (what the StartWorkflowExecution
operation runs, without HTTP), so each stored execution is a real open
execution with its history, its start-to-close timer and a decision task
queued on another task list. That loads 100,000 in a few seconds, where as
many HTTP starts would take minutes.

Part 2, parked polls. Starts the endpoint as its own process (``python -m
swf_gevent.local --poll-timeout 600``), opens 1,000 raw loopback sockets
from greenlets of this process, each sending one PollForDecisionTask on an
empty task list, and waits until the server's CPU counter is still. It then
reads the server process's CPU time (``/proc/<pid>/stat`` utime + stime) over
a fixed window and its resident memory (``VmRSS``), against the same
figures with no poll parked (the baseline). Finally it starts 1,000
executions and checks that every parked poller received exactly one decision
task, which proves the polls were parked and not refused.

Targets: at most 300 µs server CPU per call in memory, flat within 20 % from
0 to 100,000 stored executions; with a database at most 2x the in-memory
CPU per call, flat within 20 % too; a parked poll costs no CPU.

Run by hand: ``python benchmarks/local_endpoint.py`` (about two minutes), or
``python benchmarks/local_endpoint.py --quick`` for a smaller run (stores
0 / 1,000 / 10,000, 200 parked polls). ``--profile`` prints a cProfile
summary of the server thread for the largest store.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

# Run from a checkout without installing: the repository root holds the packages.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from swf_gevent.local import LocalSWF

DOMAIN = "bench"
OPERATIONS = (
    "StartWorkflowExecution",
    "PollForDecisionTask",
    "RespondDecisionTaskCompleted",
    "PollForActivityTask",
    "RespondActivityTaskCompleted",
)
TARGET_US = 300.0
FLAT_RATIO = 1.20
DB_RATIO = 2.0
MODES = ("memory", "db")


def _client(endpoint_url: str) -> Any:
    return boto3.session.Session().client(
        "swf",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=30),
    )


def _setup(client: Any) -> None:
    client.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    client.register_workflow_type(
        domain=DOMAIN,
        name="flow",
        version="1",
        defaultTaskList={"name": "deciders"},
        defaultExecutionStartToCloseTimeout="3600",
        defaultTaskStartToCloseTimeout="60",
        defaultChildPolicy="TERMINATE",
    )
    client.register_activity_type(
        domain=DOMAIN,
        name="step",
        version="1",
        defaultTaskList={"name": "workers"},
        defaultTaskStartToCloseTimeout="60",
        defaultTaskHeartbeatTimeout="NONE",
        defaultTaskScheduleToStartTimeout="60",
        defaultTaskScheduleToCloseTimeout="120",
    )


def _on_server_thread(server: LocalSWF, work: Callable[[], None]) -> None:
    """Run ``work`` on the endpoint's server thread (its hub's loop) and wait for it.

    Uses the endpoint's private loop handle: the engine may only be touched
    from that thread.
    """
    done = threading.Event()
    failure: list[BaseException] = []

    def callback() -> None:
        try:
            work()
        except BaseException as err:  # handed to the waiting thread
            failure.append(err)
        finally:
            done.set()

    server._loop.run_callback_threadsafe(callback)
    done.wait()
    if failure:
        raise failure[0]


def _store(server: LocalSWF, count: int) -> float:
    """Open ``count`` executions on task list ``stored`` through the engine; returns seconds taken."""
    engine = server._app.engine  # type: ignore[union-attr]

    def load() -> None:
        for index in range(count):
            engine.start_workflow_execution(
                {
                    "domain": DOMAIN,
                    "workflowId": f"stored-{index}",
                    "workflowType": {"name": "flow", "version": "1"},
                    "taskList": {"name": "stored"},
                    "input": "stored execution",
                }
            )

    started = time.perf_counter()
    _on_server_thread(server, load)
    return time.perf_counter() - started


def _measure(server: LocalSWF, rounds: int, stored: int, profile: bool) -> tuple[dict[str, list[float]], str]:
    """Server CPU µs of each call of each operation, and a cProfile report when asked."""
    assert server.thread_ident is not None
    clock = time.pthread_getcpuclockid(server.thread_ident)
    client = _client(server.endpoint_url)
    _setup(client)
    load_seconds = _store(server, stored)
    if stored:
        print(f"  stored {stored:,} open executions in {load_seconds:.1f} s", flush=True)
    samples: dict[str, list[float]] = {operation: [] for operation in OPERATIONS}

    def timed(operation: str, call: Callable[..., Any], **params: Any) -> Any:
        before = time.clock_gettime(clock)
        answer = call(**params)
        samples[operation].append((time.clock_gettime(clock) - before) * 1e6)
        return answer

    _rounds(client, rounds, timed)
    report = ""
    if profile:
        # A separate pass: the profiler's own cost must not reach the figures above.
        profiler = cProfile.Profile(time.thread_time)
        _on_server_thread(server, profiler.enable)
        _rounds(client, rounds, lambda _operation, call, **params: call(**params))
        _on_server_thread(server, profiler.disable)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        print(f"server-thread CPU profile of {rounds} more rounds, {stored:,} stored executions", file=out)
        stats.sort_stats("cumulative").print_stats(
            r"pywsgi.py:\d+\((handle_one_request|read_request|"
            r"handle_one_response|process_result)\)"
        )
        stats.sort_stats("cumulative").print_stats(r"swf_gevent/local", 25)
        stats.sort_stats("tottime").print_stats(15)
        report = out.getvalue()
    return samples, report


def _rounds(client: Any, rounds: int, timed: Callable[..., Any]) -> None:
    """``rounds`` workflows: start, decide (schedule one activity), run the activity, decide (complete)."""
    for _ in range(rounds):
        timed(
            "StartWorkflowExecution",
            client.start_workflow_execution,
            domain=DOMAIN,
            workflowId=f"run-{uuid.uuid4().hex}",
            workflowType={"name": "flow", "version": "1"},
        )
        task = timed("PollForDecisionTask", client.poll_for_decision_task, domain=DOMAIN, taskList={"name": "deciders"})
        timed(
            "RespondDecisionTaskCompleted",
            client.respond_decision_task_completed,
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "step", "version": "1"},
                        "activityId": "step-1",
                    },
                }
            ],
        )
        activity = timed(
            "PollForActivityTask", client.poll_for_activity_task, domain=DOMAIN, taskList={"name": "workers"}
        )
        timed("RespondActivityTaskCompleted", client.respond_activity_task_completed, taskToken=activity["taskToken"])
        closing = client.poll_for_decision_task(domain=DOMAIN, taskList={"name": "deciders"})
        client.respond_decision_task_completed(
            taskToken=closing["taskToken"],
            decisions=[{"decisionType": "CompleteWorkflowExecution"}],
        )


# -- parked polls -----------------------------------------------------------------


def _proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _wait_still(pid: int, quiet: float = 1.0, limit: float = 60.0) -> None:
    """Wait until the process used no CPU tick for ``quiet`` seconds (at most ``limit`` s)."""
    import gevent

    deadline = time.monotonic() + limit
    last = _proc_cpu_seconds(pid)
    while time.monotonic() < deadline:
        gevent.sleep(quiet)
        now = _proc_cpu_seconds(pid)
        if now == last:
            return
        last = now


def _raw_poll(host: str, port: int, task_list: str) -> dict[str, Any]:
    """One PollForDecisionTask over a raw gevent socket; returns the decoded answer."""
    from gevent import socket as gsocket

    body = json.dumps({"domain": DOMAIN, "taskList": {"name": task_list}}).encode()
    request = (
        f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "X-Amz-Target: SimpleWorkflowService.PollForDecisionTask\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    sock = gsocket.create_connection((host, port))
    try:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    raw = b"".join(chunks)
    return dict(json.loads(raw.split(b"\r\n\r\n", 1)[1]))


def _parked(count: int, window: float) -> dict[str, float]:
    """Server process CPU and RSS with ``count`` polls parked, against none parked."""
    import gevent

    process = subprocess.Popen(
        [sys.executable, "-m", "swf_gevent.local", "--poll-timeout", "600"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
        client = _client(url)
        _setup(client)
        _wait_still(process.pid)
        rss_idle = _proc_rss_mb(process.pid)
        cpu_before = _proc_cpu_seconds(process.pid)
        time.sleep(window)
        cpu_idle = _proc_cpu_seconds(process.pid) - cpu_before

        pollers = [gevent.spawn(_raw_poll, host, int(port), "parked") for _ in range(count)]
        gevent.sleep(0)
        _wait_still(process.pid)
        rss_parked = _proc_rss_mb(process.pid)
        cpu_before = _proc_cpu_seconds(process.pid)
        gevent.sleep(window)
        cpu_parked = _proc_cpu_seconds(process.pid) - cpu_before
        if any(poller.ready() for poller in pollers):
            raise RuntimeError("a poll answered before any task was scheduled")

        for index in range(count):
            client.start_workflow_execution(
                domain=DOMAIN,
                workflowId=f"wake-{index}",
                workflowType={"name": "flow", "version": "1"},
                taskList={"name": "parked"},
            )
        gevent.joinall(pollers, timeout=60, raise_error=True)
        answers = [poller.value for poller in pollers if poller.ready()]
        woken = {answer["workflowExecution"]["workflowId"] for answer in answers if answer.get("taskToken")}
        if len(woken) != count:
            raise RuntimeError(f"{len(woken)} of {count} parked polls received a distinct task")
    finally:
        process.terminate()
        process.wait(10)
    return {
        "cpu_idle_ms": cpu_idle * 1e3,
        "cpu_parked_ms": cpu_parked * 1e3,
        "rss_idle_mb": rss_idle,
        "rss_parked_mb": rss_parked,
        "tick_ms": 1e3 / os.sysconf("SC_CLK_TCK"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run: stores 0/1,000/10,000, 200 parked polls")
    parser.add_argument("--rounds", type=int, help="workflow rounds measured per store size (default 300, quick 200)")
    parser.add_argument("--sizes", help="comma-separated store sizes (default 0,10000,100000)")
    parser.add_argument("--parked", type=int, help="parked polls (default 1000, quick 200)")
    parser.add_argument(
        "--window", type=float, default=10.0, help="seconds of CPU measured with polls parked (default 10)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the server thread, largest store")
    args = parser.parse_args()
    rounds = args.rounds or (200 if args.quick else 300)
    sizes = [int(size) for size in (args.sizes or ("0,1000,10000" if args.quick else "0,10000,100000")).split(",")]
    parked = args.parked or (200 if args.quick else 1000)

    medians: dict[tuple[int, str], dict[str, float]] = {}
    p90s: dict[tuple[int, str], dict[str, float]] = {}
    restart = ""
    with tempfile.TemporaryDirectory() as directory:
        for stored in sizes:
            for mode in MODES:
                db = os.path.join(directory, f"{stored}.sqlite3") if mode == "db" else None
                print(f"endpoint {mode}, {stored:,} stored executions: {rounds} rounds", flush=True)
                with LocalSWF(poll_timeout=5.0, db=db) as server:
                    samples, report = _measure(server, rounds, stored, args.profile and stored == max(sizes))
                medians[stored, mode] = {op: statistics.median(values) for op, values in samples.items()}
                p90s[stored, mode] = {op: statistics.quantiles(values, n=10)[-1] for op, values in samples.items()}
                if report:
                    print(report)
                if db is not None and stored == max(sizes):
                    began = time.perf_counter()
                    with LocalSWF(poll_timeout=5.0, db=db):
                        took = time.perf_counter() - began
                    megabytes = os.path.getsize(db) / 1e6
                    restart = (
                        f"restart on the database of {stored + rounds:,} executions ({megabytes:.0f} MB): "
                        f"read back and serving in {took:.1f} s"
                    )

    base = sizes[0]
    print()
    print(
        "Server-thread CPU per call, µs (median; p90 in brackets), in memory and with a database (db); "
        "db/mem = the database's cost over memory's at that store size"
    )
    header = f"{'operation':<30}" + "".join(
        f"{f'@{size:,} mem':>16}{f'@{size:,} db':>16}{'db/mem':>8}" for size in sizes
    )
    print(header)
    print("-" * len(header))

    def cell(size: int, mode: str, operation: str) -> str:
        return f"{medians[size, mode][operation]:.0f} ({p90s[size, mode][operation]:.0f})"

    for operation in OPERATIONS:
        cells = "".join(
            f"{cell(size, 'memory', operation):>16}{cell(size, 'db', operation):>16}"
            f"{medians[size, 'db'][operation] / medians[size, 'memory'][operation]:>8.2f}"
            for size in sizes
        )
        print(f"{operation:<30}{cells}")
    totals = {key: sum(values.values()) for key, values in medians.items()}
    cells = "".join(
        f"{totals[size, 'memory']:>16.0f}{totals[size, 'db']:>16.0f}{totals[size, 'db'] / totals[size, 'memory']:>8.2f}"
        for size in sizes
    )
    print(f"{'one workflow round, 5 calls':<30}{cells}")
    if restart:
        print(restart)
    worst = max(medians[size, "memory"][op] for size in sizes for op in OPERATIONS)
    flat = {mode: max(medians[sizes[-1], mode][op] / medians[base, mode][op] for op in OPERATIONS) for mode in MODES}
    db_ratio = max(totals[size, "db"] / totals[size, "memory"] for size in sizes)
    print(
        f"targets: in memory <= {TARGET_US:.0f} µs per call -> worst median {worst:.0f} µs: "
        f"{'met' if worst <= TARGET_US else 'MISSED'}; database <= {DB_RATIO:g}x memory's CPU per round -> "
        f"worst {db_ratio:.2f}x: {'met' if db_ratio <= DB_RATIO else 'MISSED'}; flat within 20 % from "
        f"{base:,} to {sizes[-1]:,} stored -> worst ratio memory {flat['memory']:.2f}, database {flat['db']:.2f}: "
        f"{'met' if max(flat.values()) <= FLAT_RATIO else 'MISSED'}"
    )

    print()
    print(f"{parked:,} parked PollForDecisionTask calls, server process, {args.window:.0f} s window", flush=True)
    figures = _parked(parked, args.window)
    print(f"{'':<22}{'CPU over window, ms':>22}{'RSS, MB':>12}")
    print(f"{'no poll parked':<22}{figures['cpu_idle_ms']:>22.0f}{figures['rss_idle_mb']:>12.1f}")
    print(f"{f'{parked:,} polls parked':<22}{figures['cpu_parked_ms']:>22.0f}{figures['rss_parked_mb']:>12.1f}")
    delta_rss = figures["rss_parked_mb"] - figures["rss_idle_mb"]
    print(
        f"delta: {figures['cpu_parked_ms'] - figures['cpu_idle_ms']:.0f} ms CPU over {args.window:.0f} s "
        f"(clock tick {figures['tick_ms']:.0f} ms), {delta_rss:.1f} MB RSS = "
        f"{delta_rss * 1024 / parked:.1f} KB per parked poll; every parked poll then received one task"
    )


if __name__ == "__main__":
    main()
