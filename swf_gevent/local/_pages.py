"""Opaque, tamper-evident ``nextPageToken`` values of the local SWF endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from ._faults import Fault

DEFAULT_PAGE_SIZE = 1000
"""SWF's page size when ``maximumPageSize`` is omitted (and its maximum)."""


class PageTokens:
    """Signs page cursors so that a forged or foreign token is refused.

    A token is ``base64url(json).signature``; the signature binds the token to
    this endpoint and to the kind of listing it continues.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)

    def _sign(self, kind: str, body: bytes) -> str:
        return hmac.new(self._key, kind.encode() + b"\0" + body, hashlib.sha256).hexdigest()[:24]

    def encode(self, kind: str, cursor: dict[str, Any]) -> str:
        """The token continuing a listing of ``kind`` at ``cursor`` (a JSON-able dict)."""
        body = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode())
        return f"{body.decode()}.{self._sign(kind, body)}"

    def decode(self, kind: str, token: str) -> dict[str, Any]:
        """The cursor in ``token``.

        :raises Fault: ``ValidationException`` naming ``nextPageToken`` when the
            token was not issued by this endpoint for a listing of ``kind``.
        """
        body, _, signature = token.rpartition(".")
        if body and hmac.compare_digest(signature, self._sign(kind, body.encode())):
            try:
                cursor = json.loads(base64.urlsafe_b64decode(body.encode()))
            except ValueError:
                cursor = None
            if isinstance(cursor, dict):
                return cursor
        raise Fault("ValidationException", "Invalid value for nextPageToken: not a token issued for this request.")


def page_size(request: dict[str, Any]) -> int:
    """``maximumPageSize`` of a request, SWF's default of 1000 when omitted or 0."""
    size = int(request.get("maximumPageSize") or 0)
    if size <= 0 or size > DEFAULT_PAGE_SIZE:
        return DEFAULT_PAGE_SIZE
    return size
