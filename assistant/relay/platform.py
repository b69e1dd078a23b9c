"""The care platform's HTTP client (contract: ``docs/platform-api.md``).

One ``PlatformClient`` over a ``requests.Session``: explicit timeouts, every request
signed (``assistant.relay.signing``) with a fresh nonce per attempt, TLS certificates always
verified (there is no switch to turn that off). Failure is a value: ``Accepted``,
``Fetched``, ``Refused`` (the platform answered with an error) or ``Unreachable``
(network error, timeout, or an answer that is not the contract's). Retrying is the
sender's job (``assistant.relay.sender``), not this class's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from assistant import __version__
from assistant.config import Settings, check_setting
from assistant.errors import AssistantError
from assistant.relay.signing import SignedFields, new_nonce, signed_headers
from assistant.storage.database import dumps

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
"""Statuses worth another attempt; with any other 5xx too. Other 4xx are final."""

_PAIRED_SECRET = re.compile(r"[0-9a-f]{64}")
"""A device secret as the pairing answer must carry it: 32 bytes, lower-case hex."""


@dataclass(frozen=True)
class Accepted:
    """The platform stored a submitted request."""

    platform_id: str
    status: str
    replayed: bool = False
    """True when the platform had it already (an earlier attempt's answer was lost)."""


@dataclass(frozen=True)
class Fetched:
    """A lookup's answer."""

    data: dict[str, Any]


@dataclass(frozen=True)
class Refused:
    """The platform answered with an error status."""

    status: int
    code: str
    message: str = ""
    retry_after_s: float | None = None
    server_time: float | None = None

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed (408, 409, 429, 5xx; stale clocks)."""
        return self.status in RETRYABLE_STATUS or self.status >= 500 or self.code == "stale"

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.code}: {self.message}".rstrip(": ")


@dataclass(frozen=True)
class Unreachable:
    """No usable answer: network down, timeout, reset, or a reply that is not JSON."""

    reason: str

    def __str__(self) -> str:
        return self.reason


Submitted = Accepted | Refused | Unreachable
Looked = Fetched | Refused | Unreachable


@dataclass
class PlatformClient:
    """Signed requests to one platform for one device."""

    base_url: str
    device_id: str
    secret: bytes
    timeout_s: float = 5.0
    clock: Callable[[], float] = time.time
    session: requests.Session = field(default_factory=requests.Session)
    offset_s: float = 0.0
    """Platform clock minus ours, learnt from a ``stale`` refusal, added to timestamps."""

    def submit(
        self, key: str, body: Mapping[str, Any], timeout_s: float | None = None
    ) -> Submitted:
        """POST one request with its idempotency key."""
        answer = self._call("POST", "/v1/requests", body, key, timeout_s)
        if not isinstance(answer, Fetched):
            return answer
        platform_id, status = answer.data.get("id"), answer.data.get("status")
        if not isinstance(platform_id, str) or not isinstance(status, str):
            return Unreachable("the platform's answer has no request id: not the contract's")
        return Accepted(platform_id, status, bool(answer.data.get("_replayed")))

    def get(self, path: str, timeout_s: float | None = None) -> Looked:
        """GET a device endpoint (``/v1/requests/R1``, ``/v1/menu?date=…``)."""
        return self._call("GET", path, None, "", timeout_s)

    def heartbeat(self, health: Mapping[str, Any]) -> Looked:
        """POST the device's health; the answer carries the platform's clock."""
        answer = self._call("POST", "/v1/heartbeat", health, "", None)
        if isinstance(answer, Fetched) and isinstance(answer.data.get("server_time"), int | float):
            self.offset_s = float(answer.data["server_time"]) - self.clock()
        return answer

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None, key: str,
        timeout_s: float | None,
    ) -> Looked:  # fmt: skip
        url = self.base_url.rstrip("/") + path
        raw = dumps(dict(body)).encode("utf-8") if body is not None else b""
        signed = SignedFields(
            method, _path_of(url), int(self.clock() + self.offset_s), new_nonce(), raw, key,
            self.device_id,
        )  # fmt: skip
        headers = signed_headers(self.secret, signed)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method, url, data=raw or None, headers=headers,
                timeout=timeout_s or self.timeout_s, allow_redirects=False,
            )  # fmt: skip
        except (requests.RequestException, ValueError, UnicodeError) as err:
            return Unreachable(f"{type(err).__name__}: {_first_line(err)}")
        return self._answer(response)

    def _answer(self, response: requests.Response) -> Looked:
        try:
            data = response.json()
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            if response.ok or response.status_code < 400:
                return Unreachable(f"HTTP {response.status_code} with a body that is not JSON")
            data = {}
        if response.ok:
            if response.headers.get("Idempotent-Replayed", "").lower() == "true":
                data["_replayed"] = True
            return Fetched(data)
        refused = Refused(
            response.status_code, str(data.get("error", "")), str(data.get("message", ""))[:200],
            _retry_after(response.headers), _number(data.get("server_time")),
        )  # fmt: skip
        if refused.code == "stale" and refused.server_time is not None:
            self.offset_s = refused.server_time - self.clock()
        return refused


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    return _number(headers.get("Retry-After"))


def _number(value: object) -> float | None:
    try:
        return float(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def client_for(
    settings: Settings, timeout_s: float | None = None, clock: Callable[[], float] = time.time
) -> PlatformClient | None:
    """A platform client, or None when the device is not paired yet."""
    if not (settings.platform_url and settings.device_id and settings.device_secret):
        return None
    return PlatformClient(
        settings.platform_url, settings.device_id, bytes.fromhex(settings.device_secret),
        timeout_s or settings.request_timeout_s, clock,
    )  # fmt: skip


def pair(url: str, code: str, timeout_s: float) -> dict[str, Any]:
    """``POST /v1/pair`` (the one unsigned call of the contract) with a one-time code: the
    checked answer (``device_id``, ``secret``), or an ``AssistantError`` saying what to do."""
    target = url.rstrip("/") + "/v1/pair"
    try:
        response = requests.post(target, json={"code": code, "version": __version__},
                                 timeout=timeout_s, allow_redirects=False)  # fmt: skip
    except requests.RequestException as err:
        raise AssistantError(
            f"cannot reach {url} ({type(err).__name__}): check the network and the URL"
        ) from err
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise AssistantError(
            f"{url} answered HTTP {response.status_code} with something that is not the care "
            "platform's API: check the URL"
        )
    if response.status_code == 403 and data.get("error") == "invalid_code":
        raise AssistantError(
            f"the code `{code}` was not accepted (wrong, used already, or expired): ask the "
            "platform for a new pairing code"
        )
    if response.status_code == 429:
        wait = response.headers.get("Retry-After")
        when = f"{wait} s" if wait else "a few minutes"
        raise AssistantError(f"too many wrong codes were tried: wait {when}, then try again")
    if response.status_code != 201:
        raise AssistantError(
            f"the platform refused the pairing: HTTP {response.status_code} "
            f"{data.get('error', '')}: {data.get('message', '')}".rstrip(": ")
        )
    device_id, secret = data.get("device_id"), data.get("secret")
    if (
        not isinstance(device_id, str)
        or not isinstance(secret, str)
        or not _PAIRED_SECRET.fullmatch(secret)
    ):
        raise AssistantError(f"{url}: the pairing answer is not the contract's (no id or secret)")
    check_setting("device_id", device_id)
    return data
