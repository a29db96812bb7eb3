"""The web UI of the local SWF endpoint: server-rendered pages under ``/ui/`` on the endpoint's port.

:class:`WebUI` is a WSGI application run by the endpoint's server, on its
thread, so it reads the endpoint's state through the same registry and
engine operations the JSON protocol calls (``list_domains``,
``list_open_workflow_executions``, ``get_workflow_execution_history``...),
with requests in their wire shape, and changes it only through
``signal_workflow_execution``, ``request_cancel_workflow_execution`` and
``terminate_workflow_execution`` after botocore's input shape has checked
them, as any client's call would be.

Pages (all ``GET``):

- ``/ui/``: the domains, with their open and closed execution counts;
- ``/ui/executions?domain=D``: open or closed executions with filters
  (``status``, ``workflowId``, ``typeName``/``typeVersion``, ``tag``,
  ``closeStatus``, ``startedAfter``/``startedBefore`` as
  ``YYYY-MM-DDTHH:MM[:SS]`` UTC) and paging (``page``: the engine's
  ``nextPageToken``);
- ``/ui/execution?domain=D&workflowId=W&runId=R``: one execution: input,
  result or failure, pending tasks, the timeline, every event of the history
  with its attributes under ``<details>``;
- ``/ui/confirm?action=signal|cancel|terminate&domain=..&workflowId=..&runId=..``:
  the confirmation step of an action, a form that ``POST``\\ s to ``/ui/act``.

``POST /ui/act`` must carry the per-process CSRF token of the form (and, when
the browser sends ``Origin``, come from this host); it answers ``303`` back
to the execution page. Every value from users is HTML-escaped; the pages
load nothing from elsewhere and hold no script (a ``Content-Security-Policy``
header says so to the browser).
"""

from __future__ import annotations

import datetime
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._faults import Fault
from ._ui_html import SUMMARY_LIMIT, badge, cut, duration, link, page, pretty, table, text, url, when
from ._ui_timeline import attributes, timeline_rows, timeline_svg
from ._validation import validate

__all__ = ["PAGE_SIZE", "WebUI"]

log = logging.getLogger(__name__)

#: Executions on one page of the list.
PAGE_SIZE = 50
#: Largest form body accepted by ``POST /ui/act``, in bytes (inputs and details are at most 32 KB in SWF).
MAX_FORM_BYTES = 256 * 1024

_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
]
_CLOSE_STATUSES = ("COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT")
_ACTIONS = {
    "signal": ("SignalWorkflowExecution", "signal_workflow_execution", "Signal"),
    "cancel": ("RequestCancelWorkflowExecution", "request_cancel_workflow_execution", "Request cancel"),
    "terminate": ("TerminateWorkflowExecution", "terminate_workflow_execution", "Terminate"),
}
_DONE = {
    "signal": "Signal sent.",
    "cancel": "Cancellation requested.",
    "terminate": "Execution terminated.",
}
_OUTCOME_EVENTS = {
    "WorkflowExecutionCompleted": ("Result", "result"),
    "WorkflowExecutionFailed": ("Failure", "reason"),
    "WorkflowExecutionCanceled": ("Canceled", "details"),
    "WorkflowExecutionTerminated": ("Terminated", "reason"),
    "WorkflowExecutionTimedOut": ("Timed out", "timeoutType"),
    "WorkflowExecutionContinuedAsNew": ("Continued as new", "newExecutionRunId"),
}


class _Answer(Exception):
    """A page that ends the request early: ``status`` line and a one-line ``message``."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _parse_time(value: str, name: str) -> float | None:
    """``YYYY-MM-DDTHH:MM[:SS]`` (UTC, as an ``<input type=datetime-local>`` sends it) as epoch seconds."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise _Answer("400 Bad Request", f"{name} must be a date and time as YYYY-MM-DDTHH:MM, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class WebUI:
    """The web UI's WSGI application; call it from the endpoint's server thread only.

    :param registry: the endpoint's registry (``list_domains``).
    :param engine: the endpoint's engine (execution operations, ``now()``),
        or ``None`` when it could not be loaded (pages then say so).
    :param host_allowed: whether a request's ``Host`` name (without port) is
        served; ``None`` serves any. A loopback endpoint passes a loopback
        check, so that a page of another site whose name was made to resolve
        to 127.0.0.1 (DNS rebinding) reads nothing and gets no token.
    :param db: the endpoint's database file, shown on the domains page;
        ``None`` when its state is kept in memory only.
    """

    def __init__(
        self,
        registry: Any,
        engine: Any,
        host_allowed: Callable[[str], bool] | None = None,
        db: str | None = None,
    ) -> None:
        self.registry = registry
        self.engine = engine
        self._host_allowed = host_allowed
        self.db = db
        #: Per-process token every ``POST /ui/act`` form carries.
        self.csrf_token = secrets.token_urlsafe(32)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer one request under ``/ui``: a page, a redirect, or an error page with a one-line message.

        :returns: the body, one ``bytes`` chunk (empty for ``HEAD`` and redirects).
        """
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        headers = list(_HEADERS)
        try:
            if self._host_allowed is not None:
                host = urlsplit("//" + environ.get("HTTP_HOST", "")).hostname or ""
                if not self._host_allowed(host):
                    raise _Answer("421 Misdirected Request", f"Host {host!r} is not served; use a loopback address.")
            if path == "/ui":
                start_response("308 Permanent Redirect", [("Location", "/ui/"), ("Content-Length", "0")])
                return [b""]
            if path == "/ui/act":
                if method != "POST":
                    raise _Answer("405 Method Not Allowed", "Actions are sent with POST from their confirmation page.")
                location = self._act(environ)
                start_response("303 See Other", [("Location", location), ("Content-Length", "0")])
                return [b""]
            if method not in ("GET", "HEAD"):
                raise _Answer("405 Method Not Allowed", f"{method} is not served here; pages are read with GET.")
            status, body = "200 OK", self._page(path, query)
        except _Answer as answer:
            status, body = answer.status, page("Error", f'<div class="error">{text(answer.message)}</div>')
        except Fault as fault:
            status = "404 Not Found" if fault.code == "UnknownResourceFault" else "400 Bad Request"
            body = page("Error", f'<div class="error">{text(fault.code)}: {text(fault.message)}</div>')
        except Exception:
            log.exception("The web UI failed on %s %s", method, path)
            status, body = (
                "500 Internal Server Error",
                page("Error", '<div class="error">The page failed; see the endpoint\'s log.</div>'),
            )
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def _page(self, path: str, query: dict[str, str]) -> bytes:
        if path == "/ui/":
            return self._domains()
        if path == "/ui/executions":
            return self._executions(query)
        if path == "/ui/execution":
            return self._execution(query)
        if path == "/ui/confirm":
            return self._confirm(query)
        raise _Answer("404 Not Found", f"No page at {path}.")

    # -- domains --------------------------------------------------------------------

    def _all_domains(self) -> list[dict[str, Any]]:
        domains: list[dict[str, Any]] = []
        for status in ("REGISTERED", "DEPRECATED"):
            request: dict[str, Any] = {"registrationStatus": status}
            while True:
                answer = self.registry.list_domains(request)
                domains.extend(answer["domainInfos"])
                if not answer.get("nextPageToken"):
                    break
                request = {"registrationStatus": status, "nextPageToken": answer["nextPageToken"]}
        return domains

    def _count(self, operation: str, domain: str) -> int:
        answer = getattr(self.engine, operation)({"domain": domain, "startTimeFilter": {"oldestDate": 0}})
        return int(answer["count"])

    def _domains(self) -> bytes:
        rows = []
        for info in self._all_domains():
            name = info["name"]
            counts = [
                link(url("executions", {"domain": name, "status": status}), self._count(operation, name))
                for status, operation in (
                    ("open", "count_open_workflow_executions"),
                    ("closed", "count_closed_workflow_executions"),
                )
            ]
            rows.append(
                [
                    link(url("executions", {"domain": name}), name),
                    badge(info["status"]),
                    *counts,
                    text(info.get("description") or ""),
                ]
            )
        if self.db is None:
            state = "State is kept in memory and is gone when the endpoint stops (start it with --db FILE to keep it)."
        else:
            state = f"State is kept in {self.db} and read back when the endpoint starts again."
        body = (
            "<h1>Domains</h1>"
            + table(["Domain", "Status", "Open", "Closed", "Description"], rows, "No domains registered yet.")
            + f'<p class="muted" id="state">{text(state)}</p>'
        )
        return page("Domains", body)

    # -- executions -----------------------------------------------------------------

    def _executions(self, query: dict[str, str]) -> bytes:
        domain = query.get("domain", "")
        if not domain:
            raise _Answer("400 Bad Request", "domain is required.")
        closed = query.get("status", "open") == "closed"
        filters = {
            name: query.get(name, "").strip()
            for name in ("workflowId", "typeName", "typeVersion", "tag", "closeStatus", "startedAfter", "startedBefore")
        }
        if filters["closeStatus"] and filters["closeStatus"] not in _CLOSE_STATUSES:
            raise _Answer("400 Bad Request", f"closeStatus must be one of {', '.join(_CLOSE_STATUSES)}.")
        time_filter: dict[str, Any] = {"oldestDate": _parse_time(filters["startedAfter"], "startedAfter") or 0}
        latest = _parse_time(filters["startedBefore"], "startedBefore")
        if latest is not None:
            time_filter["latestDate"] = latest
        # SWF takes one of these filters per call: the most selective goes to
        # the engine and the rest are applied to its page here.
        request: dict[str, Any] = {"domain": domain, "startTimeFilter": time_filter, "maximumPageSize": PAGE_SIZE}
        if filters["workflowId"]:
            request["executionFilter"] = {"workflowId": filters["workflowId"]}
        elif filters["typeName"]:
            request["typeFilter"] = {"name": filters["typeName"]}
            if filters["typeVersion"]:
                request["typeFilter"]["version"] = filters["typeVersion"]
        elif filters["tag"]:
            request["tagFilter"] = {"tag": filters["tag"]}
        elif filters["closeStatus"] and closed:
            request["closeStatusFilter"] = {"status": filters["closeStatus"]}
        if query.get("page"):
            request["nextPageToken"] = query["page"]
        operation = "ListClosedWorkflowExecutions" if closed else "ListOpenWorkflowExecutions"
        answer = getattr(self.engine, "list_closed_workflow_executions" if closed else "list_open_workflow_executions")(
            validate(operation, request)
        )
        infos = [info for info in answer["executionInfos"] if self._matches(info, filters, closed)]
        rows = []
        for info in infos:
            execution = info["execution"]
            status = info.get("closeStatus", "OPEN")
            ended = info.get("closeTimestamp")
            rows.append(
                [
                    link(url("execution", {"domain": domain, **execution}), execution["workflowId"]),
                    f'<span class="mono muted">{text(execution["runId"][:12])}…</span>',
                    text(f"{info['workflowType']['name']} {info['workflowType']['version']}"),
                    badge(status),
                    text(when(info["startTimestamp"])),
                    text(duration(ended - info["startTimestamp"]))
                    if ended is not None
                    else '<span class="muted">running</span>',
                    text(", ".join(info.get("tagList", []))),
                ]
            )
        base = {"domain": domain, **{name: value for name, value in filters.items() if value}}
        tabs = "".join(
            link(
                url("executions", {**base, "status": status}),
                f"{label} ({self._count(operation, domain)})",
                "on" if (status == "closed") == closed else "",
            )
            for status, label, operation in (
                ("open", "Open", "count_open_workflow_executions"),
                ("closed", "Closed", "count_closed_workflow_executions"),
            )
        )
        pager = ""
        if answer.get("nextPageToken"):
            pager = link(
                url("executions", {**base, "status": "closed" if closed else "open", "page": answer["nextPageToken"]}),
                "Next page →",
                "button light",
            )
        if query.get("page"):
            pager = (
                link(
                    url("executions", {**base, "status": "closed" if closed else "open"}),
                    "← First page",
                    "button light",
                )
                + pager
            )
        body = (
            f"<h1>Executions in {text(domain)}</h1>"
            f'<nav class="tabs">{tabs}</nav>'
            + self._filter_form(domain, closed, filters)
            + table(
                ["Workflow id", "Run id", "Workflow type", "Status", "Started", "Took", "Tags"],
                rows,
                "No execution matches.",
            )
            + (f'<div class="pager">{pager}</div>' if pager else "")
        )
        return page(f"Executions in {domain}", body, where=domain)

    @staticmethod
    def _matches(info: dict[str, Any], filters: dict[str, str], closed: bool) -> bool:
        if filters["workflowId"] and info["execution"]["workflowId"] != filters["workflowId"]:
            return False
        if filters["typeName"] and info["workflowType"]["name"] != filters["typeName"]:
            return False
        if filters["typeVersion"] and info["workflowType"]["version"] != filters["typeVersion"]:
            return False
        if filters["tag"] and filters["tag"] not in info.get("tagList", []):
            return False
        return not (closed and filters["closeStatus"] and info.get("closeStatus") != filters["closeStatus"])

    @staticmethod
    def _filter_form(domain: str, closed: bool, filters: dict[str, str]) -> str:
        def field(name: str, label: str, kind: str = "text") -> str:
            return (
                f'<label>{text(label)}<input type="{kind}" name="{name}" value="{text(filters[name])}"'
                f' aria-label="{text(label)}"></label>'
            )

        statuses = "".join(
            f'<option value="{status}"{" selected" if filters["closeStatus"] == status else ""}>{status}</option>'
            for status in ("", *_CLOSE_STATUSES)
        )
        close_status = (
            f'<label>Close status<select name="closeStatus" aria-label="Close status">{statuses}</select></label>'
            if closed
            else ""
        )
        return (
            '<form class="filters" method="get" action="/ui/executions">'
            f'<input type="hidden" name="domain" value="{text(domain)}">'
            f'<input type="hidden" name="status" value="{"closed" if closed else "open"}">'
            + field("workflowId", "Workflow id")
            + field("typeName", "Workflow type")
            + field("typeVersion", "Version")
            + field("tag", "Tag")
            + close_status
            + field("startedAfter", "Started after (UTC)", "datetime-local")
            + field("startedBefore", "Started before (UTC)", "datetime-local")
            + '<button type="submit">Filter</button>'
            + link(
                url("executions", {"domain": domain, "status": "closed" if closed else "open"}), "Clear", "button light"
            )
            + "</form>"
        )

    # -- one execution --------------------------------------------------------------

    def _history(self, domain: str, execution: dict[str, str]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"domain": domain, "execution": execution, "maximumPageSize": 1000}
        while True:
            answer = self.engine.get_workflow_execution_history(request)
            events.extend(answer["events"])
            if not answer.get("nextPageToken"):
                return events
            request = {**request, "nextPageToken": answer["nextPageToken"]}

    def _execution(self, query: dict[str, str]) -> bytes:
        domain, workflow_id, run_id = (query.get(name, "") for name in ("domain", "workflowId", "runId"))
        if not (domain and workflow_id and run_id):
            raise _Answer("400 Bad Request", "domain, workflowId and runId are required.")
        execution = {"workflowId": workflow_id, "runId": run_id}
        described = self.engine.describe_workflow_execution({"domain": domain, "execution": execution})
        events = self._history(domain, execution)
        info = described["executionInfo"]
        config = described["executionConfiguration"]
        status = info.get("closeStatus", "OPEN")
        now = float(self.engine.now())
        started = attributes(events[0]) if events else {}
        ref = {"domain": domain, **execution}
        facts = [
            ("Domain", link(url("executions", {"domain": domain}), domain)),
            ("Workflow type", text(f"{info['workflowType']['name']} {info['workflowType']['version']}")),
            ("Run id", f'<span class="mono">{text(run_id)}</span>'),
            ("Started", text(when(info["startTimestamp"]))),
            ("Closed", text(when(info.get("closeTimestamp"))) or '<span class="muted">open</span>'),
            ("Took", text(duration((info.get("closeTimestamp") or now) - info["startTimestamp"]))),
            ("Task list", text(config["taskList"]["name"])),
            ("Child policy", text(config["childPolicy"])),
            ("Tags", text(", ".join(info.get("tagList", []))) or '<span class="muted">none</span>'),
        ]
        if info.get("parent"):
            parent = info["parent"]
            facts.append(("Parent", link(url("execution", {"domain": domain, **parent}), parent["workflowId"])))
        if started.get("continuedExecutionRunId"):
            facts.append(
                (
                    "Continued from",
                    link(
                        url(
                            "execution",
                            {"domain": domain, "workflowId": workflow_id, "runId": started["continuedExecutionRunId"]},
                        ),
                        started["continuedExecutionRunId"][:12] + "…",
                    ),
                )
            )
        if info.get("cancelRequested"):
            facts.append(("Cancel", "requested"))
        grid = "".join(f"<div><b>{text(name)}</b><span>{value}</span></div>" for name, value in facts)
        actions = ""
        if status == "OPEN":
            actions = (
                '<div class="actions">'
                + "".join(
                    link(
                        url("confirm", {"action": action, **ref}),
                        _ACTIONS[action][2],
                        "button danger" if action == "terminate" else "button",
                    )
                    for action in ("signal", "cancel", "terminate")
                )
                + "</div>"
            )
        note = ""
        if query.get("done") in _DONE:
            note = f'<div class="note">{text(_DONE[query["done"]])}</div>'
        body = (
            f"<h1>{text(workflow_id)} {badge(status)}</h1>{note}{actions}"
            f'<section class="grid">{grid}</section>'
            + self._io(events, started, domain, workflow_id)
            + "<h2>Pending</h2>"
            + self._pending(events, described["openCounts"], now)
            + "<h2>Timeline</h2>"
            + timeline_svg(
                timeline_rows(events, domain), now if status == "OPEN" else (info.get("closeTimestamp") or now)
            )
            + f"<h2>History ({len(events)} events)</h2>"
            + self._events(events)
        )
        return page(workflow_id, body, where=domain)

    @staticmethod
    def _io(events: list[dict[str, Any]], started: dict[str, Any], domain: str, workflow_id: str) -> str:
        """The input beside the result, failure or other close of the execution."""
        given = started.get("input")
        parts = [
            "<div><h2>Input</h2>"
            + (pretty(given) if given is not None else '<p class="muted">No input.</p>')
            + "</div>"
        ]
        for event in reversed(events):
            outcome = _OUTCOME_EVENTS.get(str(event.get("eventType")))
            if outcome is None:
                continue
            title, member = outcome
            attrs = attributes(event)
            if member == "newExecutionRunId":
                next_run = url(
                    "execution", {"domain": domain, "workflowId": workflow_id, "runId": attrs.get(member, "")}
                )
                shown = f"<p>{link(next_run, 'the next run')}</p>"
            else:
                shown = pretty(attrs[member]) if attrs.get(member) is not None else '<p class="muted">None given.</p>'
                if member != "details" and attrs.get("details") is not None:
                    shown += "<b>Details</b>" + pretty(attrs["details"])
            parts.append(f"<div><h2>{text(title)}</h2>{shown}</div>")
            break
        return f'<section class="io">{"".join(parts)}</section>'

    @staticmethod
    def _pending(events: list[dict[str, Any]], counts: dict[str, int], now: float) -> str:
        """Open tasks read from the history: decision task, activities, timers, child workflows."""
        open_tasks: dict[int, list[str]] = {}
        decision: list[str] | None = None
        for event in events:
            event_type = str(event.get("eventType"))
            attrs = attributes(event)
            at = float(event["eventTimestamp"])
            event_id = int(event["eventId"])
            if event_type == "DecisionTaskScheduled":
                decision = ["Decision task", "", "scheduled", text(when(at)), text(duration(now - at))]
            elif event_type == "DecisionTaskStarted" and decision is not None:
                decision[2] = f"started by {text(attrs.get('identity', '?'))}"
            elif event_type in ("DecisionTaskCompleted", "DecisionTaskTimedOut"):
                decision = None
            elif event_type == "ActivityTaskScheduled":
                open_tasks[event_id] = [
                    "Activity",
                    text(f"{attrs.get('activityId')} ({attrs.get('activityType', {}).get('name', '')})"),
                    "scheduled",
                    text(when(at)),
                    text(duration(now - at)),
                ]
            elif event_type == "ActivityTaskStarted" and int(attrs.get("scheduledEventId", 0)) in open_tasks:
                open_tasks[int(attrs["scheduledEventId"])][2] = f"started by {text(attrs.get('identity', '?'))}"
            elif event_type in (
                "ActivityTaskCompleted",
                "ActivityTaskFailed",
                "ActivityTaskTimedOut",
                "ActivityTaskCanceled",
            ):
                open_tasks.pop(int(attrs.get("scheduledEventId", 0)), None)
            elif event_type == "TimerStarted":
                fire = at + float(attrs.get("startToFireTimeout", 0))
                open_tasks[event_id] = [
                    "Timer",
                    text(attrs.get("timerId")),
                    f"fires {text(when(fire))}",
                    text(when(at)),
                    text(duration(now - at)),
                ]
            elif event_type in ("TimerFired", "TimerCanceled"):
                open_tasks.pop(int(attrs.get("startedEventId", 0)), None)
            elif event_type == "StartChildWorkflowExecutionInitiated":
                open_tasks[event_id] = [
                    "Child workflow",
                    text(attrs.get("workflowId")),
                    "initiated",
                    text(when(at)),
                    text(duration(now - at)),
                ]
            elif event_type == "ChildWorkflowExecutionStarted" and int(attrs.get("initiatedEventId", 0)) in open_tasks:
                open_tasks[int(attrs["initiatedEventId"])][2] = "started"
            elif event_type.startswith("ChildWorkflowExecution") or event_type == "StartChildWorkflowExecutionFailed":
                open_tasks.pop(int(attrs.get("initiatedEventId", 0)), None)
            elif event_type.startswith("WorkflowExecution") and event_type not in (
                "WorkflowExecutionStarted",
                "WorkflowExecutionSignaled",
                "WorkflowExecutionCancelRequested",
            ):
                decision = None
                open_tasks.clear()
        rows = ([decision] if decision is not None else []) + list(open_tasks.values())
        if not rows and not any(counts.values()):
            return '<p class="muted">Nothing pending.</p>'
        summary = (
            f'<p class="muted">Open counts: {counts.get("openActivityTasks", 0)} activity tasks, '
            f"{counts.get('openDecisionTasks', 0)} decision tasks, {counts.get('openTimers', 0)} timers, "
            f"{counts.get('openChildWorkflowExecutions', 0)} child workflows.</p>"
        )
        return summary + table(["Kind", "Id", "State", "Since", "Age"], rows, "Nothing pending.")

    @staticmethod
    def _events(events: list[dict[str, Any]]) -> str:
        begin = float(events[0]["eventTimestamp"]) if events else 0.0
        rows = []
        for event in events:
            attrs = attributes(event)
            at = float(event["eventTimestamp"])
            summary = ", ".join(
                f"{key}={value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)}"
                for key, value in attrs.items()
                if not key.endswith("EventId")
            )
            rows.append(
                f'<tr class="event" id="event-{int(event["eventId"])}"><td class="num">{int(event["eventId"])}</td>'
                f'<td class="num" title="{text(when(at))}">+{text(duration(at - begin))}</td>'
                f"<td>{text(event['eventType'])}</td>"
                f"<td><details><summary>{text(cut(summary, SUMMARY_LIMIT)) or 'attributes'}</summary>"
                f"{pretty(attrs)}</details></td></tr>"
            )
        return (
            '<table class="history"><thead><tr><th class="num">Id</th><th class="num">Time</th><th>Event type</th>'
            f"<th>Attributes</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    # -- actions --------------------------------------------------------------------

    def _confirm(self, query: dict[str, str]) -> bytes:
        action = query.get("action", "")
        if action not in _ACTIONS:
            raise _Answer("400 Bad Request", f"action must be one of {', '.join(_ACTIONS)}, got {action!r}.")
        domain, workflow_id, run_id = (query.get(name, "") for name in ("domain", "workflowId", "runId"))
        if not (domain and workflow_id and run_id):
            raise _Answer("400 Bad Request", "domain, workflowId and runId are required.")
        execution = {"workflowId": workflow_id, "runId": run_id}
        info = self.engine.describe_workflow_execution({"domain": domain, "execution": execution})["executionInfo"]
        if info["executionStatus"] != "OPEN":
            raise _Answer("409 Conflict", f"{workflow_id} is closed ({info.get('closeStatus')}): nothing to {action}.")
        label = _ACTIONS[action][2]
        fields = {
            "signal": '<label for="signalName">Signal name</label><input id="signalName" name="signalName" required size="40">'
            '<label for="input">Input (optional)</label><textarea id="input" name="input"></textarea>',
            "cancel": "<p>The workflow's decider sees WorkflowExecutionCancelRequested and decides what to do.</p>",
            "terminate": "<p>The execution closes now as TERMINATED; its child policy applies to open children.</p>"
            '<label for="reason">Reason (optional)</label><input id="reason" name="reason" size="60">'
            '<label for="details">Details (optional)</label><textarea id="details" name="details"></textarea>',
        }[action]
        back = url("execution", {"domain": domain, "workflowId": workflow_id, "runId": run_id})
        body = (
            f"<h1>{text(label)} {text(workflow_id)}?</h1>"
            f'<form class="confirm" method="post" action="/ui/act">'
            f"<p>Domain <b>{text(domain)}</b>, workflow id <b>{text(workflow_id)}</b>, "
            f'run id <span class="mono">{text(run_id)}</span>.</p>'
            f'<input type="hidden" name="csrf" value="{text(self.csrf_token)}">'
            f'<input type="hidden" name="action" value="{text(action)}">'
            f'<input type="hidden" name="domain" value="{text(domain)}">'
            f'<input type="hidden" name="workflowId" value="{text(workflow_id)}">'
            f'<input type="hidden" name="runId" value="{text(run_id)}">'
            f"{fields}"
            f'<div class="actions"><button type="submit" class="{"danger" if action == "terminate" else ""}" id="confirm">'
            f"Confirm: {text(label.lower())}</button>{link(back, 'Back', 'button light')}</div></form>"
        )
        return page(f"{label} {workflow_id}", body, where=domain)

    def _act(self, environ: dict[str, Any]) -> str:
        """Run a confirmed action; returns the execution page's address to redirect to."""
        origin = environ.get("HTTP_ORIGIN")
        if origin and origin != "null" and urlsplit(origin).netloc != environ.get("HTTP_HOST", ""):
            raise _Answer("403 Forbidden", "The form was sent from another site.")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _Answer("400 Bad Request", "Invalid Content-Length.") from None
        if length > MAX_FORM_BYTES:
            raise _Answer("413 Content Too Large", f"The form is over {MAX_FORM_BYTES} bytes.")
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise _Answer("400 Bad Request", "The form is not UTF-8.") from None
        if not hmac.compare_digest(form.get("csrf", ""), self.csrf_token):
            raise _Answer("403 Forbidden", "The form's token is missing or stale; reload the page and try again.")
        action = form.get("action", "")
        if action not in _ACTIONS:
            raise _Answer("400 Bad Request", f"action must be one of {', '.join(_ACTIONS)}, got {action!r}.")
        operation, method, _ = _ACTIONS[action]
        request: dict[str, Any] = {name: form.get(name, "") for name in ("domain", "workflowId", "runId")}
        if action == "signal":
            request["signalName"] = form.get("signalName", "")
            if form.get("input"):
                request["input"] = form["input"]
        elif action == "terminate":
            for name in ("reason", "details"):
                if form.get(name):
                    request[name] = form[name]
        getattr(self.engine, method)(validate(operation, request))
        log.info("Web UI: %s on %s/%s run %s", action, request["domain"], request["workflowId"], request["runId"])
        return url(
            "execution",
            {
                "domain": request["domain"],
                "workflowId": request["workflowId"],
                "runId": request["runId"],
                "done": action,
            },
        )
