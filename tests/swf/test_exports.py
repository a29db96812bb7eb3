"""The public names of the ``swf`` packages, pinned: a change here is a change of the API."""

from __future__ import annotations

import importlib

import pytest

EXPORTS = {
    "swf": [
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
    ],
    "swf.models": [
        "ABANDON",
        "ActivityType",
        "CANCELED",
        "CLOSED",
        "COMPLETED",
        "CONTINUED_AS_NEW",
        "DEPRECATED",
        "DecisionTask",
        "Difference",
        "Domain",
        "ExecutionRef",
        "FAILED",
        "GenericEvent",
        "History",
        "HistoryEvent",
        "HistoryState",
        "Model",
        "NO_LIMIT",
        "OPEN",
        "OpenCounts",
        "REGISTERED",
        "REQUEST_CANCEL",
        "TERMINATE",
        "TERMINATED",
        "TIMED_OUT",
        "TypeRef",
        "WorkflowExecution",
        "WorkflowType",
    ],
    "swf.payloads": [
        "Codec",
        "DATA_FIELDS",
        "DEFAULT_THRESHOLD",
        "DirectoryStore",
        "Fernet",
        "KEY_ENVIRONMENT_VARIABLE",
        "MemoryStore",
        "OPTIONS",
        "PayloadStore",
        "Payloads",
        "S3Store",
        "Zlib",
    ],
    "swf.limits": [
        "CHILD_POLICIES",
        "DECISION_TYPES",
        "MAX_ARN_LENGTH",
        "MAX_DATA_LENGTH",
        "MAX_DECISIONS",
        "MAX_DESCRIPTION_LENGTH",
        "MAX_DURATION_DIGITS",
        "MAX_EXECUTION_TIMEOUT",
        "MAX_FUNCTION_NAME_LENGTH",
        "MAX_HEARTBEAT_DETAILS_LENGTH",
        "MAX_HISTORY_EVENTS",
        "MAX_IDENTITY_LENGTH",
        "MAX_ID_LENGTH",
        "MAX_NAME_LENGTH",
        "MAX_OPEN_PER_EXECUTION",
        "MAX_PAGE_SIZE",
        "MAX_POLLS_PER_TASK_LIST",
        "MAX_REASON_LENGTH",
        "MAX_REQUEST_BYTES",
        "MAX_RETENTION_PERIOD",
        "MAX_RUN_ID_LENGTH",
        "MAX_TAGS",
        "MAX_TAG_LENGTH",
        "MAX_VERSION_LENGTH",
        "PRIORITY_RANGE",
        "SWF_POLL_HOLD",
        "enum_values",
        "length_range",
        "naming_problem",
    ],
    "swf.querysets": [
        "ActivityTypeQuerySet",
        "CLOSED",
        "DEPRECATED",
        "DomainQuerySet",
        "OPEN",
        "QuerySet",
        "REGISTERED",
        "Registered",
        "WorkflowExecutionQuerySet",
        "WorkflowTypeQuerySet",
        "register",
    ],
    "swf.credentials": [
        "InsecureCredentialsFileWarning",
        "Settings",
        "clear_aws_credentials",
        "credentials_file",
        "resolve_settings",
        "set_aws_credentials",
    ],
    "swf.connection": [
        "Connection",
        "DEFAULT_CALL_READ_TIMEOUT",
        "DEFAULT_READ_TIMEOUT",
        "LONG_POLL_OPERATIONS",
        "SWF_POLL_HOLD",
        "call",
        "call_pages",
        "default_client",
        "make_client",
        "reset_default_client",
    ],
    "swf.retry": [
        "DEFAULT_RETRY",
        "NO_RETRY",
        "RetryHook",
        "RetryPolicy",
        "is_retryable",
    ],
}


@pytest.mark.parametrize("module_name", sorted(EXPORTS))
def test_all_is_pinned_and_sorted(module_name: str) -> None:
    """Each package's __all__ is exactly the pinned list, sorted, and every name in it exists."""
    module = importlib.import_module(module_name)
    assert module.__all__ == EXPORTS[module_name]
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_top_level_names_are_the_submodules_objects() -> None:
    """``swf.Domain`` is ``swf.models.Domain``: one class, re-exported."""
    import swf
    import swf.models
    import swf.querysets

    assert swf.Domain is swf.models.Domain
    assert swf.DomainQuerySet is swf.querysets.DomainQuerySet
    assert swf.querysets.DEPRECATED == swf.models.DEPRECATED == "DEPRECATED"


def test_importing_swf_loads_no_botocore() -> None:
    """``import swf`` defers boto3/botocore (and so ssl) to the first client or validation."""
    import subprocess
    import sys

    code = "import sys, swf; print(sorted(m for m in ('boto3', 'botocore', 'ssl') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
