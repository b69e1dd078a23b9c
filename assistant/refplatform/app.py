"""Routing, authentication and the endpoints of the reference care platform.

Receives one request as method, target (path and query as received), headers and body
bytes, from the HTTP layer (``assistant.refplatform.server``) or straight from a test, and
emits a ``Reply``: status, JSON body and headers, or a fault's ``drop``/``reset``. Bodies are
checked by ``assistant.refplatform.checks``, kept by ``assistant.refplatform.store``; faults are
decided by ``assistant.refplatform.faults``. No sockets here.

Device requests are signed, except ``POST /v1/pair``: a device trades a one-time pairing
code (made by ``POST /v1/admin/pairing-codes``) for its id and a new secret. Failed pairing
attempts are counted server-wide; after ``PAIR_MAX_FAILURES`` within ``PAIR_WINDOW_S``
seconds every attempt is refused with 429 until the oldest of them leaves the window.
Neither codes nor secrets are ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import parse_qsl, unquote, urlsplit

from assistant.refplatform.checks import (
    DEVICE_ID,
    KINDS,
    MAX_SCHEDULE_DEPTH,
    InvalidRequest,
    _only,
    depth_of,
    parse_date,
    parse_heartbeat,
    parse_meals,
    parse_pairing,
    parse_pairing_order,
    parse_submission,
)
from assistant.refplatform.faults import FaultInjector, FaultSettings
from assistant.refplatform.store import (
    CodeRefused,
    Fresh,
    InProgress,
    JSONObject,
    KeyReused,
    PairingLimited,
    PlatformStore,
    Replay,
    iso_utc,
)
from assistant.relay.signing import (
    HEADER_IDEMPOTENCY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    fields_from_headers,
    verify,
)

logger = logging.getLogger(__name__)

NONCE_KEEP_S = 2 * MAX_SKEW_S
HEARTBEAT_EVERY_S = 60
MIN_SECRET_BYTES = 16
STATUSES = ("received", "accepted", "completed", "cancelled", "rejected")
PROVIDER_STATUSES = STATUSES[1:]
AUTH_REFUSALS = ("unauthenticated", "unknown_device", "stale", "bad_signature", "replayed")
MAX_NONCE = 128
PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Pairing code characters: no 0/O, 1/I/L look-alikes."""
PAIRED_SECRET_BYTES = 32
PAIR_MAX_FAILURES = 10
PAIR_WINDOW_S = 600

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class ApiError(Exception):
    """An error answer: HTTP status, error code and a readable message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra

    def reply(self) -> Reply:
        """The answer to send."""
        body = {"error": self.code, "message": self.message, **self.extra}
        return Reply(self.status, body, self.headers)


def _invalid(message: str) -> NoReturn:
    raise ApiError(400, "invalid_request", message)


@dataclass(frozen=True)
class Reply:
    """What to answer: ``send`` it, ``drop`` the connection silently, or ``reset`` it."""

    status: int
    body: JSONObject | None = None
    headers: tuple[tuple[str, str], ...] = ()
    action: Literal["send", "drop", "reset"] = "send"


@dataclass(frozen=True)
class Call:
    """One received request as the endpoints see it."""

    method: str
    target: str
    """The path with its query, as received and signed."""
    params: tuple[str, ...]
    """The path parameters, percent-decoded."""
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    device_id: str = ""

    def json(self) -> object:
        """The body as JSON (400 ``invalid_json`` if it is not UTF-8 JSON)."""
        try:
            value = json.loads(self.body.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ApiError(400, "invalid_json", f"the body is not UTF-8 JSON: {exc}") from None
        bad = unstorable_text(value)
        if bad:
            raise ApiError(400, "invalid_json", f"the body holds {bad}: not text")
        return value

    def json_object(self) -> JSONObject:
        """The body as a JSON object (400 ``invalid_request`` if it is another value)."""
        obj = self.json()
        if not isinstance(obj, dict):
            _invalid("the body must be a JSON object")
        return obj

    def filter(self, name: str, allowed: Sequence[str] | None = None) -> str | None:
        """A query parameter used as a filter: None when absent or empty."""
        value = self.query.get(name) or None
        if value is not None and allowed is not None and value not in allowed:
            _invalid(f"{name} must be one of {', '.join(allowed)}")
        return value


def unstorable_text(value: object) -> str:
    """What in a decoded JSON value no text may hold ("" if nothing): a NUL, or a lone
    surrogate that ``\\ud800`` escapes let through (neither can be stored or shown)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a NUL character"
            if any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                return "a lone surrogate (\\ud800-\\udfff)"
    return ""


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Route:
    """An endpoint: method, path pattern, handler; admin endpoints take the bearer token,
    the other (device) endpoints are signed unless ``signed`` is False."""

    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Call], Reply]
    admin: bool = False
    signed: bool = True


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """How to run the platform. ``port`` 0 picks a free port; ``devices`` are registered."""

    db: Path
    host: str = "127.0.0.1"
    port: int = 0
    admin_token: str
    devices: Mapping[str, bytes] = field(default_factory=dict)
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.admin_token:
            raise ValueError("the admin token must not be empty")
        for device_id, secret in self.devices.items():
            check_device(device_id, secret)


def new_pairing_code() -> str:
    """Eight random characters of ``PAIRING_ALPHABET`` in two groups: ``K7Q4-M2PX``."""
    chars = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def check_device(device_id: str, secret: bytes) -> None:
    """``ValueError`` unless the id and secret are acceptable for a device."""
    if not DEVICE_ID.fullmatch(device_id):
        raise ValueError(f"device id {device_id!r} must be 1-64 of A-Z a-z 0-9 . _ -")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the secret of {device_id} must be at least {MIN_SECRET_BYTES} bytes")


class PlatformApp:
    """Routing, authentication and the endpoints, independent of the socket layer."""

    def __init__(
        self,
        config: ServerConfig,
        store: PlatformStore,
        faults: FaultInjector,
        stopping: threading.Event,
    ) -> None:
        self._config = config
        self._store = store
        self._faults = faults
        self._stopping = stopping
        device: list[tuple[str, str, Callable[[Call], Reply]]] = [
            ("POST", "/v1/requests", self._submit),
            ("GET", "/v1/requests", self._list),
            ("GET", "/v1/requests/([^/]+)", self._get),
            ("GET", "/v1/menu", self._menu),
            ("GET", "/v1/schedule", self._schedule),
            ("POST", "/v1/heartbeat", self._heartbeat),
        ]
        admin: list[tuple[str, str, Callable[[Call], Reply]]] = [
            ("PUT", "/v1/admin/devices/([^/]+)", self._put_device),
            ("GET", "/v1/admin/devices/([^/]+)/heartbeat", self._get_heartbeat),
            ("POST", "/v1/admin/pairing-codes", self._pairing_code),
            ("GET", "/v1/admin/requests", self._admin_list),
            ("POST", "/v1/admin/requests/([^/]+)/status", self._set_status),
            ("POST", "/v1/admin/requests/([^/]+)/acknowledge", self._acknowledge),
            ("PUT", "/v1/admin/menu/([^/]+)", self._put_menu),
            ("PUT", "/v1/admin/schedule/([^/]+)", self._put_schedule),
            ("PUT", "/v1/admin/faults", self._put_faults),
            ("GET", "/v1/admin/faults", self._get_faults),
            ("GET", "/v1/admin/stats", self._stats),
        ]
        self.routes = [
            *(Route(m, re.compile(p), h) for m, p, h in device),
            Route("POST", re.compile("/v1/pair"), self._pair, signed=False),
            *(Route(m, re.compile(p), h, admin=True) for m, p, h in admin),
        ]

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request (``target`` is the path with its query, as received)."""
        try:
            return self._handle(method, target, headers, body)
        except ApiError as exc:
            return exc.reply()

    def _handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        split = urlsplit(target)
        route, params = self._route(method, split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        call = Call(method, target, params, query, headers, body)
        if route.admin:
            self._check_admin(call)
            return self._run(route, call)
        decision = self._faults.decide(split.path)
        if decision.delay_s and self._stopping.wait(decision.delay_s):
            raise ApiError(503, "unavailable", "the platform is stopping")
        if decision.reset:
            return Reply(0, action="reset")
        if decision.fail_status is not None:
            message = "fault injected (PUT /v1/admin/faults)"
            return Reply(decision.fail_status, {"error": "injected", "message": message})
        if route.signed:
            call = replace(call, device_id=self._authenticate(call))
        try:
            reply = self._run(route, call)
        except ApiError as exc:
            reply = exc.reply()
        return replace(reply, action="drop") if decision.drop else reply

    @staticmethod
    def _run(route: Route, call: Call) -> Reply:
        """The handler's reply; a value failing ``assistant.refplatform.checks`` is 400
        ``invalid_request``."""
        try:
            return route.handler(call)
        except InvalidRequest as exc:
            raise ApiError(400, "invalid_request", str(exc)) from None

    def _route(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        allowed: list[str] = []
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == method:
                return route, tuple(unquote(p) for p in match.groups())
            allowed.append(route.method)
        if allowed:
            methods = ", ".join(allowed)
            message = f"{path} takes {methods}"
            raise ApiError(405, "method_not_allowed", message, headers=(("Allow", methods),))
        raise ApiError(404, "not_found", f"no endpoint {path}")

    # Authentication

    def _check_admin(self, call: Call) -> None:
        scheme, _, token = call.headers.get("Authorization", "").partition(" ")
        expected = self._config.admin_token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected):
            raise ApiError(401, "unauthenticated", "admin endpoints take Authorization: Bearer")

    def _authenticate(self, call: Call) -> str:
        fields = fields_from_headers(call.method, call.target, call.body, call.headers)
        if isinstance(fields, str):
            self._refuse("unauthenticated", fields)
        if len(fields.nonce) > MAX_NONCE or not fields.nonce.isascii():
            self._refuse("unauthenticated", f"{HEADER_NONCE} must be 1-{MAX_NONCE} ASCII chars")
        secret = self._store.device_secret(fields.device_id)
        if secret is None:
            self._refuse("unknown_device", f"device {fields.device_id!r} is not registered")
        now = self._config.clock()
        if abs(now - fields.timestamp) > MAX_SKEW_S:
            message = f"{HEADER_TIMESTAMP} is more than {MAX_SKEW_S} s from the platform's clock"
            self._refuse("stale", message, server_time=int(now))
        signature = call.headers.get(HEADER_SIGNATURE, "")
        if not (signature.isascii() and verify(secret, fields, signature)):
            self._refuse("bad_signature", "the signature does not match the request")
        if not self._store.remember_nonce(fields.device_id, fields.nonce, NONCE_KEEP_S):
            self._refuse("replayed", "this nonce was used already")
        return fields.device_id

    def _refuse(self, code: str, message: str, **extra: Any) -> NoReturn:
        self._store.count(f"refused.{code}")
        raise ApiError(401, code, message, **extra)

    # Device endpoints

    def _submit(self, call: Call) -> Reply:
        key = call.headers.get(HEADER_IDEMPOTENCY, "")
        if not key:
            raise ApiError(400, "missing_idempotency_key", f"{HEADER_IDEMPOTENCY} is required")
        if not _UUID.fullmatch(key):
            raise ApiError(400, "invalid_idempotency_key", f"{HEADER_IDEMPOTENCY} must be a UUID")
        key = key.lower()
        obj = call.json()
        submitted = parse_submission(obj)
        canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        begin = self._store.begin_request(call.device_id, key, digest)
        if isinstance(begin, Replay):
            return Reply(begin.status, begin.body, (("Idempotent-Replayed", "true"),))
        if isinstance(begin, KeyReused):
            message = f"this {HEADER_IDEMPOTENCY} was used with a different body"
            raise ApiError(422, "idempotency_key_reused", message)
        if isinstance(begin, InProgress):
            message = f"a request with this {HEADER_IDEMPOTENCY} is being processed"
            raise ApiError(409, "in_progress", message)
        assert isinstance(begin, Fresh)
        try:
            status, body = self._store.complete_request(call.device_id, key, submitted)
        except BaseException:
            self._store.abandon_request(call.device_id, key)
            raise
        logger.info("stored %s (%s) from %s", body["id"], submitted.kind, call.device_id)
        return Reply(status, body)

    def _get(self, call: Call) -> Reply:
        record = self._store.get_request(call.params[0], call.device_id)
        if record is None:
            raise ApiError(404, "not_found", f"no request {call.params[0]} of this device")
        return Reply(200, record.to_json())

    def _list(self, call: Call) -> Reply:
        kind = call.filter("kind", KINDS)
        key = call.filter("key")
        if key is not None and not _UUID.fullmatch(key):
            _invalid("key must be a UUID")
        records = self._store.list_requests(
            device_id=call.device_id, kind=kind, key=None if key is None else key.lower()
        )
        return Reply(200, {"requests": [r.to_json(with_key=True) for r in records]})

    def _menu(self, call: Call) -> Reply:
        day = call.query.get("date")
        if day is None:
            _invalid("date is required (YYYY-MM-DD)")
        day = parse_date(day)
        meals = self._store.get_menu(day)
        if meals is None:
            raise ApiError(404, "no_menu", f"no menu for {day}")
        return Reply(200, {"date": day, "meals": meals})

    def _schedule(self, call: Call) -> Reply:
        stored = self._store.get_schedule(call.device_id)
        if stored is None:
            raise ApiError(404, "no_schedule", "no reminder schedule for this device")
        body = {"version": stored.version, "updated_at": stored.updated_at}
        return Reply(200, {**body, "schedule": stored.schedule})

    def _heartbeat(self, call: Call) -> Reply:
        beat = parse_heartbeat(call.json_object() if call.body.strip() else {})
        self._store.record_heartbeat(call.device_id, beat)
        now = int(self._config.clock())
        return Reply(200, {"server_time": now, "next_in_s": HEARTBEAT_EVERY_S})

    def _pair(self, call: Call) -> Reply:
        code = parse_pairing(call.json_object())
        secret = secrets.token_bytes(PAIRED_SECRET_BYTES)
        outcome = self._store.redeem_pairing_code(
            code, secret, max_failures=PAIR_MAX_FAILURES, window_s=PAIR_WINDOW_S
        )
        if isinstance(outcome, PairingLimited):
            wait = str(max(1, math.ceil(outcome.retry_after_s)))
            message = (
                f"{PAIR_MAX_FAILURES} failed pairing attempts within {PAIR_WINDOW_S} s: "
                f"retry in {wait} s"
            )
            raise ApiError(429, "too_many_attempts", message, headers=(("Retry-After", wait),))
        if isinstance(outcome, CodeRefused):
            raise ApiError(403, "invalid_code", f"this pairing code is {outcome.reason}")
        logger.info("device %s paired", outcome.device_id)
        now = int(self._config.clock())
        return Reply(
            201, {"device_id": outcome.device_id, "secret": secret.hex(), "server_time": now}
        )

    # Provider and admin endpoints

    def _pairing_code(self, call: Call) -> Reply:
        device_id, ttl_s = parse_pairing_order(call.json_object())
        code = new_pairing_code()
        while (expires_at := self._store.put_pairing_code(device_id, code, ttl_s)) is None:
            code = new_pairing_code()  # the digest of a stored code: about never
        logger.info("pairing code made for device %s, valid %d s", device_id, ttl_s)
        body = {"code": code, "device_id": device_id, "expires_at": iso_utc(expires_at)}
        return Reply(201, body)

    def _get_heartbeat(self, call: Call) -> Reply:
        beat = self._store.last_heartbeat(call.params[0])
        if beat is None:
            raise ApiError(404, "not_found", f"no heartbeat from device {call.params[0]!r}")
        return Reply(200, {"received_at": beat.received_at, "body": beat.body})

    def _put_device(self, call: Call) -> Reply:
        obj = _only(call.json_object(), {"secret"})
        secret = obj.get("secret")
        try:
            if not isinstance(secret, str):
                raise ValueError("secret must be a hex string")
            check_device(call.params[0], bytes.fromhex(secret))
        except ValueError as exc:
            _invalid(str(exc))
        self._store.put_device(call.params[0], bytes.fromhex(secret))
        logger.info("device %s registered", call.params[0])
        return Reply(204)

    def _admin_list(self, call: Call) -> Reply:
        records = self._store.list_requests(
            device_id=call.filter("device"),
            kind=call.filter("kind", KINDS),
            status=call.filter("status", STATUSES),
        )
        return Reply(200, {"requests": [r.to_json(admin=True) for r in records]})

    def _set_status(self, call: Call) -> Reply:
        obj = _only(call.json_object(), {"status", "note", "provider", "eta"})
        status = obj.get("status")
        if status not in PROVIDER_STATUSES:
            _invalid(f"status must be one of {', '.join(PROVIDER_STATUSES)}")
        changes: dict[str, str | None] = {}
        for name in ("note", "provider", "eta"):
            if name in obj:
                value = obj[name]
                if value is not None and not isinstance(value, str):
                    _invalid(f"{name} must be a string or null")
                changes[name] = value
        record = self._store.set_status(call.params[0], status, changes)
        if record is None:
            raise ApiError(404, "not_found", f"no request {call.params[0]}")
        logger.info("request %s is now %s", record.id, status)
        return Reply(200, record.to_json(admin=True))

    def _acknowledge(self, call: Call) -> Reply:
        obj = _only(call.json_object(), {"by", "note"})
        by, note = obj.get("by"), obj.get("note")
        if not isinstance(by, str) or not 1 <= len(by.strip()) <= 100:
            _invalid("by must name who acknowledged it (1-100 characters)")
        if note is not None and (not isinstance(note, str) or len(note) > 500):
            _invalid("note must be a string of at most 500 characters, or null")
        record = self._store.acknowledge(call.params[0], note, keep_note="note" not in obj)
        if record is None:
            raise ApiError(404, "not_found", f"no request {call.params[0]}")
        logger.info("request %s acknowledged", record.id)
        return Reply(200, record.to_json(admin=True))

    def _put_menu(self, call: Call) -> Reply:
        day = parse_date(call.params[0])
        meals = parse_meals(_only(call.json_object(), {"meals"}).get("meals"))
        self._store.put_menu(day, meals)
        return Reply(204)

    def _put_schedule(self, call: Call) -> Reply:
        if not DEVICE_ID.fullmatch(call.params[0]):
            _invalid("device id must be 1-64 of A-Z a-z 0-9 . _ -")
        schedule = call.json_object()
        if depth_of(schedule) > MAX_SCHEDULE_DEPTH:
            _invalid(f"the schedule is nested more than {MAX_SCHEDULE_DEPTH} deep")
        version = self._store.put_schedule(call.params[0], schedule)
        logger.info("schedule of %s is now version %d", call.params[0], version)
        return Reply(204)

    def _put_faults(self, call: Call) -> Reply:
        try:
            settings = FaultSettings.from_json(call.json())
        except ValueError as exc:
            _invalid(str(exc))
        self._faults.configure(settings)
        logger.info("faults set: %s", settings)
        return Reply(204)

    def _get_faults(self, call: Call) -> Reply:
        return Reply(200, self._faults.snapshot())

    def _stats(self, call: Call) -> Reply:
        stats = self._store.stats()
        stats["refused"] = {**dict.fromkeys(AUTH_REFUSALS, 0), **stats["refused"]}
        return Reply(200, stats)
