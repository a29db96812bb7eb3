"""The runner's ``[handlers]`` section: which signal handlers to connect, and their settings.

Keys (see :mod:`swf_gevent.run` for the whole file)::

    [handlers]
    logging = INFO                  ; LoggingHandler, lines at this level and above
    prometheus = 9100               ; PrometheusHandler on 127.0.0.1:9100 (or host:port)
    statsd = 127.0.0.1:8125         ; StatsdHandler sending UDP to host:port
    statsd_prefix = swf             ; optional, default "swf"
    mine = package.module.Handler   ; any other key: a handler class by dotted path

A value of ``logging``, ``prometheus`` or ``statsd`` that is a dotted path
is read as any other key's, as files written before these keys existed did.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["read_handlers"]

_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_SECTION = "handlers"

#: (module to import, package name on PyPI, extra of simple-workflow) per optional handler.
_EXTRAS = {
    "prometheus": ("prometheus_client", "prometheus-client", "prometheus"),
    "statsd": ("statsd", "statsd", "statsd"),
}


class _Reader(Protocol):
    def error(self, section: str | None, key: str | None, problem: str) -> Exception: ...

    def dotted(self, section: str, key: str) -> Any: ...


def read_handlers(reader: _Reader, values: dict[str, str]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """The handler factories the ``[handlers]`` section names, in its order.

    :param reader: the config reader, for its errors and dotted path imports.
    :param values: the section's keys and raw values.
    :returns: ``((key, factory), ...)``; each factory is called without arguments.
    :raises ConfigError: a bad value, a missing optional package (naming the
        extra to install), or ``statsd_prefix`` without ``statsd``.
    """
    handlers: list[tuple[str, Callable[[], Any]]] = []
    for key, raw in values.items():
        value = raw.strip()
        if key == "statsd_prefix":
            if "statsd" not in values:
                raise reader.error(_SECTION, key, "set statsd = host:port too")
            continue
        if key in ("logging", "prometheus", "statsd") and not _is_dotted(value):
            handlers.append((key, _stock(reader, key, value, values)))
            continue
        factory = reader.dotted(_SECTION, key)
        if not callable(factory):
            raise reader.error(_SECTION, key, f"{value!r} is not a class")
        handlers.append((key, factory))
    return tuple(handlers)


def _stock(reader: _Reader, key: str, value: str, values: dict[str, str]) -> Callable[[], Any]:
    if key == "logging":
        level = value.upper()
        if level not in _LEVELS:
            raise reader.error(_SECTION, key, f"must be one of {', '.join(_LEVELS)}, got {value!r}")
        from swf_gevent.handlers import LoggingHandler

        return functools.partial(LoggingHandler, level=level)
    module, package, extra = _EXTRAS[key]
    try:
        importlib.import_module(module)
    except ImportError:
        raise reader.error(
            _SECTION, key, f"needs the {package} package: pip install 'simple-workflow[{extra}]'"
        ) from None
    host, port = _address(reader, key, value, "127.0.0.1")
    if key == "prometheus":
        from swf_gevent.prometheus import PrometheusHandler

        return functools.partial(PrometheusHandler, port=port, host=host)
    from swf_gevent.statsd import StatsdHandler

    prefix = values.get("statsd_prefix", "swf").strip()
    if not prefix or any(c in prefix for c in ":|@ "):
        raise reader.error(_SECTION, "statsd_prefix", f"must be a metric name prefix such as 'swf', got {prefix!r}")
    return functools.partial(StatsdHandler, host=host, port=port, prefix=prefix)


def _address(reader: _Reader, key: str, value: str, default_host: str) -> tuple[str, int]:
    """``(host, port)`` from ``"port"``, ``"host:port"`` or ``"[v6 address]:port"``."""
    host, _, port_text = value.rpartition(":")
    host = host.strip().removeprefix("[").removesuffix("]") or default_host
    try:
        port = int(port_text.strip())
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise reader.error(_SECTION, key, f"must be a port or host:port (port 0 to 65535), got {value!r}")
    return host, port


def _is_dotted(value: str) -> bool:
    """Whether ``value`` reads as ``package.module.Name`` rather than a level or an address."""
    parts = value.split(".")
    return len(parts) > 1 and all(part.isidentifier() for part in parts)
