"""The endpoint's virtual timer queue: due order, skips by hand, and the loop's watcher on real time."""

from __future__ import annotations

import gevent
import gevent.event

from swf_gevent.local._timers import Clock, Timers


def test_advance_runs_due_callbacks_in_due_order_at_their_due_time() -> None:
    """advance() runs every callback due on the way in (due, scheduling) order, the clock at each due time."""
    timers = Timers(Clock())
    start = timers.clock()
    seen: list[tuple[str, float]] = []

    def note(name: str) -> None:
        seen.append((name, timers.clock() - start))

    timers.call_later(30.0, note, "c")
    timers.call_later(10.0, note, "a")
    timers.call_later(10.0, note, "b")
    timers.call_later(90.0, note, "late")
    timers.call_later(20.0, note, "cancelled").cancel()
    try:
        assert timers.advance(start + 60.0) == 3
        assert [name for name, _ in seen] == ["a", "b", "c"]
        assert [round(at) for _, at in seen] == [10, 10, 30]
        assert 60.0 <= timers.clock() - start < 61.0
        assert len(timers) == 1 and timers.next_due() is not None
    finally:
        timers.close_all()


def test_callbacks_scheduled_on_the_way_run_when_due_within_the_skip() -> None:
    """A callback run by advance() that schedules another one due before the target sees it run too."""
    timers = Timers(Clock())
    start = timers.clock()
    seen: list[str] = []
    timers.call_later(5.0, lambda: (seen.append("first"), timers.call_later(5.0, seen.append, "second")))
    timers.call_later(100.0, seen.append, "after")
    try:
        timers.advance(start + 20.0)
        assert seen == ["first", "second"]
        assert timers.advance() == 1  # to the next due timer
        assert seen == ["first", "second", "after"]
        assert 100.0 <= timers.clock() - start < 101.0
    finally:
        timers.close_all()


def test_watcher_fires_on_real_time_and_after_a_skip_shortened_the_wait() -> None:
    """A callback runs by itself when due in real time, also when a skip brought a 1-hour timer 50 ms near."""
    timers = Timers(Clock())
    soon, skipped = gevent.event.Event(), gevent.event.Event()
    timers.call_later(0.05, soon.set)
    timers.call_later(3600.0, skipped.set)
    try:
        with gevent.Timeout(5):
            soon.wait()
            timers.advance(timers.clock() + 3599.9)
            assert not skipped.is_set()
            skipped.wait()
    finally:
        timers.close_all()


def test_close_all_stops_every_callback() -> None:
    """After close_all() no callback runs, by real time or by a skip."""
    timers = Timers(Clock())
    ran = gevent.event.Event()
    timers.call_later(0.0, ran.set)
    timers.call_later(10.0, ran.set)
    timers.close_all()
    assert timers.advance(timers.clock() + 60.0) == 0
    with gevent.Timeout(5):
        assert not ran.wait(0.1)
    assert len(timers) == 0
