"""The retry policy every SWF call goes through.

SWF throttles busy accounts (``ThrottlingException``), and any network call can
meet a refused, closed or reset connection, a read timeout or an HTTP 5xx
answer. None of these is the caller's fault, so :func:`swf.connection.call`
retries them under a :class:`RetryPolicy`: exponential backoff with full jitter
(the delay before retry *n* is drawn uniformly from ``[0, min(max_delay,
base_delay * 2 ** (n - 1))]``), capped by a number of attempts and a deadline.
When the policy gives up, the last error is raised, unchanged.

What is retried is decided from the translated error alone
(:func:`is_retryable`):

- :class:`~swf.exceptions.ThrottlingError` (``ThrottlingException`` and kin),
  and any fault answered with HTTP 429;
- :class:`~swf.exceptions.ConnectionError` (connection refused, closed or
  reset, connect or read timeout);
- :class:`~swf.exceptions.ResponseError` answered with an HTTP 5xx status, or
  with one of the transient codes ``RequestTimeout``,
  ``RequestTimeoutException``, ``PriorRequestNotComplete``;
- ``LimitExceededException``, AWS's "slow down" (botocore counts it among
  the throttles): its backoff starts from ``slow_down_delay`` (1 s by
  default), not ``base_delay``. SWF's own ``LimitExceededFault`` (a resource
  limit such as open executions) is not retried.

Every other error is the caller's (``UnknownResourceFault``,
``ValidationException``, ``TypeAlreadyExistsFault``, no credentials...) and is
raised at once: retrying cannot change its answer.

Respond calls (``RespondDecisionTaskCompleted``, ``RespondActivityTask*``,
``RecordActivityTaskHeartbeat``) are retried like any other, so a task whose
answer was throttled is not timed out and run again. A throttled call never
ran on the SWF side, but after a connection error or a 5xx the first attempt
may have been carried out before its answer was lost; the retry then meets
that outcome and raises it: ``UnknownResourceFault`` for a respond call whose
task token was already used, ``WorkflowExecutionAlreadyStartedFault`` for a
start, ``*AlreadyExistsFault`` for a registration. Callers that retry on their
own (a poll loop) should treat those errors accordingly.

A policy is an immutable value; :data:`DEFAULT_RETRY` is what clients built
by :func:`swf.connection.make_client` use unless told otherwise, and
:data:`NO_RETRY` sends each call once. Derive a policy with
:func:`dataclasses.replace`::

    policy = dataclasses.replace(DEFAULT_RETRY, max_attempts=5, on_retry=count_retries)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TypeVar

from swf.exceptions import ConnectionError, ResponseError, SWFError, ThrottlingError  # noqa: A004

__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "RetryHook",
    "RetryPolicy",
    "is_retryable",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``on_retry(operation, attempt, delay, error)``: called before each backoff
#: sleep with the SWF operation name (``"PollForActivityTask"``), the number of
#: the attempt that just failed (1 for the first), the delay about to be slept
#: in seconds (float) and the retryable :class:`~swf.exceptions.SWFError`.
RetryHook = Callable[[str, int, float, SWFError], None]

#: A duration given to :class:`RetryPolicy`: a ``timedelta``, or seconds.
Duration = timedelta | float | int

_TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
#: Error codes asking the caller to slow down more than a throttle does.
_SLOW_DOWN_CODES = frozenset({"LimitExceededException"})
_TOO_MANY_REQUESTS = 429
# 2 ** 62 times any base delay is past every sensible cap; the bound keeps
# ``2.0 ** n`` from overflowing for huge attempt numbers.
_MAX_EXPONENT = 62


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is transient, so that sending the same call again may succeed.

    :param error: an error raised by :func:`swf.connection.call` (a translated
        :class:`~swf.exceptions.SWFError`); anything else is not retryable.
    :returns: ``True`` for a :class:`~swf.exceptions.ThrottlingError`, a
        :class:`~swf.exceptions.ConnectionError`, and a
        :class:`~swf.exceptions.ResponseError` with an HTTP 5xx or 429 status
        or a transient error code, and ``LimitExceededException``; ``False``
        otherwise.
    """
    if isinstance(error, (ThrottlingError, ConnectionError)):
        return True
    if not isinstance(error, SWFError):
        return False
    if error.error_code in _SLOW_DOWN_CODES:
        return True
    status = _http_status(error)
    if status == _TOO_MANY_REQUESTS:
        return True
    if isinstance(error, ResponseError):
        return (status is not None and 500 <= status <= 599) or error.error_code in _TRANSIENT_CODES
    return False


def _http_status(error: SWFError) -> int | None:
    """``error.response["ResponseMetadata"]["HTTPStatusCode"]``, when there is one."""
    if not error.response:
        return None
    metadata = error.response.get("ResponseMetadata")
    if not isinstance(metadata, Mapping):
        return None
    status = metadata.get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _seconds(name: str, value: Duration) -> float:
    """``value`` in seconds, refusing anything but a finite, non-negative duration."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"{name} must be a timedelta or a number of seconds, got {value!r}")
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{name} must be a finite duration of at least 0 seconds, got {value!r}")
    return seconds


def _sleep(seconds: float) -> None:
    """``time.sleep``, looked up at each call: cooperative once gevent has patched ``time``."""
    time.sleep(seconds)


@dataclass(frozen=True, init=False)
class RetryPolicy:
    """How a failed SWF call is retried: exponential backoff with full jitter, capped.

    Attempt 1 is sent at once. After failed attempt *n* (a retryable error,
    see :func:`is_retryable`) the policy sleeps a delay drawn uniformly from
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]`` seconds and sends the
    call again, until it succeeds, fails with an error that is not retryable,
    or the cap is reached: ``max_attempts`` attempts were made, or
    ``deadline`` has passed since attempt 1 was sent (a delay that would end
    past the deadline is shortened to end at it). Then the last error is
    raised as it was. After ``LimitExceededException`` the ceiling starts
    from ``slow_down_delay`` instead of ``base_delay``.

    Durations are given as :class:`~datetime.timedelta` or as seconds (int or
    float) and stored as ``timedelta``; the callables receive and return
    seconds as floats.

    Equality, hash and repr cover the numbers only, not the callables.

    :param max_attempts: total attempts of one call, retries included, at
        least 1 (1 never retries); ``None`` for no limit but ``deadline``
        (then retried until the deadline, or for ever without one). Default 10.
    :param base_delay: ceiling of the first backoff delay; each later ceiling
        doubles. Default 0.1 s.
    :param slow_down_delay: ceiling of the first backoff delay after
        ``LimitExceededException``, doubling likewise (never below
        ``base_delay``). Default 1 s.
    :param max_delay: cap on any single backoff delay. Default 10 s.
    :param deadline: no attempt starts later than this after the first one
        was sent; ``None`` for no limit but ``max_attempts``. Default 120 s,
        which leaves room to retry a long poll (SWF holds one for 60 s) whose
        answer timed out.
    :param sleep: ``sleep(seconds)``, blocks for a backoff delay. Default
        ``time.sleep``, looked up at each call, so it yields to other
        greenlets once gevent has monkey-patched the process.
    :param on_retry: a :data:`RetryHook` called before each backoff sleep,
        for counters and signals; an exception it raises is logged and does
        not stop the retry. Default ``None``.
    :param clock: ``clock()``, monotonic seconds, measures the deadline.
        Default ``time.monotonic``.
    :param jitter: ``jitter()``, a float in ``[0, 1]`` that scales each
        delay's ceiling. Default ``random.random`` (full jitter); ``lambda:
        1.0`` gives plain exponential backoff.
    :raises ValueError: ``max_attempts`` below 1, a negative duration,
        ``max_delay`` below ``base_delay`` or a zero ``deadline``; the message
        names the field.
    :raises TypeError: a field of the wrong type, named in the message.
    """

    max_attempts: int | None
    base_delay: timedelta
    max_delay: timedelta
    deadline: timedelta | None
    slow_down_delay: timedelta
    sleep: Callable[[float], None] = field(compare=False, repr=False)
    on_retry: RetryHook | None = field(compare=False, repr=False)
    clock: Callable[[], float] = field(compare=False, repr=False)
    jitter: Callable[[], float] = field(compare=False, repr=False)

    def __init__(
        self,
        *,
        max_attempts: int | None = 10,
        base_delay: Duration = timedelta(milliseconds=100),
        max_delay: Duration = timedelta(seconds=10),
        deadline: Duration | None = timedelta(seconds=120),
        slow_down_delay: Duration = timedelta(seconds=1),
        sleep: Callable[[float], None] = _sleep,
        on_retry: RetryHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts is not None and (isinstance(max_attempts, bool) or not isinstance(max_attempts, int)):
            raise TypeError(f"max_attempts must be an int or None, got {max_attempts!r}")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        base = _seconds("base_delay", base_delay)
        slow = max(_seconds("slow_down_delay", slow_down_delay), base)
        cap = _seconds("max_delay", max_delay)
        if cap < base:
            raise ValueError(f"max_delay ({cap} s) must not be below base_delay ({base} s)")
        limit: float | None = None
        if deadline is not None:
            limit = _seconds("deadline", deadline)
            if limit == 0:
                raise ValueError("deadline must be above 0 seconds, or None for no deadline")
        for name, value in (("sleep", sleep), ("clock", clock), ("jitter", jitter)):
            if not callable(value):
                raise TypeError(f"{name} must be callable, got {value!r}")
        if on_retry is not None and not callable(on_retry):
            raise TypeError(f"on_retry must be callable or None, got {on_retry!r}")
        set_field = object.__setattr__
        set_field(self, "max_attempts", max_attempts)
        set_field(self, "base_delay", timedelta(seconds=base))
        set_field(self, "max_delay", timedelta(seconds=cap))
        set_field(self, "deadline", None if limit is None else timedelta(seconds=limit))
        set_field(self, "slow_down_delay", timedelta(seconds=slow))
        set_field(self, "sleep", sleep)
        set_field(self, "on_retry", on_retry)
        set_field(self, "clock", clock)
        set_field(self, "jitter", jitter)

    def ceiling(self, attempt: int, error: SWFError | None = None) -> float:
        """The most the policy waits after failed attempt ``attempt``.

        :param attempt: the number of the attempt that failed, from 1.
        :param error: the error of that attempt; ``LimitExceededException``
            starts from ``slow_down_delay``.
        :returns: ``min(max_delay, first * 2 ** (attempt - 1))`` in seconds,
            ``first`` being ``base_delay`` or ``slow_down_delay``.
        :raises ValueError: ``attempt`` below 1.
        """
        if attempt < 1:
            raise ValueError(f"attempt must be at least 1, got {attempt!r}")
        slow = error is not None and error.error_code in _SLOW_DOWN_CODES
        base = (self.slow_down_delay if slow else self.base_delay).total_seconds()
        cap = max(self.max_delay.total_seconds(), base)
        return min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))

    def backoff(self, attempt: int, error: SWFError | None = None) -> float:
        """A delay to sleep after failed attempt ``attempt``: full jitter under :meth:`ceiling`.

        :param attempt: the number of the attempt that failed, from 1.
        :param error: the error of that attempt, as for :meth:`ceiling`.
        :returns: seconds, in ``[0, ceiling(attempt, error)]``.
        :raises ValueError: ``attempt`` below 1.
        """
        ceiling = self.ceiling(attempt, error)
        return min(ceiling, max(0.0, ceiling * self.jitter()))

    def with_deadline(self, deadline: Duration | None) -> RetryPolicy:
        """This policy, its deadline shortened to ``deadline`` (never lengthened).

        For a call whose answer stops mattering at a known time: an answer to a
        task that SWF times out after its start-to-close timeout.

        :param deadline: the longest time retries may take from the first
            attempt; ``None`` keeps the policy as it is. A deadline at or below
            0 is raised to 1 ms, so one attempt is still sent.
        :returns: a policy equal but for ``deadline``; ``self`` when unchanged.
        :raises TypeError: ``deadline`` is not a duration.
        """
        if deadline is None:
            return self
        seconds = deadline.total_seconds() if isinstance(deadline, timedelta) else deadline
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"deadline must be a timedelta, a number of seconds or None, got {deadline!r}")
        seconds = max(float(seconds), 0.001)
        if self.deadline is not None and self.deadline.total_seconds() <= seconds:
            return self
        return replace(self, deadline=timedelta(seconds=seconds))

    def run(self, operation: str, send: Callable[[], T]) -> T:
        """Call ``send()`` until it returns, retrying retryable errors under this policy.

        Blocks for the attempts and the backoff delays between them: at most
        ``max_attempts`` attempts, and none started after ``deadline``.

        :param operation: the SWF operation ``send`` performs,
            ``"RespondActivityTaskCompleted"``; given to ``on_retry`` and logs.
        :param send: performs the call once; raises a translated
            :class:`~swf.exceptions.SWFError` on failure.
        :returns: what ``send`` returned.
        :raises swf.exceptions.SWFError: at once when not retryable; the last
            error when the attempts or the deadline ran out. With neither a
            ``max_attempts`` nor a ``deadline``, retries last as long as
            retryable errors do.
        """
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except SWFError as error:
                if not is_retryable(error):
                    raise
                delay = self._next_delay(operation, attempt, started, error)
                if delay is None:
                    raise
                self._notify(operation, attempt, delay, error)
                self.sleep(delay)

    def _next_delay(self, operation: str, attempt: int, started: float, error: SWFError) -> float | None:
        """The backoff after failed ``attempt``, or ``None`` when the policy gives up."""
        reason = _error_label(error)
        if self.max_attempts is not None and attempt >= self.max_attempts:
            if self.max_attempts > 1:
                log.info("%s: %s on attempt %d of %d; giving up", operation, reason, attempt, self.max_attempts)
            return None
        delay = self.backoff(attempt, error)
        if self.deadline is not None:
            remaining = self.deadline.total_seconds() - (self.clock() - started)
            if remaining <= 0:
                log.info(
                    "%s: %s on attempt %d; deadline of %s s passed, giving up",
                    operation,
                    reason,
                    attempt,
                    self.deadline.total_seconds(),
                )
                return None
            delay = min(delay, remaining)
        log.info("%s: %s on attempt %d; retrying in %.3f s", operation, reason, attempt, delay)
        return delay

    def _notify(self, operation: str, attempt: int, delay: float, error: SWFError) -> None:
        if self.on_retry is None:
            return
        try:
            self.on_retry(operation, attempt, delay, error)
        except Exception:  # a broken hook must not cost the call its retry
            log.exception("%s: on_retry hook failed on attempt %d", operation, attempt)


def _error_label(error: SWFError) -> str:
    """``"ThrottlingException"``, ``"ConnectionError"``, ``"InternalFailure (HTTP 500)"``: no message text."""
    name = error.error_code or type(error).__name__
    status = _http_status(error)
    return f"{name} (HTTP {status})" if status is not None and status != 400 else name


#: The policy of clients built by :func:`swf.connection.make_client`: up to
#: 10 attempts, delays from 0.1 s doubling up to 10 s (full jitter), no
#: attempt started more than 120 s after the first.
DEFAULT_RETRY = RetryPolicy()

#: One attempt, never retried.
NO_RETRY = RetryPolicy(max_attempts=1)
