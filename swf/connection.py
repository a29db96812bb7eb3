"""The boto3 SWF client the toolkit talks through, and the one call path.

:func:`make_client` builds a client tuned for SWF: a read timeout above the
60 s that SWF holds a long poll, a connection pool as large as the number of
pollers sharing it, and a :class:`swf.retry.RetryPolicy` carried with it.
What it is not given (key pair, region, endpoint URL) it resolves as the
shared client does, from :mod:`swf.credentials`.
:func:`call` is how every SWF operation is sent: it invokes the client, turns
any botocore error into an :class:`swf.exceptions.SWFError`, and retries
throttling, connection errors and 5xx answers under the client's policy.

Retries happen in one place only: clients built by :func:`make_client` have
botocore's own retries turned off (``total_max_attempts=1``), so botocore's
and the toolkit's attempts never multiply, and every retry goes through the
policy (its backoff, its cap, its ``on_retry`` hook). A client built
elsewhere (``boto3.client("swf")``) keeps botocore's retries; :func:`call`
applies :data:`swf.retry.DEFAULT_RETRY` to it unless given ``retry=None``.

:func:`default_client` is the process-wide client that models and querysets
use when none is injected: built lazily from :func:`swf.credentials.resolve_settings`
and rebuilt when those settings change (:func:`swf.credentials.set_aws_credentials`,
the environment, ``~/.swf``).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from swf.credentials import Settings, resolve_settings
from swf.exceptions import CredentialsError, translate
from swf.retry import DEFAULT_RETRY, RetryPolicy

__all__ = [
    "DEFAULT_READ_TIMEOUT",
    "call",
    "call_pages",
    "default_client",
    "make_client",
    "reset_default_client",
]

log = logging.getLogger(__name__)

#: Seconds a call may wait for an answer: SWF holds a poll up to 60 s.
DEFAULT_READ_TIMEOUT = 70.0

# Where make_client leaves a client's policy for call.
_POLICY_ATTRIBUTE = "_swf_retry_policy"


class _ClientPolicy(enum.Enum):
    """The default of ``call(retry=...)``: the policy the client was built with."""

    CLIENT = "client"


def make_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    max_pool_connections: int = 10,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    connect_timeout: float = 10.0,
    max_attempts: int | None = None,
    retry: RetryPolicy | None = DEFAULT_RETRY,
) -> Any:
    """Build a boto3 SWF client.

    Each connection setting not given here -- the key pair, the region, the
    endpoint URL -- is resolved as for the shared client
    (:func:`swf.credentials.resolve_settings`): set by
    :func:`swf.credentials.set_aws_credentials`, else the environment, else
    ``~/.swf``, else boto3's own chain. Arguments given here beat them all.

    :param region_name: AWS region (``"us-east-1"``); ``None`` resolves it.
    :param endpoint_url: URL of the SWF endpoint; ``None`` resolves it (then
        the region's public endpoint).
    :param aws_access_key_id: explicit credentials, with the secret; ``None``
        for both resolves the pair.
    :param aws_secret_access_key: explicit credentials, with the key id.
    :param aws_session_token: optional session token for temporary credentials.
    :param max_pool_connections: HTTP connections kept open; at least the
        number of greenlets or threads polling through this client.
    :param read_timeout: seconds to wait for an answer; keep it above 60.
    :param connect_timeout: seconds to wait for a TCP connection.
    :param max_attempts: total attempts of one call, retries included:
        replaces ``retry``'s (of :data:`swf.retry.DEFAULT_RETRY` when
        ``retry`` is ``None``); ``1`` never retries. ``None`` keeps ``retry``'s.
    :param retry: the policy :func:`call` applies to this client's calls
        when not given one; ``None`` sends each call once. botocore's own
        retries are off (``total_max_attempts=1``): this policy is the only one.
    :returns: a ``botocore.client.SWF`` instance.
    :raises ValueError: ``max_attempts`` below 1.
    :raises swf.exceptions.CredentialsError: no region given nor found in
        any source, only one of the key id and the secret given, or
        ``~/.swf`` malformed (when a setting is left to it).
    """
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
    return _client(
        Settings(
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            region_name=region_name,
            endpoint_url=endpoint_url,
        ),
        max_pool_connections=max_pool_connections,
        read_timeout=read_timeout,
        connect_timeout=connect_timeout,
        retry=retry,
    )


#: Where a region can be given, for the error raised when none is.
_NO_REGION = (
    "no AWS region: pass region_name=..., call swf.credentials.set_aws_credentials(region_name=...), "
    "set AWS_DEFAULT_REGION, or put 'region' in [defaults] of ~/.swf"
)


def _client(
    settings: Settings,
    *,
    max_pool_connections: int = 10,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    connect_timeout: float = 10.0,
    retry: RetryPolicy | None = DEFAULT_RETRY,
) -> Any:
    """The boto3 client for settings already resolved; ``None`` members are left to boto3's chain."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        read_timeout=read_timeout,
        connect_timeout=connect_timeout,
        max_pool_connections=max_pool_connections,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    session = boto3.session.Session(
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        aws_session_token=settings.aws_session_token,
        region_name=settings.region_name,
    )
    try:
        client = session.client("swf", endpoint_url=settings.endpoint_url, config=config)
    except NoRegionError:
        raise CredentialsError(_NO_REGION) from None
    setattr(client, _POLICY_ATTRIBUTE, retry)
    return client


def _client_policy(client: Any) -> RetryPolicy | None:
    """The policy ``client`` was built with; :data:`DEFAULT_RETRY` for a client not built by make_client."""
    policy = getattr(client, _POLICY_ATTRIBUTE, DEFAULT_RETRY)
    return policy if isinstance(policy, RetryPolicy) else None


def _policy(client: Any, retry: object) -> RetryPolicy | None:
    """The policy a call applies: ``retry``, or the client's when ``retry`` was not given."""
    if retry is _ClientPolicy.CLIENT:
        return _client_policy(client)
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
    Blocks for the attempts and the delays between them.

    :param client: a boto3 SWF client (see :func:`make_client`).
    :param operation: the SWF operation name, ``"PollForDecisionTask"``.
    :param retry: the :class:`~swf.retry.RetryPolicy` to apply; ``None``
        sends the call once. By default, the policy ``client`` was built with
        by :func:`make_client`, or :data:`swf.retry.DEFAULT_RETRY` for a client
        built elsewhere. (Annotated ``object`` so that ``**params`` dicts of
        any value type still type-check where ``call`` is used.)
    :param params: the operation's request members, as boto3 names them.
    :returns: the response dict, without ``ResponseMetadata``.
    :raises swf.exceptions.SWFError: the translated botocore error, chained:
        at once when not retryable, else the last one when the policy gives up.
    :raises TypeError: ``retry`` is neither a policy nor ``None``.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    policy = _policy(client, retry)
    method = getattr(client, _snake(operation))

    def send() -> dict[str, Any]:
        try:
            answer: dict[str, Any] = method(**params)
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

    :param client: a boto3 SWF client.
    :param operation: a listing operation, ``"ListDomains"``.
    :param retry: as for :func:`call`: the client's policy by default,
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
        self._client: Any = None
        self._settings: Settings | None = None

    def get(self) -> Any:
        settings = resolve_settings()
        with self._lock:
            if self._client is None or settings != self._settings:
                self._client = _build(settings)
                self._settings = settings
                log.debug("shared SWF client built: %r", settings)
            return self._client

    def reset(self) -> None:
        with self._lock:
            self._client = None
            self._settings = None


_shared = _SharedClient()


def default_client() -> Any:
    """The shared boto3 SWF client of this process.

    Settings are resolved on every call (see :mod:`swf.credentials`); the
    client is built on first use and rebuilt when they change, so
    :func:`swf.credentials.set_aws_credentials` takes effect on the next call.

    :returns: a ``botocore.client.SWF`` instance, shared by every caller.
    :raises swf.exceptions.CredentialsError: ``~/.swf`` is malformed, or no
        region is configured anywhere.
    """
    return _shared.get()


def reset_default_client() -> None:
    """Drop the shared client; the next :func:`default_client` builds a new one."""
    _shared.reset()


def _build(settings: Settings) -> Any:
    return _client(settings)
