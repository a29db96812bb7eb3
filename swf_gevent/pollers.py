"""How many long polls an actor keeps in flight: between a minimum and a maximum, scaled by what polls bring.

An actor (:class:`swf_gevent.actors.GreenletActor`) has ``slots`` (tasks that
may run at once; an idle slot costs nothing) and pollers (long polls in
flight, each a parked HTTP request). A poller polls only while it holds a
free slot, which the task it brings keeps until it is answered, so no task
is ever taken that cannot start at once, and there are never more polls in
flight than free slots.

The scaling rule, written here and nowhere else (the rule of Temporal's
poller autoscaling, on SWF's long polls):

- start with ``minimum`` pollers;
- after a poll that brought a task: one more poller, while there are fewer
  than ``maximum`` and some slot is free that no poller holds;
- after an empty poll (SWF held it 60 s and had nothing): one fewer, while
  there are more than ``minimum``.

So an idle task list keeps ``minimum`` polls parked, and a busy one grows
to as many polls as it can use. Each change sends
:data:`swf_gevent.signals.pollers_changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MAXIMUM", "PollerBounds", "parse_bounds"]

#: The most pollers an actor gets when only its slots are given (fewer when it has fewer slots).
DEFAULT_MAXIMUM = 20


@dataclass(frozen=True)
class PollerBounds:
    """The least and the most pollers of one actor.

    :param minimum: pollers kept when idle (at least 1).
    :param maximum: pollers at the busiest (at least ``minimum``).
    :raises ValueError: a bound out of range, naming it.
    """

    minimum: int = 1
    maximum: int = 1

    def __post_init__(self) -> None:
        for name, value in (("minimum", self.minimum), ("maximum", self.maximum)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"pollers {name} must be a positive integer, got {value!r}")
        if self.maximum < self.minimum:
            raise ValueError(f"pollers maximum ({self.maximum}) must not be below the minimum ({self.minimum})")

    def __str__(self) -> str:
        return f"{self.minimum}..{self.maximum}"

    @classmethod
    def of(cls, pollers: int | tuple[int, int] | PollerBounds) -> PollerBounds:
        """``pollers`` as bounds: ``n`` is ``n..n``, ``(lo, hi)`` is ``lo..hi``.

        :raises ValueError: bounds out of range.
        :raises TypeError: anything else.
        """
        if isinstance(pollers, PollerBounds):
            return pollers
        if isinstance(pollers, tuple) and len(pollers) == 2:
            return cls(pollers[0], pollers[1])
        if isinstance(pollers, int) and not isinstance(pollers, bool):
            return cls(pollers, pollers)
        raise TypeError(f"pollers must be an int, a (minimum, maximum) pair or PollerBounds, got {pollers!r}")

    @classmethod
    def default_for(cls, slots: int) -> PollerBounds:
        """The bounds of an actor given only its ``slots``: ``1..min(slots, DEFAULT_MAXIMUM)``."""
        return cls(1, min(slots, DEFAULT_MAXIMUM))

    def after_task(self, pollers: int, free_slots: int) -> bool:
        """Whether to add a poller after a poll brought a task.

        :param pollers: pollers now.
        :param free_slots: slots neither running a task nor held by a poll.
        """
        return pollers < self.maximum and free_slots > 0

    def after_empty(self, pollers: int) -> bool:
        """Whether the poller whose poll came back empty should stop (one fewer)."""
        return pollers > self.minimum


def parse_bounds(text: str) -> PollerBounds:
    """``"4"`` or ``"1..20"`` as bounds (the runner's ``pollers =``).

    :raises ValueError: not that shape, or bounds out of range; the message says which.
    """
    low, dots, high = text.strip().partition("..")
    try:
        minimum = int(low)
        maximum = int(high) if dots else minimum
    except ValueError:
        raise ValueError(f"must be N or MIN..MAX (positive integers), got {text!r}") from None
    return PollerBounds(minimum, maximum)
