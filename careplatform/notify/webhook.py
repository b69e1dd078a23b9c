"""Delivery by webhook: an HTTP POST of the notice as JSON, optionally signed.

The body is ``{"id", "subject", "text", "data"}`` (UTF-8 JSON) with the header
``Idempotency-Key: <notice id>``. With a secret, the request also carries
``X-XiaoAn-Timestamp`` (Unix seconds) and ``X-XiaoAn-Signature``, the hex
HMAC-SHA256 of ``timestamp + "\\n" + body`` under that secret. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from careplatform.notify.masking import mask
from careplatform.notify.notice import Delivered, NotDelivered, Notice, Outcome

_LOGGER = logging.getLogger(__name__)

HEADER_IDEMPOTENCY = "Idempotency-Key"
HEADER_TIMESTAMP = "X-XiaoAn-Timestamp"
HEADER_SIGNATURE = "X-XiaoAn-Signature"
_RETRYABLE_4XX = frozenset({408, 429})


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 signature of ``timestamp + "\\n" + body`` under ``secret``."""
    return hmac.new(secret, timestamp.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


def outcome_of_status(notice_id: str, status: int) -> Outcome:
    """What an HTTP status means: 2xx delivered; 5xx, 408, 429 retry; anything else not."""
    if 200 <= status < 300:
        return Delivered(notice_id, f"HTTP {status}")
    if 300 <= status < 400:
        return NotDelivered(notice_id, f"HTTP {status}: redirect not followed", retry=False)
    retry = status >= 500 or status in _RETRYABLE_4XX
    return NotDelivered(notice_id, f"HTTP {status}", retry=retry)


class WebhookChannel:
    """Posts notices to their webhook URLs (http or https only).

    Without ``client`` the channel makes its own ``httpx.Client`` and closes it in
    :meth:`close` (or at the end of a ``with`` block); a given client stays the caller's.
    Either way each request has ``timeout_s`` and does not follow redirects.
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        secret: bytes | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self._timeout = httpx.Timeout(timeout_s)
        self._secret = secret
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self._timeout)

    def deliver(self, notice: Notice) -> Outcome:
        """POST ``notice`` once to its URL; a failure is a :class:`NotDelivered`."""
        _LOGGER.debug("notice %s: posting to %s", notice.id, mask(notice.address))
        outcome = self._attempt(notice)
        if isinstance(outcome, Delivered):
            _LOGGER.info("notice %s delivered by webhook (%s)", notice.id, outcome.detail)
        else:
            _LOGGER.warning(
                "notice %s not delivered by webhook (retry: %s): %s",
                notice.id,
                outcome.retry,
                outcome.reason,
            )
        return outcome

    def _attempt(self, notice: Notice) -> Outcome:
        """One POST, its failures as values."""
        if notice.channel != "webhook":
            return NotDelivered(notice.id, f"a {notice.channel} notice, not a webhook", False)
        if not _is_http_url(notice.address):
            return NotDelivered(notice.id, "not an http(s) URL", retry=False)
        try:
            body = json.dumps(
                {
                    "id": notice.id,
                    "subject": notice.subject,
                    "text": notice.text,
                    "data": notice.data,
                },
                ensure_ascii=False,
                separators=(",", ":"),
                allow_nan=False,
            ).encode("utf-8")
        except (TypeError, ValueError):
            return NotDelivered(notice.id, "data is not JSON-serialisable", retry=False)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            HEADER_IDEMPOTENCY: notice.id,
        }
        if self._secret is not None:
            timestamp = str(int(time.time()))
            headers[HEADER_TIMESTAMP] = timestamp
            headers[HEADER_SIGNATURE] = sign(self._secret, timestamp, body)
        try:
            # Streamed and never read: only the status matters, however big the answer.
            with self._client.stream(
                "POST",
                notice.address,
                content=body,
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                status = response.status_code
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            return NotDelivered(notice.id, f"request refused ({type(exc).__name__})", False)
        except httpx.TimeoutException as exc:
            return NotDelivered(notice.id, f"timed out ({type(exc).__name__})", retry=True)
        except httpx.TransportError as exc:
            return NotDelivered(notice.id, f"connection failed ({type(exc).__name__})", True)
        return outcome_of_status(notice.id, status)

    def close(self) -> None:
        """Close the HTTP client if this channel made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> WebhookChannel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_http_url(address: str) -> bool:
    """Whether ``address`` is an absolute http or https URL with a host."""
    try:
        parts = urlsplit(address)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
