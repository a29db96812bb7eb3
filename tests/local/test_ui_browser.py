"""The web UI in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium).

Skipped, with the reason, where the browser, its driver or Selenium is not
installed; ``.ci/run`` installs them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from tests.local.engine_support import history, types
from tests.local.test_cli import REPO_ROOT, _env
from tests.local.ui_support import completed, retried_order

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Flags for a headless browser that reaches nothing but the endpoint on loopback.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)

pytestmark = [
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="no headless browser: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Selenium through Debian's chromedriver."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_ARGS:
        options.add_argument(flag)
    with gevent.Timeout(60):
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shop(swf_client: Any, local_swf: Any) -> dict[str, str]:
    """Domain ``shop``: ``order-1`` open (retried activity, pending timer, completed child) and ``order-0`` completed."""
    execution = retried_order(swf_client, "shop")
    completed(swf_client, "shop", "order-0")
    return execution


@pytest.fixture
def local_swf() -> Iterator[Any]:
    """A running LocalSWF with the web UI on (overrides the shared fixture)."""
    from swf_gevent.local import LocalSWF

    server = LocalSWF(poll_timeout=1.0, ui=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _navigate(browser: Any, by: str, value: str) -> None:
    """Click the element (a link or a submit button) and wait until the next page has replaced this one.

    While the browser swaps documents, chromedriver may answer a question about
    the old one with a generic error: the wait asks again until the old page is
    gone and the new one is loaded.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    page = browser.find_element(_by("TAG_NAME"), "html")
    browser.find_element(_by(by), value).click()

    def replaced(driver: Any) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return bool(driver.execute_script("return document.readyState") == "complete")
        return False

    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(replaced)


def _listed(browser: Any) -> list[str]:
    """Workflow ids in the list page's table, in order."""
    return [cell.text for cell in browser.find_elements(_by("CSS_SELECTOR"), "tbody tr td:first-child a")]


def _events(browser: Any) -> list[str]:
    """Event types of the history table, oldest first."""
    return [cell.text for cell in browser.find_elements(_by("CSS_SELECTOR"), "table.history tr.event td:nth-child(3)")]


def test_lists_and_filters_executions(browser: Any, local_swf: Any, shop: dict[str, str]) -> None:
    """From the domains page the user opens a domain, sees open and closed executions, and filters them."""
    with gevent.Timeout(60):
        browser.get(local_swf.ui_url)
        _navigate(browser, "LINK_TEXT", "shop")
        assert _listed(browser) == ["order-1"]
        _navigate(browser, "PARTIAL_LINK_TEXT", "Closed")
        assert sorted(_listed(browser)) == ["order-0", "order-1-invoice"]
        field = browser.find_element(_by("NAME"), "workflowId")
        field.send_keys("order-0")
        _navigate(browser, "CSS_SELECTOR", "form.filters button[type=submit]")
        assert _listed(browser) == ["order-0"]
        _navigate(browser, "LINK_TEXT", "Clear")
        browser.find_element(_by("NAME"), "tag").send_keys("batch")
        _navigate(browser, "CSS_SELECTOR", "form.filters button[type=submit]")
        assert _listed(browser) == ["order-0"]


def test_execution_timeline_signal_and_terminate(
    browser: Any, local_swf: Any, swf_client: Any, shop: dict[str, str], tmp_path: Path
) -> None:
    """The user opens an execution, sees retries on its timeline, then signals and terminates it from the page."""
    with gevent.Timeout(60):
        browser.get(local_swf.ui_url)
        _navigate(browser, "LINK_TEXT", "shop")
        _navigate(browser, "LINK_TEXT", "order-1")
        charge = browser.find_elements(_by("CSS_SELECTOR"), 'g.row[data-key="charge"] g.bar')
        assert [bar.get_attribute("data-outcome") for bar in charge] == ["FAILED", "COMPLETED"]
        assert browser.find_elements(_by("CSS_SELECTOR"), 'g.row[data-kind="timer"] g.bar')
        assert browser.find_elements(_by("CSS_SELECTOR"), 'g.row[data-kind="child"] a')
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1400, min(int(height), 4000))
        screenshot = tmp_path / "execution.png"
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        browser.set_window_size(1400, 1000)

        _navigate(browser, "LINK_TEXT", "Signal")
        browser.find_element(_by("ID"), "signalName").send_keys("address-changed")
        browser.find_element(_by("ID"), "input").send_keys('{"city": "Lyon"}')
        _navigate(browser, "ID", "confirm")
        assert "Signal sent." in browser.find_element(_by("CSS_SELECTOR"), ".note").text
        assert _events(browser)[-1] == "DecisionTaskScheduled"
        assert "WorkflowExecutionSignaled" in _events(browser)
        assert browser.find_elements(_by("CSS_SELECTOR"), "path.mark")

        _navigate(browser, "LINK_TEXT", "Terminate")
        browser.find_element(_by("ID"), "reason").send_keys("stuck in cool-off")
        _navigate(browser, "ID", "confirm")
        assert "Execution terminated." in browser.find_element(_by("CSS_SELECTOR"), ".note").text
        assert browser.find_element(_by("CSS_SELECTOR"), "h1 .badge").text == "TERMINATED"
        assert _events(browser)[-1] == "WorkflowExecutionTerminated"
        assert not browser.find_elements(_by("LINK_TEXT"), "Terminate")
    events = history(swf_client, "shop", shop)
    assert types(events)[-3:] == ["WorkflowExecutionSignaled", "DecisionTaskScheduled", "WorkflowExecutionTerminated"]
    signaled = events[-3]["workflowExecutionSignaledEventAttributes"]
    assert (signaled["signalName"], signaled["input"]) == ("address-changed", '{"city": "Lyon"}')
    assert events[-1]["workflowExecutionTerminatedEventAttributes"]["reason"] == "stuck in cool-off"


def test_screenshot_example_writes_the_execution_page(tmp_path: Path) -> None:
    """``examples/screenshot.py`` (the README's picture) runs its order workflow to completion and writes a PNG."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
    output = tmp_path / "page.png"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / "screenshot.py"), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "order-1042: COMPLETED" in result.stdout
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
