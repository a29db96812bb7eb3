"""The boto3 SWF clients the toolkit talks through, and the one call path.

:func:`make_client` builds a :class:`Connection`: two boto3 SWF clients
sharing one session (one set of credentials), and the
:class:`swf.retry.RetryPolicy` that :func:`call` applies to them.

- ``poll_client`` sends the long polls (``PollForDecisionTask``,
  ``PollForActivityTask``): its read timeout (:data:`DEFAULT_READ_TIMEOUT`,
  70 s) is above the 60 s SWF holds an empty poll.
- ``client`` sends every other operation with a short read timeout
  (:data:`DEFAULT_CALL_READ_TIMEOUT`, 10 s), so an endpoint that accepts
  connections and never answers is reported in seconds, not after a poll's
  70 s.

Both pools are sized from the number of greenlets or threads calling
through the connection at once (``concurrency``). A :class:`Connection` passes any other attribute
through to its clients, so ``make_client().describe_domain(name="d")`` and
``.meta`` work as on a boto3 client (long-poll methods on ``poll_client``,
the rest on ``client``). What :func:`make_client` is not given (key pair,
region, endpoint URL) it resolves as the shared connection does, from
:mod:`swf.credentials`.

:func:`call` is how every SWF operation is sent: it picks the client for the
operation, turns any botocore error into an :class:`swf.exceptions.SWFError`,
and retries throttling, connection errors and 5xx answers under the
connection's policy. A long poll whose read times out is an empty poll: one
request, answered ``{}``, and the caller polls again.

Retries happen in one place only: clients built by :func:`make_client` have
botocore's own retries turned off (``total_max_attempts=1``), so botocore's
and the toolkit's attempts never multiply, and every retry goes through the
policy (its backoff, its cap, its ``on_retry`` hook). A plain boto3 client
(``boto3.client("swf")``) is accepted wherever a connection is: it keeps
botocore's retries, sends every operation, and :func:`call` applies
:data:`swf.retry.DEFAULT_RETRY` to it unless given ``retry=None``
(:meth:`Connection.of`).

:func:`default_client` is the process-wide connection that models and
querysets use when none is injected: built lazily from
:func:`swf.credentials.resolve_settings` and rebuilt when those settings
change (:func:`swf.credentials.set_aws_credentials`, the environment,
``~/.swf``).
"""

from __future__ import annotations

import enum
import logging
import math
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from swf.credentials import Settings, resolve_settings
from swf.exceptions import CredentialsError, translate
from swf.limits import SWF_POLL_HOLD
from swf.retry import DEFAULT_RETRY, RetryPolicy

__all__ = [
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
]

log = logging.getLogger(__name__)

#: Seconds a long poll may wait for its answer: above :data:`SWF_POLL_HOLD`.
DEFAULT_READ_TIMEOUT = 70.0
#: Seconds any call other than a long poll may wait for its answer.
DEFAULT_CALL_READ_TIMEOUT = 10.0
#: The operations SWF holds until a task comes (with no ``nextPageToken``).
LONG_POLL_OPERATIONS = frozenset({"PollForDecisionTask", "PollForActivityTask"})
#: Connections each pool keeps beyond the callers sharing it, and the least it keeps.
_POOL_MARGIN = 4
_MIN_POOL = 10


@dataclass(frozen=True)
class Connection:
    """Two boto3 SWF clients sharing credentials, and the retry policy their calls go under.

    Built by :func:`make_client`; :meth:`of` wraps a plain boto3 client;
    ``dataclasses.replace(connection, retry=policy)`` is the same clients
    under another policy.
    Accepted wherever the toolkit takes a ``client`` (models, querysets,
    actors, :func:`call`). Any attribute it does not have is looked up on
    :meth:`client_for` that name: ``connection.poll_for_activity_task(...)``
    on ``poll_client``, ``connection.describe_domain(...)`` and
    ``connection.meta`` on ``client``.

    :ivar client: the ``botocore.client.SWF`` for every operation but the
        long polls; a short read timeout.
    :ivar poll_client: the ``botocore.client.SWF`` for ``PollForDecisionTask``
        and ``PollForActivityTask``; a read timeout above the endpoint's hold.
        May be ``client`` itself.
    :ivar retry: the :class:`~swf.retry.RetryPolicy` :func:`call` applies
        when not given one; ``None`` sends each call once.
    """

    client: Any
    poll_client: Any
    retry: RetryPolicy | None = DEFAULT_RETRY

    @classmethod
    def of(cls, client: Any) -> Connection:
        """``client`` as a connection: itself if it is one, else a boto3 client with :data:`~swf.retry.DEFAULT_RETRY`.

        :param client: a :class:`Connection` or a boto3 SWF client (which then
            sends every operation, long polls included).
        """
        if isinstance(client, Connection):
            return client
        return cls(client=client, poll_client=client, retry=DEFAULT_RETRY)

    def client_for(self, operation: str) -> Any:
        """The boto3 client that sends ``operation`` (``"PollForActivityTask"`` -> ``poll_client``)."""
        return self.poll_client if operation in LONG_POLL_OPERATIONS else self.client

    def close(self) -> None:
        """Close both clients' HTTP connections (botocore's ``close``); safe twice."""
        self.client.close()
        if self.poll_client is not self.client:
            self.poll_client.close()

    def __getattr__(self, name: str) -> Any:
        """A boto3 client attribute: long-poll methods of ``poll_client``, the rest of ``client``."""
        if name.startswith("_"):  # dunder probes (copy, pickle) and privates are not passed through
            raise AttributeError(name)
        target = self.poll_client if name in _LONG_POLL_METHODS else self.client
        return getattr(target, name)


#: boto3's method names of :data:`LONG_POLL_OPERATIONS` (``"poll_for_activity_task"``).
_LONG_POLL_METHODS = frozenset(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in LONG_POLL_OPERATIONS)


class _ClientPolicy(enum.Enum):
    """The default of ``call(retry=...)``: the policy the connection carries."""

    CLIENT = "client"


def make_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    concurrency: int | None = None,
    max_pool_connections: int | None = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    call_read_timeout: float = DEFAULT_CALL_READ_TIMEOUT,
    poll_hold: float = SWF_POLL_HOLD,
    connect_timeout: float = 10.0,
    max_attempts: int | None = None,
    retry: RetryPolicy | None = DEFAULT_RETRY,
) -> Connection:
    """Build a :class:`Connection` to SWF: a long-poll client, a client for the rest, a retry policy.

    Each connection setting not given here -- the key pair, the region, the
    endpoint URL -- is resolved as for the shared connection
    (:func:`swf.credentials.resolve_settings`): set by
    :func:`swf.credentials.set_aws_credentials`, else the environment, else
    ``~/.swf``, else boto3's own chain. Arguments given here beat them all.

    A runner sizes it from its actors and gives the endpoint's hold::

        make_client(concurrency=pollers + running_tasks, read_timeout=poll_timeout + 10, poll_hold=poll_timeout)

    :param region_name: AWS region (``"us-east-1"``); ``None`` resolves it.
    :param endpoint_url: URL of the SWF endpoint; ``None`` resolves it (then
        the region's public endpoint).
    :param aws_access_key_id: explicit credentials, with the secret; ``None``
        for both resolves the pair.
    :param aws_secret_access_key: explicit credentials, with the key id.
    :param aws_session_token: optional session token for temporary credentials.
    :param concurrency: the most greenlets or threads calling through this
        connection at once: its actors' polls, plus their running tasks'
        answers and heartbeats. Each client keeps ``concurrency + 4`` HTTP
        connections, at least 10.
        Fewer than the callers and urllib3 opens and discards extra
        connections ("Connection pool is full").
    :param max_pool_connections: HTTP connections each client keeps, instead
        of the number derived from ``concurrency``; ``None`` derives it (10
        when ``concurrency`` is ``None`` too).
    :param read_timeout: seconds a long poll waits for its answer; above
        ``poll_hold``, else a warning (a poll timing out just as the endpoint
        hands it a task loses that task until the task's own timeout).
    :param call_read_timeout: seconds every other call waits for its answer
        (then a :class:`swf.exceptions.ConnectionError`, retried under the
        policy). A start-up check that must report a silent endpoint in
        seconds sends its call with ``retry=swf.retry.NO_RETRY`` (or a
        policy with a short ``deadline``): the default policy retries a read
        timeout for up to 120 s.
    :param poll_hold: seconds the endpoint holds an empty long poll: 60 for
        SWF, a local endpoint's ``poll_timeout``.
    :param connect_timeout: seconds to wait for a TCP connection.
    :param max_attempts: total attempts of one call, retries included:
        replaces ``retry``'s (of :data:`swf.retry.DEFAULT_RETRY` when
        ``retry`` is ``None``); ``1`` never retries. ``None`` keeps ``retry``'s.
    :param retry: the policy :func:`call` applies to this connection's calls
        when not given one; ``None`` sends each call once. botocore's own
        retries are off (``total_max_attempts=1``): this policy is the only one.
    :returns: the :class:`Connection`.
    :raises ValueError: ``max_attempts`` below 1, ``concurrency`` or
        ``max_pool_connections`` below 1, a timeout that is not a positive
        number of seconds.
    :raises swf.exceptions.CredentialsError: no region given nor found in
        any source, only one of the key id and the secret given, or
        ``~/.swf`` malformed (when a setting is left to it).
    """
    for name, seconds in (
        ("read_timeout", read_timeout),
        ("call_read_timeout", call_read_timeout),
        ("connect_timeout", connect_timeout),
    ):
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"make_client: {name} must be a positive number of seconds, got {seconds!r}")
    if read_timeout <= poll_hold:
        warnings.warn(
            f"make_client: read_timeout={read_timeout:g} s is not above the {poll_hold:g} s the endpoint holds "
            "a long poll: a poll can time out as a task is handed to it, and that task waits for its own timeout; "
            f"pass read_timeout={poll_hold + 10:g} or more",
            stacklevel=2,
        )
    for name, count in (("concurrency", concurrency), ("max_pool_connections", max_pool_connections)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError(f"make_client: {name} must be a whole number of at least 1, got {count!r}")
    if max_pool_connections is None:
        max_pool_connections = _MIN_POOL if concurrency is None else max(_MIN_POOL, concurrency + _POOL_MARGIN)
    if max_attempts is not None:
        retry = replace(retry if retry is not None else DEFAULT_RETRY, max_attempts=max_attempts)
    if (aws_access_key_id is None) != (aws_secret_access_key is None):
        missing = "aws_secret_access_key" if aws_secret_access_key is None else "aws_access_key_id"
        raise CredentialsError(f"make_client: {missing} must be given with the other half of the key pair")
    if aws_access_key_id is None or region_name is None or endpoint_url is None:
        settings = resolve_settings()
        if aws_access_key_id is None:
            aws_access_key_id = settings.aws_access_key_id
            aws_secret_access_key = settings.aws_secret_access_key
            if aws_session_token is None:
                aws_session_token = settings.aws_session_token
        if region_name is None:
            region_name = settings.region_name
        if endpoint_url is None:
            endpoint_url = settings.endpoint_url
    return _connect(
        Settings(
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            region_name=region_name,
            endpoint_url=endpoint_url,
        ),
        max_pool_connections=max_pool_connections,
        read_timeout=read_timeout,
        call_read_timeout=call_read_timeout,
        connect_timeout=connect_timeout,
        retry=retry,
    )


#: Where a region can be given, for the error raised when none is.
_NO_REGION = (
    "no AWS region: pass region_name=..., call swf.credentials.set_aws_credentials(region_name=...), "
    "set AWS_DEFAULT_REGION, or put 'region' in [defaults] of ~/.swf"
)


def _connect(
    settings: Settings,
    *,
    max_pool_connections: int = _MIN_POOL,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    call_read_timeout: float = DEFAULT_CALL_READ_TIMEOUT,
    connect_timeout: float = 10.0,
    retry: RetryPolicy | None = DEFAULT_RETRY,
) -> Connection:
    """The connection for settings already resolved; ``None`` members are left to boto3's chain."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    session = boto3.session.Session(
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        aws_session_token=settings.aws_session_token,
        region_name=settings.region_name,
    )

    def client(timeout: float) -> Any:
        config = Config(
            read_timeout=timeout,
            connect_timeout=connect_timeout,
            max_pool_connections=max_pool_connections,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        return session.client("swf", endpoint_url=settings.endpoint_url, config=config)

    try:
        return Connection(client=client(call_read_timeout), poll_client=client(read_timeout), retry=retry)
    except NoRegionError:
        raise CredentialsError(_NO_REGION) from None


def _policy(connection: Connection, retry: object) -> RetryPolicy | None:
    """The policy a call applies: ``retry``, or the connection's when ``retry`` was not given."""
    if retry is _ClientPolicy.CLIENT:
        return connection.retry
    if retry is None or isinstance(retry, RetryPolicy):
        return retry
    raise TypeError(f"retry must be a swf.retry.RetryPolicy or None, got {retry!r}")


def call(
    client: Any,
    operation: str,
    *,
    retry: object = _ClientPolicy.CLIENT,
    **params: Any,
) -> dict[str, Any]:
    """Send one SWF operation, retrying transient failures, and return its parsed answer.

    Throttling, connection errors and 5xx answers are retried with backoff
    under ``retry`` (see :mod:`swf.retry`); any other error is raised at once.
    Blocks for the attempts and the delays between them; each attempt waits
    at most the read timeout of the client that sends it
    (:meth:`Connection.client_for`).

    A long poll (``PollForDecisionTask`` or ``PollForActivityTask`` without
    ``nextPageToken``) whose read times out is an empty poll: it is not
    retried and answers ``{}`` (no ``taskToken``).

    :param client: a :class:`Connection` (see :func:`make_client`), or a
        boto3 SWF client (:meth:`Connection.of`).
    :param operation: the SWF operation name, ``"PollForDecisionTask"``.
    :param retry: the :class:`~swf.retry.RetryPolicy` to apply; ``None``
        sends the call once. By default, the connection's policy, or
        :data:`swf.retry.DEFAULT_RETRY` for a plain boto3 client.
        (Annotated ``object`` so that ``**params`` dicts of any value type
        still type-check where ``call`` is used.)
    :param params: the operation's request members, as boto3 names them.
    :returns: the response dict, without ``ResponseMetadata``.
    :raises swf.exceptions.SWFError: the translated botocore error, chained:
        at once when not retryable, else the last one when the policy gives up.
    :raises TypeError: ``retry`` is neither a policy nor ``None``.
    """
    from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

    connection = Connection.of(client)
    policy = _policy(connection, retry)
    method = getattr(connection.client_for(operation), _snake(operation))
    long_poll = operation in LONG_POLL_OPERATIONS and not params.get("nextPageToken")

    def send() -> dict[str, Any]:
        try:
            answer: dict[str, Any] = method(**params)
        except ReadTimeoutError as err:
            if long_poll:
                log.debug("%s read timed out: an empty poll (%s)", operation, err)
                return {}
            raise translate(err) from err
        except (ClientError, BotoCoreError) as err:
            raise translate(err) from err
        return answer

    response = send() if policy is None else policy.run(operation, send)
    response.pop("ResponseMetadata", None)
    return response


def call_pages(
    client: Any,
    operation: str,
    *,
    retry: object = _ClientPolicy.CLIENT,
    **params: Any,
) -> Iterator[dict[str, Any]]:
    """Send a paginated SWF operation, page after page, following ``nextPageToken``.

    Lazy: nothing is sent until the first page is asked for; each following
    page is sent when the previous one has been consumed. Each page is one
    :func:`call`, retried on its own under ``retry``.

    :param client: a :class:`Connection` or a boto3 SWF client.
    :param operation: a listing operation, ``"ListDomains"``.
    :param retry: as for :func:`call`: the connection's policy by default,
        ``None`` for one attempt a page.
    :param params: its request members (without ``nextPageToken``).
    :returns: an iterator over the response dicts, one a page.
    :raises swf.exceptions.SWFError: the translated error of any page.
    """
    token: str | None = None
    while True:
        page = call(client, operation, retry=retry, **params, **({"nextPageToken": token} if token else {}))
        yield page
        token = page.get("nextPageToken")
        if not token:
            return


def _snake(operation: str) -> str:
    """``"PollForDecisionTask"`` -> ``"poll_for_decision_task"``."""
    from botocore import xform_name

    return str(xform_name(operation))


class _SharedClient:
    """The process-wide client and the settings it was built from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Connection | None = None
        self._settings: Settings | None = None

    def get(self) -> Connection:
        settings = resolve_settings()
        with self._lock:
            if self._client is None or settings != self._settings:
                self._client = _connect(settings)
                self._settings = settings
                log.debug("shared SWF client built: %r", settings)
            return self._client

    def reset(self) -> None:
        with self._lock:
            self._client = None
            self._settings = None


_shared = _SharedClient()


def default_client() -> Connection:
    """The shared SWF connection of this process.

    Settings are resolved on every call (see :mod:`swf.credentials`); the
    client is built on first use and rebuilt when they change, so
    :func:`swf.credentials.set_aws_credentials` takes effect on the next call.

    :returns: a :class:`Connection` built with :func:`make_client`'s defaults, shared by every caller.
    :raises swf.exceptions.CredentialsError: ``~/.swf`` is malformed, or no
        region is configured anywhere.
    """
    return _shared.get()


def reset_default_client() -> None:
    """Drop the shared client; the next :func:`default_client` builds a new one."""
    _shared.reset()
