"""Throughput of a greenlet fleet on the embedded endpoint, by number of activity greenlets.

Runs the demo pipeline (``examples/text_pipeline.py``) through
:class:`swf_gevent._runner.Run` in this process: the embedded local endpoint,
one decider greenlet per ten activity greenlets, and the same number of
executions for every row. Prints activity tasks per second, p50 / p95
activity task latency (ms, received to answered) and wall time (s). The
baseline is the first row, one activity greenlet, run in the same process.

Run by hand from the repository root:
``python benchmarks/fleet.py [--executions N] [--greenlets 1,10,50,200]``.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from swf_gevent._config import load
from swf_gevent._runner import Run

CONFIG = """
[swf]
domain = bench
endpoint_url = local
poll_timeout = 1
log_level = ERROR

[activities:text]
task_list = text
greenlets = {workers}
modules = text_pipeline

[decider:pipeline]
task_list = pipeline
greenlets = {deciders}
class = text_pipeline.TextPipeline
workflow_type = text-pipeline
workflow_version = 1

[executions]
workflow = pipeline
count = {executions}
input_factory = text_pipeline.execution_input
timeout = 600
"""


def run(workers: int, executions: int) -> tuple[float, float, float, float]:
    """One fleet run: (tasks/s, p50 ms, p95 ms, wall s)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.ini"
        path.write_text(CONFIG.format(workers=workers, deciders=max(1, workers // 10), executions=executions))
        run = Run(load(str(path)), io.StringIO())
        began = time.monotonic()
        status = run.run()
        wall = time.monotonic() - began
    if status != 0:
        raise SystemExit(f"the run with {workers} activity greenlets did not complete every execution")
    assert run.fleet is not None
    metrics = run.fleet.metrics
    return (
        metrics.activity_tasks / wall,
        (metrics.latency(0.5) or 0.0) * 1000,
        (metrics.latency(0.95) or 0.0) * 1000,
        wall,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100)
    parser.add_argument("--greenlets", default="1,10,50,200", help="activity greenlet counts, comma separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.greenlets.split(",")]
    print(f"{args.executions} executions of text-pipeline per row; baseline: {counts[0]} activity greenlet(s)")
    print(f"{'activity greenlets':>18} {'tasks/s':>9} {'vs base':>8} {'p50 ms':>8} {'p95 ms':>8} {'wall s':>7}")
    baseline = None
    for workers in counts:
        rate, p50, p95, wall = run(workers, args.executions)
        baseline = baseline or rate
        print(f"{workers:>18} {rate:>9.1f} {rate / baseline:>7.2f}x {p50:>8.1f} {p95:>8.1f} {wall:>7.1f}")


if __name__ == "__main__":
    main()
