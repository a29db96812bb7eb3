"""Event dicts in boto3's response shape, for building histories in tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


class HistoryBuilder:
    """Appends events with consecutive ids, the way SWF records them.

    Starts with ``WorkflowExecutionStarted``, ``DecisionTaskScheduled`` and
    ``DecisionTaskStarted`` (ids 1-3).
    """

    def __init__(self, *, workflow_input: str | None = "in", workflow_type: tuple[str, str] = ("flow", "1")) -> None:
        self.events: list[dict[str, Any]] = []
        started: dict[str, Any] = {
            "childPolicy": "TERMINATE",
            "taskList": {"name": "deciders"},
            "workflowType": {"name": workflow_type[0], "version": workflow_type[1]},
            "executionStartToCloseTimeout": "3600",
            "taskStartToCloseTimeout": "30",
            "tagList": ["a", "b"],
        }
        if workflow_input is not None:
            started["input"] = workflow_input
        self.add("WorkflowExecutionStarted", **started)
        self.decision_started = 0
        self.decision_completed = 0
        self.start_decision()

    def add(self, event_type: str, **attributes: Any) -> int:
        """Append one event; returns its id."""
        event_id = len(self.events) + 1
        self.events.append(
            {
                "eventId": event_id,
                "eventType": event_type,
                "eventTimestamp": T0 + timedelta(seconds=event_id),
                event_type[0].lower() + event_type[1:] + "EventAttributes": attributes,
            }
        )
        return event_id

    def start_decision(self) -> int:
        """``DecisionTaskScheduled`` + ``DecisionTaskStarted``; returns the started id."""
        scheduled = self.add("DecisionTaskScheduled", taskList={"name": "deciders"}, startToCloseTimeout="30")
        self.decision_started = self.add("DecisionTaskStarted", scheduledEventId=scheduled, identity="decider-1")
        return self.decision_started

    def complete_decision(self, execution_context: str | None = None) -> int:
        """``DecisionTaskCompleted`` for the current decision task; returns its id."""
        attrs: dict[str, Any] = {"scheduledEventId": self.decision_started - 1, "startedEventId": self.decision_started}
        if execution_context is not None:
            attrs["executionContext"] = execution_context
        self.decision_completed = self.add("DecisionTaskCompleted", **attrs)
        return self.decision_completed

    def schedule_activity(self, activity_id: str, input: str | None = None, control: str | None = None) -> int:  # noqa: A002
        attrs: dict[str, Any] = {
            "activityType": {"name": "work", "version": "1"},
            "activityId": activity_id,
            "taskList": {"name": "workers"},
            "decisionTaskCompletedEventId": self.decision_completed,
            "scheduleToCloseTimeout": "NONE",
            "scheduleToStartTimeout": "60",
            "startToCloseTimeout": "300",
            "heartbeatTimeout": "NONE",
        }
        if input is not None:
            attrs["input"] = input
        if control is not None:
            attrs["control"] = control
        return self.add("ActivityTaskScheduled", **attrs)

    def start_activity(self, scheduled: int) -> int:
        return self.add("ActivityTaskStarted", scheduledEventId=scheduled, identity="worker-1")

    def timer(self, timer_id: str, seconds: int = 5) -> int:
        return self.add(
            "TimerStarted",
            timerId=timer_id,
            startToFireTimeout=str(seconds),
            decisionTaskCompletedEventId=self.decision_completed,
        )

    def page(self, **extra: Any) -> dict[str, Any]:
        """The events as one ``GetWorkflowExecutionHistory`` answer."""
        return {"events": list(self.events), **extra}


class LocalFlow:
    """One domain on the local endpoint with a workflow type and an activity type registered.

    Talks through raw ``call`` so the tests depend only on the history and
    decision modules.
    """

    def __init__(self, client: Any, domain: str) -> None:
        from swf.connection import call

        self.client = client
        self.domain = domain
        self.decision_list = f"{domain}-deciders"
        call(client, "RegisterDomain", name=domain, workflowExecutionRetentionPeriodInDays="1")
        call(
            client,
            "RegisterWorkflowType",
            domain=domain,
            name="flow",
            version="1",
            defaultTaskList={"name": self.decision_list},
            defaultChildPolicy="TERMINATE",
            defaultExecutionStartToCloseTimeout="600",
            defaultTaskStartToCloseTimeout="30",
        )
        call(
            client,
            "RegisterActivityType",
            domain=domain,
            name="work",
            version="1",
            defaultTaskList={"name": f"{domain}-workers"},
            defaultTaskScheduleToCloseTimeout="600",
            defaultTaskScheduleToStartTimeout="600",
            defaultTaskStartToCloseTimeout="600",
            defaultTaskHeartbeatTimeout="NONE",
        )

    def start(self, workflow_id: str, input: str | None = None, **extra: Any) -> str:  # noqa: A002
        """Start an execution of ``flow``; returns its run id."""
        from swf.connection import call

        params: dict[str, Any] = {
            "domain": self.domain,
            "workflowId": workflow_id,
            "workflowType": {"name": "flow", "version": "1"},
            **extra,
        }
        if input is not None:
            params["input"] = input
        return str(call(self.client, "StartWorkflowExecution", **params)["runId"])

    def poll_pages(self, page_size: int | None = None) -> list[dict[str, Any]]:
        """Poll until a decision task comes (1 s long polls), then fetch every page of it."""
        from swf.connection import call

        params: dict[str, Any] = {"domain": self.domain, "taskList": {"name": self.decision_list}}
        if page_size is not None:
            params["maximumPageSize"] = page_size
        while True:
            first = call(self.client, "PollForDecisionTask", **params)
            if first.get("taskToken"):
                break
        pages = [first]
        while pages[-1].get("nextPageToken"):
            pages.append(call(self.client, "PollForDecisionTask", nextPageToken=pages[-1]["nextPageToken"], **params))
        return pages

    def poll(self, page_size: int | None = None) -> Any:
        """The next decision task, as a ``DecisionTask``."""
        from swf.models import DecisionTask

        return DecisionTask.from_pages(self.poll_pages(page_size))

    def respond(self, task: Any, decisions: list[dict[str, Any]], **extra: Any) -> None:
        from swf.connection import call
        from swf.models.decisions import validate_decisions

        call(
            self.client,
            "RespondDecisionTaskCompleted",
            taskToken=task.task_token,
            decisions=validate_decisions(decisions),
            **extra,
        )

    def history(self, workflow_id: str, run_id: str, **extra: Any) -> Any:
        """The full history through ``GetWorkflowExecutionHistory``, every page."""
        from swf.connection import call
        from swf.models import History

        params: dict[str, Any] = {
            "domain": self.domain,
            "execution": {"workflowId": workflow_id, "runId": run_id},
            **extra,
        }
        pages = [call(self.client, "GetWorkflowExecutionHistory", **params)]
        while pages[-1].get("nextPageToken"):
            pages.append(
                call(self.client, "GetWorkflowExecutionHistory", nextPageToken=pages[-1]["nextPageToken"], **params)
            )
        return History.from_pages(pages)
