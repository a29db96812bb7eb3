"""A signal receiver and a handler class, as the runner's ``[handlers]`` section loads them."""

from __future__ import annotations

from swf_gevent import signals
from swf_gevent.handlers import SignalHandler


def slow(sender, *, duration, activity_name, workflow_id, **payload):
    """Print activity tasks that took more than 5 s (blinker calls it as ``fn(sender, **payload)``)."""
    if duration > 5:
        print(f"{activity_name} of {workflow_id} took {duration:.1f} s")


class FailureCounter(SignalHandler):
    """A handler: an object with ``connect()`` and ``disconnect()``; SignalHandler connects ``receive``.

    Named in a config as ``[handlers] failures = receivers.FailureCounter``.
    """

    signals = (signals.activity_task_failed,)  # the default: every signal of the catalogue

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[str, int] = {}

    def receive(self, name: str, sender: object, payload: dict) -> None:
        activity = payload["activity_name"]
        self.failed[activity] = self.failed.get(activity, 0) + 1


if __name__ == "__main__":
    signals.activity_task_completed.connect(slow)
    signals.activity_task_completed.send(
        None, duration=7.5, activity_name="transcode", workflow_id="video-1", activity_id="transcode-1"
    )
    counter = FailureCounter()
    counter.connect()
    signals.activity_task_failed.send(None, activity_name="charge", reason="CardDeclined")
    counter.disconnect()
    print(counter.failed)
