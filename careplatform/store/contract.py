"""The device contract's storage (``docs/platform-api.md``) on SQLAlchemy: devices and
their secrets, nonces, idempotency records, requests, menus, schedules, heartbeats,
pairing codes and counters.

It answers what ``assistant.refplatform.store.PlatformStore`` answers, method for method,
so the contract's logic (``assistant.refplatform.app.PlatformApp``) runs unchanged on it,
but on SQLite or PostgreSQL and safe with several app processes on one database: every
check-and-write is one transaction that the database itself serialises (``INSERT … ON
CONFLICT``, ``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); nothing
is kept in the process. Each change to a request is kept in ``request_events``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from assistant.refplatform.store import (
    Begin,
    CodeRefused,
    Fresh,
    Heartbeat,
    InProgress,
    JSONObject,
    KeyReused,
    Paired,
    Pairing,
    PairingLimited,
    Replay,
    RequestRecord,
    Schedule,
    SubmittedRequest,
    cancel_targets,
    iso_utc,
    pairing_digest,
)
from careplatform.db.engine import Database
from careplatform.db.schema import (
    attempts,
    counters,
    devices,
    heartbeats,
    idempotency,
    menus,
    nonces,
    pairing_codes,
    request_events,
    requests,
    schedules,
)
from careplatform.store.notices import make_notices
from careplatform.store.upsert import insert_for, lock_scope

_LOGGER = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"R([0-9]{6,12})")
OPEN_STATUSES = ("received", "accepted")
DEVICE = "device"
"""The actor of changes a device makes (its id follows in the detail)."""


class ContractStore:
    """The contract's tables; every method is one transaction."""

    def __init__(
        self, db: Database, *, clock: Callable[[], float] = time.time, lease_s: float = 30.0
    ) -> None:
        self._db = db
        self._clock = clock
        self._lease_s = lease_s

    def close(self) -> None:
        """Close the database's connections."""
        self._db.dispose()

    # Devices and nonces

    def put_device(self, device_id: str, secret: bytes) -> None:
        """Register a device or replace its secret."""
        with self._db.write() as conn:
            _put_device(conn, device_id, secret, self._clock())

    def device_secret(self, device_id: str) -> bytes | None:
        """The secret of a registered device, or None."""
        with self._db.read() as conn:
            found = conn.execute(
                select(devices.c.secret).where(devices.c.device_id == device_id)
            ).scalar()
        return None if found is None else bytes(found)

    def remember_nonce(self, device_id: str, nonce: str, keep_s: float) -> bool:
        """Record a nonce; False if the device used it already within ``keep_s`` seconds
        (older nonces are forgotten at the same time)."""
        now = self._clock()
        with self._db.write() as conn:
            conn.execute(delete(nonces).where(nonces.c.seen_at < now - keep_s))
            done = conn.execute(
                insert_for(conn, nonces)
                .values(device_id=device_id, nonce=nonce, seen_at=now)
                .on_conflict_do_nothing()
                .returning(nonces.c.nonce)
            )
            return done.first() is not None

    # Pairing

    def put_pairing_code(self, device_id: str, code: str, ttl_s: int) -> float | None:
        """Store a new code's digest for a device, replacing the device's unused codes;
        when it expires, or None if that digest is stored already (make another code)."""
        now = self._clock()
        with self._db.write() as conn:
            conn.execute(
                delete(pairing_codes).where(
                    pairing_codes.c.device_id == device_id, pairing_codes.c.used_at.is_(None)
                )
            )
            done = conn.execute(
                insert_for(conn, pairing_codes)
                .values(
                    code_sha256=pairing_digest(code),
                    device_id=device_id,
                    created_at=iso_utc(now),
                    expires_at=now + ttl_s,
                )
                .on_conflict_do_nothing()
                .returning(pairing_codes.c.code_sha256)
            ).first()
        return now + ttl_s if done is not None else None

    def redeem_pairing_code(
        self, code: str, secret: bytes, *, max_failures: int, window_s: float, source: str = ""
    ) -> Pairing:
        """Pair with a code in one transaction. Refused while ``max_failures`` attempts
        failed within ``window_s`` for this code, or from this ``source`` (never for the
        whole platform: one attacker cannot lock every technician out); else the code is
        checked, and a good one is used up and its device registered with ``secret``."""
        now = self._clock()
        digest = pairing_digest(code)
        scopes = [f"pair-code:{digest}"] + ([f"pair-source:{source}"] if source else [])
        with self._db.write() as conn:
            conn.execute(
                delete(attempts).where(
                    attempts.c.scope.like("pair-%"), attempts.c.failed_at <= now - window_s
                )
            )
            for scope in scopes:
                lock_scope(conn, scope)
            for scope in scopes:
                count, oldest = conn.execute(
                    select(func.count(), func.min(attempts.c.failed_at)).where(
                        attempts.c.scope == scope
                    )
                ).one()
                if count >= max_failures:
                    return PairingLimited(float(oldest) + window_s - now)
            query = select(pairing_codes).where(pairing_codes.c.code_sha256 == digest)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).first()
            refused = _refusal(row, now)
            if refused is not None:
                conn.execute(attempts.insert(), [{"scope": s, "failed_at": now} for s in scopes])
                return refused
            assert row is not None
            conn.execute(
                update(pairing_codes)
                .where(pairing_codes.c.code_sha256 == digest)
                .values(used_at=iso_utc(now))
            )
            _put_device(conn, row.device_id, secret, now)
            return Paired(row.device_id)

    # Counters

    def count(self, name: str) -> None:
        """Add one to the counter ``name``."""
        with self._db.write() as conn:
            _bump(conn, name)

    def stats(self) -> JSONObject:
        """``{"stored": n, "replayed": n, "refused": {code: n}}``."""
        with self._db.read() as conn:
            stored = conn.execute(select(func.count()).select_from(requests)).scalar_one()
            values = {row.name: row.value for row in conn.execute(select(counters))}
        refused = {
            name.removeprefix("refused."): value
            for name, value in sorted(values.items())
            if name.startswith("refused.")
        }
        return {"stored": stored, "replayed": values.get("replayed", 0), "refused": refused}

    # Requests

    def begin_request(self, device_id: str, key: str, body_sha256: str) -> Begin:
        """Claim an idempotency key of a device for a body (atomic check-and-insert)."""
        now = self._clock()
        with self._db.write() as conn:
            claimed = conn.execute(
                insert_for(conn, idempotency)
                .values(
                    device_id=device_id,
                    key=key,
                    body_sha256=body_sha256,
                    state="processing",
                    started_at=now,
                )
                .on_conflict_do_nothing()
                .returning(idempotency.c.key)
            ).first()
            if claimed is not None:  # (rowcount says -1 on PostgreSQL here: RETURNING tells)
                return Fresh()
            query = select(idempotency).where(
                idempotency.c.device_id == device_id, idempotency.c.key == key
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).one()
            if row.state == "processing" and row.started_at < now - self._lease_s:
                _LOGGER.warning("taking over abandoned idempotency key of device %s", device_id)
                conn.execute(
                    update(idempotency)
                    .where(
                        idempotency.c.device_id == device_id,
                        idempotency.c.key == key,
                    )
                    .values(body_sha256=body_sha256, started_at=now)
                )
                return Fresh()
            if row.body_sha256 != body_sha256:
                return KeyReused()
            if row.state == "processing":
                return InProgress()
            _bump(conn, "replayed")
            return Replay(int(row.status_code), dict(row.response))

    def complete_request(
        self, device_id: str, key: str, request: SubmittedRequest
    ) -> tuple[int, JSONObject]:
        """Store a request claimed by ``begin_request``; the status and body to answer.
        An ``emergency_cancel`` cancels the open emergencies it names; an emergency whose
        cancel came first is stored as cancelled."""
        now_ts = self._clock()
        now = iso_utc(now_ts)
        with self._db.write() as conn:
            done = conn.execute(
                select(idempotency.c.status_code, idempotency.c.response).where(
                    idempotency.c.device_id == device_id,
                    idempotency.c.key == key,
                    idempotency.c.state == "done",
                )
            ).first()
            if done is not None:  # another attempt took over the lease and finished first
                return int(done.status_code), dict(done.response)
            status = "received"
            if request.kind == "emergency" and _cancel_exists(conn, device_id, key):
                status = "cancelled"
            seq = conn.execute(
                requests.insert()
                .values(
                    device_id=device_id,
                    idempotency_key=key,
                    kind=request.kind,
                    status=status,
                    priority=request.priority,
                    lang=request.lang,
                    summary=request.summary,
                    fields=request.fields,
                    created_at=request.created_at,
                    received_at=now,
                    received_ts=now_ts,
                    updated_at=now,
                )
                .returning(requests.c.seq)
            ).scalar_one()
            _event(conn, seq, now, DEVICE, "received", {"device_id": device_id, "status": status})
            make_notices(conn, device_id, seq, request, now_ts)
            if request.kind == "emergency_cancel":
                _cancel(conn, device_id, cancel_targets(request.fields), now)
            body: JSONObject = {
                "id": f"R{seq:06d}",
                "kind": request.kind,
                "status": status,
                "received_at": now,
                "summary": request.summary,
            }
            conn.execute(
                update(idempotency)
                .where(
                    idempotency.c.device_id == device_id,
                    idempotency.c.key == key,
                )
                .values(state="done", status_code=201, response=body)
            )
            return 201, body

    def abandon_request(self, device_id: str, key: str) -> None:
        """Release a key claimed by ``begin_request`` whose processing failed."""
        with self._db.write() as conn:
            conn.execute(
                delete(idempotency).where(
                    idempotency.c.device_id == device_id,
                    idempotency.c.key == key,
                    idempotency.c.state == "processing",
                )
            )

    def get_request(self, request_id: str, device_id: str | None = None) -> CareRecord | None:
        """The request with this platform id (of this device, when given), or None."""
        with self._db.read() as conn:
            return _select(conn, request_id, device_id)

    def list_requests(
        self,
        *,
        device_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        key: str | None = None,
    ) -> list[CareRecord]:
        """Requests matching every filter given, newest first."""
        query = select(requests).order_by(requests.c.seq.desc())
        filters = {"device_id": device_id, "kind": kind, "status": status, "idempotency_key": key}
        for column, value in filters.items():
            if value is not None:
                query = query.where(requests.c[column] == value)
        with self._db.read() as conn:
            return [record_of(row) for row in conn.execute(query)]

    def set_status(
        self,
        request_id: str,
        status: str,
        changes: Mapping[str, str | None],
        actor: str = "admin-token",
    ) -> CareRecord | None:
        """Set a request's status and any of note, provider, eta; the updated request."""
        now = iso_utc(self._clock())
        values: dict[str, Any] = {"status": status, "updated_at": now}
        values.update({k: v for k, v in changes.items() if k in ("note", "provider", "eta")})
        with self._db.write() as conn:
            record = _select(conn, request_id, None)
            if record is None:
                return None
            conn.execute(update(requests).where(requests.c.seq == record.seq).values(**values))
            _event(
                conn,
                record.seq,
                now,
                actor,
                "status",
                {k: values[k] for k in values if k != "updated_at"},
            )
            return _select(conn, request_id, None)

    def acknowledge(self, request_id: str, note: str | None, keep_note: bool,
                    actor: str = "admin-token") -> CareRecord | None:  # fmt: skip
        """A person (``actor``) saw the request: ``acknowledged_at`` is set the first time,
        the note unless ``keep_note``; the updated request."""
        now = iso_utc(self._clock())
        with self._db.write() as conn:
            record = _select(conn, request_id, None)
            if record is None:
                return None
            values: dict[str, Any] = {"updated_at": now}
            if record.acknowledged_at is None:
                values.update(acknowledged_at=now, acknowledged_by=actor)
            if not keep_note:
                values["note"] = note
            conn.execute(update(requests).where(requests.c.seq == record.seq).values(**values))
            _event(conn, record.seq, now, actor, "acknowledge",
                   {} if keep_note else {"note": note})  # fmt: skip
            return _select(conn, request_id, None)

    # Menus, schedules, heartbeats

    def put_menu(self, date: str, meals: list[JSONObject]) -> None:
        """Store (or replace) the menu of a date (``YYYY-MM-DD``)."""
        with self._db.write() as conn:
            row = {"date": date, "meals": meals, "updated_at": iso_utc(self._clock())}
            insert = insert_for(conn, menus).values(**row)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["date"], set_={"meals": meals, "updated_at": row["updated_at"]}
                )
            )

    def get_menu(self, date: str) -> list[JSONObject] | None:
        """The meals of a date, or None when no menu was stored."""
        with self._db.read() as conn:
            meals = conn.execute(select(menus.c.meals).where(menus.c.date == date)).scalar()
        return None if meals is None else list(meals)

    def put_schedule(self, device_id: str, schedule: JSONObject) -> int:
        """Store a device's reminder schedule; its new version (1, 2, …)."""
        with self._db.write() as conn:
            now = iso_utc(self._clock())
            insert = insert_for(conn, schedules).values(
                device_id=device_id, version=1, schedule=schedule, updated_at=now
            )
            upsert = insert.on_conflict_do_update(
                index_elements=["device_id"],
                set_={"version": schedules.c.version + 1, "schedule": schedule, "updated_at": now},
            ).returning(schedules.c.version)
            return int(conn.execute(upsert).scalar_one())

    def get_schedule(self, device_id: str) -> Schedule | None:
        """A device's reminder schedule, or None."""
        with self._db.read() as conn:
            row = conn.execute(select(schedules).where(schedules.c.device_id == device_id)).first()
        return None if row is None else Schedule(row.version, row.updated_at, dict(row.schedule))

    def record_heartbeat(self, device_id: str, body: JSONObject) -> None:
        """Keep a device's latest heartbeat."""
        now = self._clock()
        with self._db.write() as conn:
            values = {"received_at": iso_utc(now), "received_ts": now, "body": body}
            insert = insert_for(conn, heartbeats).values(device_id=device_id, **values)
            conn.execute(insert.on_conflict_do_update(index_elements=["device_id"], set_=values))

    def last_heartbeat(self, device_id: str) -> Heartbeat | None:
        """A device's latest heartbeat, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                select(heartbeats).where(heartbeats.c.device_id == device_id)
            ).first()
        return None if row is None else Heartbeat(device_id, row.received_at, dict(row.body))


def _put_device(conn: Connection, device_id: str, secret: bytes, now: float) -> None:
    stamp = iso_utc(now)
    insert = insert_for(conn, devices).values(
        device_id=device_id, secret=secret, created_at=stamp, updated_at=stamp
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["device_id"], set_={"secret": secret, "updated_at": stamp}
        )
    )


def _refusal(row: Any, now: float) -> CodeRefused | None:
    if row is None:
        return CodeRefused("unknown")
    if row.used_at is not None:
        return CodeRefused("used")
    if now >= row.expires_at:
        return CodeRefused("expired")
    return None


def _bump(conn: Connection, name: str) -> None:
    insert = insert_for(conn, counters).values(name=name, value=1)
    conn.execute(
        insert.on_conflict_do_update(index_elements=["name"], set_={"value": counters.c.value + 1})
    )


def _event(
    conn: Connection, seq: int, at: str, actor: str, action: str, detail: JSONObject
) -> None:
    conn.execute(
        request_events.insert().values(
            request_seq=seq, at=at, actor=actor, action=action, detail=detail
        )
    )


def _cancel(conn: Connection, device_id: str, keys: list[str], now: str) -> None:
    if not keys:
        return
    open_ones = (
        conn.execute(
            select(requests.c.seq).where(
                requests.c.device_id == device_id,
                requests.c.idempotency_key.in_(keys),
                requests.c.kind == "emergency",
                requests.c.status.in_(OPEN_STATUSES),
            )
        )
        .scalars()
        .all()
    )
    for seq in open_ones:
        conn.execute(
            update(requests).where(requests.c.seq == seq).values(status="cancelled", updated_at=now)
        )
        _event(conn, seq, now, DEVICE, "status", {"status": "cancelled", "by": "emergency_cancel"})


def _cancel_exists(conn: Connection, device_id: str, emergency_key: str) -> bool:
    rows = conn.execute(
        select(requests.c.fields).where(
            requests.c.device_id == device_id, requests.c.kind == "emergency_cancel"
        )
    ).scalars()
    return any(emergency_key in cancel_targets(dict(fields)) for fields in rows)


def _select(conn: Connection, request_id: str, device_id: str | None) -> CareRecord | None:
    match = _REQUEST_ID.fullmatch(request_id)
    if match is None or f"R{int(match[1]):06d}" != request_id:
        return None
    query = select(requests).where(requests.c.seq == int(match[1]))
    if device_id is not None:
        query = query.where(requests.c.device_id == device_id)
    row = conn.execute(query).first()
    return None if row is None else record_of(row)


@dataclass(frozen=True)
class CareRecord(RequestRecord):
    """A request as the care platform keeps it: the contract's fields (``acknowledged_at``
    among them), who acknowledged it, its provider and outcome."""

    acknowledged_by: str | None = None
    provider_id: int | None = None
    outcome: str | None = None
    received_ts: float = 0.0


def record_of(row: Any) -> CareRecord:
    """A ``requests`` row as a record."""
    return CareRecord(
        int(row.seq), row.device_id, row.idempotency_key, row.kind, row.status,
        int(row.priority), row.lang, row.summary, dict(row.fields), row.created_at,
        row.received_at, row.updated_at, row.note, row.provider, row.eta,
        row.acknowledged_at, row.acknowledged_by, row.provider_id, row.outcome,
        float(row.received_ts),
    )  # fmt: skip
