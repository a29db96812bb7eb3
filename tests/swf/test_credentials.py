"""Credentials, region and endpoint resolution, and the shared default client."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swf import credentials
from swf.connection import default_client, reset_default_client
from swf.credentials import (
    InsecureCredentialsFileWarning,
    clear_aws_credentials,
    resolve_settings,
    set_aws_credentials,
)
from swf.exceptions import CredentialsError
from swf.models import Domain

_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SWF",
    "AWS_PROFILE",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME with no AWS settings anywhere; explicit settings cleared before and after."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_aws_credentials()
    reset_default_client()
    yield tmp_path
    clear_aws_credentials()
    reset_default_client()


def write_swf(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".swf"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


FILE = """\
[credentials]
aws_access_key_id = FILEKEY
aws_secret_access_key = file-secret-value

[defaults]
region = eu-west-3
endpoint_url = http://file.invalid:1
"""


def test_precedence_explicit_then_environment_then_file_then_boto3(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key pair comes from the first of: explicit call, environment, ~/.swf, boto3's chain."""
    write_swf(home, FILE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    set_aws_credentials("EXPLICITKEY", "explicit-secret")
    assert (resolve_settings().aws_access_key_id, resolve_settings().credentials_source) == (
        "EXPLICITKEY",
        "explicit",
    )
    clear_aws_credentials()
    assert (resolve_settings().aws_access_key_id, resolve_settings().credentials_source) == (
        "ENVKEY",
        "environment",
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    settings = resolve_settings()
    assert (settings.aws_access_key_id, settings.aws_secret_access_key, settings.credentials_source) == (
        "FILEKEY",
        "file-secret-value",
        str(home / ".swf"),
    )
    (home / ".swf").unlink()
    settings = resolve_settings()
    assert (settings.aws_access_key_id, settings.credentials_source) == (None, "boto3")


def test_environment_beats_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~/.swf does not silently override the environment (a defect of the original)."""
    write_swf(home, FILE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SWF", "http://env.invalid:2")
    settings = resolve_settings()
    assert (settings.aws_access_key_id, settings.region_name, settings.endpoint_url) == (
        "ENVKEY",
        "ap-south-1",
        "http://env.invalid:2",
    )


def test_each_setting_falls_through_on_its_own(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Region and endpoint come from the first source that gives each, independent of the key pair."""
    write_swf(home, FILE)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    set_aws_credentials(endpoint_url="http://explicit.invalid:3")
    settings = resolve_settings()
    assert (settings.aws_access_key_id, settings.region_name, settings.endpoint_url) == (
        "FILEKEY",
        "ap-south-1",
        "http://explicit.invalid:3",
    )


def test_settings_are_read_at_use_time(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change of the environment or of ~/.swf after import is seen by the next resolution."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert resolve_settings().region_name == "us-west-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve_settings().region_name == "us-west-2"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    write_swf(home, "[defaults]\nregion = sa-east-1\n")
    assert resolve_settings().region_name == "sa-east-1"
    write_swf(home, "[defaults]\nregion = ca-central-1\n")
    os.utime(home / ".swf", ns=(1, 1))  # a same-size rewrite within one mtime tick must still be seen
    assert resolve_settings().region_name == "ca-central-1"


def test_group_readable_file_warns(home: Path) -> None:
    """A ~/.swf readable by group or others draws an InsecureCredentialsFileWarning naming it."""
    path = write_swf(home, FILE, mode=0o644)
    with pytest.warns(InsecureCredentialsFileWarning, match=str(path)):
        resolve_settings()


def test_private_file_does_not_warn(home: Path, recwarn: pytest.WarningsRecorder) -> None:
    """A ~/.swf readable by its owner only draws no warning."""
    write_swf(home, FILE, mode=0o600)
    resolve_settings()
    assert [w for w in recwarn if issubclass(w.category, InsecureCredentialsFileWarning)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aws_access_key_id = KEY\n", r"line 1 comes before any \[section\] header"),
        ("[credentials]\naws_secret_access_key sekrit-value-here\n", r"line 2 is not 'key = value'"),
        ("[credentials]\naws_access_key_id = KEY\n", r"\[credentials\] has no aws_secret_access_key"),
        ("[credentials]\naws_secret_key = sekrit-value-here\n", r"unknown key 'aws_secret_key' in \[credentials\]"),
        ("[creds]\nregion = x\n", r"unknown section \[creds\]"),
        ("[defaults]\nregion =\n", r"\[defaults\] region is empty"),
        ("[defaults]\nregion = a\nregion = b\n", r"\[defaults\] region appears twice"),
    ],
)
def test_malformed_file_raises_credentials_error_naming_it(home: Path, text: str, expected: str) -> None:
    """A malformed ~/.swf raises CredentialsError naming the file (and line, section, key), never a value."""
    path = write_swf(home, text)
    with pytest.raises(CredentialsError, match=expected) as caught:
        resolve_settings()
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "sekrit" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__  # no parser text chained


def test_unreadable_file_raises_credentials_error(home: Path) -> None:
    """A ~/.swf that is not UTF-8 text raises CredentialsError naming the file."""
    path = home / ".swf"
    path.write_bytes(b"[credentials]\naws_access_key_id = \xff\xfe\n")
    os.chmod(path, 0o600)
    with pytest.raises(CredentialsError, match=f"{path}: not UTF-8 text"):
        resolve_settings()


def test_half_a_key_pair_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key id without its secret is refused, from the explicit call or the environment."""
    with pytest.raises(CredentialsError, match="explicit credentials give no aws_secret_access_key"):
        set_aws_credentials("KEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    with pytest.raises(CredentialsError, match="environment credentials give no AWS_ACCESS_KEY_ID"):
        resolve_settings()


def test_secrets_stay_out_of_reprs_and_logs(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The secret key and session token appear in no repr and no log line, even at DEBUG."""
    set_aws_credentials("AKIDVISIBLE", "top-secret-key", aws_session_token="top-secret-token", region_name="us-east-1")
    with caplog.at_level(logging.DEBUG, logger="swf"):
        settings = resolve_settings()
        default_client()
    text = repr(settings) + caplog.text
    assert "top-secret" not in text
    assert "credentials_source='explicit'" in repr(settings)


def test_no_region_anywhere_is_a_credentials_error(home: Path) -> None:
    """Without a region in any source, the default client raises CredentialsError saying how to set one."""
    set_aws_credentials("KEY", "secret")
    with pytest.raises(CredentialsError, match="no AWS region"):
        default_client()


def test_default_client_is_shared_and_rebuilt_on_new_settings(home: Path) -> None:
    """default_client() is one client for all callers, rebuilt when set_aws_credentials changes the settings."""
    set_aws_credentials("KEYONE", "secret-one", region_name="us-east-1")
    first = default_client()
    assert default_client() is first
    assert Domain("a")._client() is Domain("b")._client() is first
    set_aws_credentials("KEYTWO", "secret-two", region_name="eu-west-1")
    second = default_client()
    assert second is not first
    assert second.meta.region_name == "eu-west-1"
    assert second.client._request_signer._credentials.get_frozen_credentials().access_key == "KEYTWO"


def test_models_reach_the_endpoint_named_in_the_file(home: Path, local_swf: Any) -> None:
    """With no client injected, a model talks to the endpoint and region given by ~/.swf."""
    write_swf(
        home,
        "[credentials]\naws_access_key_id = local\naws_secret_access_key = local\n"
        f"[defaults]\nregion = us-east-1\nendpoint_url = {local_swf.endpoint_url}\n",
    )
    name = f"cred-{uuid.uuid4().hex[:8]}"
    Domain(name, description="via ~/.swf").save()
    assert Domain(name).upstream().description == "via ~/.swf"


def test_explicit_settings_reach_the_endpoint(home: Path, local_swf: Any) -> None:
    """set_aws_credentials(endpoint_url=...) points every model without a client at that endpoint."""
    set_aws_credentials("local", "local", region_name="us-east-1", endpoint_url=local_swf.endpoint_url)
    name = f"cred-{uuid.uuid4().hex[:8]}"
    Domain(name).save()
    assert Domain(name).exists


def test_credentials_file_follows_home(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    """The credentials file is looked up in the HOME of the moment."""
    other = tmp_path_factory.mktemp("otherhome")
    monkeypatch.setenv("HOME", str(other))
    assert credentials.credentials_file() == other / ".swf"


def test_make_client_uses_set_aws_credentials(home: Path, local_swf: Any) -> None:
    """make_client(retry=...) right after set_aws_credentials(...) talks to that endpoint with that region and key."""
    import dataclasses

    from swf.connection import make_client
    from swf.retry import DEFAULT_RETRY

    set_aws_credentials("local", "local", region_name="us-east-1", endpoint_url=local_swf.endpoint_url)
    client = make_client(retry=dataclasses.replace(DEFAULT_RETRY, max_attempts=5))
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url == local_swf.endpoint_url
    assert client.client._request_signer._credentials.get_frozen_credentials().access_key == "local"
    name = f"cred-{uuid.uuid4().hex[:8]}"
    Domain(name, client=client).save()
    assert Domain(name, client=client).exists


def test_make_client_uses_the_file_and_explicit_arguments_win(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """make_client() fills what it is not given from the environment and ~/.swf; its own arguments beat both."""
    from swf.connection import make_client

    write_swf(home, FILE)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    client = make_client()
    assert client.meta.region_name == "ap-south-1"
    assert client.meta.endpoint_url == "http://file.invalid:1"
    assert client.client._request_signer._credentials.get_frozen_credentials().access_key == "FILEKEY"
    own = make_client(
        region_name="eu-west-1",
        endpoint_url="http://own.invalid:2",
        aws_access_key_id="OWNKEY",
        aws_secret_access_key="own-secret",
    )
    assert own.meta.region_name == "eu-west-1"
    assert own.meta.endpoint_url == "http://own.invalid:2"
    assert own.client._request_signer._credentials.get_frozen_credentials().access_key == "OWNKEY"


def test_make_client_without_a_region_is_a_credentials_error(home: Path) -> None:
    """With no region given or found, make_client raises a one-line CredentialsError naming where to give one."""
    from swf.connection import make_client

    with pytest.raises(CredentialsError) as caught:
        make_client(aws_access_key_id="KEY", aws_secret_access_key="secret")
    message = str(caught.value)
    assert "\n" not in message
    for place in ("region_name=", "set_aws_credentials", "AWS_DEFAULT_REGION", "~/.swf"):
        assert place in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_make_client_refuses_half_a_key_pair(home: Path) -> None:
    """make_client given a key id without its secret raises CredentialsError naming the missing half."""
    from swf.connection import make_client

    with pytest.raises(CredentialsError, match="aws_secret_access_key must be given"):
        make_client(region_name="us-east-1", aws_access_key_id="KEY")
