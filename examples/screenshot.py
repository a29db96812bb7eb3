"""Run a small order workflow on the local endpoint and save a PNG of its page in the web UI.

::

    python examples/screenshot.py                       # writes examples/ui-execution.png
    python examples/screenshot.py --output page.png --serve   # then keeps serving the UI until Ctrl-C

The workflow ``order-1042`` charges a card (the first attempt fails and is
retried), reserves stock, starts a child workflow ``invoice-1042`` that
renders a PDF, waits on a ``cool-off`` timer, receives a signal, ships, and
completes. Its decisions are taken from the whole history each time, with
plain boto3 calls; the activities "work" by sleeping a few hundred
milliseconds, so the timeline has something to show.

Needs Debian's ``chromium`` and ``chromium-driver`` and ``selenium``
(``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from swf_gevent.local import LocalSWF

DOMAIN = "shop"
ORDER = {"name": "order", "version": "1"}
INVOICE = {"name": "invoice", "version": "1"}
WORK = "work"
Decider = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _decision(decision_type: str, **attrs: Any) -> dict[str, Any]:
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, key: attrs}


def _schedule(activity_id: str, name: str, payload: str) -> dict[str, Any]:
    return _decision(
        "ScheduleActivityTask", activityId=activity_id, activityType={"name": name, "version": "1"}, input=payload
    )


def _activities(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """``{activityId: [event type of each scheduled / closing event]}`` from a history."""
    ids: dict[int, str] = {}
    seen: dict[str, list[str]] = {}
    for event in events:
        kind = event["eventType"]
        if kind == "ActivityTaskScheduled":
            attrs = event["activityTaskScheduledEventAttributes"]
            ids[event["eventId"]] = attrs["activityId"]
            seen.setdefault(attrs["activityId"], []).append("Scheduled")
        elif kind in ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut"):
            attrs = event[kind[0].lower() + kind[1:] + "EventAttributes"]
            seen[ids[attrs["scheduledEventId"]]].append(kind.removeprefix("ActivityTask"))
    return seen


def order_decider(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order workflow's decisions, from its whole history."""
    kinds = {event["eventType"] for event in events}
    done = _activities(events)
    if not done:
        return [
            _schedule("charge", "charge-card", '{"card": "**** 4242", "amount": "59.90 EUR"}'),
            _schedule("reserve", "reserve-stock", '{"sku": "MUG-01", "quantity": 2}'),
            _decision(
                "StartChildWorkflowExecution",
                workflowType=INVOICE,
                workflowId="invoice-1042",
                input='{"order": 1042}',
                taskList={"name": "invoices"},
            ),
        ]
    decisions = []
    charge = done.get("charge", [])
    if charge[-1] == "Failed" and charge.count("Scheduled") < 3:
        decisions.append(_schedule("charge", "charge-card", '{"card": "**** 4242", "amount": "59.90 EUR"}'))
    if charge[-1] == "Completed" and "TimerStarted" not in kinds:
        decisions.append(_decision("StartTimer", timerId="cool-off", startToFireTimeout="1"))
    if "TimerFired" in kinds and "ship" not in done:
        decisions.append(_schedule("ship", "ship-parcel", '{"carrier": "post"}'))
    if done.get("ship", [""])[-1] == "Completed" and "ChildWorkflowExecutionCompleted" in kinds:
        result = {"order": 1042, "status": "shipped", "tracking": "LP123456789FR"}
        decisions.append(_decision("CompleteWorkflowExecution", result=json.dumps(result)))
    return decisions


def invoice_decider(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invoice child workflow: render the PDF, then complete."""
    done = _activities(events)
    if not done:
        return [_schedule("render", "render-pdf", '{"order": 1042}')]
    if done["render"][-1] == "Completed":
        return [_decision("CompleteWorkflowExecution", result='{"pdf": "invoice-1042.pdf"}')]
    return []


class Driver:
    """Plays the deciders and the activity workers, one step at a time, over boto3."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.held: dict[str, str] = {}  # activityId -> task token of a task handed out

    def decide(self, task_list: str, decider: Decider) -> None:
        """Take one decision task of ``task_list`` (waiting for it) and answer it."""
        while True:
            task = self.client.poll_for_decision_task(domain=DOMAIN, taskList={"name": task_list})
            if task.get("taskToken"):
                break
        self.client.respond_decision_task_completed(taskToken=task["taskToken"], decisions=decider(task["events"]))

    def take(self, count: int) -> None:
        """Take ``count`` activity tasks and hold them (their activities are now running)."""
        while count:
            task = self.client.poll_for_activity_task(domain=DOMAIN, taskList={"name": WORK})
            if task.get("taskToken"):
                self.held[task["activityId"]] = task["taskToken"]
                count -= 1

    def finish(self, activity_id: str, result: str | None = None, failure: str | None = None) -> None:
        """Complete (or fail with ``failure``) the held task of ``activity_id``."""
        token = self.held.pop(activity_id)
        if failure is not None:
            self.client.respond_activity_task_failed(taskToken=token, reason=failure)
        else:
            self.client.respond_activity_task_completed(taskToken=token, result=result or "")


def run_order(client: Any) -> dict[str, str]:
    """Register the types, run ``order-1042`` to completion; returns ``{"workflowId", "runId"}``."""
    client.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    for workflow, task_list in ((ORDER, "orders"), (INVOICE, "invoices")):
        client.register_workflow_type(
            domain=DOMAIN,
            **workflow,
            defaultTaskList={"name": task_list},
            defaultExecutionStartToCloseTimeout="600",
            defaultTaskStartToCloseTimeout="30",
            defaultChildPolicy="TERMINATE",
        )
    for name in ("charge-card", "reserve-stock", "render-pdf", "ship-parcel"):
        client.register_activity_type(
            domain=DOMAIN,
            name=name,
            version="1",
            defaultTaskList={"name": WORK},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskHeartbeatTimeout="NONE",
        )
    run = client.start_workflow_execution(
        domain=DOMAIN,
        workflowId="order-1042",
        workflowType=ORDER,
        input=json.dumps({"order": 1042, "items": [{"sku": "MUG-01", "quantity": 2}], "customer": "ada@example.com"}),
        tagList=["web", "priority"],
    )
    steps = Driver(client)
    steps.decide("orders", order_decider)  # charge, reserve, invoice child
    steps.decide("invoices", invoice_decider)  # render the PDF
    steps.take(3)
    time.sleep(0.25)
    steps.finish("charge", failure="card declined: issuer unavailable")
    steps.decide("orders", order_decider)  # charge again
    steps.take(1)
    time.sleep(0.2)
    steps.finish("render", result='{"pages": 2}')
    steps.decide("invoices", invoice_decider)  # the child completes
    steps.decide("orders", order_decider)
    time.sleep(0.2)
    steps.finish("reserve", result='{"reserved": 2}')
    steps.decide("orders", order_decider)
    time.sleep(0.3)
    steps.finish("charge", result='{"payment": "pay_8f2k"}')
    steps.decide("orders", order_decider)  # the cool-off timer
    time.sleep(0.4)
    client.signal_workflow_execution(
        domain=DOMAIN, workflowId="order-1042", signalName="address-changed", input='{"city": "Lyon"}'
    )
    steps.decide("orders", order_decider)
    steps.decide("orders", order_decider)  # the timer fired: ship
    steps.take(1)
    time.sleep(0.45)
    steps.finish("ship", result='{"tracking": "LP123456789FR"}')
    steps.decide("orders", order_decider)  # complete
    return {"workflowId": "order-1042", "runId": run["runId"]}


def screenshot(page_url: str, output: Path) -> None:
    """Save a PNG of ``page_url`` down to the first events of its history, 1280 px wide, in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        driver.get(page_url)
        bottom = driver.execute_script(
            "const rows = document.querySelectorAll('table.history tr.event');"
            "return rows[Math.min(5, rows.length - 1)].getBoundingClientRect().bottom + window.scrollY + 12;"
        )
        driver.set_window_size(1280, int(bottom))
        driver.get(page_url)
        output.write_bytes(driver.get_screenshot_as_png())
    finally:
        driver.quit()


def main() -> int:
    """Parse the arguments, run the workflow, write the PNG; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("ui-execution.png"))
    parser.add_argument("--serve", action="store_true", help="keep serving the UI after the screenshot, until Ctrl-C")
    args = parser.parse_args()
    with LocalSWF(poll_timeout=5.0, ui=True) as local:
        client = boto3.client(
            "swf",
            region_name="us-east-1",
            endpoint_url=local.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        execution = run_order(client)
        info = client.describe_workflow_execution(domain=DOMAIN, execution=execution)["executionInfo"]
        print(f"order-1042: {info.get('closeStatus', 'still open')}")
        if info.get("closeStatus") != "COMPLETED":
            return 1
        page_url = (
            f"{local.ui_url}execution?domain={DOMAIN}&workflowId={execution['workflowId']}&runId={execution['runId']}"
        )
        screenshot(page_url, args.output)
        print(f"wrote {args.output} ({args.output.stat().st_size} bytes) of {page_url}")
        if args.serve:
            print(f"web UI: {local.ui_url} (Ctrl-C stops)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
