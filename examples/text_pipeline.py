"""The demo workflow: word counts of a text file, split, counted in parallel, merged.

One execution of ``text-pipeline`` takes ``{"file": "<name in examples/data>"}``
and runs:

1. ``split``: read the file, cut it into chunks of a few lines;
2. one ``count`` per chunk, all scheduled at once: word counts of the chunk;
3. ``merge``: add the chunk counts up;

then completes with ``{"file": ..., "words": <total>, "counts": {word: n}}``.

:class:`TextPipeline` decides from the whole history each time, so any
decider greenlet can take any decision task. It reads the history's
correlated state (:class:`swf.models.HistoryState`, which links each
completion to its activity by ``scheduledEventId``), never the order events
arrive in: counts complete in any order.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from swf.models import DecisionTask, decisions
from swf.models.decisions import Decision
from swf.models.history_state import TaskStatus
from swf_gevent.activities import activity

#: Where the demo's texts are.
DATA = Path(__file__).resolve().parent / "data"
#: Lines per chunk handed to one ``count`` activity.
CHUNK_LINES = 4

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return _WORD.findall(text.lower())


def execution_input(index: int) -> dict[str, str]:
    """The input of the ``index``-th execution the runner starts: the data files in turn."""
    files = sorted(path.name for path in DATA.glob("*.txt"))
    return {"file": files[index % len(files)]}


@activity("split", version="1")
def split(payload: dict[str, str]) -> dict[str, Any]:
    """Read ``payload["file"]`` from :data:`DATA`; its lines in chunks of :data:`CHUNK_LINES`."""
    name = Path(payload["file"]).name  # only files of the data directory
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    chunks = ["\n".join(lines[i : i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]
    return {"file": name, "chunks": chunks}


@activity("count", version="1")
def count(chunk: str) -> dict[str, int]:
    """Word counts of one chunk of text."""
    return dict(Counter(words(chunk)))


@activity("merge", version="1")
def merge(payload: dict[str, Any]) -> dict[str, Any]:
    """Add up the chunk counts: ``{"file", "words": total, "counts": {word: n}}``."""
    total: Counter[str] = Counter()
    for counts in payload["counts"]:
        total.update(counts)
    return {"file": payload["file"], "words": sum(total.values()), "counts": dict(sorted(total.items()))}


class TextPipeline:
    """The decider of ``text-pipeline``: split, count each chunk in parallel, merge, complete.

    Activities go to the task list and timeouts registered with their types
    (the runner registers them from the ``[activities:*]`` section and
    :func:`~swf_gevent.activities.activity`).
    """

    def decide(self, task: DecisionTask) -> list[Decision]:
        """The decisions for a decision task, from its whole history."""
        state = task.history.state
        activities = state.activities  # activity id -> latest attempt, correlated by scheduledEventId
        for attempt in activities.values():
            if attempt.status in (
                TaskStatus.FAILED,
                TaskStatus.TIMED_OUT,
                TaskStatus.CANCELED,
                TaskStatus.SCHEDULE_FAILED,
            ):
                cause = attempt.reason or attempt.timeout_type or attempt.cause or attempt.status.value
                return [decisions.fail_workflow_execution(f"{attempt.activity_id}: {cause}", attempt.details)]

        split_task = activities.get("split")
        if split_task is None:
            return [_schedule("split", "split", state.input or "{}")]
        if split_task.status is not TaskStatus.COMPLETED:
            return []
        split_result = json.loads(split_task.result or "{}")
        count_ids = [f"count-{i}" for i in range(len(split_result["chunks"]))]
        if count_ids and count_ids[0] not in activities:
            return [
                _schedule(activity_id, "count", json.dumps(chunk))
                for activity_id, chunk in zip(count_ids, split_result["chunks"], strict=True)
            ]
        if any(activities[activity_id].status is not TaskStatus.COMPLETED for activity_id in count_ids):
            return []

        merge_task = activities.get("merge")
        if merge_task is None:
            # Chunk order, not completion order: counts complete in any order.
            counts = [json.loads(activities[activity_id].result or "{}") for activity_id in count_ids]
            payload = json.dumps({"file": split_result["file"], "counts": counts}, separators=(",", ":"))
            return [_schedule("merge", "merge", payload)]
        if merge_task.status is not TaskStatus.COMPLETED:
            return []
        return [decisions.complete_workflow_execution(merge_task.result)]


def _schedule(activity_id: str, name: str, payload: str) -> Decision:
    return decisions.schedule_activity_task(activity_id, (name, "1"), input=payload)
