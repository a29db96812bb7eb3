"""The order workflow: reserve, wait for approval when large, charge with retries, ship."""

from __future__ import annotations

from datetime import timedelta

from activities import charge, reserve, ship

from swf_gevent import workflow as wf

#: Orders above this total wait for a signal ``approve`` before they are charged.
APPROVAL_OVER = 500

CHARGE_RETRY = wf.RetryPolicy(
    initial_interval=timedelta(seconds=10),  # 10 s, then 20 s, 40 s...
    backoff=2.0,
    max_attempts=5,
    non_retryable=("CardDeclined",),  # a declined card is not retried
)


@wf.workflow("order", version="1", task_list="orders", execution_timeout=timedelta(days=7))
def order(ctx: wf.Context, o: dict) -> dict:
    items = ctx.execute(reserve, o)
    if o["total"] > APPROVAL_OVER:
        try:
            approver = ctx.wait_signal("approve", timeout=timedelta(days=2))
        except wf.TimedOut:
            raise wf.Fail("not approved", f"order {o['id']} waited 2 days") from None
        ctx.sleep(timedelta(hours=1))  # a cooling-off hour before a large charge
    else:
        approver = None
    payment = ctx.execute(charge, o, retry=CHARGE_RETRY)
    tracking = ctx.execute(ship, o)
    return {"items": items, "payment": payment, "tracking": tracking, "approved_by": approver}


def sample_order(index: int) -> dict:
    """The input of the runner's ``index``-th execution: small orders, no approval needed."""
    return {"id": f"o-{index}", "items": ["pen", "ink"], "total": 20 + index}
