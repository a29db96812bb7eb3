"""The demo workflow written as plain Python code (``text-pipeline`` version 2).

The same work as :class:`text_pipeline.TextPipeline`, the hand-written
decider of version 1, with the same activities: split the file into chunks,
count the words of every chunk in parallel, merge the counts in chunk order,
complete with ``{"file": ..., "words": <total>, "counts": {word: n}}``. An
activity failure escapes the function and fails the execution.

Serve it with ``swf_gevent.workflow.WorkflowDecider([text_pipeline])`` (one
decider group serves version 1 and 2 side by side when given both).
"""

from __future__ import annotations

from typing import Any

from text_pipeline import count, merge, split

from swf_gevent import workflow as wf


@wf.workflow("text-pipeline", version="2", task_list="pipeline")
def text_pipeline(ctx: wf.Context, payload: dict[str, str]) -> dict[str, Any]:
    """Split, count every chunk in parallel, merge in chunk order."""
    parts = ctx.execute(split, payload)
    counts = ctx.map(count, parts["chunks"])
    result: dict[str, Any] = ctx.execute(merge, {"file": parts["file"], "counts": counts})
    return result
