"""Credentials set in code, a domain and a workflow type registered, a client with its own retry policy.

Runs against the embedded endpoint it starts, named as an endpoint URL.
"""

from __future__ import annotations

import dataclasses

from swf.connection import make_client, reset_default_client
from swf.credentials import clear_aws_credentials, set_aws_credentials
from swf.models import Domain
from swf.querysets import DomainQuerySet, WorkflowTypeQuerySet
from swf.retry import DEFAULT_RETRY
from swf_gevent.local import LocalSWF

with LocalSWF(poll_timeout=1.0) as local:
    # 1. In code: the first source of each setting; then the environment, ~/.swf, boto3's chain.
    set_aws_credentials("local", "local", region_name="us-east-1", endpoint_url=local.endpoint_url)
    Domain("orders").save()  # RegisterDomain, on the shared client those settings build
    flow = WorkflowTypeQuerySet(Domain("orders")).get_or_create("Pipeline", "1.0", default_task_list="deciders")
    print(flow)  # WorkflowType('Pipeline', '1.0')

    # A client of its own: five attempts per call instead of ten; make_client(retry=None) sends each call once.
    client = make_client(retry=dataclasses.replace(DEFAULT_RETRY, max_attempts=5))
    print(DomainQuerySet(client=client).get_or_create("orders"))  # registered above: read back
    client.close()

    clear_aws_credentials()
    reset_default_client()
