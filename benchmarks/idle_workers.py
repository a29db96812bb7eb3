"""Memory and CPU of idle long-polling activity workers in one process: greenlets against OS threads.

Each row is a fresh Python process holding N workers that long-poll
empty task lists (1,000 polls each at most, SWF's quota) of a local SWF endpoint running in ANOTHER process
(``python -m swf_gevent.local``), so the endpoint's memory and CPU are not
counted. After a warm-up of one poll timeout plus two seconds (every
worker has had a poll answered empty and polls again), the process
measures its CPU time over a fixed window and then its resident memory.

- ``slots``: the toolkit, gevent-patched: ONE ``GreenletActivityWorker``
  with N slots and pollers 1..20 (:mod:`swf_gevent.pollers`):
  idle, one long poll is parked whatever N is.
- ``greenlets``: the toolkit's old layout, one poll per slot: N
  ``GreenletActivityWorker`` of one slot each, sharing one client from
  :func:`swf.connection.make_client` (pool N).
- ``boto3-greenlets``: gevent-patched, no toolkit: N greenlets, each a
  plain boto3 ``poll_for_activity_task`` loop, sharing one
  ``boto3.client("swf")`` (pool N, botocore retries off as in
  ``make_client``): what the toolkit's actors add shows against it.
- ``threads``: no gevent: the same plain loop in N OS threads.

The baseline of each kind is its 0-worker row, run in the same run: the
same process with its imports and client, polling nothing. Columns: RSS
in MB (resident set at the end of the window, ``VmRSS``), MB above the
baseline, KB per worker above the baseline, CPU in % of one core over the
window. The endpoint answers an empty poll after ``--poll-timeout``
seconds (SWF: 60 s); with a shorter one every worker polls again more
often, which is what the CPU column counts.

Run by hand from the repository root::

    python benchmarks/idle_workers.py [--workers 100,500,1000,2000,10000] [--window 10] [--poll-timeout 5]

(a worker is a slot in the ``slots`` rows).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _endpoint import start_endpoint

DOMAIN = "idle-bench"
TASK_LIST = "idle"
#: SWF's quota on polls one task list holds at once (the endpoint enforces it):
#: worker ``i`` polls task list ``idle-<i // POLLS_PER_TASK_LIST>``.
POLLS_PER_TASK_LIST = 1000


def task_list_of(index: int) -> str:
    """The task list worker ``index`` polls, so that none holds more polls than SWF allows."""
    return f"{TASK_LIST}-{index // POLLS_PER_TASK_LIST}"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def measure(kind: str, workers: int, url: str, poll_timeout: float, window: float) -> dict[str, Any]:
    """In a fresh process: start ``workers`` idle pollers of ``kind``, measure; the figures."""
    if kind.endswith("greenlets") or kind == "slots":
        from gevent import monkey

        monkey.patch_all()
    client: Any
    if kind in ("greenlets", "slots"):
        from swf.connection import make_client

        client = make_client(
            region_name="us-east-1",
            endpoint_url=url,
            max_pool_connections=(min(workers, 20) if kind == "slots" else workers) + 4,
            read_timeout=poll_timeout + 10,
            poll_hold=poll_timeout,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
    else:
        import boto3
        from botocore.config import Config

        config = Config(
            max_pool_connections=workers + 4,
            read_timeout=poll_timeout + 10,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        client = boto3.client(
            "swf",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )
    if kind == "slots":
        import gevent

        from swf_gevent.activities import ActivityRegistry
        from swf_gevent.actors import GreenletActivityWorker

        if workers:
            GreenletActivityWorker(
                DOMAIN, task_list_of(0), ActivityRegistry(), client=client, slots=workers, pollers=(1, 20)
            ).start()
        sleep = gevent.sleep
    elif kind == "greenlets":
        import gevent

        from swf_gevent.activities import ActivityRegistry
        from swf_gevent.actors import GreenletActivityWorker

        actors = [
            GreenletActivityWorker(DOMAIN, task_list_of(i), ActivityRegistry(), client=client, identity=f"idle-{i}")
            for i in range(workers)
        ]
        for actor in actors:
            actor.start()
        sleep = gevent.sleep
    else:
        import threading

        def loop(index: int) -> None:
            while True:
                client.poll_for_activity_task(
                    domain=DOMAIN, taskList={"name": task_list_of(index)}, identity=f"idle-{index}"
                )

        if kind == "boto3-greenlets":
            import gevent

            for i in range(workers):
                gevent.spawn(loop, i)
            sleep = gevent.sleep
        else:
            for i in range(workers):
                threading.Thread(target=loop, args=(i,), daemon=True).start()
            sleep = time.sleep
    sleep(poll_timeout + 2)  # warm-up: every worker had a poll answered and polls again
    cpu, began = _cpu_seconds(), time.monotonic()
    sleep(window)
    cpu, elapsed = _cpu_seconds() - cpu, time.monotonic() - began
    return {"rss_mb": _rss_mb(), "cpu_percent": 100 * cpu / elapsed}


def run_row(kind: str, workers: int, url: str, poll_timeout: float, window: float) -> dict[str, Any] | None:
    """:func:`measure` in a child process; ``None`` (with the reason printed) when it failed."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(workers), url, str(poll_timeout), str(window)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=poll_timeout + window + 300,
    )
    if result.returncode != 0:
        print(f"  {kind} x {workers}: failed ({result.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def register(url: str) -> None:
    import boto3

    client = boto3.client(
        "swf", region_name="us-east-1", endpoint_url=url, aws_access_key_id="local", aws_secret_access_key="local"
    )
    client.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        kind, count, url, poll_timeout, window = sys.argv[2:7]
        print(json.dumps(measure(kind, int(count), url, float(poll_timeout), float(window))), flush=True)
        os._exit(0)  # without joining pollers blocked in their poll
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="100,500,1000,2000,10000", help="comma-separated worker counts")
    parser.add_argument("--window", type=float, default=10.0, help="seconds CPU is measured over (default 10)")
    parser.add_argument("--poll-timeout", type=float, default=5.0, help="seconds the endpoint holds a poll (default 5)")
    parser.add_argument("--kinds", default="slots,greenlets,boto3-greenlets,threads", help="comma-separated rows kinds")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    kinds = args.kinds.split(",")
    endpoint, url = start_endpoint(args.poll_timeout)
    try:
        register(url)
        print(
            f"Idle long-polling workers, one process each row; endpoint in another process "
            f"(poll timeout {args.poll_timeout:g} s), CPU over {args.window:g} s, {os.cpu_count()} cores"
        )
        print(f"{'kind':<16} {'workers':>7} {'RSS MB':>8} {'+MB':>7} {'KB/worker':>10} {'CPU %':>7}")
        for kind in kinds:
            baseline = run_row(kind, 0, url, args.poll_timeout, args.window)
            if baseline is None:
                continue
            print(
                f"{kind:<16} {0:>7} {baseline['rss_mb']:>8.1f} {'(base)':>7} {'':>10} {baseline['cpu_percent']:>7.1f}",
                flush=True,
            )
            for workers in counts:
                row = run_row(kind, workers, url, args.poll_timeout, args.window)
                if row is None:
                    print(f"{kind:<16} {workers:>7}   failed: stopping at what works", flush=True)
                    break
                extra = row["rss_mb"] - baseline["rss_mb"]
                print(
                    f"{kind:<16} {workers:>7} {row['rss_mb']:>8.1f} {extra:>7.1f} {1024 * extra / workers:>10.1f} "
                    f"{row['cpu_percent']:>7.1f}",
                    flush=True,
                )
    finally:
        endpoint.terminate()
        endpoint.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
