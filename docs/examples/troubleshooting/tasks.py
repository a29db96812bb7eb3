"""The activities the troubleshooting examples name."""

from swf_gevent.activities import activity


@activity("work", version="1")
def work(item: str) -> str:
    return item.upper()
