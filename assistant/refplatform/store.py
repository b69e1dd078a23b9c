"""SQLite storage of the reference care platform (``assistant.refplatform.server``).

One file holds the devices and their secrets, the nonces seen, the idempotency records, the
requests, the menus, the reminder schedules, the last heartbeat of each device, the pairing
codes (as SHA-256 digests only, never in clear text), the recent failed pairing attempts and
a few counters. The file is created with mode 0600 (it holds secrets, health data and addresses)
and opened in WAL mode with ``synchronous=FULL``: a 201 is only sent after the request is on
disk.

One connection is shared by all threads behind a lock; every write runs in ``BEGIN
IMMEDIATE``, so the idempotency check-and-insert is atomic even if a second process opened
the same file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

JSONObject = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (device_id, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_seen_at ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS idempotency (
    device_id TEXT NOT NULL,
    key TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('processing', 'done')),
    started_at REAL NOT NULL,
    status_code INTEGER,
    response TEXT,
    PRIMARY KEY (device_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    lang TEXT NOT NULL,
    summary TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    note TEXT,
    provider TEXT,
    eta TEXT,
    acknowledged_at TEXT,
    UNIQUE (device_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS requests_device ON requests (device_id, kind);
CREATE TABLE IF NOT EXISTS menus (
    date TEXT PRIMARY KEY,
    meals TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    device_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    schedule TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    device_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pairing_codes (
    code_sha256 TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pairing_codes_device ON pairing_codes (device_id);
CREATE TABLE IF NOT EXISTS pairing_failures (
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""
_REQUEST_COLUMNS = (
    "seq, device_id, idempotency_key, kind, status, priority, lang, summary, fields, "
    "created_at, received_at, updated_at, note, provider, eta, acknowledged_at"
)
_REQUEST_ID = re.compile(r"R([0-9]{6,12})")
_OPEN_STATUSES = ("received", "accepted")


def iso_utc(ts: float) -> str:
    """``ts`` (Unix seconds) as ISO 8601 in UTC, to the second: ``2026-11-23T08:00:00Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pairing_digest(code: str) -> str:
    """The hex SHA-256 of a pairing code, ignoring case, white space and dashes."""
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def dumps(obj: object) -> str:
    """Compact JSON with the characters as they are (no ``\\u`` escapes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class SubmittedRequest:
    """A validated ``POST /v1/requests`` body."""

    kind: str
    created_at: str
    priority: int
    summary: str
    fields: JSONObject
    lang: str


@dataclass(frozen=True)
class RequestRecord:
    """A stored request and where a provider has taken it."""

    seq: int
    device_id: str
    idempotency_key: str
    kind: str
    status: str
    priority: int
    lang: str
    summary: str
    fields: JSONObject
    created_at: str
    received_at: str
    updated_at: str
    note: str | None
    provider: str | None
    eta: str | None
    acknowledged_at: str | None = None
    """When a person at the care centre acknowledged it (None: nobody yet)."""

    @property
    def id(self) -> str:
        """The platform id, ``R`` and at least six digits: ``R000017``."""
        return f"R{self.seq:06d}"

    def to_json(self, *, with_key: bool = False, admin: bool = False) -> JSONObject:
        """The request as a device (or, with ``admin``, a provider) sees it."""
        obj: JSONObject = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "summary": self.summary,
            "fields": self.fields,
            "created_at": self.created_at,
            "received_at": self.received_at,
            "updated_at": self.updated_at,
            "note": self.note,
            "provider": self.provider,
            "eta": self.eta,
            "acknowledged_at": self.acknowledged_at,
        }
        if with_key or admin:
            obj["idempotency_key"] = self.idempotency_key
        if admin:
            obj.update(device_id=self.device_id, priority=self.priority, lang=self.lang)
        return obj


@dataclass(frozen=True)
class Fresh:
    """The key is new (or its earlier attempt was abandoned): process, then complete it."""


@dataclass(frozen=True)
class Replay:
    """The key was used with the same body: answer what was answered then."""

    status: int
    body: JSONObject


@dataclass(frozen=True)
class KeyReused:
    """The key was used with a different body (422)."""


@dataclass(frozen=True)
class InProgress:
    """A request with this key is being processed right now (409)."""


Begin = Fresh | Replay | KeyReused | InProgress


@dataclass(frozen=True)
class Schedule:
    """A device's reminder schedule as last put by a provider."""

    version: int
    updated_at: str
    schedule: JSONObject


@dataclass(frozen=True)
class Heartbeat:
    """The last heartbeat of a device."""

    device_id: str
    received_at: str
    body: JSONObject


@dataclass(frozen=True)
class Paired:
    """The code was good: the device is registered with the new secret, the code used up."""

    device_id: str


@dataclass(frozen=True)
class CodeRefused:
    """The code is unknown (or replaced), used already or expired; counted as a failure."""

    reason: Literal["unknown", "used", "expired"]


@dataclass(frozen=True)
class PairingLimited:
    """Too many failed attempts lately: the code was not even looked at."""

    retry_after_s: float
    """Until the oldest failure in the window leaves it."""


Pairing = Paired | CodeRefused | PairingLimited


class PlatformStore:
    """The platform's SQLite file; every method is one transaction and thread-safe."""

    def __init__(
        self, path: Path, *, clock: Callable[[], float] = time.time, lease_s: float = 30.0
    ) -> None:
        """Open (creating with mode 0600 if needed) the database at ``path``.

        ``lease_s``: an idempotency key whose processing started longer ago than this (a
        crash between begin and complete) may be taken over by a new attempt.
        """
        self._clock = clock
        self._lease_s = lease_s
        self._lock = threading.Lock()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{path} is not a regular file")
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        self._db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
        if "acknowledged_at" not in columns:  # a file from before acknowledgements
            self._db.execute("ALTER TABLE requests ADD COLUMN acknowledged_at TEXT")
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.is_file() and not side.is_symlink():
                os.chmod(side, 0o600)
        logger.debug("platform database %s open", path)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Devices and nonces

    def put_device(self, device_id: str, secret: bytes) -> None:
        """Register a device or replace its secret."""
        with self._tx() as db:
            _put_device(db, device_id, secret, self._clock())

    def device_secret(self, device_id: str) -> bytes | None:
        """The secret of a registered device, or None."""
        with self._tx(write=False) as db:
            row = db.execute(
                "SELECT secret FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def remember_nonce(self, device_id: str, nonce: str, keep_s: float) -> bool:
        """Record a nonce; False if the device used it already within ``keep_s`` seconds.

        Nonces older than ``keep_s`` are forgotten at the same time.
        """
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM nonces WHERE seen_at < ?", (now - keep_s,))
            cur = db.execute(
                "INSERT OR IGNORE INTO nonces (device_id, nonce, seen_at) VALUES (?, ?, ?)",
                (device_id, nonce, now),
            )
            return cur.rowcount == 1

    # Pairing

    def put_pairing_code(self, device_id: str, code: str, ttl_s: int) -> float | None:
        """Store the digest of a new code for a device, replacing the device's unused codes.

        Returns when the code expires (Unix seconds), or None if its digest is that of a
        code stored already (of any device): then make another code.
        """
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "DELETE FROM pairing_codes WHERE device_id = ? AND used_at IS NULL", (device_id,)
            )
            cur = db.execute(
                "INSERT OR IGNORE INTO pairing_codes (code_sha256, device_id, created_at, "
                "expires_at) VALUES (?, ?, ?, ?)",
                (pairing_digest(code), device_id, iso_utc(now), now + ttl_s),
            )
        return now + ttl_s if cur.rowcount == 1 else None

    def redeem_pairing_code(
        self, code: str, secret: bytes, *, max_failures: int, window_s: float
    ) -> Pairing:
        """Pair with a code, in one transaction: refuse while ``max_failures`` attempts failed
        within the last ``window_s`` seconds; else check the code, and if it is good use it up
        and register its device with ``secret`` (as ``put_device``), if not count a failure.
        """
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM pairing_failures WHERE failed_at <= ?", (now - window_s,))
            failures, oldest = db.execute(
                "SELECT COUNT(*), MIN(failed_at) FROM pairing_failures"
            ).fetchone()
            if failures >= max_failures:
                return PairingLimited(float(oldest) + window_s - now)
            digest = pairing_digest(code)
            row = db.execute(
                "SELECT device_id, expires_at, used_at FROM pairing_codes WHERE code_sha256 = ?",
                (digest,),
            ).fetchone()
            refused = _refusal(row, now)
            if refused is not None:
                db.execute("INSERT INTO pairing_failures (failed_at) VALUES (?)", (now,))
                return refused
            assert row is not None  # _refusal refuses a missing code
            db.execute(
                "UPDATE pairing_codes SET used_at = ? WHERE code_sha256 = ?", (iso_utc(now), digest)
            )
            _put_device(db, row[0], secret, now)
            return Paired(row[0])

    # Counters

    def count(self, name: str) -> None:
        """Add one to the counter ``name``."""
        with self._tx() as db:
            _bump(db, name)

    def stats(self) -> JSONObject:
        """``{"stored": n, "replayed": n, "refused": {code: n}}``."""
        with self._tx(write=False) as db:
            stored = db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
            counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        refused = {
            name.removeprefix("refused."): value
            for name, value in sorted(counters.items())
            if name.startswith("refused.")
        }
        return {"stored": stored, "replayed": counters.get("replayed", 0), "refused": refused}

    # Requests

    def begin_request(self, device_id: str, key: str, body_sha256: str) -> Begin:
        """Claim an idempotency key of a device for a body (atomic check-and-insert)."""
        now = self._clock()
        with self._tx() as db:
            row = db.execute(
                "SELECT body_sha256, state, started_at, status_code, response "
                "FROM idempotency WHERE device_id = ? AND key = ?",
                (device_id, key),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO idempotency (device_id, key, body_sha256, state, started_at) "
                    "VALUES (?, ?, ?, 'processing', ?)",
                    (device_id, key, body_sha256, now),
                )
                return Fresh()
            stored_sha, state, started_at, status_code, response = row
            if state == "processing" and started_at < now - self._lease_s:
                logger.warning("taking over abandoned idempotency key of device %s", device_id)
                db.execute(
                    "UPDATE idempotency SET body_sha256 = ?, started_at = ? "
                    "WHERE device_id = ? AND key = ?",
                    (body_sha256, now, device_id, key),
                )
                return Fresh()
            if stored_sha != body_sha256:
                return KeyReused()
            if state == "processing":
                return InProgress()
            _bump(db, "replayed")
            return Replay(int(status_code), json.loads(response))

    def complete_request(
        self, device_id: str, key: str, request: SubmittedRequest
    ) -> tuple[int, JSONObject]:
        """Store a request claimed by ``begin_request``; the status and body to answer.

        An ``emergency_cancel`` whose ``fields.emergency_key`` (or one of
        ``fields.emergency_keys``) is the idempotency key of an emergency of the same device
        that is still received or accepted cancels it; an emergency whose cancel arrived
        first is stored as cancelled (and its answer says so).
        """
        now = iso_utc(self._clock())
        with self._tx() as db:
            done = db.execute(
                "SELECT status_code, response FROM idempotency "
                "WHERE device_id = ? AND key = ? AND state = 'done'",
                (device_id, key),
            ).fetchone()
            if done is not None:  # another attempt took over the lease and finished first
                return int(done[0]), json.loads(done[1])
            status = "received"
            if request.kind == "emergency" and _cancel_exists(db, device_id, key):
                status = "cancelled"
            cur = db.execute(
                "INSERT INTO requests (device_id, idempotency_key, kind, status, priority, "
                "lang, summary, fields, created_at, received_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    device_id, key, request.kind, status, request.priority, request.lang,
                    request.summary, dumps(request.fields), request.created_at, now, now,
                ),
            )  # fmt: skip
            seq = int(cur.lastrowid or 0)
            if request.kind == "emergency_cancel":
                for target in cancel_targets(request.fields):
                    db.execute(
                        "UPDATE requests SET status = 'cancelled', updated_at = ? "
                        "WHERE device_id = ? AND idempotency_key = ? AND kind = 'emergency' "
                        "AND status IN (?, ?)",
                        (now, device_id, target, *_OPEN_STATUSES),
                    )
            body: JSONObject = {
                "id": f"R{seq:06d}",
                "kind": request.kind,
                "status": status,
                "received_at": now,
                "summary": request.summary,
            }
            db.execute(
                "UPDATE idempotency SET state = 'done', status_code = 201, response = ? "
                "WHERE device_id = ? AND key = ?",
                (dumps(body), device_id, key),
            )
            return 201, body

    def abandon_request(self, device_id: str, key: str) -> None:
        """Release a key claimed by ``begin_request`` whose processing failed."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM idempotency WHERE device_id = ? AND key = ? AND state = 'processing'",
                (device_id, key),
            )

    def get_request(self, request_id: str, device_id: str | None = None) -> RequestRecord | None:
        """The request with this platform id (of this device, when given), or None."""
        with self._tx(write=False) as db:
            return _select(db, request_id, device_id)

    def list_requests(
        self,
        *,
        device_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        key: str | None = None,
    ) -> list[RequestRecord]:
        """Requests matching every filter given, newest first."""
        filters = {"device_id": device_id, "kind": kind, "status": status, "idempotency_key": key}
        wanted = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} = ?" for column in wanted) or "1"
        with self._tx(write=False) as db:
            rows = db.execute(
                f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE {where} ORDER BY seq DESC",
                tuple(wanted.values()),
            ).fetchall()
        return [_record(row) for row in rows]

    def set_status(
        self, request_id: str, status: str, changes: Mapping[str, str | None]
    ) -> RequestRecord | None:
        """Set a request's status and any of note, provider, eta; the updated request."""
        values: dict[str, str | None] = {"status": status, "updated_at": iso_utc(self._clock())}
        values.update({k: v for k, v in changes.items() if k in ("note", "provider", "eta")})
        assignments = ", ".join(f"{column} = ?" for column in values)
        with self._tx() as db:
            record = _select(db, request_id, None)
            if record is None:
                return None
            db.execute(
                f"UPDATE requests SET {assignments} WHERE seq = ?",
                (*values.values(), record.seq),
            )
            return _select(db, request_id, None)

    def acknowledge(
        self, request_id: str, note: str | None, keep_note: bool
    ) -> RequestRecord | None:
        """A person saw the request: ``acknowledged_at`` is set (the first time only), and
        the note unless ``keep_note``; the updated request."""
        now = iso_utc(self._clock())
        with self._tx() as db:
            record = _select(db, request_id, None)
            if record is None:
                return None
            db.execute(
                "UPDATE requests SET acknowledged_at = COALESCE(acknowledged_at, ?), "
                "updated_at = ?, note = CASE WHEN ? THEN note ELSE ? END WHERE seq = ?",
                (now, now, keep_note, note, record.seq),
            )
            return _select(db, request_id, None)

    # Menus, schedules, heartbeats

    def put_menu(self, date: str, meals: list[JSONObject]) -> None:
        """Store (or replace) the menu of a date (``YYYY-MM-DD``)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO menus (date, meals, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (date) DO UPDATE SET meals = excluded.meals, "
                "updated_at = excluded.updated_at",
                (date, dumps(meals), iso_utc(self._clock())),
            )

    def get_menu(self, date: str) -> list[JSONObject] | None:
        """The meals of a date, or None when no menu was stored."""
        with self._tx(write=False) as db:
            row = db.execute("SELECT meals FROM menus WHERE date = ?", (date,)).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def put_schedule(self, device_id: str, schedule: JSONObject) -> int:
        """Store a device's reminder schedule; its new version (1, 2, …)."""
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO schedules (device_id, version, schedule, updated_at) "
                "VALUES (?, 1, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
                "version = version + 1, schedule = excluded.schedule, "
                "updated_at = excluded.updated_at RETURNING version",
                (device_id, dumps(schedule), iso_utc(self._clock())),
            ).fetchone()
        return int(row[0])

    def get_schedule(self, device_id: str) -> Schedule | None:
        """A device's reminder schedule, or None."""
        with self._tx(write=False) as db:
            row = db.execute(
                "SELECT version, updated_at, schedule FROM schedules WHERE device_id = ?",
                (device_id,),
            ).fetchone()
        return None if row is None else Schedule(int(row[0]), row[1], json.loads(row[2]))

    def record_heartbeat(self, device_id: str, body: JSONObject) -> None:
        """Keep a device's latest heartbeat."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO heartbeats (device_id, received_at, body) VALUES (?, ?, ?) "
                "ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at, "
                "body = excluded.body",
                (device_id, iso_utc(self._clock()), dumps(body)),
            )

    def last_heartbeat(self, device_id: str) -> Heartbeat | None:
        """A device's latest heartbeat, or None."""
        with self._tx(write=False) as db:
            row = db.execute(
                "SELECT received_at, body FROM heartbeats WHERE device_id = ?", (device_id,)
            ).fetchone()
        return None if row is None else Heartbeat(device_id, row[0], json.loads(row[1]))


def _put_device(db: sqlite3.Connection, device_id: str, secret: bytes, now: float) -> None:
    db.execute(
        "INSERT INTO devices (device_id, secret, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (device_id) DO UPDATE SET secret = excluded.secret, "
        "updated_at = excluded.updated_at",
        (device_id, secret, iso_utc(now)),
    )


def _refusal(row: tuple[Any, ...] | None, now: float) -> CodeRefused | None:
    """Why a pairing code's row (None: no such code) does not pair now, or None if it does."""
    if row is None:
        return CodeRefused("unknown")
    if row[2] is not None:
        return CodeRefused("used")
    if now >= row[1]:
        return CodeRefused("expired")
    return None


def _bump(db: sqlite3.Connection, name: str) -> None:
    db.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1",
        (name,),
    )


def cancel_targets(fields: JSONObject) -> list[str]:
    """The emergency keys an ``emergency_cancel`` names (``emergency_key``, ``emergency_keys``)."""
    keys = fields.get("emergency_keys")
    named = [fields.get("emergency_key"), *(keys if isinstance(keys, list) else [])]
    return sorted({k.lower() for k in named if isinstance(k, str)})


def _cancel_exists(db: sqlite3.Connection, device_id: str, emergency_key: str) -> bool:
    rows = db.execute(
        "SELECT fields FROM requests WHERE device_id = ? AND kind = 'emergency_cancel'",
        (device_id,),
    ).fetchall()
    return any(emergency_key in cancel_targets(json.loads(r[0])) for r in rows)


def _select(db: sqlite3.Connection, request_id: str, device_id: str | None) -> RequestRecord | None:
    match = _REQUEST_ID.fullmatch(request_id)
    if match is None or f"R{int(match[1]):06d}" != request_id:
        return None
    sql = f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE seq = ?"
    args: list[object] = [int(match[1])]
    if device_id is not None:
        sql += " AND device_id = ?"
        args.append(device_id)
    row = db.execute(sql, args).fetchone()
    return None if row is None else _record(row)


def _record(row: tuple[Any, ...]) -> RequestRecord:
    seq, device_id, key, kind, status, priority, lang, summary, fields, *rest = row
    created_at, received_at, updated_at, note, provider, eta, acknowledged_at = rest
    return RequestRecord(
        int(seq), device_id, key, kind, status, int(priority), lang, summary,
        json.loads(fields), created_at, received_at, updated_at, note, provider, eta,
        acknowledged_at,
    )  # fmt: skip
