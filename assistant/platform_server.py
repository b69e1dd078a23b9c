"""The reference care platform: a real HTTP server for development, tests and demos.

It implements ``docs/platform-api.md`` (machine-readable: ``docs/platform-api.openapi.yaml``)
with the standard library only: ``http.server.ThreadingHTTPServer`` in front of a SQLite file
(``assistant.platform_store``), request signatures checked with ``assistant.signing`` and
fault injection (``assistant.platform_faults``) to exercise a device's retry logic.

    python -m assistant.platform_server --db platform.db --admin-token TOKEN \\
        --device xiaoan-0001=SECRET_HEX [--host 127.0.0.1] [--port 8787]

In tests, ``PlatformServer(ServerConfig(...))`` runs it in a background thread (see
``tests/platform_fixture.py``). It speaks plain HTTP: put it behind TLS before any real
person's data goes through it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, Literal, NoReturn, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from assistant.platform_faults import FaultInjector, FaultSettings
from assistant.platform_store import (
    Fresh,
    InProgress,
    JSONObject,
    KeyReused,
    PlatformStore,
    Replay,
    SubmittedRequest,
)
from assistant.signing import (
    HEADER_DEVICE,
    HEADER_IDEMPOTENCY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    fields_from_headers,
    verify,
)

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
"""Larger request bodies are refused with 413."""
NONCE_KEEP_S = 2 * MAX_SKEW_S
HEARTBEAT_EVERY_S = 60
MIN_SECRET_BYTES = 16
ADMIN_TOKEN_ENV = "XIAOAN_PLATFORM_ADMIN_TOKEN"

KINDS = (
    "emergency", "emergency_cancel", "emergency_escalation", "service_booking",
    "service_cancel", "meal_order", "callback", "health_report", "medicine_event", "rating",
    "checkin_missed", "inactivity_alert",
)  # fmt: skip
LANGS = ("zh", "en")
STATUSES = ("received", "accepted", "completed", "cancelled", "rejected")
PROVIDER_STATUSES = STATUSES[1:]
MEALS = ("breakfast", "lunch", "dinner")
DIETS = ("soft", "low_salt", "low_sugar", "vegetarian")
AUTH_REFUSALS = ("unauthenticated", "unknown_device", "stale", "bad_signature", "replayed")
MAX_SUMMARY = 500
MAX_NONCE = 128

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_HEADERS = (
    HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE, HEADER_IDEMPOTENCY,
    "Authorization",
)  # fmt: skip


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
            return json.loads(self.body.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ApiError(400, "invalid_json", f"the body is not UTF-8 JSON: {exc}") from None

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


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Route:
    """An endpoint: method, path pattern, handler; admin endpoints take the bearer token."""

    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Call], Reply]
    admin: bool = False


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


def check_device(device_id: str, secret: bytes) -> None:
    """``ValueError`` unless the id and secret are acceptable for a device."""
    if not _DEVICE_ID.fullmatch(device_id):
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
            ("GET", "/v1/admin/requests", self._admin_list),
            ("POST", "/v1/admin/requests/([^/]+)/status", self._set_status),
            ("PUT", "/v1/admin/menu/([^/]+)", self._put_menu),
            ("PUT", "/v1/admin/schedule/([^/]+)", self._put_schedule),
            ("PUT", "/v1/admin/faults", self._put_faults),
            ("GET", "/v1/admin/faults", self._get_faults),
            ("GET", "/v1/admin/stats", self._stats),
        ]
        self.routes = [Route(m, re.compile(p), h) for m, p, h in device] + [
            Route(m, re.compile(p), h, admin=True) for m, p, h in admin
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
            return route.handler(call)
        decision = self._faults.decide()
        if decision.delay_s and self._stopping.wait(decision.delay_s):
            raise ApiError(503, "unavailable", "the platform is stopping")
        if decision.reset:
            return Reply(0, action="reset")
        if decision.fail_status is not None:
            message = "fault injected (PUT /v1/admin/faults)"
            return Reply(decision.fail_status, {"error": "injected", "message": message})
        call = replace(call, device_id=self._authenticate(call))
        try:
            reply = route.handler(call)
        except ApiError as exc:
            reply = exc.reply()
        return replace(reply, action="drop") if decision.drop else reply

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

    # Provider and admin endpoints

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

    def _put_menu(self, call: Call) -> Reply:
        day = parse_date(call.params[0])
        meals = parse_meals(_only(call.json_object(), {"meals"}).get("meals"))
        self._store.put_menu(day, meals)
        return Reply(204)

    def _put_schedule(self, call: Call) -> Reply:
        if not _DEVICE_ID.fullmatch(call.params[0]):
            _invalid("device id must be 1-64 of A-Z a-z 0-9 . _ -")
        version = self._store.put_schedule(call.params[0], call.json_object())
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


# Body validation


def parse_submission(obj: object) -> SubmittedRequest:
    """A ``POST /v1/requests`` body, checked (400 ``invalid_request`` naming the field)."""
    if not isinstance(obj, dict):
        _invalid("the body must be a JSON object")
    for name in ("kind", "created_at", "priority", "summary", "fields", "lang"):
        if name not in obj:
            _invalid(f"missing field {name!r}")
    kind, created_at, priority = obj["kind"], obj["created_at"], obj["priority"]
    summary, fields, lang = obj["summary"], obj["fields"], obj["lang"]
    if kind not in KINDS:
        _invalid(f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(created_at, str) or not _is_aware_datetime(created_at):
        _invalid("created_at must be an ISO 8601 date and time with a UTC offset")
    if type(priority) is not int or not 0 <= priority <= 9:
        _invalid("priority must be an integer 0 (emergency) .. 9")
    if not isinstance(summary, str) or not summary.strip():
        _invalid("summary must be a non-empty string")
    if len(summary) > MAX_SUMMARY or len(summary.splitlines()) > 1:
        _invalid(f"summary must be one line of at most {MAX_SUMMARY} characters")
    if not isinstance(fields, dict):
        _invalid("fields must be an object")
    if lang not in LANGS:
        _invalid(f"lang must be one of {', '.join(LANGS)}")
    if kind == "emergency_cancel" and not isinstance(fields.get("emergency_key", ""), str):
        _invalid("fields.emergency_key must be a string (the emergency's Idempotency-Key)")
    return SubmittedRequest(kind, created_at, priority, summary, fields, lang)


def parse_heartbeat(obj: JSONObject) -> JSONObject:
    """A heartbeat body, checked: every field is optional."""
    counts = ("outbox_backlog", "parked")
    texts = ("last_error", "model", "version")
    obj = {k: v for k, v in obj.items() if k in ("uptime_s", *counts, *texts)}
    uptime = obj.get("uptime_s", 0)
    if not isinstance(uptime, int | float) or isinstance(uptime, bool) or uptime < 0:
        _invalid("uptime_s must be a number of seconds")
    for name in counts:
        value = obj.get(name, 0)
        if type(value) is not int or value < 0:
            _invalid(f"{name} must be a non-negative integer")
    for name in texts:
        if not isinstance(obj.get(name), str | None):
            _invalid(f"{name} must be a string or null")
    return obj


def parse_date(text: str) -> str:
    """A ``YYYY-MM-DD`` date, checked."""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        _invalid("date must be a date YYYY-MM-DD")


def parse_meals(meals: object) -> list[JSONObject]:
    """The meals of a menu, checked."""
    if not isinstance(meals, list):
        _invalid("meals must be a list")
    checked: list[JSONObject] = []
    for i, meal in enumerate(meals):
        where = f"meals[{i}]"
        if not isinstance(meal, dict):
            _invalid(f"{where} must be an object")
        meal = _only(meal, {"meal", "items", "diets", "price_cents", "order_by"}, where)
        name, items, diets = meal.get("meal"), meal.get("items"), meal.get("diets", [])
        price, order_by = meal.get("price_cents"), meal.get("order_by")
        if name not in MEALS or any(m["meal"] == name for m in checked):
            _invalid(f"{where}.meal must be one of {', '.join(MEALS)}, each at most once")
        if not isinstance(items, list) or not items or not all(_text(x) for x in items):
            _invalid(f"{where}.items must be a non-empty list of strings")
        if not isinstance(diets, list) or not all(d in DIETS for d in diets):
            _invalid(f"{where}.diets must be a list of {', '.join(DIETS)}")
        if type(price) is not int or price < 0:
            _invalid(f"{where}.price_cents must be a non-negative integer")
        if not isinstance(order_by, str) or not _HHMM.fullmatch(order_by):
            _invalid(f"{where}.order_by must be a time HH:MM")
        diets = [d for d in DIETS if d in diets]
        meal = {"meal": name, "items": items, "diets": diets, "price_cents": price}
        checked.append({**meal, "order_by": order_by})
    return checked


def _only(obj: JSONObject, names: set[str], where: str = "the body") -> JSONObject:
    unknown = sorted(set(obj) - names)
    if unknown:
        _invalid(f"unknown field {unknown[0]!r} in {where}")
    return obj


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_aware_datetime(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


# The HTTP layer


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its app and can close its open connections."""

    daemon_threads = False  # stop() joins the handler threads
    block_on_close = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: PlatformApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._closing = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup of ``HTTPServer.server_bind``."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def track(self, sock: socket.socket, is_open: bool) -> None:
        """Remember (or forget) a connection being served; shut it if closing already."""
        with self._open_lock:
            if not is_open:
                self._open.discard(sock)
            elif self._closing:  # accepted just before shutdown(), set up after closing
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            else:
                self._open.add(sock)

    def close_connections(self) -> None:
        """Shut down every connection still open (idle keep-alive ones included)."""
        with self._open_lock:
            self._closing = True
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing a traceback to stderr."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            logger.debug("connection from %s ended: %s", client_address, exc)
        else:
            logger.exception("error serving %s", client_address)


_ERROR_CODES = {
    400: "bad_request",
    408: "timeout",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the app answer it, writes (or drops, or resets) the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "XiaoAnPlatform/1"
    sys_version = ""
    timeout = 30

    @property
    def _server(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def setup(self) -> None:
        """Track the connection so that ``stop()`` can close it; no Nagle delay."""
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server.track(self.connection, True)

    def finish(self) -> None:
        """Forget the connection."""
        self._server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def _dispatch(self) -> None:
        started = time.monotonic()
        headers = {name: self.headers.get(name, "") for name in _HEADERS}
        try:
            body = self._read_body()
            if body is None:
                return
            reply = self._server.app.handle(self.command, self.path, headers, body)
        except ApiError as exc:
            reply = exc.reply()
        except (ConnectionError, TimeoutError) as exc:  # the client went away mid-body
            logger.debug("connection lost while reading: %s", exc)
            self.close_connection = True
            return
        except Exception:
            logger.exception("internal error on %s %s", self.command, urlsplit(self.path).path)
            reply = Reply(500, {"error": "internal", "message": "internal error, see the log"})
        path = urlsplit(self.path).path
        device = headers[HEADER_DEVICE][:64] or "-"  # as claimed: may be unauthenticated
        elapsed_ms = (time.monotonic() - started) * 1000
        if reply.action == "send":
            self._send(reply)
            log = f"{reply.status}"
        else:
            self.close_connection = True
            if reply.action == "reset":
                self._reset()
            log = f"{reply.action} (fault)"
        logger.info("%s %s %s -> %s %.1f ms", device, self.command, path, log, elapsed_ms)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes | None:
        """The body; ``ApiError`` for 411/413/400; None if the client went away."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(411, "length_required", "send Content-Length, not chunked bodies")
        text = self.headers.get("Content-Length", "0")
        if not (text.isascii() and text.isdigit()):
            self.close_connection = True
            raise ApiError(400, "bad_request", "Content-Length must be a number of bytes")
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True
            if length <= 16 * MAX_BODY:  # read it, so that the client gets to see the 413
                self.rfile.read(length)
            raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _send(self, reply: Reply) -> None:
        payload = b""
        if reply.body is not None:
            payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """Close the socket with SO_LINGER 0: the client gets a connection reset."""
        with contextlib.suppress(OSError):
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.rfile.close()
            self.wfile.close()
            self.connection.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors (bad request line, unsupported method, …) as JSON too."""
        self.close_connection = True
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "error"
        error = _ERROR_CODES.get(code, "bad_request" if code < 500 else "internal")
        self._send(Reply(code, {"error": error, "message": message or phrase}))

    def version_string(self) -> str:
        """The Server header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """``http.server``'s own log lines, at debug level."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", self.address_string(), format % args)


class PlatformServer:
    """The platform on a background thread: ``start()``, ``url``, ``stop()``, or ``with``."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.faults = FaultInjector()
        self._stopping = threading.Event()
        self._store: PlatformStore | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PlatformServer:
        """Open the database, register the configured devices and listen; returns once
        the socket is listening."""
        if self._httpd is not None:
            raise RuntimeError("the platform server is already running")
        store = PlatformStore(self.config.db, clock=self.config.clock)
        try:
            for device_id, secret in self.config.devices.items():
                store.put_device(device_id, secret)
            app = PlatformApp(self.config, store, self.faults, self._stopping)
            httpd = _HTTPServer((self.config.host, self.config.port), app)
        except BaseException:
            store.close()
            raise
        self._stopping.clear()
        self._store, self._httpd = store, httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="platform-server"
        )
        self._thread.start()
        logger.info("platform listening on %s (database %s)", self.url, self.config.db)
        if self.config.host not in ("127.0.0.1", "::1", "localhost"):
            logger.warning("plain HTTP on %s: put TLS in front of it", self.config.host)
        return self

    @property
    def store(self) -> PlatformStore:
        """The running server's database."""
        if self._store is None:
            raise RuntimeError("the platform server is not running")
        return self._store

    @property
    def port(self) -> int:
        """The port listened on (the one picked when the configured port is 0)."""
        if self._httpd is None:
            raise RuntimeError("the platform server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, without a trailing slash."""
        host = self.config.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def stop(self) -> None:
        """Stop listening, close open connections, wait for handlers, close the database."""
        httpd, thread, store = self._httpd, self._thread, self._store
        if httpd is None or thread is None or store is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        thread.join()
        store.close()
        self._httpd = self._thread = self._store = None
        logger.info("platform stopped")

    def __enter__(self) -> PlatformServer:
        return self if self._httpd is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    config: ServerConfig, stop: threading.Event, ready: Callable[[str], None] | None = None
) -> None:
    """Run the platform until ``stop`` is set; ``ready(url)`` is called once it listens."""
    with PlatformServer(config) as server:
        if ready is not None:
            ready(server.url)
        stop.wait()


# Command line


class _ArgumentParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _device_spec(text: str) -> tuple[str, bytes]:
    device_id, sep, secret_hex = text.partition("=")
    try:
        if not sep:
            raise ValueError("expected ID=SECRET_HEX")
        secret = bytes.fromhex(secret_hex)
        check_device(device_id, secret)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text.partition('=')[0]!r}: {exc}") from None
    return device_id, secret


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m assistant.platform_server``: serve until SIGTERM or Ctrl-C."""
    parser = _ArgumentParser(
        prog="python -m assistant.platform_server",
        description="The reference care platform (docs/platform-api.md), plain HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="port, 0 picks a free one")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file (created 0600)")
    parser.add_argument(
        "--admin-token", default=os.environ.get(ADMIN_TOKEN_ENV), help=f"or ${ADMIN_TOKEN_ENV}"
    )
    parser.add_argument(
        "--device", type=_device_spec, action="append", default=[], metavar="ID=SECRET_HEX",
        help="register a device (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.admin_token:
        parser.error(f"--admin-token (or ${ADMIN_TOKEN_ENV}) is required")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if not args.db.parent.is_dir():
        parser.error(f"--db: no directory {args.db.parent}")
    config = ServerConfig(
        db=args.db, host=args.host, port=args.port, admin_token=args.admin_token,
        devices=dict(args.device),
    )  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        serve(config, stop, ready=lambda url: print(f"listening on {url}", flush=True))
    except (OSError, sqlite3.Error) as exc:
        print(f"{parser.prog}: error: cannot start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
