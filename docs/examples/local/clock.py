"""The embedded endpoint from Python: its URL, its own clock, skipping time by hand and when idle."""

from __future__ import annotations

from datetime import timedelta

from swf_gevent.local import LocalSWF

with LocalSWF(poll_timeout=1.0) as local:  # a free port on 127.0.0.1
    print(local.endpoint_url)  # http://127.0.0.1:<port>
    before = local.now()  # an aware UTC datetime: real time plus whatever was skipped
    after = local.skip(timedelta(hours=1))  # timers and timeouts due on the way fire, each at its time
    print(after - before >= timedelta(hours=1))
    local.set_time_skipping(True)  # from now on, jump to the next timer whenever nothing runs
    print(local.is_idle())  # no decision or activity task scheduled or running
