"""Where the toolkit finds its AWS credentials, region and SWF endpoint.

Settings are resolved each time they are needed (never once at import), from
these sources, first one wins:

1. **explicit**: :func:`set_aws_credentials` (until :func:`clear_aws_credentials`);
2. **environment**: ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (with
   ``AWS_SESSION_TOKEN``), ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_SWF``;
3. **the file** ``~/.swf``, an ini file::

       [credentials]
       aws_access_key_id = AKIA...
       aws_secret_access_key = ...

       [defaults]
       region = eu-west-1
       endpoint_url = http://127.0.0.1:8080

4. **boto3's own chain** (``~/.aws`` profiles, instance and container roles),
   for whatever the sources above leave unset.

The precedence applies to each setting on its own -- the key pair, the
region, the endpoint URL -- and the key id and secret always come together
from one source. A ``~/.swf`` readable by group or others draws an
:class:`InsecureCredentialsFileWarning`. Secrets never appear in a repr, a log
line or an error message.
"""

from __future__ import annotations

import configparser
import dataclasses
import logging
import os
import stat
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swf.exceptions import CredentialsError

__all__ = [
    "InsecureCredentialsFileWarning",
    "Settings",
    "clear_aws_credentials",
    "credentials_file",
    "resolve_settings",
    "set_aws_credentials",
]

log = logging.getLogger(__name__)

#: The sections and keys ``~/.swf`` may hold.
_FILE_KEYS: Mapping[str, frozenset[str]] = {
    "credentials": frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}),
    "defaults": frozenset({"region", "endpoint_url"}),
}


class InsecureCredentialsFileWarning(UserWarning):
    """``~/.swf`` can be read by users other than its owner."""


@dataclass(frozen=True)
class Settings:
    """The resolved connection settings; ``None`` leaves a setting to boto3's chain.

    Secrets are left out of the repr: it names where the credentials came from.

    :param aws_access_key_id: the access key id, or ``None``.
    :param aws_secret_access_key: the secret key, or ``None``.
    :param aws_session_token: a session token for temporary credentials, or ``None``.
    :param region_name: the AWS region, ``"us-east-1"``, or ``None``.
    :param endpoint_url: the SWF endpoint URL, or ``None``.
    :param credentials_source: ``"explicit"``, ``"environment"``, the path of
        ``~/.swf``, or ``"boto3"`` when the key pair is left to boto3's chain.
    :param region_source: where ``region_name`` came from:
        ``"set_aws_credentials(region_name=...)"``, ``"AWS_DEFAULT_REGION"``,
        ``"<path of ~/.swf> [defaults] region"``; ``None`` when unset.
    :param endpoint_url_source: where ``endpoint_url`` came from, in the same
        terms (``"AWS_ENDPOINT_URL_SWF"``, ``"<path> [defaults] endpoint_url"``...).
    """

    aws_access_key_id: str | None = field(default=None, repr=False)
    aws_secret_access_key: str | None = field(default=None, repr=False)
    aws_session_token: str | None = field(default=None, repr=False)
    region_name: str | None = None
    endpoint_url: str | None = None
    credentials_source: str = "boto3"
    region_source: str | None = field(default=None, compare=False)
    endpoint_url_source: str | None = field(default=None, compare=False)

    def client_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`swf.connection.make_client` these settings give.

        ``make_client(**settings.client_kwargs(), max_pool_connections=64)``
        builds a client of one's own from the resolved settings.
        """
        return {
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
            "aws_session_token": self.aws_session_token,
            "region_name": self.region_name,
            "endpoint_url": self.endpoint_url,
        }


@dataclass(frozen=True)
class _Source:
    """What one source says; ``None`` where it says nothing."""

    name: str
    key_id: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    region: str | None = None
    endpoint_url: str | None = None


class _Explicit:
    """The settings given to :func:`set_aws_credentials`, guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._source = _Source("explicit")

    def set(self, source: _Source) -> None:
        with self._lock:
            self._source = source

    def get(self) -> _Source:
        with self._lock:
            return self._source


_explicit = _Explicit()


def set_aws_credentials(
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    *,
    aws_session_token: str | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
) -> None:
    """Set the process-wide settings that beat every other source.

    Replaces what an earlier call set; the shared client
    (:func:`swf.connection.default_client`) is rebuilt on its next use.
    Arguments left ``None`` fall through to the environment, ``~/.swf`` and
    boto3's chain.

    :param aws_access_key_id: the access key id; give it with the secret.
    :param aws_secret_access_key: the secret access key.
    :param aws_session_token: a session token, for temporary credentials.
    :param region_name: the AWS region, ``"eu-west-1"``.
    :param endpoint_url: the SWF endpoint URL, ``"http://127.0.0.1:8080"``.
    :raises swf.exceptions.CredentialsError: only one of the key id and the
        secret was given.
    """
    source = _Source(
        "explicit",
        key_id=aws_access_key_id,
        secret=aws_secret_access_key,
        token=aws_session_token,
        region=region_name,
        endpoint_url=endpoint_url,
    )
    _check_pair(source)
    _explicit.set(source)
    log.debug("explicit AWS settings set (region %s, endpoint %s)", region_name, endpoint_url)


def clear_aws_credentials() -> None:
    """Forget what :func:`set_aws_credentials` set."""
    _explicit.set(_Source("explicit"))


def credentials_file() -> Path:
    """The path of the credentials file: ``~/.swf`` in the current ``HOME``."""
    return Path.home() / ".swf"


def resolve_settings() -> Settings:
    """Resolve the settings now, from every source in precedence order.

    :returns: the :class:`Settings`; unset members are left to boto3.
    :raises swf.exceptions.CredentialsError: ``~/.swf`` is malformed or
        unreadable (the message names the file, and the section and key), or
        a source gives only one of the key id and the secret.
    """
    sources = [_explicit.get(), _from_environment(), _from_file(credentials_file())]
    for source in sources:
        _check_pair(source)
    pair = next((s for s in sources if s.key_id is not None), None)
    region_from = next((s for s in sources if s.region is not None), None)
    endpoint_from = next((s for s in sources if s.endpoint_url is not None), None)
    settings = Settings(
        region_name=region_from.region if region_from else None,
        endpoint_url=endpoint_from.endpoint_url if endpoint_from else None,
        region_source=_setting_source(region_from, "region") if region_from else None,
        endpoint_url_source=_setting_source(endpoint_from, "endpoint_url") if endpoint_from else None,
    )
    if pair is None:
        return settings
    return dataclasses.replace(
        settings,
        aws_access_key_id=pair.key_id,
        aws_secret_access_key=pair.secret,
        aws_session_token=pair.token,
        credentials_source=pair.name,
    )


def _setting_source(source: _Source, key: str) -> str:
    """How a user finds the place ``source`` gave ``key`` (``"region"`` or ``"endpoint_url"``)."""
    if source.name == "explicit":
        return f"set_aws_credentials({'region_name' if key == 'region' else key}=...)"
    if source.name == "environment":
        return "AWS_DEFAULT_REGION" if key == "region" else "AWS_ENDPOINT_URL_SWF"
    return f"{source.name} [defaults] {key}"


def _check_pair(source: _Source) -> None:
    """Refuse a source that gives the key id without the secret, or the reverse."""
    if (source.key_id is None) != (source.secret is None):
        missing = "aws_secret_access_key" if source.secret is None else "aws_access_key_id"
        raise CredentialsError(f"{source.name} credentials give no {missing}")


def _from_environment() -> _Source:
    env = os.environ

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value else None

    key_id, secret = get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")
    if key_id is None and secret is None:
        return _Source("environment", region=get("AWS_DEFAULT_REGION"), endpoint_url=get("AWS_ENDPOINT_URL_SWF"))
    if key_id is None or secret is None:
        missing = "AWS_SECRET_ACCESS_KEY" if secret is None else "AWS_ACCESS_KEY_ID"
        raise CredentialsError(f"environment credentials give no {missing}")
    return _Source(
        "environment",
        key_id=key_id,
        secret=secret,
        token=get("AWS_SESSION_TOKEN"),
        region=get("AWS_DEFAULT_REGION"),
        endpoint_url=get("AWS_ENDPOINT_URL_SWF"),
    )


class _FileCache:
    """The last parse of the credentials file, keyed on its path, size and mtime."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int, int] | None = None
        self._source: _Source | None = None

    def get(self, key: tuple[str, int, int, int]) -> _Source | None:
        with self._lock:
            return self._source if key == self._key else None

    def put(self, key: tuple[str, int, int, int], source: _Source) -> None:
        with self._lock:
            self._key, self._source = key, source


_file_cache = _FileCache()


def _from_file(path: Path) -> _Source:
    """Read ``path`` (``~/.swf``); a missing file says nothing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return _Source(str(path))
    except OSError as err:
        raise CredentialsError(f"{path}: cannot be read ({err.strerror})") from None
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_mode)
    cached = _file_cache.get(key)
    if cached is not None:
        return cached
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"{path} is readable by group or others (mode {stat.filemode(st.st_mode)}); "
            f"restrict it with: chmod 600 {path}",
            InsecureCredentialsFileWarning,
            stacklevel=4,
        )
    source = _parse_file(path)
    _file_cache.put(key, source)
    return source


def _parse_file(path: Path) -> _Source:
    """Parse the ini text; errors name the file, line, section and key, never a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CredentialsError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise CredentialsError(f"{path}: cannot be read ({err.strerror})") from None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError as err:
        raise CredentialsError(f"{path}: line {err.lineno} comes before any [section] header") from None
    except configparser.DuplicateSectionError as err:
        raise CredentialsError(f"{path}: section [{err.section}] appears twice") from None
    except configparser.DuplicateOptionError as err:
        raise CredentialsError(f"{path}: [{err.section}] {err.option} appears twice") from None
    except configparser.ParsingError as err:
        lines = ", ".join(str(lineno) for lineno, _ in err.errors)
        raise CredentialsError(f"{path}: line {lines} is not 'key = value'") from None
    except configparser.Error as err:
        raise CredentialsError(f"{path}: not an ini file ({type(err).__name__})") from None
    values: dict[str, str | None] = {}
    for section in parser.sections():
        allowed = _FILE_KEYS.get(section)
        if allowed is None:
            expected = ", ".join(f"[{name}]" for name in _FILE_KEYS)
            raise CredentialsError(f"{path}: unknown section [{section}] (expected {expected})")
        for key, value in parser.items(section):
            if key not in allowed:
                raise CredentialsError(
                    f"{path}: unknown key {key!r} in [{section}] (expected one of {', '.join(sorted(allowed))})"
                )
            if not value.strip():
                raise CredentialsError(f"{path}: [{section}] {key} is empty")
            values[key] = value.strip()
    key_id, secret = values.get("aws_access_key_id"), values.get("aws_secret_access_key")
    if (key_id is None) != (secret is None):
        missing = "aws_secret_access_key" if secret is None else "aws_access_key_id"
        raise CredentialsError(f"{path}: [credentials] has no {missing}")
    return _Source(
        str(path),
        key_id=key_id,
        secret=secret,
        token=values.get("aws_session_token"),
        region=values.get("region"),
        endpoint_url=values.get("endpoint_url"),
    )
