"""Cost of replaying a workflow over a 10,000-event history: parsing, state, replay, in µs per event.

The history is made once by driving the ``fan-out`` test workflow (``ctx.map``
of 3,300 ``double`` activities) through the replayer itself, outcomes settled
in a random order (``tests/swf_gevent/workflow/simulated.py``). Then, best of
N runs:

* ``json.loads`` of the exported document -- the baseline, the cost no
  reader can avoid;
* ``History.from_document`` -- typed events (what every decider pays per task);
* ``history.state`` -- the correlated state a hand-written decider reads;
* ``replay`` -- the workflow code replayed checkpoint by checkpoint over the
  typed history (``swf_gevent.workflow.testing.replay``), parsing excluded.

Run by hand from the repository root: ``python benchmarks/workflow_replay.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swf.models import History
from swf.models.events import ExecutionRef
from swf_gevent.workflow.testing import replay
from tests.swf_gevent.workflow import flows
from tests.swf_gevent.workflow.simulated import Simulation


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row; the best is kept")
    parser.add_argument("--items", type=int, default=3300, help="activities in the map (about 3 events each)")
    args = parser.parse_args()
    began = time.perf_counter()
    history = Simulation(flows.fan_out, args.items, random.Random(0)).run(max_tasks=2000)
    made = time.perf_counter() - began
    text = history.to_json(indent=None)
    document = json.loads(text)
    events = len(history)
    execution = ExecutionRef("sim-1", "run-1")
    rows = [
        ("json.loads (baseline)", lambda: json.loads(text)),
        ("History.from_document", lambda: History.from_document(document)),
        ("history.state", lambda: History(history.events).state),
        ("replay (parsed history)", lambda: replay(history, workflows=[flows.fan_out], workflow_execution=execution)),
    ]
    print(
        f"history: {events} events, {len(history.filter('DecisionTaskCompleted'))} decision tasks (made in {made:.1f} s)"
    )
    print(f"{'row':<28} {'ms':>9} {'µs/event':>9} {'x baseline':>11}")
    baseline = None
    for name, fn in rows:
        seconds = _best(fn, args.repeat)
        baseline = baseline or seconds
        print(f"{name:<28} {seconds * 1e3:>9.1f} {seconds * 1e6 / events:>9.2f} {seconds / baseline:>11.1f}")


if __name__ == "__main__":
    main()
