"""Signals as Prometheus metrics, served over HTTP.

Needs the ``prometheus-client`` package: ``pip install
'simple-workflow[prometheus]'``. In a runner config::

    [handlers]
    prometheus = 9100               ; 127.0.0.1:9100; or host:port

Each signal of :mod:`swf_gevent.signals` counts in a counter named
``swf_<what>_total`` (``swf_activity_tasks_completed_total``), labelled with
the SWF ids it is about: ``domain`` and ``task_list``, and for activity
tasks ``activity_name`` and ``activity_version``; ``call-retried`` by
``operation``. Durations go to histograms in seconds:

- ``swf_activity_task_duration_seconds`` (activity task received to answered;
  labels of activity tasks plus ``outcome``: completed, failed, canceled or
  gone);
- ``swf_decision_task_duration_seconds`` (labels ``domain``, ``task_list``,
  ``outcome``: completed or failed);
- ``swf_poll_empty_duration_seconds`` (how long empty polls were held);
- ``swf_hub_blocked_seconds`` (how long a greenlet held the gevent hub).

The gauge ``swf_pollers`` (labels ``domain``, ``task_list``) is the number
of pollers of the live actors, from ``pollers-changed`` (summed over worker
processes).

The metrics live in the handler's own registry (not the process-wide
default), served at any path of ``http://host:port/`` in Prometheus' text
format by a gevent WSGI server started by :meth:`PrometheusHandler.connect`.

With worker processes (``[swf] processes = N``), the parent runner serves
the sum of every child's metrics on the one port
(:meth:`PrometheusHandler.serve_children`): before starting them it points
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multi-process mode) at a
fresh directory, in which each child's handler records its metrics instead
of serving them. A child restarted after a crash adds to the same counters.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from typing import Any

from gevent.pywsgi import WSGIServer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector

from swf_gevent import signals
from swf_gevent.handlers import DEFAULT_BUCKETS, DURATIONS, SignalHandler, counter_name
from swf_gevent.signals import SignalSpec

__all__ = ["PrometheusHandler"]

log = logging.getLogger(__name__)

#: prometheus-client's switch to multi-process mode: the directory its metric files go to.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: Set by :meth:`PrometheusHandler.serve_children` to the serving parent's pid.
_PARENT = "SWF_GEVENT_PROMETHEUS_PARENT"

#: The payload keys that become labels, in label order; a signal's labels
#: are those of its payload (:attr:`swf_gevent.signals.SignalSpec.payload`).
LABEL_KEYS = ("domain", "task_list", "activity_name", "activity_version", "operation")
_QUEUE = ("domain", "task_list")


def _labels(spec: SignalSpec) -> tuple[str, ...]:
    return tuple(key for key in LABEL_KEYS if key in spec.payload)


def _help(spec: SignalSpec) -> str:
    """The first sentence of the signal's doc: ``"A worker polled an activity task."``."""
    return spec.doc.split(". ", 1)[0].rstrip(".") + "."


#: signal name: (help, labels) of its counter; a signal outside the catalogue counts by domain and task list.
_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    spec.name: (_help(spec), _labels(spec)) for spec in signals.CATALOGUE.values()
}

#: histogram (a key of :data:`swf_gevent.signals.DURATION_METRICS`): (help, labels before ``outcome``).
_HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    spec.duration: (f"{signals.DURATION_METRICS[spec.duration]}, in seconds.", _labels(spec))
    for spec in reversed(signals.CATALOGUE.values())
    if spec.duration is not None
}


class PrometheusHandler(SignalHandler):
    """Counts every signal and observes task durations as Prometheus metrics, served over HTTP.

    :param port: the TCP port to serve on; 0 picks a free one (see :attr:`port`).
    :param host: the address to bind; loopback by default, ``"0.0.0.0"`` for
        every interface.
    :param buckets: the histograms' upper bounds in seconds.
    """

    def __init__(self, port: int = 9100, host: str = "127.0.0.1", buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        super().__init__()
        self.host = host
        self._port = port
        #: The registry holding this handler's metrics.
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters: dict[str, tuple[Any, tuple[str, ...]]] = {}
        for name in _COUNTERS:
            self._counters[name] = self._new_counter(name)
        self._histograms: dict[str, tuple[Any, tuple[str, ...]]] = {}
        outcomes = {which for which, outcome in DURATIONS.values() if outcome is not None}
        for which, (doc, labels) in _HISTOGRAMS.items():
            names = labels + ("outcome",) if which in outcomes else labels
            histogram = Histogram(f"swf_{which}_seconds", doc, names, registry=self.registry, buckets=buckets)
            self._histograms[which] = (histogram, labels)
        self._pollers = Gauge(
            "swf_pollers",
            "Pollers of the live actors (long polls in flight at most).",
            _QUEUE,
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._actor_pollers: dict[int, tuple[tuple[str, ...], int]] = {}  # id of actor -> (labels, pollers)
        self._server: WSGIServer | None = None
        self._directory: str | None = None  # made by serve_children()

    @property
    def port(self) -> int:
        """The port served on: the one bound once connected (a free one when given 0)."""
        if self._server is not None:
            return int(self._server.server_port)
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port/``, where the metrics are served."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def serving(self) -> bool:
        """Whether this process serves metrics over HTTP (a worker process of a runner records them only)."""
        return self._server is not None

    def connect(self) -> None:
        """Start serving the metrics and receiving signals; connecting twice is harmless.

        In a worker process started by :meth:`serve_children`'s runner, the
        metrics are recorded for the parent to serve, not served here.

        :raises OSError: the address cannot be bound (port in use...).
        """
        if self._server is None and not _recording_for_parent():
            self._serve(self.registry)
        super().connect()

    def serve_children(self) -> None:
        """Serve the sum of the metrics of worker processes started after this call.

        Called by the runner in the parent of worker processes, before they
        start, instead of :meth:`connect`: it sets ``PROMETHEUS_MULTIPROC_DIR``
        (kept when already set) to a fresh directory, which the children
        inherit, so that their handlers record into it; this process serves
        what they recorded. :meth:`disconnect` stops serving and removes the
        directory it made.

        :raises OSError: the address cannot be bound (port in use...).
        """
        if self._server is not None:
            return
        directory = os.environ.get(MULTIPROC_DIR)
        if directory is None:
            directory = self._directory = tempfile.mkdtemp(prefix="swf-prometheus-")
            os.environ[MULTIPROC_DIR] = directory
        os.environ[_PARENT] = str(os.getpid())
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        self._serve(registry)

    def disconnect(self) -> None:
        """Stop receiving signals and serving; the counts are kept."""
        super().disconnect()
        if self._server is not None:
            self._server.stop(timeout=1)
            self._server = None
        if self._directory is not None:
            os.environ.pop(_PARENT, None)
            os.environ.pop(MULTIPROC_DIR, None)
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def _serve(self, registry: CollectorRegistry) -> None:
        server = WSGIServer((self.host, self._port), make_wsgi_app(registry), log=None)
        server.start()
        self._server = server
        log.info("Prometheus metrics served at %s", self.url)

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        if name in (signals.pollers_changed.name, signals.actor_stopped.name):
            self._set_pollers(name, sender, payload)
        entry = self._counters.get(name)
        if entry is None:
            entry = self._counters[name] = self._new_counter(name)
        counter, labels = entry
        if labels:
            counter.labels(*_values(labels, payload)).inc()
        else:
            counter.inc()
        duration = DURATIONS.get(name)
        if duration is None or "duration" not in payload:
            return
        which, outcome = duration
        histogram, labels = self._histograms[which]
        values = _values(labels, payload)
        if outcome is not None:
            values.append(outcome)
        child = histogram.labels(*values) if values else histogram
        child.observe(float(payload["duration"]))

    def _set_pollers(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        """Keep the sender's poller count and set its queue's gauge to the sum over actors."""
        labels = tuple(_values(_QUEUE, payload))
        if name == signals.pollers_changed.name:
            self._actor_pollers[id(sender)] = (labels, int(payload.get("pollers", 0)))
        else:
            self._actor_pollers.pop(id(sender), None)
        total = sum(count for queue, count in self._actor_pollers.values() if queue == labels)
        self._pollers.labels(*labels).set(total)

    def _new_counter(self, name: str) -> tuple[Any, tuple[str, ...]]:
        """The counter of signal ``name``: ``swf_<counter name>_total`` (labels of the table, else domain and task list)."""
        doc, labels = _COUNTERS.get(name, (f"Signal {name}.", _QUEUE))
        return Counter(f"swf_{counter_name(name)}", doc, labels, registry=self.registry), labels


def _values(labels: tuple[str, ...], payload: dict[str, Any]) -> list[str]:
    """The payload's value of each label, ``""`` for those it lacks."""
    return [str(payload.get(label, "")) for label in labels]


def _recording_for_parent() -> bool:
    """Whether this is a worker process whose parent serves the metrics (see :meth:`PrometheusHandler.serve_children`)."""
    parent = os.environ.get(_PARENT)
    return parent is not None and parent != str(os.getpid()) and MULTIPROC_DIR in os.environ
