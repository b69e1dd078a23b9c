"""What the console shows and does with the elders' requests: the live board, a
request's history, acknowledging, dispatching to a provider, notes, closing, a
provider's answers, the devices' health and a family's view.

Every change is one transaction that also writes its ``request_events`` row (who, when,
what): the audit trail. Permissions are the caller's (``careplatform.web.roles``); this
module only refuses what no one may do (closing a closed request, a provider answering
for a job that is not its own).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from assistant.refplatform.store import JSONObject, iso_utc
from careplatform.db.engine import Database
from careplatform.db.schema import (
    audit,
    devices,
    heartbeats,
    providers,
    request_events,
    requests,
)
from careplatform.store.contract import CareRecord, ContractStore, record_of

EMERGENCY_KINDS = ("emergency", "emergency_escalation")
OPEN = ("received", "accepted")
CLOSING = ("completed", "cancelled", "rejected")
WEEKS = 4
LATE_S = 30 * 60
"""A dose taken more than this after it was due counts as late."""
SILENT_BEATS = 3
"""A device silent for this many heartbeat intervals is a problem on the board."""
HEALTH_LIMITS = {
    "blood_pressure": ((90, 179), (50, 109)),
    "blood_sugar": ((3.9, 13.9),),
    "temperature": ((35.5, 38.4),),
    "heart_rate": ((50, 119),),
}
"""Readings outside these ranges are a health warning (common home-monitoring ranges)."""


class CareError(ValueError):
    """An action that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Event:
    """One line of a request's audit trail."""

    at: str
    actor: str
    action: str
    detail: JSONObject


@dataclass(frozen=True)
class DeviceHealth:
    """A device as its heartbeats show it."""

    device_id: str
    elder_name: str
    address: str
    last_beat_at: str | None
    silent_s: float | None
    """Seconds since the last heartbeat (None: never beat)."""
    problems: tuple[str, ...]
    backlog: int | None
    disk_full: bool
    version: str | None

    @property
    def trouble(self) -> str | None:
        """What is wrong, for the board (None: nothing)."""
        if self.silent_s is None:
            return "never_beat"
        if self.problems or self.disk_full:
            return "problems"
        return None


@dataclass(frozen=True)
class Week:
    """One week of an elder's medicine and check-ins."""

    starts: str
    """Its first day (ISO date, UTC)."""
    taken: int
    late: int
    """Taken more than ``LATE_S`` after the dose was due."""
    missed: int
    checkins_missed: int


@dataclass(frozen=True)
class FamilyView:
    """What a family sees of its elder."""

    device_id: str
    elder_name: str
    weeks: tuple[Week, ...]
    """The last ``WEEKS`` weeks, newest first."""
    open_requests: tuple[CareRecord, ...]
    warnings: tuple[CareRecord, ...]


@dataclass(frozen=True)
class Board:
    """The live board: what needs people, most urgent first."""

    emergencies: tuple[CareRecord, ...]
    warnings: tuple[CareRecord, ...]
    """Health warnings: a reading out of range, a missed dose or check-in, no activity."""
    requests: tuple[CareRecord, ...]
    silent: tuple[DeviceHealth, ...]
    troubled: tuple[DeviceHealth, ...]

    @property
    def version(self) -> str:
        """Changes when what the board lists changes (not when only its clocks move): the
        page then replaces the board, else it only updates the times."""
        parts = [
            (r.id, r.status, r.acknowledged_at or "", r.provider or "", r.note or "")
            for r in (*self.emergencies, *self.warnings, *self.requests)
        ]
        devices: list[tuple[str, ...]] = [(d.device_id, "silent") for d in self.silent]
        devices += [(d.device_id, str(d.trouble), *d.problems) for d in self.troubled]
        digest = hashlib.sha256(repr((parts, devices)).encode("utf-8")).hexdigest()
        return digest[:16]


class CareStore:
    """The console's reads and changes."""

    def __init__(
        self,
        db: Database,
        contract: ContractStore,
        heartbeat_s: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._contract = contract
        self._heartbeat_s = heartbeat_s
        self._clock = clock

    def now(self) -> float:
        """The platform's clock."""
        return self._clock()

    # Reads

    def board(self, device_ids: Sequence[str] | None = None) -> Board:
        """Open requests by urgency and the devices in trouble (of ``device_ids`` only,
        when given)."""
        query = select(requests).where(requests.c.status.in_(OPEN))
        if device_ids is not None:
            query = query.where(requests.c.device_id.in_(device_ids))
        with self._db.read() as conn:
            rows = [record_of(r) for r in conn.execute(query.order_by(requests.c.seq))]
        emergencies = [r for r in rows if r.kind in EMERGENCY_KINDS]
        emergencies.sort(key=lambda r: (r.acknowledged_at is not None, r.received_ts))
        warnings = [r for r in rows if is_warning(r)]
        others = [r for r in rows if r.kind not in EMERGENCY_KINDS and not is_warning(r)]
        health = self.devices(device_ids)
        silent = [
            d
            for d in health
            if d.silent_s is not None and d.silent_s > SILENT_BEATS * self._heartbeat_s
        ]
        troubled = [d for d in health if d.trouble and d not in silent]
        return Board(
            tuple(emergencies), tuple(warnings), tuple(others), tuple(silent), tuple(troubled)
        )

    def request(self, request_id: str) -> tuple[CareRecord, list[Event]] | None:
        """A request and its audit trail, oldest first."""
        record = self._contract.get_request(request_id)
        if record is None:
            return None
        with self._db.read() as conn:
            rows = conn.execute(
                select(request_events)
                .where(request_events.c.request_seq == record.seq)
                .order_by(request_events.c.id)
            )
            events = [Event(r.at, r.actor, r.action, dict(r.detail)) for r in rows]
        return record, events

    def recent(self, device_ids: Sequence[str], days: int = 28) -> list[CareRecord]:
        """The requests of these devices received in the last ``days``, newest first."""
        since = self._clock() - days * 86400
        with self._db.read() as conn:
            rows = conn.execute(
                select(requests)
                .where(
                    requests.c.device_id.in_(device_ids),
                    requests.c.received_ts >= since,
                )
                .order_by(requests.c.seq.desc())
            )
            return [record_of(r) for r in rows]

    def provider_jobs(self, provider_id: int) -> list[CareRecord]:
        """A provider's jobs, open ones first, newest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(requests)
                .where(requests.c.provider_id == provider_id)
                .order_by(requests.c.seq.desc())
            )
            records = [record_of(r) for r in rows]
        return sorted(records, key=lambda r: r.status not in OPEN)

    def providers(self) -> list[tuple[int, str]]:
        """Every provider: (id, name)."""
        with self._db.read() as conn:
            rows = conn.execute(select(providers.c.id, providers.c.name).order_by(providers.c.name))
            return [(int(r.id), str(r.name)) for r in rows]

    def devices(self, device_ids: Sequence[str] | None = None) -> list[DeviceHealth]:
        """Every device (or these) with its last heartbeat."""
        query = select(
            devices,
            heartbeats.c.received_at.label("beat_at"),
            heartbeats.c.received_ts,
            heartbeats.c.body,
        ).outerjoin(heartbeats, heartbeats.c.device_id == devices.c.device_id)
        if device_ids is not None:
            query = query.where(devices.c.device_id.in_(device_ids))
        now = self._clock()
        with self._db.read() as conn:
            rows = list(conn.execute(query.order_by(devices.c.device_id)))
        return [_health(row, now) for row in rows]

    def family_views(self, device_ids: Sequence[str]) -> list[FamilyView]:
        """Each of these elders' last ``WEEKS`` weeks, open requests and warnings."""
        now = self._clock()
        start = now - WEEKS * 7 * 86400
        names = {d.device_id: d.elder_name for d in self.devices(device_ids)}
        out = []
        for device_id in device_ids:
            records = [r for r in self.recent([device_id], WEEKS * 7) if r.received_ts >= start]
            weeks = tuple(
                _week(records, now - (n + 1) * 7 * 86400, now - n * 7 * 86400) for n in range(WEEKS)
            )
            open_ones = tuple(r for r in records if r.status in OPEN and not is_warning(r))
            warnings = tuple(r for r in records if is_warning(r))[:20]
            out.append(FamilyView(device_id, names.get(device_id, ""), weeks, open_ones, warnings))
        return out

    # Changes

    def acknowledge(self, request_id: str, actor: str, note: str | None) -> CareRecord:
        """A person saw it; the device may now say so (and the note)."""
        note = _text(note, "note", 500) if note else None
        record = self._contract.acknowledge(request_id, note, keep_note=not note, actor=actor)
        if record is None:
            raise CareError(f"no request {request_id}")
        return record

    def dispatch(self, request_id: str, actor: str, provider_id: int) -> CareRecord:
        """Give a request to a provider (its job list shows it; it accepts or declines)."""
        with self._db.write() as conn:
            record = self._open(conn, request_id)
            if not 0 < provider_id < 2**31:
                raise CareError("no such provider")
            name = conn.execute(
                select(providers.c.name).where(providers.c.id == provider_id)
            ).scalar()
            if name is None:
                raise CareError("no such provider")
            self._change(
                conn,
                record,
                actor,
                "dispatch",
                {"provider": name},
                provider_id=provider_id,
                provider=name,
            )
        return self._get(request_id)

    def add_note(self, request_id: str, actor: str, note: str) -> CareRecord:
        """A note for the elder (said when the device next asks) and the trail."""
        note = _text(note, "note")
        with self._db.write() as conn:
            record = self._found(conn, request_id)
            self._change(conn, record, actor, "note", {"note": note}, only_open=False, note=note)
        return self._get(request_id)

    def close(self, request_id: str, actor: str, status: str, outcome: str) -> CareRecord:
        """Close a request: completed, cancelled or rejected, with what came of it."""
        if status not in CLOSING:
            raise CareError(f"a request is closed as one of {', '.join(CLOSING)}")
        outcome = _text(outcome, "outcome")
        with self._db.write() as conn:
            record = self._open(conn, request_id)
            self._change(
                conn,
                record,
                actor,
                "close",
                {"status": status, "outcome": outcome},
                status=status,
                outcome=outcome,
            )
        return self._get(request_id)

    def provider_answer(
        self, request_id: str, provider_id: int, actor: str, answer: str, text: str = ""
    ) -> CareRecord:
        """A provider's answer to its job: ``accept`` (with an ETA), ``decline`` (back to
        the operators) or ``done`` (with what was done)."""
        text = _text(text, "text", 500, empty=True)
        with self._db.write() as conn:
            record = self._open(conn, request_id)
            if record.provider_id != provider_id:
                raise CareError(f"{request_id} is not one of your jobs")
            if answer == "accept":
                self._change(
                    conn,
                    record,
                    actor,
                    "accept",
                    {"eta": text},
                    status="accepted",
                    eta=text or None,
                )
            elif answer == "decline":
                self._change(
                    conn,
                    record,
                    actor,
                    "decline",
                    {"why": text},
                    status="received",
                    provider_id=None,
                    provider=None,
                    eta=None,
                )
            elif answer == "done":
                self._change(
                    conn,
                    record,
                    actor,
                    "done",
                    {"outcome": text},
                    status="completed",
                    outcome=text or "done",
                )
            else:
                raise CareError("answer accept, decline or done")
        return self._get(request_id)

    def set_device(self, device_id: str, actor: str, elder_name: str, address: str) -> None:
        """Name the elder a device serves, and the address (shown to operators only)."""
        with self._db.write() as conn:
            done = conn.execute(
                update(devices)
                .where(devices.c.device_id == device_id)
                .values(
                    elder_name=_text(elder_name, "name", 100),
                    address=_text(address, "address", 300, empty=True),
                )
                .returning(devices.c.device_id)
            ).first()
            if done is None:
                raise CareError(f"no device {device_id}")
            conn.execute(
                insert(audit).values(
                    at=iso_utc(self._clock()),
                    actor=actor,
                    action="device.set",
                    target=device_id,
                    detail={},
                )
            )

    def audit(self, actor: str, action: str, target: str, detail: JSONObject) -> None:
        """Keep a change that is not to a request (a menu, a schedule) in the audit."""
        with self._db.write() as conn:
            conn.execute(
                insert(audit).values(
                    at=iso_utc(self._clock()),
                    actor=actor,
                    action=action,
                    target=target,
                    detail=detail,
                )
            )

    # Helpers

    def _get(self, request_id: str) -> CareRecord:
        record = self._contract.get_request(request_id)
        assert record is not None, "changed a moment ago"
        return record

    def _found(self, conn: Connection, request_id: str) -> CareRecord:
        seq = _seq(request_id)
        row = conn.execute(select(requests).where(requests.c.seq == seq)).first()
        if row is None:
            raise CareError(f"no request {request_id}")
        return record_of(row)

    def _open(self, conn: Connection, request_id: str) -> CareRecord:
        record = self._found(conn, request_id)
        if record.status not in OPEN:
            raise CareError(f"{request_id} is {record.status} already")
        return record

    def _change(
        self,
        conn: Connection,
        record: CareRecord,
        actor: str,
        action: str,
        detail: JSONObject,
        only_open: bool = True,
        **values: Any,
    ) -> None:
        """Change the request as ``record`` saw it: still open (``only_open``), still
        with the same status and provider, else ``CareError`` (another person changed it
        meanwhile: the first change stands, the second is refused, never both)."""
        now = iso_utc(self._clock())
        query = update(requests).where(requests.c.seq == record.seq)
        if only_open:
            query = query.where(
                requests.c.status == record.status,
                requests.c.provider_id.is_(None)
                if record.provider_id is None
                else requests.c.provider_id == record.provider_id,
            )
        changed = conn.execute(
            query.values(updated_at=now, **values).returning(requests.c.seq)
        ).first()
        if changed is None:
            raise CareError(f"{record.id} was changed meanwhile: look at it again")
        conn.execute(
            insert(request_events).values(
                request_seq=record.seq, at=now, actor=actor, action=action, detail=detail
            )
        )


def is_warning(record: CareRecord) -> bool:
    """Whether a request is a health warning: a reading out of range, a missed dose or
    check-in, an elder not heard all morning."""
    if record.kind in ("checkin_missed", "inactivity_alert"):
        return True
    if record.kind == "medicine_event":
        return record.fields.get("event") == "missed"
    if record.kind == "health_report":
        return out_of_range(str(record.fields.get("measure")), str(record.fields.get("value")))
    return False


def out_of_range(measure: str, value: str) -> bool:
    """Whether a reading is outside ``HEALTH_LIMITS``."""
    limits = HEALTH_LIMITS.get(measure)
    if limits is None:
        return False
    try:
        numbers = [float(part) for part in value.split("/")]
    except ValueError:
        return False
    return any(not low <= n <= high for (low, high), n in zip(limits, numbers, strict=False))


def _health(row: Any, now: float) -> DeviceHealth:
    body = dict(row.body or {})
    problems = body.get("problems")
    backlog = body.get("outbox_backlog")
    return DeviceHealth(
        row.device_id,
        row.elder_name,
        row.address,
        row.beat_at,
        None if row.received_ts is None else max(0.0, now - float(row.received_ts)),
        tuple(str(p) for p in problems) if isinstance(problems, list) else (),
        backlog if isinstance(backlog, int) else None,
        body.get("disk_full") is True,
        body.get("version") if isinstance(body.get("version"), str) else None,
    )


def _seq(request_id: str) -> int:
    digits = request_id[1:]
    if (
        request_id[:1] != "R"
        or not 6 <= len(digits) <= 12
        or not digits.isascii()
        or not digits.isdigit()
    ):
        raise CareError(f"no request {request_id[:20]}")
    return int(digits)


def _text(value: str, what: str, most: int = 500, empty: bool = False) -> str:
    value = value.strip()
    if (not value and not empty) or len(value) > most:
        raise CareError(f"the {what} is 1-{most} characters")
    return value


def _week(records: Sequence[CareRecord], start: float, end: float) -> Week:
    inside = [r for r in records if start < r.received_ts <= end]
    doses = [r for r in inside if r.kind == "medicine_event"]
    taken = [r for r in doses if r.fields.get("event") == "taken"]
    late = sum(1 for r in taken if _late(r.fields))
    missed = sum(1 for r in doses if r.fields.get("event") == "missed")
    checkins = sum(1 for r in inside if r.kind == "checkin_missed")
    day = datetime.fromtimestamp(start, UTC).date().isoformat()
    return Week(day, len(taken) - late, late, missed, checkins)


def _late(fields: JSONObject) -> bool:
    try:
        due = datetime.fromisoformat(str(fields.get("due")))
        at = datetime.fromisoformat(str(fields.get("at")))
    except ValueError:
        return False
    if (due.tzinfo is None) != (at.tzinfo is None):
        return False
    return (at - due).total_seconds() > LATE_S
