"""Request signing between a device and the care platform (HMAC-SHA256).

The device signs every request with its per-device secret; the platform checks it.
Both sides build the same canonical string, one field per line::

    METHOD            upper case, e.g. POST
    PATH              the path with its query string, e.g. /v1/menu?date=2026-11-23
    TIMESTAMP         Unix seconds, decimal (the X-Timestamp header)
    NONCE             random per attempt, 32 hex digits (X-Nonce): a replay is refused
    BODY-SHA256       hex SHA-256 of the raw body bytes (of b"" when there is none)
    IDEMPOTENCY-KEY   the Idempotency-Key header, or "" when the request has none
    DEVICE-ID         the X-Device-Id header

and send ``X-Signature: <hex HMAC-SHA256(secret, canonical)>``. The contract is
``docs/platform-api.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

HEADER_DEVICE = "X-Device-Id"
HEADER_TIMESTAMP = "X-Timestamp"
_SECONDS = re.compile(r"0|[1-9][0-9]{0,11}")
"""The one way to write Unix seconds: ASCII digits, no sign, separator or padding."""
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
HEADER_IDEMPOTENCY = "Idempotency-Key"
MAX_SKEW_S = 300
"""A request whose timestamp is further than this from the platform's clock is stale."""


@dataclass(frozen=True)
class SignedFields:
    """Everything the signature covers."""

    method: str
    path: str
    timestamp: int
    nonce: str
    body: bytes
    idempotency_key: str
    device_id: str

    def canonical(self) -> bytes:
        """The canonical string that is signed (see the module docstring)."""
        lines = (
            self.method.upper(),
            self.path,
            str(self.timestamp),
            self.nonce,
            hashlib.sha256(self.body).hexdigest(),
            self.idempotency_key,
            self.device_id,
        )
        return "\n".join(lines).encode("utf-8")


def new_nonce() -> str:
    """A fresh random nonce for one attempt."""
    return secrets.token_hex(16)


def sign(secret: bytes, fields: SignedFields) -> str:
    """The hex signature of ``fields`` with ``secret``."""
    return hmac.new(secret, fields.canonical(), hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, fields: SignedFields) -> dict[str, str]:
    """The headers that carry the signature of ``fields``."""
    headers = {
        HEADER_DEVICE: fields.device_id,
        HEADER_TIMESTAMP: str(fields.timestamp),
        HEADER_NONCE: fields.nonce,
        HEADER_SIGNATURE: sign(secret, fields),
    }
    if fields.idempotency_key:
        headers[HEADER_IDEMPOTENCY] = fields.idempotency_key
    return headers


def fields_from_headers(
    method: str, path: str, body: bytes, headers: Mapping[str, str]
) -> SignedFields | str:
    """The signed fields of a received request, or what is missing from its headers."""
    missing = [
        h for h in (HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
        if not headers.get(h)
    ]  # fmt: skip
    if missing:
        return f"missing header(s): {', '.join(missing)}"
    text = headers[HEADER_TIMESTAMP]
    if not _SECONDS.fullmatch(text):  # +1796423970, 1_796_423_970, 01796423970: refused
        return f"{HEADER_TIMESTAMP} must be Unix seconds in plain decimal digits"
    timestamp = int(text)
    return SignedFields(
        method, path, timestamp, headers[HEADER_NONCE], body,
        headers.get(HEADER_IDEMPOTENCY, ""), headers[HEADER_DEVICE],
    )  # fmt: skip


def verify(secret: bytes, fields: SignedFields, signature: str) -> bool:
    """Whether ``signature`` is the signature of ``fields`` (constant-time compare)."""
    return hmac.compare_digest(sign(secret, fields), signature.lower())
