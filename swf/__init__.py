"""simple-workflow's synchronous layer over Amazon SWF (boto3)."""

import logging

from swf.connection import default_client
from swf.credentials import set_aws_credentials
from swf.models import (
    CLOSED,
    DEPRECATED,
    OPEN,
    REGISTERED,
    ActivityType,
    Difference,
    Domain,
    WorkflowExecution,
    WorkflowType,
)
from swf.querysets import (
    ActivityTypeQuerySet,
    DomainQuerySet,
    WorkflowExecutionQuerySet,
    WorkflowTypeQuerySet,
)

__all__ = [
    "ActivityType",
    "ActivityTypeQuerySet",
    "CLOSED",
    "DEPRECATED",
    "Difference",
    "Domain",
    "DomainQuerySet",
    "OPEN",
    "REGISTERED",
    "WorkflowExecution",
    "WorkflowExecutionQuerySet",
    "WorkflowType",
    "WorkflowTypeQuerySet",
    "default_client",
    "set_aws_credentials",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
