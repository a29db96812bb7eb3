"""The stock handlers and the runner's [handlers] section, with tasks run over loopback HTTP."""

from __future__ import annotations

import importlib
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from swf.models.events import ActivityTaskCompleted
from swf_gevent import signals
from swf_gevent._config import load
from swf_gevent.handlers import LatencyHistogram, LoggingHandler, MetricsHandler, SignalHandler
from swf_gevent.run import main
from tests.swf_gevent._handler_support import fleet_config, register, run_one_task

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


@pytest.fixture(autouse=True)
def _isolated_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))


class _Raising(SignalHandler):
    """Raises from every receiver."""

    def receive(self, name: str, sender: Any, payload: dict[str, Any]) -> None:
        raise RuntimeError(f"broken receiver of {name}")


def test_raising_receivers_never_break_a_task(
    swf_client: Any, domain_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With a receiver raising on every signal, a worker still runs and completes its task; each raise is logged."""
    register(swf_client, domain_name)
    broken = _Raising()
    broken.connect()
    try:
        with caplog.at_level(logging.ERROR, logger="swf_gevent.signals"):
            history = run_one_task(swf_client, domain_name, value=21)
    finally:
        broken.disconnect()
    completed = history.filter(ActivityTaskCompleted)
    assert [event.result for event in completed if isinstance(event, ActivityTaskCompleted)] == ["42"]
    assert not history.filter("ActivityTaskFailed")
    assert "'activity-task-completed'" in caplog.text and "broken receiver of activity-task-completed" in caplog.text


def test_metrics_handler_counts_a_real_task(swf_client: Any, domain_name: str) -> None:
    """MetricsHandler counts the signals of one task run through a worker and times it."""
    register(swf_client, domain_name)
    metrics = MetricsHandler()
    metrics.connect()
    try:
        run_one_task(swf_client, domain_name)
    finally:
        metrics.disconnect()
    assert metrics.counts.activity_task_received == 1
    assert metrics.counts.activity_task_completed == 1
    assert metrics.counts.actor_started == 1 and metrics.counts.actor_stopped == 1
    assert metrics.activity_tasks == 1
    latency = metrics.latency(0.5)
    assert latency is not None and 0 < latency < 10
    assert metrics.status().startswith("activity tasks 1 (0 failed, 0 canceled, p50 ")


def test_metrics_status_line() -> None:
    """status() gives answered tasks, failures, percentiles, pollers, retries and crashes on one line."""
    metrics = MetricsHandler()
    one, other = object(), object()
    metrics.receive("activity-task-completed", None, {"duration": 0.010})
    metrics.receive("activity-task-failed", None, {"duration": 0.030})
    metrics.receive("decision-task-completed", None, {"duration": 0.002})
    metrics.receive("call-retried", None, {})
    metrics.receive("pollers-changed", one, {"pollers": 1})
    metrics.receive("pollers-changed", one, {"pollers": 5})
    metrics.receive("pollers-changed", other, {"pollers": 2})
    assert metrics.status() == (
        "activity tasks 2 (1 failed, 0 canceled, p50 10.0 ms, p95 30.0 ms); "
        "decision tasks 1 (0 failed); 7 pollers; 1 calls retried; 0 actors crashed"
    )
    metrics.receive("actor-stopped", other, {})
    assert metrics.pollers == 5
    assert (
        MetricsHandler().status()
        == "activity tasks 0 (0 failed, 0 canceled); decision tasks 0 (0 failed); 0 pollers; 0 calls retried; 0 actors crashed"
    )


def test_latency_histogram_buckets_and_window() -> None:
    """Durations land in the first bucket whose bound they do not pass; percentiles see the latest window only."""
    histogram = LatencyHistogram(bounds=(0.1, 1.0), window=3)
    for seconds in (0.05, 0.1, 0.5, 2.0, 3.0):
        histogram.observe(seconds)
    assert histogram.buckets() == [(0.1, 2), (1.0, 1), (float("inf"), 2)]
    assert histogram.count == 5 and histogram.sum == pytest.approx(5.65)
    assert histogram.percentile(0.0) == 0.5  # 0.05 and 0.1 left the window of 3
    with pytest.raises(ValueError, match="bounds must be increasing"):
        LatencyHistogram(bounds=(1.0, 0.5))
    with pytest.raises(ValueError, match="window must be at least 1"):
        LatencyHistogram(window=0)


def test_logging_handler_level(caplog: pytest.LogCaptureFixture) -> None:
    """LoggingHandler(level) lowers its logger to that level while connected and restores it after."""
    logger = logging.getLogger("swf_gevent.handlers")
    logger.setLevel(logging.WARNING)
    task = _FakeTask()
    handler = LoggingHandler(level="info")
    handler.connect()
    try:
        assert logger.level == logging.INFO
        with caplog.at_level(logging.DEBUG):  # the root lets everything through; the logger decides
            signals.emit(signals.activity_task_received, None, task=task)
            signals.emit(signals.activity_task_completed, None, task=task, result="1", duration=0.25)
            signals.emit(
                signals.call_retried, None, operation="PollForActivityTask", attempt=2, delay=0.4, error=TimeoutError()
            )
    finally:
        handler.disconnect()
    assert logger.level == logging.WARNING
    logger.setLevel(logging.NOTSET)
    lines = [record.getMessage() for record in caplog.records if record.name == "swf_gevent.handlers"]
    assert lines == [
        "activity-task-completed workflow wf run r activity a-1 in 0.250 s",
        "call-retried PollForActivityTask attempt 2: TimeoutError; retrying in 0.400 s",
    ]
    with pytest.raises(ValueError, match="level must be a logging level name"):
        LoggingHandler(level="LOUD")


class _FakeTask:
    """An activity task's ids, as a task value carries them."""

    def __init__(self) -> None:
        from swf.models.events import ExecutionRef, TypeRef

        self.workflow_execution = ExecutionRef("wf", "r")
        self.activity_id = "a-1"
        self.activity_type = TypeRef("double", "1")
        self.task_token = "SECRET"


# --- the runner's [handlers] section ------------------------------------------------------------


def _load_handlers(tmp_path: Path, handlers: dict[str, str]) -> dict[str, Any]:
    config = load(fleet_config(tmp_path, "d", handlers))
    return {key: factory() for key, factory in config.handlers}


def test_handlers_section_builds_each_handler(tmp_path: Path) -> None:
    """logging, prometheus and statsd keys build the stock handlers with their settings; other keys are dotted paths."""
    built = _load_handlers(
        tmp_path,
        {
            "logging": "DEBUG",
            "prometheus": "0",
            "statsd": "127.0.0.1:9125",
            "statsd_prefix": "swf.orders",
            "log": "swf_gevent.handlers.LoggingHandler",
            "metrics": "swf_gevent.handlers.MetricsHandler",
        },
    )
    assert list(built) == ["logging", "prometheus", "statsd", "log", "metrics"]
    assert type(built["logging"]) is LoggingHandler and built["logging"].level == logging.DEBUG
    assert type(built["prometheus"]).__name__ == "PrometheusHandler"
    assert (built["prometheus"].host, built["prometheus"].port) == ("127.0.0.1", 0)
    statsd = built["statsd"]
    assert (statsd.host, statsd.port, statsd.prefix) == ("127.0.0.1", 9125, "swf.orders")
    assert type(built["log"]) is LoggingHandler and built["log"].level is None
    assert type(built["metrics"]) is MetricsHandler


def test_reserved_key_with_a_dotted_path_is_a_handler_class(tmp_path: Path) -> None:
    """A file naming a handler class under a reserved key (``logging = pkg.Class``) keeps working."""
    built = _load_handlers(tmp_path, {"logging": "swf_gevent.handlers.MetricsHandler", "prometheus": "localhost:9100"})
    assert type(built["logging"]) is MetricsHandler
    assert (built["prometheus"].host, built["prometheus"].port) == ("localhost", 9100)


BAD = [
    ({"logging": "LOUD"}, "[handlers] logging: must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'LOUD'"),
    ({"prometheus": "http"}, "[handlers] prometheus: must be a port or host:port (port 0 to 65535), got 'http'"),
    (
        {"statsd": "127.0.0.1:70000"},
        "[handlers] statsd: must be a port or host:port (port 0 to 65535), got '127.0.0.1:70000'",
    ),
    ({"statsd_prefix": "swf"}, "[handlers] statsd_prefix: set statsd = host:port too"),
    (
        {"statsd": "8125", "statsd_prefix": "a b"},
        "[handlers] statsd_prefix: must be a metric name prefix such as 'swf', got 'a b'",
    ),
    ({"mine": "swf_gevent.signals.signals"}, "[handlers] mine: 'swf_gevent.signals.signals' is not a class"),
]


@pytest.mark.parametrize(
    ("handlers", "expected"), BAD, ids=[next(iter(h)) + "=" + next(iter(h.values())) for h, _ in BAD]
)
def test_bad_handler_value_exits_2(tmp_path: Path, handlers: dict[str, str], expected: str) -> None:
    """A bad [handlers] value exits 2 with one line naming the file, section and key."""
    path = fleet_config(tmp_path, "d", handlers)
    err = io.StringIO()
    assert main([path], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().splitlines() == [f"{path}: {expected}"]


@pytest.mark.parametrize(
    ("key", "value", "module", "line"),
    [
        (
            "prometheus",
            "9100",
            "prometheus_client",
            "needs the prometheus-client package: pip install 'simple-workflow[prometheus]'",
        ),
        ("statsd", "8125", "statsd", "needs the statsd package: pip install 'simple-workflow[statsd]'"),
    ],
)
def test_missing_extra_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, module: str, line: str
) -> None:
    """A handler whose package is not installed exits 2 with one line saying which extra to install."""
    monkeypatch.setitem(sys.modules, module, None)  # the import fails as if not installed
    path = fleet_config(tmp_path, "d", {key: value})
    err = io.StringIO()
    assert main([path], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().splitlines() == [f"{path}: [handlers] {key}: {line}"]


@pytest.mark.parametrize(
    "module_name", ["swf_gevent.handlers", "swf_gevent.signals", "swf_gevent.prometheus", "swf_gevent.statsd"]
)
def test_public_names_are_sorted_and_exist(module_name: str) -> None:
    """Each handler module's __all__ is sorted and every name in it exists."""
    module = importlib.import_module(module_name)
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name
