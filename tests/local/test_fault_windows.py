"""Injected fault windows: a share of an operation's calls fails for a while, counted faults first."""

from __future__ import annotations

from typing import Any

import pytest

from swf.connection import call
from swf.exceptions import ThrottlingError
from swf.retry import NO_RETRY
from swf_gevent.local._faults import FaultTable


def test_window_faults_a_spread_share_until_it_ends() -> None:
    """fraction 0.5 faults every second call while the window lasts, none after; counted faults come first."""
    now = [0.0]
    table = FaultTable(clock=lambda: now[0])
    table.add_window("PollForActivityTask", "throttle", seconds=10, fraction=0.5)
    table.add("PollForActivityTask", "throttle", 2)
    assert [table.take("PollForActivityTask", "throttle") for _ in range(8)] == [True, True] + [False, True] * 3
    assert not table.take("PollForDecisionTask", "throttle")
    assert not table.take("PollForActivityTask", "drop")  # a throttle window does not drop
    now[0] = 10.0
    assert [table.take("PollForActivityTask", "throttle") for _ in range(4)] == [False] * 4


def test_endpoint_throttles_a_share_of_calls(local_swf: Any, swf_client: Any) -> None:
    """inject_fault_window(..., fraction=0.25) throttles one ListDomains call in four at the endpoint."""
    local_swf.inject_fault_window("ListDomains", "throttle", seconds=60, fraction=0.25)
    outcomes = []
    for _ in range(8):
        try:
            call(swf_client, "ListDomains", registrationStatus="REGISTERED", retry=NO_RETRY)
            outcomes.append("ok")
        except ThrottlingError:
            outcomes.append("throttled")
    assert outcomes == ["ok", "ok", "ok", "throttled"] * 2


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"seconds": 0}, "seconds"),
        ({"seconds": 1, "fraction": 0}, "fraction"),
        ({"seconds": 1, "fraction": 1.5}, "fraction"),
    ],
)
def test_bad_windows_are_refused(local_swf: Any, arguments: dict[str, Any], field: str) -> None:
    """A window of no time or a share outside (0, 1] is refused, naming the argument."""
    with pytest.raises(ValueError, match=field):
        local_swf.inject_fault_window("ListDomains", "throttle", **arguments)
