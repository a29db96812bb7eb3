"""The execution timeline of the web UI: activities, timers and child workflows as bars over time.

:func:`timeline_rows` reads a history (SWF's wire events, oldest first) into
rows, one per activity id, timer id and child workflow id, plus one for the
decision tasks and one for the workflow itself (with its signals and cancel
requests as marks). Every attempt of an activity id is one more bar on its
row, so retries show side by side. :func:`timeline_svg` draws the rows as
inline SVG, each bar coloured by outcome with a tooltip (``<title>``); the
time from scheduled to started is drawn pale, the time running solid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ._ui_html import OUTCOME_COLOURS, duration, text, url

#: Width of the label column and of the bars' area, in SVG user units (pixels at 100 %).
LABEL_WIDTH = 230
CHART_WIDTH = 900
ROW_HEIGHT = 26
BAR_HEIGHT = 14
AXIS_HEIGHT = 22

_ACTIVITY_CLOSE = {
    "ActivityTaskCompleted": "COMPLETED",
    "ActivityTaskFailed": "FAILED",
    "ActivityTaskTimedOut": "TIMED_OUT",
    "ActivityTaskCanceled": "CANCELED",
}
_CHILD_CLOSE = {
    "ChildWorkflowExecutionCompleted": "COMPLETED",
    "ChildWorkflowExecutionFailed": "FAILED",
    "ChildWorkflowExecutionTimedOut": "TIMED_OUT",
    "ChildWorkflowExecutionCanceled": "CANCELED",
    "ChildWorkflowExecutionTerminated": "TERMINATED",
    "StartChildWorkflowExecutionFailed": "FAILED",
}
_WORKFLOW_CLOSE = {
    "WorkflowExecutionCompleted": "COMPLETED",
    "WorkflowExecutionFailed": "FAILED",
    "WorkflowExecutionTimedOut": "TIMED_OUT",
    "WorkflowExecutionCanceled": "CANCELED",
    "WorkflowExecutionTerminated": "TERMINATED",
    "WorkflowExecutionContinuedAsNew": "CONTINUED_AS_NEW",
}


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    """The ``<eventType>EventAttributes`` member of ``event`` (``{}`` when absent)."""
    event_type = str(event.get("eventType", ""))
    key = event_type[:1].lower() + event_type[1:] + "EventAttributes"
    found = event.get(key)
    return found if isinstance(found, dict) else {}


@dataclass
class Bar:
    """One attempt: scheduled (or initiated), maybe started, maybe closed; times in epoch seconds."""

    scheduled: float
    started: float | None = None
    closed: float | None = None
    outcome: str = "SCHEDULED"
    detail: str = ""
    attempt: int = 1


@dataclass
class Mark:
    """One instant on a row (a signal, a cancel request), at ``at`` epoch seconds."""

    at: float
    label: str


@dataclass
class Row:
    """One line of the timeline: ``kind`` is ``workflow``, ``decision``, ``activity``, ``timer`` or ``child``."""

    kind: str
    key: str
    label: str
    href: str = ""
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


def timeline_rows(events: list[dict[str, Any]], domain: str) -> list[Row]:
    """The timeline rows of a history, in order of first appearance (workflow and decisions first).

    :param events: the history's events, oldest first, in wire shape
        (``eventTimestamp`` in epoch seconds).
    :param domain: the execution's domain, for the links to child executions.
    """
    workflow = Row("workflow", "", "Workflow")
    decisions = Row("decision", "", "Decision tasks")
    rows: dict[tuple[str, str], Row] = {}
    by_event: dict[int, Bar] = {}
    child_rows: dict[int, Row] = {}

    def row(kind: str, key: str, label: str) -> Row:
        found = rows.get((kind, key))
        if found is None:
            found = rows[(kind, key)] = Row(kind, key, label)
        return found

    for event in events:
        event_type = str(event.get("eventType", ""))
        at = float(event.get("eventTimestamp", 0.0))
        attrs = attributes(event)
        event_id = int(event.get("eventId", 0))
        if event_type == "WorkflowExecutionStarted":
            workflow.bars.append(Bar(at, started=at, outcome="OPEN"))
        elif event_type in _WORKFLOW_CLOSE and workflow.bars:
            bar = workflow.bars[-1]
            bar.closed, bar.outcome = at, _WORKFLOW_CLOSE[event_type]
            bar.detail = str(attrs.get("reason") or attrs.get("timeoutType") or "")
        elif event_type == "WorkflowExecutionSignaled":
            workflow.marks.append(Mark(at, f"signal {attrs.get('signalName', '')}"))
        elif event_type == "WorkflowExecutionCancelRequested":
            workflow.marks.append(Mark(at, "cancel requested"))
        elif event_type == "DecisionTaskScheduled":
            bar = Bar(at, attempt=len(decisions.bars) + 1)
            decisions.bars.append(bar)
            by_event[event_id] = bar
        elif event_type == "ActivityTaskScheduled":
            activity_id = str(attrs.get("activityId", ""))
            type_name = str((attrs.get("activityType") or {}).get("name", ""))
            activity = row("activity", activity_id, f"{activity_id} · {type_name}" if type_name else activity_id)
            bar = Bar(at, attempt=len(activity.bars) + 1)
            activity.bars.append(bar)
            by_event[event_id] = bar
        elif event_type in ("DecisionTaskStarted", "ActivityTaskStarted"):
            started = by_event.get(int(attrs.get("scheduledEventId", 0)))
            if started is not None:
                started.started, started.outcome = at, "STARTED"
        elif event_type in ("DecisionTaskCompleted", "DecisionTaskTimedOut"):
            done = by_event.get(int(attrs.get("scheduledEventId", 0)))
            if done is not None:
                done.closed = at
                done.outcome = "COMPLETED" if event_type == "DecisionTaskCompleted" else "TIMED_OUT"
        elif event_type in _ACTIVITY_CLOSE:
            done = by_event.get(int(attrs.get("scheduledEventId", 0)))
            if done is not None:
                done.closed, done.outcome = at, _ACTIVITY_CLOSE[event_type]
                done.detail = str(attrs.get("reason") or attrs.get("timeoutType") or "")
        elif event_type == "TimerStarted":
            timer_id = str(attrs.get("timerId", ""))
            timer = row("timer", timer_id, f"timer {timer_id}")
            bar = Bar(at, started=at, outcome="STARTED", attempt=len(timer.bars) + 1)
            bar.detail = f"start to fire {attrs.get('startToFireTimeout', '?')} s"
            timer.bars.append(bar)
            by_event[event_id] = bar
        elif event_type in ("TimerFired", "TimerCanceled"):
            done = by_event.get(int(attrs.get("startedEventId", 0)))
            if done is not None:
                done.closed, done.outcome = at, "FIRED" if event_type == "TimerFired" else "CANCELED"
        elif event_type == "StartChildWorkflowExecutionInitiated":
            workflow_id = str(attrs.get("workflowId", ""))
            child = row("child", workflow_id, f"child {workflow_id}")
            bar = Bar(at, attempt=len(child.bars) + 1)
            child.bars.append(bar)
            by_event[event_id] = bar
            child_rows[event_id] = child
        elif event_type == "ChildWorkflowExecutionStarted" or event_type in _CHILD_CLOSE:
            initiated = int(attrs.get("initiatedEventId", 0))
            done = by_event.get(initiated)
            owner = child_rows.get(initiated)
            if done is None or owner is None:
                continue
            execution = attrs.get("workflowExecution") or {}
            if execution.get("runId"):
                owner.href = url(
                    "execution",
                    {"domain": domain, "workflowId": execution.get("workflowId"), "runId": execution["runId"]},
                )
            if event_type == "ChildWorkflowExecutionStarted":
                done.started, done.outcome = at, "STARTED"
            else:
                done.closed, done.outcome = at, _CHILD_CLOSE[event_type]
                done.detail = str(attrs.get("reason") or attrs.get("cause") or attrs.get("timeoutType") or "")
    ordered = [workflow]
    if decisions.bars:
        ordered.append(decisions)
    ordered.extend(rows.values())
    return ordered


def _tick_step(span: float) -> float:
    """A round step (1, 2 or 5 × 10^n seconds) that cuts ``span`` into about six ticks."""
    raw = span / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def _tick_label(tick: float, step: float) -> str:
    """An axis label: ``+250 ms`` below a second's steps, ``+1.5 s`` or ``+2 min`` above."""
    if step < 1:
        return f"+{tick * 1000:.0f} ms" if tick < 1 else f"+{tick:.{max(0, -math.floor(math.log10(step)))}f} s"
    if step < 60:
        return f"+{tick:.0f} s"
    return f"+{tick / 60:.0f} min" if step % 60 == 0 else f"+{tick:.0f} s"


def timeline_svg(rows: list[Row], now: float) -> str:
    """The rows as one inline ``<svg>``; bars still open reach ``now`` (epoch seconds)."""
    stamps = [bar.scheduled for row in rows for bar in row.bars] + [mark.at for row in rows for mark in row.marks]
    if not stamps:
        return '<p class="muted">No events yet.</p>'
    begin = min(stamps)
    ends = [bar.closed if bar.closed is not None else now for row in rows for bar in row.bars]
    end = max(ends + stamps)
    span = max(end - begin, 0.001)
    scale = CHART_WIDTH / span

    def x(at: float) -> float:
        return LABEL_WIDTH + (at - begin) * scale

    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows) + 4
    width = LABEL_WIDTH + CHART_WIDTH + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Timeline">'
    ]
    step = _tick_step(span)
    tick = 0.0
    while tick <= span + step * 1e-9:
        tx = x(begin + tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{AXIS_HEIGHT - 4}" x2="{tx:.1f}" y2="{height}" stroke="#e4e7eb"/>')
        parts.append(
            f'<text class="axis" x="{tx:.1f}" y="{AXIS_HEIGHT - 8}" text-anchor="middle">+{text(duration(tick))}</text>'
        )
        tick += step
    for index, row in enumerate(rows):
        top = AXIS_HEIGHT + index * ROW_HEIGHT
        if index % 2:
            parts.append(f'<rect x="0" y="{top}" width="{width}" height="{ROW_HEIGHT}" fill="#f7f9fb"/>')
        label = text(row.label if len(row.label) <= 32 else row.label[:31] + "…")
        if len(row.bars) > 1 and row.kind != "decision":
            label += f" ({len(row.bars)} attempts)"
        label_svg = f'<text x="8" y="{top + ROW_HEIGHT / 2 + 4:.1f}">{label}<title>{text(row.label)}</title></text>'
        if row.href:
            label_svg = f'<a href="{text(row.href)}">{label_svg}</a>'
        parts.append(
            f'<g class="row" data-kind="{text(row.kind)}" data-key="{text(row.key)}" data-attempts="{len(row.bars)}">'
        )
        parts.append(label_svg)
        bar_top = top + (ROW_HEIGHT - BAR_HEIGHT) / 2
        for bar in row.bars:
            closed = bar.closed if bar.closed is not None else now
            colour = OUTCOME_COLOURS.get(bar.outcome, "#52606d")
            shown_outcome = bar.outcome if bar.closed is not None or bar.outcome == "SCHEDULED" else "RUNNING"
            title = f"{row.label} attempt {bar.attempt}: {shown_outcome}, {duration(closed - bar.scheduled)}"
            if bar.started is not None and bar.started > bar.scheduled:
                title += f" ({duration(bar.started - bar.scheduled)} waiting)"
            if bar.detail:
                title += f" — {bar.detail}"
            parts.append(
                f'<g class="bar" data-outcome="{text(bar.outcome)}" data-attempt="{bar.attempt}"><title>{text(title)}</title>'
            )
            run_from = bar.started if bar.started is not None else closed
            if run_from > bar.scheduled:
                wait_width = max((run_from - bar.scheduled) * scale, 1.0)
                parts.append(
                    f'<rect x="{x(bar.scheduled):.1f}" y="{bar_top + 3:.1f}" width="{wait_width:.1f}" '
                    f'height="{BAR_HEIGHT - 6}" rx="2" fill="{colour}" opacity="0.35"/>'
                )
            if bar.started is not None:
                run_width = max((closed - bar.started) * scale, 3.0)
                parts.append(
                    f'<rect x="{x(bar.started):.1f}" y="{bar_top:.1f}" width="{run_width:.1f}" '
                    f'height="{BAR_HEIGHT}" rx="3" fill="{colour}" stroke="#fff" stroke-width="1"/>'
                )
            parts.append("</g>")
        for mark in row.marks:
            mx, my = x(mark.at), top + ROW_HEIGHT / 2
            parts.append(
                f'<path class="mark" d="M{mx:.1f} {my - 7:.1f} l6 7 l-6 7 l-6 -7 z" fill="#f5b700" stroke="#8a6d00">'
                f"<title>{text(mark.label)}</title></path>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{OUTCOME_COLOURS[name]}"></i>{text(label)}</span>'
        for name, label in (
            ("COMPLETED", "completed / fired"),
            ("RUNNING", "running"),
            ("FAILED", "failed"),
            ("TIMED_OUT", "timed out"),
            ("CANCELED", "canceled"),
            ("TERMINATED", "terminated"),
        )
    )
    legend += '<span><i style="background:#a5b4c8"></i>pale: scheduled, waiting for a worker</span>'
    legend += '<span><i style="background:#f5b700"></i>signal / cancel request</span>'
    return f'<div class="timeline">{"".join(parts)}</div><div class="legend">{legend}</div>'
