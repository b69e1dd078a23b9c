"""Run the reference care platform in-process for tests, and talk to it.

::

    with running_platform(tmp_path) as platform:
        device = DeviceClient(platform.url)
        admin = AdminClient(platform.url, ADMIN_TOKEN)
        reply = device.submit(request_body("service_booking"))
        admin.set_status(reply.json()["id"], "accepted", provider="阳光家政")

``sign_request`` crafts one raw signed request (to tamper with, replay, or send late).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from requests import PreparedRequest, Request, Response, Session

from assistant.refplatform.server import PlatformServer, ServerConfig
from assistant.relay.signing import SignedFields, new_nonce, signed_headers

ADMIN_TOKEN = "test-admin-token"
DEVICE_ID = "xiaoan-test-0001"
DEVICE_SECRET = bytes.fromhex("8f1c2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
TIMEOUT_S = 10.0


class FakeClock:
    """A clock that stands still until told to move (``ServerConfig.clock``)."""

    def __init__(self, now: float = 1_795_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds


@contextmanager
def running_platform(
    tmp_path: Path,
    devices: Mapping[str, bytes] | None = None,
    *,
    admin_token: str = ADMIN_TOKEN,
    clock: Callable[[], float] = time.time,
) -> Iterator[PlatformServer]:
    """A platform on 127.0.0.1 (free port) with its database in ``tmp_path``.

    ``devices`` defaults to ``{DEVICE_ID: DEVICE_SECRET}``.
    """
    config = ServerConfig(
        db=tmp_path / "platform.db",
        admin_token=admin_token,
        devices=dict({DEVICE_ID: DEVICE_SECRET} if devices is None else devices),
        clock=clock,
    )
    with PlatformServer(config) as server:
        yield server


def encode(obj: object) -> bytes:
    """A JSON body as a device sends it (UTF-8, characters unescaped)."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def sign_request(
    method: str,
    url: str,
    *,
    device_id: str = DEVICE_ID,
    secret: bytes = DEVICE_SECRET,
    body: bytes = b"",
    idempotency_key: str = "",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> PreparedRequest:
    """A request signed per ``assistant.relay.signing``, ready for ``Session.send``.

    The signed path is the one ``requests`` will send (``path_url``), query included.
    """
    headers = {"Content-Type": "application/json"} if body else {}
    prepared = Request(method, url, data=body, headers=headers).prepare()
    fields = SignedFields(
        method=method,
        path=prepared.path_url,
        timestamp=int(time.time()) if timestamp is None else timestamp,
        nonce=new_nonce() if nonce is None else nonce,
        body=body,
        idempotency_key=idempotency_key,
        device_id=device_id,
    )
    prepared.headers.update(signed_headers(secret, fields))
    return prepared


def request_body(kind: str = "service_booking", **overrides: Any) -> dict[str, Any]:
    """A valid ``POST /v1/requests`` body; ``overrides`` replace its fields."""
    body: dict[str, Any] = {
        "kind": kind,
        "created_at": "2026-11-22T10:00:00+08:00",
        "priority": 0 if kind.startswith("emergency") else 5,
        "summary": "老人王秀英（3栋2单元501）预约明天上午保洁",
        "fields": {"service": "cleaning", "when": "2026-11-23T09:00:00+08:00"},
        "lang": "zh",
    }
    body.update(overrides)
    return body


class DeviceClient:
    """A device: signs every request with its secret (timestamps from ``clock``)."""

    def __init__(
        self,
        url: str,
        device_id: str = DEVICE_ID,
        secret: bytes = DEVICE_SECRET,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.device_id = device_id
        self.secret = secret
        self.clock = clock
        self.session = Session()

    def prepare(
        self, method: str, path: str, body: bytes = b"", *, key: str = "", offset_s: int = 0
    ) -> PreparedRequest:
        """A signed request; ``offset_s`` moves its timestamp away from the clock."""
        return sign_request(
            method, self.url + path, device_id=self.device_id, secret=self.secret, body=body,
            idempotency_key=key, timestamp=int(self.clock()) + offset_s,
        )  # fmt: skip

    def send(self, prepared: PreparedRequest) -> Response:
        """Send a prepared request."""
        return self.session.send(prepared, timeout=TIMEOUT_S)

    def get(self, path: str) -> Response:
        """A signed GET."""
        return self.send(self.prepare("GET", path))

    def post(self, path: str, obj: object, *, key: str = "") -> Response:
        """A signed POST of a JSON body."""
        return self.send(self.prepare("POST", path, encode(obj), key=key))

    def submit(self, obj: object, key: str | None = None) -> Response:
        """``POST /v1/requests`` with a new (or the given) Idempotency-Key."""
        return self.post("/v1/requests", obj, key=str(uuid.uuid4()) if key is None else key)


class AdminClient:
    """The provider/admin side: bearer token, raises on any error answer."""

    def __init__(self, url: str, token: str = ADMIN_TOKEN) -> None:
        self.url = url
        self.session = Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(
        self, method: str, path: str, obj: object = None, params: Mapping[str, str] | None = None
    ) -> Response:
        """One admin request; ``HTTPError`` unless it succeeded."""
        data = None if obj is None else encode(obj)
        reply = self.session.request(
            method, self.url + path, data=data, params=params, timeout=TIMEOUT_S
        )
        reply.raise_for_status()
        return reply

    def set_faults(self, **settings: Any) -> None:
        """Replace the fault settings (omitted ones: no fault; ``paths=["/v1/heartbeat"]``
        limits them to those path prefixes); zeroes the counters."""
        self.call("PUT", "/v1/admin/faults", settings)

    def faults(self) -> dict[str, Any]:
        """The fault settings and counters."""
        return dict(self.call("GET", "/v1/admin/faults").json())

    def set_status(self, request_id: str, status: str, **changes: Any) -> dict[str, Any]:
        """Set a request's status (and note, provider, eta); the updated request."""
        path = f"/v1/admin/requests/{request_id}/status"
        return dict(self.call("POST", path, {**changes, "status": status}).json())

    def acknowledge(self, request_id: str, by: str = "值班员小张", **note: Any) -> dict[str, Any]:
        """A person saw the request (``note=`` sets what the elder is told); the request."""
        path = f"/v1/admin/requests/{request_id}/acknowledge"
        return dict(self.call("POST", path, {"by": by, **note}).json())

    def requests(self, **filters: str) -> list[dict[str, Any]]:
        """Requests of every device (filters: status, kind, device), newest first."""
        return list(self.call("GET", "/v1/admin/requests", params=filters).json()["requests"])

    def put_device(self, device_id: str, secret: bytes) -> None:
        """Register a device or change its secret."""
        self.call("PUT", f"/v1/admin/devices/{device_id}", {"secret": secret.hex()})

    def pairing_code(self, device_id: str, ttl_s: int | None = None) -> str:
        """A new pairing code for a device (replacing its unused ones), e.g. ``K7Q4-M2PX``."""
        order: dict[str, Any] = {"device_id": device_id}
        if ttl_s is not None:
            order["ttl_s"] = ttl_s
        return str(self.call("POST", "/v1/admin/pairing-codes", order).json()["code"])

    def heartbeat(self, device_id: str) -> dict[str, Any] | None:
        """The device's last heartbeat (``received_at``, ``body``), or None if it sent none."""
        path = f"/v1/admin/devices/{device_id}/heartbeat"
        reply = self.session.get(self.url + path, timeout=TIMEOUT_S)
        if reply.status_code == 404:
            return None
        reply.raise_for_status()
        return dict(reply.json())

    def put_menu(self, day: str, meals: list[dict[str, Any]]) -> None:
        """Store the menu of a date."""
        self.call("PUT", f"/v1/admin/menu/{day}", {"meals": meals})

    def put_schedule(self, device_id: str, schedule: dict[str, Any]) -> None:
        """Store a device's reminder schedule."""
        self.call("PUT", f"/v1/admin/schedule/{device_id}", schedule)

    def stats(self) -> dict[str, Any]:
        """Counts of stored, replayed and refused requests."""
        return dict(self.call("GET", "/v1/admin/stats").json())
