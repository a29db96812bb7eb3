"""An embedded SWF endpoint: its state in memory or in a SQLite file, served over SWF's JSON 1.0 protocol.

``LocalSWF`` and ``StoreError`` are imported on first access: the WSGI server pulls in ``ssl``
(through ``http.client``), and ``python -m swf_gevent.local`` imports this
package before its entry point can monkey-patch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swf_gevent.local._server import LocalSWF
    from swf_gevent.local._store import StoreError

__all__ = ["LocalSWF", "StoreError"]


def __getattr__(name: str) -> Any:
    if name == "LocalSWF":
        from swf_gevent.local._server import LocalSWF

        return LocalSWF
    if name == "StoreError":
        from swf_gevent.local._store import StoreError

        return StoreError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
