"""The low-level API: a domain and its types, executions started, listed, signalled and terminated, a history read.

Runs against the embedded endpoint it starts; give ``make_client`` nothing
(or your region) to run it against AWS.
"""

from __future__ import annotations

from datetime import timedelta

from swf.connection import make_client
from swf.models import ActivityType, Domain, WorkflowType
from swf.querysets import WorkflowExecutionQuerySet, register
from swf_gevent.local import LocalSWF

with LocalSWF(poll_timeout=1.0) as local:
    client = make_client(
        endpoint_url=local.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

    # A domain and its types, each registered only when SWF does not know it (RegisterDomain, Register*Type).
    orders = Domain("orders", retention_period=timedelta(days=7), client=client)
    pipeline = WorkflowType(
        orders,
        "pipeline",
        "1",
        default_task_list="deciders",
        default_execution_start_to_close_timeout=timedelta(hours=1),
        default_task_start_to_close_timeout=timedelta(seconds=30),
        default_child_policy="TERMINATE",
    )
    resize = ActivityType(orders, "resize", "1", default_task_list="workers")
    registered = register(orders, [pipeline, resize])
    print("registered:", registered.types)

    # Start executions (StartWorkflowExecution); the input is a string, JSON by convention.
    first = pipeline.start_execution("order-1", '{"size": 3}', tag_list=["rush"])
    second = pipeline.start_execution("order-2", '{"size": 5}')
    print("started:", first.workflow_id, first.run_id)

    # List and count them (ListOpenWorkflowExecutions, CountOpenWorkflowExecutions).
    executions = WorkflowExecutionQuerySet(orders)
    print("open:", sorted(e.workflow_id for e in executions.all()))
    print("tagged rush:", executions.filter(tag="rush").count())

    # Signal one, terminate the other (SignalWorkflowExecution, TerminateWorkflowExecution).
    first.signal("approve", '"ann"')
    second.terminate(reason="ordered twice")
    closed = executions.filter(status="CLOSED", close_status="TERMINATED")
    print("terminated:", [e.workflow_id for e in closed.all()])

    # Read a history (GetWorkflowExecutionHistory, every page) and the state correlated from it.
    history = first.history()
    for event in history:
        print(f"  {event.event_id:3} {event.event_type}")
    state = history.state
    print("input:", state.input, "signals:", [s.signal_name for s in state.signals])
    client.close()
