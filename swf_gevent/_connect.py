"""The runner's connection to SWF: settings the file leaves unset resolved and checked, the client built."""

from __future__ import annotations

from typing import Any

from swf.connection import Connection, make_client
from swf.credentials import Settings, resolve_settings
from swf.exceptions import SWFError
from swf_gevent._config import ENDPOINT_URL_RULE, Config, ConfigError, endpoint_url_problem, region_is_valid
from swf_gevent.signals import retry_policy

__all__ = ["CALLERS_BESIDE_POLLERS", "LOCAL_KEY", "connect"]

#: Greenlets calling SWF beside the pollers: the executions being started at once.
CALLERS_BESIDE_POLLERS = 20
#: The key id and secret sent to the embedded endpoint, which checks no signature.
LOCAL_KEY = "local"


def connect(config: Config, endpoint_url: str | None = None, sender: Any = None) -> Connection:
    """Build the connection the runner's actors, registration and executions share.

    :param endpoint_url: the embedded endpoint's URL (``endpoint_url = local``),
        or ``None`` for the config's URL, else the resolved one.
    :param sender: the sender of :data:`swf_gevent.signals.call_retried` for each retry.
    :raises swf_gevent._config.ConfigError: no region anywhere, or a region or
        endpoint URL from the environment or ``~/.swf`` the file would refuse;
        a client botocore refuses to build.
    :raises swf.exceptions.SWFError: no credentials, a malformed ``~/.swf``.
    """
    region = config.region
    key: str | None = None
    if endpoint_url is not None:  # the embedded endpoint
        region = region or "us-east-1"
        key = LOCAL_KEY
    else:  # what the config leaves unset comes from swf.credentials, then boto3's chain
        endpoint_url = config.endpoint_url
        check_resolved(config, resolve_settings())
    try:
        return make_client(
            retry=retry_policy(sender=sender),
            region_name=region,
            endpoint_url=endpoint_url,
            concurrency=config.pollers + config.slots + CALLERS_BESIDE_POLLERS,
            read_timeout=config.read_timeout,
            poll_hold=config.poll_timeout,
            aws_access_key_id=key,
            aws_secret_access_key=key,
        )
    except SWFError:  # no credentials, a malformed ~/.swf: said as is
        raise
    except Exception as err:  # botocore refusing a region or an endpoint from elsewhere
        raise ConfigError(config.path, "swf", None, f"cannot build the SWF client: {err}") from None


def check_resolved(config: Config, settings: Settings) -> None:
    """Check a region and endpoint URL the config leaves to the environment, ``~/.swf`` or boto3 as the file's own.

    :param settings: what :func:`swf.credentials.resolve_settings` resolved.
    :raises swf_gevent._config.ConfigError: no region anywhere, or one from
        elsewhere that botocore would refuse; an endpoint URL from elsewhere
        that is not an http(s) URL with a host. The line names where it came from.
    """
    if config.endpoint_url is None and settings.endpoint_url is not None:
        problem = endpoint_url_problem(settings.endpoint_url)
        if problem is not None:
            raise ConfigError(
                config.path,
                "swf",
                "endpoint_url",
                f"not set here, and {settings.endpoint_url_source} = {settings.endpoint_url!r} "
                f"is not {ENDPOINT_URL_RULE}{problem}",
            )
    if config.region is not None:
        return
    found, source = settings.region_name, settings.region_source
    if found is None:
        found, source = _boto3_region(), "boto3's configuration (AWS_REGION, ~/.aws/config)"
    if found is None:
        raise ConfigError(
            config.path,
            "swf",
            "region",
            "no AWS region: set it here, in AWS_DEFAULT_REGION, in [defaults] of ~/.swf, or in ~/.aws/config",
        )
    if not region_is_valid(found):
        raise ConfigError(
            config.path,
            "swf",
            "region",
            f"not set here, and {source} = {found!r} is not an AWS region such as 'us-east-1'",
        )


def _boto3_region() -> str | None:
    """The region boto3's own chain finds (``AWS_REGION``, ``~/.aws/config``...), or ``None``."""
    import boto3

    region = boto3.session.Session().region_name
    return str(region) if region else None
