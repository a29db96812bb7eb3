"""A 200 KB workflow input and activity result, compressed, encrypted and offloaded; run as a script."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402 - gevent patches first
import tempfile  # noqa: E402

from cryptography.fernet import Fernet as FernetKey  # noqa: E402

from swf.payloads import DirectoryStore, Fernet, Payloads, Zlib  # noqa: E402
from swf_gevent import workflow as wf  # noqa: E402
from swf_gevent.activities import activity  # noqa: E402
from swf_gevent.workflow.testing import WorkflowEnvironment  # noqa: E402


@activity("enrich", version="1")
def enrich(rows: list) -> list:
    return [dict(row, checked=True) for row in rows]


@wf.workflow("import", version="1")
def import_rows(ctx: wf.Context, rows: list) -> int:
    enriched = ctx.execute(enrich, rows)  # 200 KB in, more out: each field holds a short reference
    return sum(row["checked"] for row in enriched)


if __name__ == "__main__":
    rows = [{"id": i, "name": f"customer {i}", "city": "Lyon"} for i in range(4000)]
    with tempfile.TemporaryDirectory() as store:
        # In production: S3Store("my-swf-payloads", "swf/") and Fernet() reading SWF_PAYLOAD_KEY.
        payloads = Payloads((Zlib(), Fernet(FernetKey.generate_key())), DirectoryStore(store))
        with WorkflowEnvironment([import_rows], [enrich], payloads=payloads) as env:
            run = env.start(import_rows, rows)
            assert run.result(timeout=30) == 4000
            history = run.history()
    longest = max(len(json.dumps(event)) for event in history.to_document()["events"])
    print(f"input {len(json.dumps(rows)):,} characters; longest history event {longest:,} characters")
