"""The order shop's activities: plain functions, each the code of one SWF activity type."""

from __future__ import annotations

from datetime import timedelta

from swf_gevent.activities import activity


class CardDeclined(Exception):
    """The card was refused: retrying will not help."""


@activity("reserve", version="1", task_list="order-activities")
def reserve(order: dict) -> list[str]:
    """Reserve the order's items; returns them sorted."""
    return sorted(order["items"])


@activity("charge", version="1", task_list="order-activities", start_to_close_timeout=timedelta(seconds=30))
def charge(order: dict) -> str:
    """Charge the order's card; returns a payment id."""
    if order["total"] > 10_000:
        raise CardDeclined(f"{order['total']} is over the card's limit")
    return f"pay-{order['id']}"


@activity("ship", version="1", task_list="order-activities")
def ship(order: dict) -> str:
    """Hand the order to the carrier; returns a tracking number."""
    return f"track-{order['id']}"
