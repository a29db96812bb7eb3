"""A hand-written decider and an activity worker, polled by hand with the synchronous actors.

The decider reads the history's correlated state and answers with
decisions; ``swf.actors`` long-polls and answers (PollForDecisionTask,
RespondDecisionTaskCompleted, PollForActivityTask, RespondActivityTaskCompleted).
"""

from __future__ import annotations

import json
from datetime import timedelta

from swf.actors import ActivityWorker, Decider
from swf.connection import make_client
from swf.models import NO_LIMIT, ActivityType, Domain, WorkflowType, decisions
from swf.models.history_state import TaskStatus
from swf.querysets import register
from swf_gevent.local import LocalSWF


class Pipeline:
    """Fetch once, then complete with the fetched value; fail when fetch cannot finish."""

    def decide(self, decision_task):
        state = decision_task.history.state
        fetch = state.activities.get("fetch")
        if fetch is None:
            return [
                decisions.schedule_activity_task(
                    "fetch", ("fetch", "1"), input=state.input, start_to_close_timeout=timedelta(minutes=5)
                )
            ]
        if fetch.status is TaskStatus.COMPLETED:
            return [decisions.complete_workflow_execution(fetch.result)]
        if not fetch.is_open:  # refused (cause), failed (reason), timed out or canceled
            return [decisions.fail_workflow_execution(f"fetch {fetch.status.value}", fetch.cause or fetch.reason)]
        return []  # fetch is still running: nothing to decide yet


if __name__ == "__main__":
    with LocalSWF(poll_timeout=1.0) as local:
        client = make_client(
            endpoint_url=local.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        domain = Domain("shop", client=client)
        flow = WorkflowType(
            domain,
            "pipeline",
            "1",
            default_task_list="deciders",
            default_execution_start_to_close_timeout=timedelta(minutes=10),
            default_task_start_to_close_timeout=timedelta(seconds=30),
            default_child_policy="TERMINATE",
        )
        fetch = ActivityType(
            domain,
            "fetch",
            "1",
            default_task_list="workers",
            default_task_schedule_to_start_timeout=NO_LIMIT,
            default_task_schedule_to_close_timeout=NO_LIMIT,
            default_task_heartbeat_timeout=NO_LIMIT,
        )
        register(domain, [flow, fetch])
        execution = flow.start_execution("fetch-1", json.dumps({"url": "https://example.com/a"}))

        decider, worker, pipeline = (
            Decider(domain, "deciders", client),
            ActivityWorker(domain, "workers", client),
            Pipeline(),
        )

        task = decider.poll()  # the first decision task: schedule fetch
        decider.complete(task.task_token, pipeline.decide(task))
        activity = worker.poll()  # fetch's activity task
        url = json.loads(activity.input)["url"]
        worker.complete(activity.task_token, json.dumps({"url": url, "bytes": 1256}))
        task = decider.poll()  # fetch completed: complete the execution
        decider.complete(task.task_token, pipeline.decide(task))

        print("closed:", execution.history().state.close_event.event_type)
        print(
            "result:", execution.history().state.close_event.raw["workflowExecutionCompletedEventAttributes"]["result"]
        )
        client.close()
