"""SWF's rules for the client, read once in swf.limits and used everywhere."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from swf import limits
from swf.exceptions import ValidationError
from swf.models import Domain, WorkflowType
from swf.models import decisions as d

ROOT = Path(__file__).resolve().parents[2]


def test_limits_read_from_botocore_model_have_swf_values() -> None:
    """The lengths and counts read from botocore's SWF model are SWF's documented ones."""
    assert (limits.MAX_DATA_LENGTH, limits.MAX_REASON_LENGTH, limits.MAX_ID_LENGTH) == (32768, 256, 256)
    assert (limits.MAX_NAME_LENGTH, limits.MAX_VERSION_LENGTH, limits.MAX_TAG_LENGTH, limits.MAX_TAGS) == (
        256,
        64,
        256,
        5,
    )
    assert (limits.MAX_RUN_ID_LENGTH, limits.MAX_FUNCTION_NAME_LENGTH, limits.MAX_ARN_LENGTH) == (64, 64, 1600)
    assert (limits.MAX_DESCRIPTION_LENGTH, limits.MAX_IDENTITY_LENGTH) == (1024, 256)
    assert (limits.MAX_HEARTBEAT_DETAILS_LENGTH, limits.MAX_PAGE_SIZE, limits.MAX_DURATION_DIGITS) == (2048, 1000, 8)
    assert limits.CHILD_POLICIES == ("TERMINATE", "REQUEST_CANCEL", "ABANDON")
    assert len(limits.DECISION_TYPES) == 13 and limits.DECISION_TYPES[0] == "ScheduleActivityTask"
    assert limits.length_range("Version") == (1, 64)


def test_limits_not_in_the_model_are_swf_quotas() -> None:
    """The 100-decision, 1 MB, priority, poll-hold, one-year and 90-day rules that botocore's model lacks."""
    assert limits.MAX_DECISIONS == 100
    assert limits.MAX_REQUEST_BYTES == 1024 * 1024
    assert limits.PRIORITY_RANGE == (-2147483648, 2147483647)
    assert limits.SWF_POLL_HOLD == 60.0
    assert (limits.MAX_EXECUTION_TIMEOUT.days, limits.MAX_RETENTION_PERIOD.days) == (365, 90)


def test_length_range_refuses_a_shape_without_a_max() -> None:
    """Asking for the length of an unbounded shape is a KeyError, not a silent None."""
    with pytest.raises(KeyError, match="no max"):
        limits.length_range("Count")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a:b", "must not contain ':'"),
        ("a/b|c", "must not contain '/', '|'"),
        ("a\x00b", "must not contain '\\x00'"),
        ("a\x85b", "must not contain '\\x85'"),
        (" a", "must not start or end with whitespace"),
        ("arn", "must not be the literal string 'arn'"),
    ],
)
def test_naming_problem_names_what_breaks_the_rule(value: str, problem: str) -> None:
    """naming_problem() says which part of SWF's naming rule a value breaks."""
    found = limits.naming_problem(value)
    assert found is not None and found.startswith(problem)


def test_naming_problem_passes_names_swf_takes() -> None:
    """Names SWF takes (including 'arn' inside a longer name) have no problem."""
    assert [limits.naming_problem(v) for v in ("orders", "my-arn", "v1.0", "a b")] == [None] * 4


def test_models_decisions_and_config_refuse_the_same_name(tmp_path: Path) -> None:
    """A model, a decision builder and the runner's config refuse a ':' with the same phrase."""
    from swf_gevent._config import ConfigError, load

    phrase = "must not contain ':'"
    with pytest.raises(ValidationError, match=phrase):
        WorkflowType(Domain("d"), "a:b", "1")
    with pytest.raises(ValidationError, match=phrase):
        d.start_timer("a:b", timedelta(seconds=1))
    config = tmp_path / "runner.ini"
    config.write_text("[swf]\ndomain = a:b\n")
    with pytest.raises(ConfigError, match=phrase):
        load(str(config))


def test_decisions_module_reexports_the_same_limits() -> None:
    """swf.models.decisions' MAX_* names are swf.limits' values, kept for existing callers."""
    assert d.MAX_DATA_LENGTH is limits.MAX_DATA_LENGTH and d.MAX_DECISIONS is limits.MAX_DECISIONS
    assert d.DECISION_TYPES is limits.DECISION_TYPES and d.CHILD_POLICIES == limits.CHILD_POLICIES


def _assigned_numbers(path: Path) -> list[tuple[str, int]]:
    """Module-level ``NAME = <int literal>`` assignments of a file."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            found += [(t.id, node.value.value) for t in node.targets if isinstance(t, ast.Name)]
    return found


def test_no_client_module_writes_an_swf_limit_again() -> None:
    """No client module (the endpoint aside) assigns 32768, 256, 64, 2048 or 100 as a constant of its own."""
    sources = [p for p in (ROOT / "swf").rglob("*.py") if p.name != "limits.py"]
    sources += [p for p in (ROOT / "swf_gevent").rglob("*.py") if "local" not in p.parts]
    swf_numbers = {32768, 256, 64, 2048, 100, 1000}
    written = [(p.name, name, n) for p in sources for name, n in _assigned_numbers(p) if n in swf_numbers]
    assert written == [("_config.py", "MAX_PROCESSES", 256)]  # the runner's own cap, not an SWF limit


def test_endpoint_does_not_use_the_client_limits() -> None:
    """The local endpoint reads botocore's model itself: nothing under swf_gevent/local imports swf.limits."""
    users = [p.name for p in (ROOT / "swf_gevent" / "local").rglob("*.py") if "swf.limits" in p.read_text()]
    assert users == []


def test_status_and_policy_tuples_match_the_model_enums() -> None:
    """The tuples swf.models needs on import are the enums of botocore's SWF model."""
    from swf.models import base

    assert base.CHILD_POLICIES == limits.CHILD_POLICIES == limits.enum_values("ChildPolicy")
    assert base.REGISTRATION_STATUSES == limits.enum_values("RegistrationStatus")
    assert base.CLOSE_STATUSES == limits.enum_values("CloseStatus")


def test_unknown_limit_is_an_attribute_error() -> None:
    """A misspelt limit name raises AttributeError like any module attribute."""
    with pytest.raises(AttributeError, match="MAX_DATA_LENGHT"):
        limits.MAX_DATA_LENGHT  # noqa: B018 - the access is what is tested
