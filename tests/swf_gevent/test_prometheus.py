"""PrometheusHandler: signals of real tasks, scraped from its HTTP endpoint on loopback."""

from __future__ import annotations

import io
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families

from swf.connection import call
from swf_gevent import signals
from swf_gevent._config import load
from swf_gevent._runner import Run
from swf_gevent.prometheus import PrometheusHandler
from tests.swf_gevent._handler_support import fleet_config, register, run_one_task

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    with gevent.Timeout(30):
        yield


@pytest.fixture
def handler() -> Iterator[PrometheusHandler]:
    """A connected handler serving on a free loopback port."""
    made = PrometheusHandler(port=0)
    made.connect()
    try:
        yield made
    finally:
        made.disconnect()


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return str(response.read().decode("utf-8"))


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """``{(sample name, labels): value}`` of a scrape, parsed by prometheus_client's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _labels(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def test_a_real_task_is_counted_and_timed(swf_client: Any, domain_name: str, handler: PrometheusHandler) -> None:
    """One task through a worker shows as counters and a duration histogram labelled with its SWF ids."""
    register(swf_client, domain_name)
    run_one_task(swf_client, domain_name)
    samples = _samples(_scrape(handler.url))
    activity = _labels(domain=domain_name, task_list="work", activity_name="double", activity_version="1")
    assert samples[("swf_activity_tasks_received_total", activity)] == 1
    assert samples[("swf_activity_tasks_completed_total", activity)] == 1
    assert ("swf_activity_tasks_failed_total", activity) not in samples
    completed = activity | _labels(outcome="completed")
    assert samples[("swf_activity_task_duration_seconds_count", completed)] == 1
    duration = samples[("swf_activity_task_duration_seconds_sum", completed)]
    assert 0 < duration < 10
    assert samples[("swf_activity_task_duration_seconds_bucket", completed | _labels(le="+Inf"))] == 1
    queue = _labels(domain=domain_name, task_list="work")
    assert samples[("swf_actors_started_total", queue)] == 1
    assert samples[("swf_actors_stopped_total", queue)] == 1


def test_names_end_in_total_and_seconds(handler: PrometheusHandler) -> None:
    """Every counter is named swf_..._total and every histogram swf_..._seconds, one per signal of the catalogue."""
    for each in signals.signals.values():
        handler.receive(each.name, None, {"duration": 0.5, "operation": "PollForDecisionTask"})
    families = list(text_string_to_metric_families(_scrape(handler.url)))
    counters = [f for f in families if f.type == "counter"]
    histograms = [f for f in families if f.type == "histogram"]
    assert len(counters) == len(signals.signals)
    for family in counters:
        assert family.name.startswith("swf_")
        assert all(s.name.endswith(("_total", "_created")) for s in family.samples), family.name
    assert sorted(f.name for f in histograms) == [
        "swf_activity_task_duration_seconds",
        "swf_decision_task_duration_seconds",
        "swf_hub_blocked_seconds",
        "swf_poll_empty_duration_seconds",
    ]
    samples = _samples(_scrape(handler.url))
    assert samples[("swf_calls_retried_total", _labels(operation="PollForDecisionTask"))] == 1
    assert samples[("swf_hub_blocked_total", frozenset())] == 1
    assert samples[("swf_hub_blocked_seconds_sum", frozenset())] == 0.5


def test_a_signal_added_later_gets_a_counter(handler: PrometheusHandler) -> None:
    """A signal not in the handler's table is counted as swf_<name>_total by domain and task list."""
    handler.receive("worker-paused", None, {"domain": "d", "task_list": "t"})
    samples = _samples(_scrape(handler.url))
    assert samples[("swf_worker_paused_total", _labels(domain="d", task_list="t"))] == 1


def test_disconnect_stops_serving() -> None:
    """After disconnect() the port no longer answers; connect() serves again on a port of its choosing."""
    made = PrometheusHandler(port=0, host="127.0.0.1")
    made.connect()
    url = made.url
    assert url.startswith("http://127.0.0.1:") and made.port > 0
    _scrape(url)
    made.disconnect()
    with pytest.raises(urllib.error.URLError):
        _scrape(url)


def _serving(run: Run) -> str:
    """The URL of the run's Prometheus handler, once it serves (bounded by the test's Timeout)."""
    while True:
        for handler in run.fleet.handlers if run.fleet is not None else ():
            if isinstance(handler, PrometheusHandler) and handler.serving:
                return handler.url
        gevent.sleep(0.01)


def _scrape_until(url: str, sample: tuple[str, frozenset[tuple[str, str]]], value: float) -> float:
    """Scrape ``url`` until ``sample`` has ``value`` (bounded by the test's Timeout); that value."""
    while True:
        found = _samples(_scrape(url)).get(sample)
        if found == value:
            return found
        gevent.sleep(0.02)


def test_runner_serves_metrics_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain_name: str
) -> None:
    """``prometheus = <port>`` in [handlers] makes the runner serve its tasks' counters while it runs."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    run = Run(
        load(fleet_config(tmp_path, domain_name, {"prometheus": "0"}, executions=2)), io.StringIO()
    )  # 0: a free port
    runner = gevent.spawn(run.run)
    url = _serving(run)
    assert url.startswith("http://127.0.0.1:")
    wanted = (
        "swf_activity_tasks_completed_total",
        _labels(domain=domain_name, task_list="work", activity_name="double", activity_version="1"),
    )
    assert _scrape_until(url, wanted, 2) == 2
    assert runner.get() == 0  # both executions completed
    with pytest.raises(urllib.error.URLError):
        _scrape(url)  # the runner stopped serving at exit


def test_worker_processes_are_summed_on_one_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_swf: Any, swf_client: Any, domain_name: str
) -> None:
    """With ``processes = 2`` the parent serves on the one port the counts of both children, summed."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")  # the children's credentials, from boto3's chain
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    path = fleet_config(
        tmp_path, domain_name, {"prometheus": "0"}, executions=0, endpoint_url=local_swf.endpoint_url, processes=2
    )
    run = Run(load(path), io.StringIO())
    runner = gevent.spawn(run.run)
    queue = _labels(domain=domain_name, task_list="work")
    try:
        url = _serving(run)
        _scrape_until(url, ("swf_actors_started_total", queue), 2)  # the activity group's actor in each of 2 processes
        for index in range(4):
            call(
                swf_client,
                "StartWorkflowExecution",
                domain=domain_name,
                workflowId=f"wf-{index}",
                workflowType={"name": "flow", "version": "1"},
                input="21",
            )
        completed = (
            "swf_activity_tasks_completed_total",
            queue | _labels(activity_name="double", activity_version="1"),
        )
        assert _scrape_until(url, completed, 4) == 4
    finally:
        if not runner.dead:
            os.kill(os.getpid(), signal.SIGTERM)  # the runner's handler stops the fleet and its children
    assert runner.get(timeout=20) == 0
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    with pytest.raises(urllib.error.URLError):
        _scrape(url)
