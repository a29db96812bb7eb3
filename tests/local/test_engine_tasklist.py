"""The local endpoint's task lists: one task to one poller, parked pollers, priorities, release."""

from __future__ import annotations

import gevent
import pytest

from swf_gevent.local._tasks import TaskList


class _Task:
    """A queueable stand-in with the two members a task list reads."""

    def __init__(self, name: str, priority: int = 0) -> None:
        self.name = name
        self.priority = priority
        self.waiting = True

    def is_waiting(self) -> bool:
        return self.waiting


@pytest.fixture
def tasks() -> TaskList[_Task]:
    """An empty task list."""
    return TaskList("domain", "list")


def test_take_returns_queued_tasks_by_priority_then_order(tasks: TaskList[_Task]) -> None:
    """Queued tasks come out highest priority first, then first scheduled first."""
    for task in [_Task("a"), _Task("b", 5), _Task("c"), _Task("d", 5)]:
        tasks.put(task)
    assert len(tasks) == 4
    with gevent.Timeout(2):
        assert [tasks.take(0.1).name for _ in range(4)] == ["b", "d", "a", "c"]  # type: ignore[union-attr]
    assert len(tasks) == 0


def test_parked_pollers_each_get_one_task(tasks: TaskList[_Task]) -> None:
    """Tasks put while pollers are parked go one to each, in arrival order of the pollers."""
    with gevent.Timeout(5):
        pollers = [gevent.spawn(tasks.take, 3.0) for _ in range(3)]
        gevent.sleep(0)  # let every poller park
        tasks.put(_Task("x"))
        tasks.put(_Task("y"))
        first, second = pollers[0].get(), pollers[1].get()
        assert (first.name, second.name) == ("x", "y")
        tasks.release()
        assert pollers[2].get() is None
    assert len(tasks) == 0


def test_withdrawn_and_stale_tasks_are_skipped(tasks: TaskList[_Task]) -> None:
    """A discarded task, or one no longer waiting, is never handed out nor counted."""
    gone, stale, kept = _Task("gone"), _Task("stale"), _Task("kept")
    for task in (gone, stale, kept):
        tasks.put(task)
    tasks.discard(gone)
    stale.waiting = False
    assert len(tasks) == 2  # the stale one is only found out when reached
    with gevent.Timeout(2):
        assert tasks.take(0.1) is kept
        assert tasks.take(0.01) is None


def test_interrupted_poller_gives_its_task_back(tasks: TaskList[_Task]) -> None:
    """A poller killed after being handed a task, before running, puts it back at the front."""
    with gevent.Timeout(5):
        poller = gevent.spawn(tasks.take, 3.0)
        gevent.sleep(0)
        poller.kill(block=False)  # the kill reaches the poller before the hand-out below does
        task = _Task("t")
        tasks.put(task)
        tasks.put(_Task("later"))
        poller.join()
        assert isinstance(poller.value, gevent.GreenletExit)  # killed, no task returned
        assert tasks.take(0.1) is task


def test_empty_take_waits_its_timeout(tasks: TaskList[_Task]) -> None:
    """take on an empty list answers None once its timeout passes, leaving no parked poller."""
    with gevent.Timeout(2):
        assert tasks.take(0.05) is None
    tasks.put(_Task("t"))
    assert len(tasks) == 1  # queued, not handed to a poller that left


def test_withdrawn_tasks_do_not_pile_up(tasks: TaskList[_Task]) -> None:
    """Withdrawing many queued tasks keeps the list's storage near its pending count, order intact."""
    kept = [_Task(f"k{index}") for index in range(10)]
    for index in range(1000):
        gone = _Task(f"g{index}")
        tasks.put(gone)
        if index % 100 == 0:
            tasks.put(kept[index // 100])
        tasks.discard(gone)
    assert len(tasks) == 10
    assert len(tasks._heap) <= 64 + 2 * 10 + 1
    with gevent.Timeout(2):
        assert [tasks.take(0.01) for _ in range(10)] == kept
