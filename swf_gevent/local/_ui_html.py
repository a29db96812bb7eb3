"""HTML pieces of the local endpoint's web UI: the page frame, its CSS, and text formatting.

Everything that comes from users (domain names, ids, inputs, reasons,
details) goes through :func:`text` (``html.escape``) or :func:`link`, never
into markup as is. The page loads nothing from elsewhere: the CSS is inline
and there is no script.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

#: Characters of a value shown in a one-line summary before it is cut with a marker.
SUMMARY_LIMIT = 120

#: Colour of each outcome, shared by the timeline, the badges and the legend.
OUTCOME_COLOURS = {
    "COMPLETED": "#2e9e5b",
    "FIRED": "#2e9e5b",
    "OPEN": "#3b82f6",
    "RUNNING": "#3b82f6",
    "STARTED": "#3b82f6",
    "SCHEDULED": "#a5b4c8",
    "FAILED": "#d64545",
    "TIMED_OUT": "#e08a1e",
    "CANCELED": "#8a8f98",
    "TERMINATED": "#7c3aed",
    "CONTINUED_AS_NEW": "#0d9488",
}

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;background:#f5f7fa}
header{background:#1f2933;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:600;font-size:16px}
header .where{color:#9aa5b1;font-size:12px}
main{padding:16px 24px;max-width:1400px}
h1{font-size:20px;margin:4px 0 12px;word-break:break-all}
h2{font-size:15px;margin:22px 0 8px;color:#323f4b}
a{color:#1d5fbf}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9e2ec}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#f0f4f8;font-weight:600;font-size:12px;color:#52606d;text-transform:uppercase;letter-spacing:.03em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.event td{font-size:13px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#f0f4f8;border:1px solid #d9e2ec;padding:8px;margin:4px 0;white-space:pre-wrap;word-break:break-all;max-height:420px;overflow:auto}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.muted{color:#7b8794}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px 24px;background:#fff;border:1px solid #d9e2ec;padding:12px 16px}
.grid div b{display:block;font-size:11px;color:#7b8794;text-transform:uppercase;letter-spacing:.03em;font-weight:600}
.grid div span{word-break:break-all}
form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;background:#fff;border:1px solid #d9e2ec;padding:10px 14px;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#52606d}
input,select,textarea{font:inherit;padding:4px 6px;border:1px solid #bcccdc;border-radius:4px;background:#fff}
textarea{width:100%;min-height:80px;font-family:ui-monospace,Menlo,Consolas,monospace}
button,.button{font:inherit;padding:5px 14px;border-radius:4px;border:1px solid #1d5fbf;background:#1d5fbf;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.button.light{background:#fff;color:#1d5fbf}
.button.danger,button.danger{background:#c53030;border-color:#c53030;color:#fff}
.actions{display:flex;gap:8px;margin:8px 0 4px}
.tabs{display:flex;gap:4px;margin-bottom:10px}
.tabs a{padding:5px 14px;border:1px solid #bcccdc;border-radius:4px;background:#fff;text-decoration:none}
.tabs a.on{background:#1f2933;color:#fff;border-color:#1f2933}
.note{padding:8px 12px;border-radius:4px;margin:8px 0;background:#e6f6ec;border:1px solid #9fd8b4}
.error{padding:8px 12px;border-radius:4px;margin:8px 0;background:#fdecec;border:1px solid #f1a9a9}
.confirm{background:#fff;border:1px solid #d9e2ec;padding:16px;max-width:720px}
.confirm label{display:block;margin:10px 0 4px;font-weight:600}
details summary{cursor:pointer;color:#1d5fbf}
.timeline{background:#fff;border:1px solid #d9e2ec;padding:8px 8px 4px;overflow-x:auto}
.timeline svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#323f4b}
.timeline svg a text{fill:#1d5fbf;text-decoration:underline}
.io{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 24px}
.timeline svg text.axis{fill:#7b8794;font-size:11px}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;color:#52606d;margin:6px 0 0}
.legend i{display:inline-block;width:12px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.pager{margin:10px 0;display:flex;gap:10px;align-items:center}
"""


def text(value: Any) -> str:
    """``value`` as HTML text: ``None`` is empty, anything else is ``str()`` and escaped."""
    return "" if value is None else html.escape(str(value), quote=True)


def cut(value: str, limit: int = SUMMARY_LIMIT) -> str:
    """``value`` cut to ``limit`` characters with a ``…`` marker when longer (not escaped)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def url(path: str, params: Mapping[str, Any] | None = None) -> str:
    """``/ui/<path>?<params>`` with the parameters percent-encoded (``None`` and ``""`` left out)."""
    query = urlencode([(key, str(value)) for key, value in (params or {}).items() if value not in (None, "")])
    return f"/ui/{path}" + (f"?{query}" if query else "")


def link(href: str, label: Any, css: str = "") -> str:
    """An ``<a>`` to ``href`` showing ``label``, both escaped."""
    klass = f' class="{text(css)}"' if css else ""
    return f'<a href="{text(href)}"{klass}>{text(label)}</a>'


def when(epoch: float | None) -> str:
    """``epoch`` seconds as ``2024-05-01 12:00:00.123 UTC``; empty for ``None``."""
    if epoch is None:
        return ""
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def duration(seconds: float) -> str:
    """``seconds`` as ``850 ms``, ``12.4 s``, ``3 min 5 s`` or ``2 h 3 min``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def badge(status: str) -> str:
    """A coloured pill naming ``status`` (``OPEN``, ``COMPLETED``, ``FAILED``...)."""
    colour = OUTCOME_COLOURS.get(status, "#52606d")
    return f'<span class="badge" style="background:{colour}">{text(status)}</span>'


def pretty(value: Any) -> str:
    """``value`` as indented JSON, or a string that holds JSON re-indented; escaped, in a ``<pre>``."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return f"<pre>{text(value)}</pre>"
        if not isinstance(decoded, (dict, list)):
            return f"<pre>{text(value)}</pre>"
        value = decoded
    return f"<pre>{text(json.dumps(value, indent=2, sort_keys=True, default=str))}</pre>"


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str = "None.") -> str:
    """A ``<table>``: ``headers`` are escaped, each row's cells are markup already."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{text(empty)}</p>'
    head = "".join(f"<th>{text(name)}</th>" for name in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, *, where: str = "") -> bytes:
    """The whole HTML document: header bar, ``title`` (escaped) and ``body`` (markup), UTF-8."""
    document = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title)} · local SWF</title><style>{_CSS}</style></head><body>"
        f'<header><a class="brand" href="/ui/">local SWF</a><a href="/ui/">Domains</a>'
        f'<span class="where">{text(where)}</span></header>'
        f"<main>{body}</main></body></html>"
    )
    return document.encode("utf-8")
