"""Payloads past SWF's 32,768 characters: a codec chain and content-addressed offload.

SWF caps every data field (workflow input and result, activity input, result
and details, heartbeat details, signal input, child and continue-as-new
input, marker details) at :data:`swf.limits.MAX_DATA_LENGTH` characters
(heartbeat details at :data:`swf.limits.MAX_HEARTBEAT_DETAILS_LENGTH`).
:class:`Payloads` is applied by the actors outside user code, to those fields
only -- never to reasons, ids, identities or ``control``:

- on the way out (:meth:`Payloads.encode`, :meth:`Payloads.encode_decisions`)
  the text goes through the codec chain (:class:`Zlib`, :class:`Fernet`), in
  order; the result is kept inline when it is at most ``threshold``
  characters, else, with a store, the bytes go to the store and the field
  holds a short reference; a field that still does not fit raises
  :class:`~swf.exceptions.PayloadTooLarge` before any call;
- on the way in (:meth:`Payloads.decode`, :meth:`Payloads.decode_events`) the
  references of a history are fetched concurrently (a bounded pool) through a
  small cache, and the chain is undone, before a decider sees the history.

Wire forms, recognisable by their prefix so plain values written by older
code (or with no codec configured) still decode as themselves::

    swfp1:<codec ids>:<base85 of the chain's bytes>              inline
    swfp1@{"driver":"s3","key":...,"size":n,"sha256":...,"codecs":"zf"}   reference

Stored objects are content-addressed: the key is
``<domain>/<workflow id>/<digest of the plain text and the chain>`` (keyed with
the encryption key when there is one, so the key reveals nothing of the value),
so sending one value twice stores one object and a retried answer is
idempotent. ``size`` is of the stored bytes; ``sha256`` is the address, checked
against the decoded value (an encrypted value stored again has other bytes, and
the same address and plain text).
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import hashlib
import hmac
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from swf import limits
from swf.exceptions import PayloadError, PayloadTooLarge, ValidationError

__all__ = [
    "Codec",
    "DATA_FIELDS",
    "DEFAULT_THRESHOLD",
    "DirectoryStore",
    "Fernet",
    "KEY_ENVIRONMENT_VARIABLE",
    "MemoryStore",
    "OPTIONS",
    "PayloadStore",
    "Payloads",
    "S3Store",
    "Zlib",
]

log = logging.getLogger(__name__)

#: The attribute names of decisions and history events that carry data; ``control`` and ``reason`` are not data.
DATA_FIELDS = ("input", "result", "details")
#: Default offload threshold, in characters: well under SWF's 32,768, so a history stays small.
DEFAULT_THRESHOLD = 8192
#: Where :class:`Fernet` reads its key when none is given.
KEY_ENVIRONMENT_VARIABLE = "SWF_PAYLOAD_KEY"

#: The keys of a ``[payloads]`` config section (:meth:`Payloads.from_options`).
OPTIONS = frozenset(
    {
        "compression",
        "encryption",
        "key",
        "store",
        "bucket",
        "prefix",
        "endpoint_url",
        "path",
        "threshold",
        "fetch_concurrency",
        "cache_size",
    }
)

_INLINE = "swfp1:"
_REFERENCE = "swfp1@"
_PREFIX = "swfp1"
# Decisions whose details describe a failure: they keep the old truncation when they cannot fit.
_FAILURE_DECISIONS = frozenset({"FailWorkflowExecution", "CancelWorkflowExecution"})


class Codec(Protocol):
    """One step of the chain: bytes to bytes and back.

    ``codec_id`` is one character recorded in the wire form; ``secret`` (or
    ``None``) keys the content address so it reveals nothing of the value.
    """

    codec_id: str
    secret: bytes | None

    def encode(self, data: bytes) -> bytes: ...

    def decode(self, data: bytes) -> bytes:
        """:raises ValueError: bytes this codec cannot undo (a one-line reason)."""
        ...


class Zlib:
    """zlib compression (``codec_id`` ``"z"``).

    :param level: zlib's level, 0-9 (6 by default).
    """

    codec_id = "z"
    secret: bytes | None = None

    def __init__(self, level: int = 6) -> None:
        self.level = level

    def __repr__(self) -> str:
        return f"Zlib(level={self.level})"

    def encode(self, data: bytes) -> bytes:
        return zlib.compress(data, self.level)

    def decode(self, data: bytes) -> bytes:
        try:
            return zlib.decompress(data)
        except zlib.error as err:
            raise ValueError(f"not zlib data ({err})") from err


class Fernet:
    """Fernet encryption from ``cryptography`` (``codec_id`` ``"f"``; the ``[encryption]`` extra).

    :param key: a Fernet key (44 characters of url-safe base64); ``None`` reads
        :data:`KEY_ENVIRONMENT_VARIABLE`. The key is never logged nor shown in ``repr``.
    :raises swf.exceptions.ValidationError: no key, a malformed key, or ``cryptography`` missing.
    """

    codec_id = "f"

    def __init__(self, key: str | bytes | None = None) -> None:
        if key is None:
            key = os.environ.get(KEY_ENVIRONMENT_VARIABLE)
            if not key:
                raise ValidationError(f"Fernet needs a key: give one or set {KEY_ENVIRONMENT_VARIABLE}")
        try:
            from cryptography import fernet
        except ImportError as err:
            raise ValidationError("Fernet needs cryptography: pip install 'simple-workflow[encryption]'") from err
        raw = key.encode() if isinstance(key, str) else key
        try:
            self._fernet = fernet.Fernet(raw)
        except ValueError as err:
            raise ValidationError("the Fernet key must be 32 url-safe base64-encoded bytes") from err
        self._invalid = fernet.InvalidToken
        self.secret: bytes | None = hashlib.sha256(b"swf payload address\0" + raw).digest()

    def __repr__(self) -> str:
        return "Fernet(key=<hidden>)"

    def encode(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decode(self, data: bytes) -> bytes:
        try:
            return self._fernet.decrypt(data)
        except self._invalid as err:
            raise ValueError("cannot be decrypted with the configured key (wrong key?)") from err


class PayloadStore(Protocol):
    """Where offloaded bytes live; ``driver`` names it in references."""

    driver: str

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (the same key always holds the same value)."""
        ...

    def get(self, key: str) -> bytes:
        """:raises KeyError: no object under ``key``."""
        ...


class MemoryStore:
    """A dict in this process, for tests (driver ``"memory"``)."""

    driver = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self.objects[key] = data

    def get(self, key: str) -> bytes:
        with self._lock:
            return self.objects[key]


class DirectoryStore:
    """Files under a directory, one per key (driver ``"directory"``).

    :param path: the directory; created on the first write.
    """

    driver = "directory"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DirectoryStore({str(self.path)!r})"

    def _file(self, key: str) -> Path:
        parts = key.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise KeyError(key)
        return self.path.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        target = self._file(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(data)
        os.replace(partial, target)

    def get(self, key: str) -> bytes:
        try:
            return self._file(key).read_bytes()
        except FileNotFoundError as err:
            raise KeyError(key) from err


class S3Store:
    """An S3 bucket (driver ``"s3"``): ``PutObject`` and ``GetObject`` under ``prefix``.

    :param bucket: the bucket name.
    :param prefix: prepended to every key (``"swf/"``); the IAM policy grants
        ``s3:PutObject`` and ``s3:GetObject`` on ``arn:aws:s3:::<bucket>/<prefix>*``.
    :param client: a boto3 S3 client; ``None`` makes one (``endpoint_url`` and
        region from the environment, as boto3 does).
    """

    driver = "s3"

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, *, endpoint_url: str | None = None) -> None:
        if not bucket:
            raise ValidationError("S3Store needs a bucket")
        self.bucket = bucket
        self.prefix = prefix
        self._client = client
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Store(bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use."""
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.client("s3", endpoint_url=self._endpoint_url)
            return self._client

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey as err:
            raise KeyError(key) from err
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()


@dataclass(frozen=True)
class Payloads:
    """How data fields are encoded: a codec chain, an optional store and the offload threshold.

    Made once per process (in code, or from the runner's ``[payloads]``
    section with :meth:`from_options`) and given to the actors. The default,
    ``Payloads()``, changes nothing and only checks lengths before sending.

    :param codecs: applied in order on the way out (``(Zlib(), Fernet(key))``).
    :param store: where values over ``threshold`` go; ``None`` keeps every value inline.
    :param threshold: characters above which an encoded value is offloaded (with a store).
    :param fetch_concurrency: references of one history fetched at once.
    :param cache_size: decoded stored values kept (by key and digest).
    """

    codecs: Sequence[Codec] = ()
    store: PayloadStore | None = None
    threshold: int = DEFAULT_THRESHOLD
    fetch_concurrency: int = 8
    cache_size: int = 64
    _cache: collections.OrderedDict[tuple[str, str], bytes] = field(
        default_factory=collections.OrderedDict, init=False, repr=False, compare=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codecs", tuple(self.codecs))
        ids = [codec.codec_id for codec in self.codecs]
        if len(set(ids)) != len(ids) or any(len(i) != 1 for i in ids):
            raise ValidationError(f"codec ids must be distinct single characters, got {ids!r}")
        if self.threshold < 1:
            raise ValidationError(f"threshold must be at least 1 character, got {self.threshold}")
        if self.fetch_concurrency < 1:
            raise ValidationError(f"fetch_concurrency must be at least 1, got {self.fetch_concurrency}")

    @property
    def encrypted(self) -> bool:
        """Whether a codec of the chain keeps values secret (then nothing is sent plain)."""
        return any(codec.secret for codec in self.codecs)

    # -- out -------------------------------------------------------------

    def encode(
        self,
        text: str | None,
        field: str,
        *,
        domain: str,
        workflow_id: str,
        limit: int | None = None,
        required: bool = True,
    ) -> str | None:
        """The text to send for one data field.

        :param text: the field's plain text; ``None`` and already encoded text pass through.
        :param field: names the field in errors (``"RespondActivityTaskCompleted.result"``).
        :param domain: the execution's domain (the stored key's first part).
        :param workflow_id: the execution's workflow id (the stored key's second part).
        :param limit: SWF's limit for the field, in characters; :data:`swf.limits.MAX_DATA_LENGTH` by default.
        :param required: ``False`` for failure details: a value that cannot fit
            is returned plain, for the caller to cut, instead of raising.
        :returns: the plain text, an inline encoded form, or a reference.
        :raises swf.exceptions.PayloadTooLarge: too long after the chain, with offload off or
            a reference that does not fit; nothing was sent.
        """
        if text is None or text.startswith(_PREFIX):
            return text
        cap = limits.MAX_DATA_LENGTH if limit is None else limit
        if not self.codecs and self.store is None:
            if len(text) > cap and required:
                raise PayloadTooLarge(field, len(text), cap)
            return text
        plain = text.encode("utf-8")
        data = plain
        for codec in self.codecs:
            data = codec.encode(data)
        ids = "".join(codec.codec_id for codec in self.codecs)
        inline = f"{_INLINE}{ids}:{base64.b85encode(data).decode('ascii')}" if self.codecs else text
        if not self.encrypted and len(text) <= len(inline):
            inline = text  # compression did not help: plain is shorter, and readable
        bound = min(self.threshold, cap) if self.store is not None else cap
        if len(inline) <= bound:
            return inline
        if self.store is not None:
            reference = self._offload(plain, data, ids, domain, workflow_id)
            if len(reference) <= cap:
                return reference
            inline = reference
        if not required:
            return text
        raise PayloadTooLarge(field, len(inline), cap)

    def _offload(self, plain: bytes, data: bytes, ids: str, domain: str, workflow_id: str) -> str:
        assert self.store is not None
        address = self._address(ids, plain)
        key = f"{domain}/{workflow_id or '_'}/{address}"
        self.store.put(key, data)
        self._remember((key, address), data)
        reference = {"driver": self.store.driver, "key": key, "size": len(data), "sha256": address, "codecs": ids}
        log.debug("offloaded %d bytes to %s %s", len(data), self.store.driver, key)
        return _REFERENCE + json.dumps(reference, separators=(",", ":"))

    def _address(self, ids: str, plain: bytes) -> str:
        """SHA-256 of the chain's ids and the plain bytes, keyed with the codecs' secrets (HMAC) when there are any."""
        secret = b"".join(codec.secret or b"" for codec in self.codecs)
        return hmac.new(secret, ids.encode() + b"\0" + plain, hashlib.sha256).hexdigest()

    def encode_decisions(
        self, decisions: Iterable[Mapping[str, Any]], *, domain: str, workflow_id: str
    ) -> list[dict[str, Any]]:
        """Decisions with their data fields encoded (copies; the given dicts are left alone).

        :param decisions: SWF ``Decision`` dicts.
        :param domain: the decision task's domain.
        :param workflow_id: the decision task's workflow id.
        :raises swf.exceptions.PayloadTooLarge: a field that cannot fit, naming the decision and field.
        """
        out: list[dict[str, Any]] = []
        for decision in decisions:
            kind = str(decision.get("decisionType", ""))
            name = kind[:1].lower() + kind[1:] + "DecisionAttributes"
            attributes = decision.get(name)
            if not isinstance(attributes, Mapping):
                out.append(dict(decision))
                continue
            changed = dict(attributes)
            for key in DATA_FIELDS:
                if isinstance(changed.get(key), str):
                    changed[key] = self.encode(
                        changed[key],
                        f"{kind}.{key}",
                        domain=domain,
                        workflow_id=workflow_id,
                        required=kind not in _FAILURE_DECISIONS,
                    )
            out.append({**decision, name: changed})
        return out

    # -- in --------------------------------------------------------------

    def decode(self, text: str | None, field: str) -> str | None:
        """The plain text of one data field as read from SWF.

        :param text: the field as sent; text without the prefix is returned as is.
        :param field: names the field in errors (``"ActivityTaskCompleted.result (event 7)"``).
        :raises swf.exceptions.PayloadError: a codec that is not configured or
            cannot undo it (a wrong key), a stored object missing or altered.
        """
        if text is None or not text.startswith(_PREFIX):
            return text
        try:
            if text.startswith(_REFERENCE):
                reference = json.loads(text[len(_REFERENCE) :])
                ids = str(reference["codecs"])
                data = self._fetch(reference, field)
            elif text.startswith(_INLINE):
                ids, _, body = text[len(_INLINE) :].partition(":")
                data = base64.b85decode(body)
            else:
                raise PayloadError(field, f"unknown payload form {text[:12]!r}")
        except (ValueError, KeyError, TypeError) as err:
            if isinstance(err, PayloadError):
                raise
            raise PayloadError(field, f"malformed payload ({type(err).__name__}: {err})") from err
        chain = {codec.codec_id: codec for codec in self.codecs}
        for codec_id in reversed(ids):
            codec = chain.get(codec_id)
            if codec is None:
                raise PayloadError(field, f"encoded with codec {codec_id!r}, which this process does not configure")
            try:
                data = codec.decode(data)
            except ValueError as err:
                raise PayloadError(field, str(err)) from None
        if text.startswith(_REFERENCE) and not hmac.compare_digest(self._address(ids, data), str(reference["sha256"])):
            raise PayloadError(field, f"stored object {reference['key']!r} does not match its sha256")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PayloadError(field, "decoded bytes are not UTF-8") from err

    def _fetch(self, reference: Mapping[str, Any], field: str) -> bytes:
        key, digest = str(reference["key"]), str(reference["sha256"])
        with self._lock:
            cached = self._cache.get((key, digest))
            if cached is not None:
                self._cache.move_to_end((key, digest))
                return cached
        if self.store is None or self.store.driver != reference["driver"]:
            raise PayloadError(
                field, f"stored with driver {reference['driver']!r}, which this process does not configure"
            )
        try:
            data = self.store.get(key)
        except KeyError:
            raise PayloadError(field, f"no stored object {key!r} in {self.store!r}") from None
        if len(data) != int(reference["size"]):
            raise PayloadError(field, f"stored object {key!r} is {len(data)} bytes, not {reference['size']}")
        self._remember((key, digest), data)
        return data

    def _remember(self, entry: tuple[str, str], data: bytes) -> None:
        with self._lock:
            self._cache[entry] = data
            self._cache.move_to_end(entry)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def decode_events(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """History events (SWF's dicts) with their data fields decoded; references fetched concurrently.

        :param events: ``HistoryEvent`` dicts as ``PollForDecisionTask`` or
            ``GetWorkflowExecutionHistory`` return them.
        :returns: copies; events without encoded fields are the same dicts.
        :raises swf.exceptions.PayloadError: naming the event type, field and event id.
        """
        out = [dict(event) for event in events]
        found: list[tuple[dict[str, Any], str, str]] = []
        for event in out:
            kind = str(event.get("eventType", ""))
            name = kind[:1].lower() + kind[1:] + "EventAttributes"
            attributes = event.get(name)
            if not isinstance(attributes, Mapping):
                continue
            keys = [k for k in DATA_FIELDS if isinstance(attributes.get(k), str) and attributes[k].startswith(_PREFIX)]
            if keys:
                event[name] = attributes = dict(attributes)
                found.extend((attributes, k, f"{kind}.{k} (event {event.get('eventId')})") for k in keys)
        if not found:
            return out
        references = sum(1 for attributes, key, _ in found if attributes[key].startswith(_REFERENCE))
        if references > 1 and self.fetch_concurrency > 1:
            with concurrent.futures.ThreadPoolExecutor(min(self.fetch_concurrency, references)) as pool:
                texts = list(pool.map(lambda item: self.decode(item[0][item[1]], item[2]), found))
        else:
            texts = [self.decode(attributes[key], where) for attributes, key, where in found]
        for (attributes, key, _), text in zip(found, texts, strict=True):
            attributes[key] = text
        return out

    def decode_pages(self, pages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``PollForDecisionTask`` pages with the events of all pages decoded at once (one pool)."""
        copies = [dict(page) for page in pages]
        counts = [len(page.get("events", ())) for page in copies]
        events = self.decode_events(event for page in copies for event in page.get("events", ()))
        start = 0
        for page, count in zip(copies, counts, strict=True):
            page["events"] = events[start : start + count]
            start += count
        return copies

    # -- config ----------------------------------------------------------

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, str],
        where: str = "[payloads]",
        error: Callable[[str, str], Exception] | None = None,
    ) -> Payloads:
        """Build from a config section's options (the runner's and the replayer's ``[payloads]``).

        Keys (:data:`OPTIONS`): ``compression`` (``zlib`` or ``none``),
        ``encryption`` (``fernet`` or ``none``), ``key`` (a Fernet key; else
        :data:`KEY_ENVIRONMENT_VARIABLE`), ``store`` (``s3``, ``directory``,
        ``memory`` or ``none``), ``bucket``, ``prefix``, ``endpoint_url`` (s3),
        ``path`` (directory), ``threshold`` (characters), ``fetch_concurrency``
        and ``cache_size`` (integers).

        :param where: names the section in errors (``"demo.ini [payloads]"``).
        :param error: makes the error for ``(key, problem)``; by default a
            :class:`~swf.exceptions.ValidationError` ``"<where> <key>: <problem>"``.
        :raises swf.exceptions.ValidationError: (or ``error``'s) one line naming the key; never shows the key's value.
        """

        def fail(key: str, problem: str) -> Exception:
            return error(key, problem) if error is not None else ValidationError(f"{where} {key}: {problem}")

        for key in options:
            if key not in OPTIONS:
                raise fail(key, f"unknown key (known: {', '.join(sorted(OPTIONS))})")

        def choice(key: str, values: tuple[str, ...]) -> str:
            value = options.get(key, "none").strip().lower()
            if value not in values:
                raise fail(key, f"must be one of {', '.join(values)}, got {value!r}")
            return value

        def number(key: str, default: int) -> int:
            raw = options.get(key)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise fail(key, f"must be an integer, got {raw!r}") from None
            if value < 1:
                raise fail(key, f"must be at least 1, got {value}")
            return value

        codecs: list[Codec] = []
        if choice("compression", ("zlib", "none")) == "zlib":
            codecs.append(Zlib())
        if choice("encryption", ("fernet", "none")) == "fernet":
            try:
                codecs.append(Fernet(options.get("key") or None))
            except ValidationError as err:
                raise fail("key", str(err)) from None
        elif options.get("key"):
            raise fail("key", "given, but encryption is not fernet")
        store: PayloadStore | None = None
        kind = choice("store", ("s3", "directory", "memory", "none"))
        if kind == "s3":
            if not options.get("bucket"):
                raise fail("bucket", "store = s3 needs a bucket")
            store = S3Store(options["bucket"], options.get("prefix", ""), endpoint_url=options.get("endpoint_url"))
        elif kind == "directory":
            if not options.get("path"):
                raise fail("path", "store = directory needs a path")
            store = DirectoryStore(options["path"])
        elif kind == "memory":
            store = MemoryStore()
        return cls(
            codecs,
            store,
            threshold=number("threshold", DEFAULT_THRESHOLD),
            fetch_concurrency=number("fetch_concurrency", 8),
            cache_size=number("cache_size", 64),
        )
