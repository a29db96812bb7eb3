"""Activity workers and a workflow decider in your own program, on one client, until the execution closes."""

from gevent import monkey

monkey.patch_all()  # first thing: before boto3, ssl and socket are imported

import json  # noqa: E402 - after the patching

import gevent  # noqa: E402
from long_tasks import checksum, fingerprint, publish, transcode  # noqa: E402

from swf.connection import make_client  # noqa: E402
from swf.models import Domain  # noqa: E402
from swf.querysets import register  # noqa: E402
from swf_gevent import workflow as wf  # noqa: E402
from swf_gevent.activities import ActivityRegistry  # noqa: E402
from swf_gevent.actors import GreenletActivityWorker, GreenletDecider  # noqa: E402
from swf_gevent.local import LocalSWF  # noqa: E402

with LocalSWF(poll_timeout=1.0) as local:  # against AWS: drop this and give make_client your region
    client = make_client(
        concurrency=12,  # calls at once: 2 polls + 10 running tasks
        endpoint_url=local.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    domain = Domain("media", client=client)
    registry = ActivityRegistry.from_functions([transcode, checksum, fingerprint])
    register(domain, [publish.workflow_type(domain), *(a.activity_type(domain, "media") for a in registry)])

    worker = GreenletActivityWorker("media", "media", registry, client=client, slots=10, pollers=(1, 4))
    decider = GreenletDecider("media", "media", wf.WorkflowDecider([publish]), client=client)
    worker.start()
    decider.start()

    execution = publish.workflow_type(domain).start_execution("video-1", json.dumps({"path": "a.mp4", "parts": 3}))
    with gevent.Timeout(30):
        while execution.upstream().status == "OPEN":
            gevent.sleep(0.1)
    print(execution.history().state.close_event.event_type)

    decider.stop(timeout=10)
    worker.stop(timeout=10)
    client.close()
