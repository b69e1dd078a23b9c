"""The outbox: every request for the care platform, committed to disk before the elder
hears that it was taken, and drained by ``assistant.relay.sender``.

Receives ``Outgoing`` requests (with local ``records`` written in the same transaction);
emits ``OutboxRow`` values for the sender, most urgent first. A row's life::

    pending ──(2xx)──────────────► delivered ──(retention)──► purged
       │  └─(408/409/429/5xx, network: next_at = now + backoff)─┘
       └─(other 4xx, not an emergency)──► parked  ──(technician: retry)──► pending
                                                   ──(technician: drop, reason)──► dropped

The idempotency key is made once, when the row is written, and sent on every attempt, so
a retry after a lost answer is stored once by the platform.

On a full disk (``assistant.storage.space``): a request other than an emergency is refused
(``DiskFullError``) so that the room left stays for calls for help; an emergency that cannot
be written gives up the space reserve and is written again; and one that still cannot be
written is kept **in memory** and sent from there (``EmergencyNotStored`` tells the dialogue,
which says so). Such a row has a negative id, is written to disk as soon as there is room,
and is lost only if the process ends first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from assistant.errors import DiskFullError, StorageError
from assistant.storage.database import Database, dumps, transaction
from assistant.values.records import Record

PENDING, DELIVERED, PARKED, DROPPED = "pending", "delivered", "parked", "dropped"
EMERGENCY_PRIORITY = 0
"""Priority of emergencies and their follow-ups: sent before everything else."""

Lane = tuple[int, int]
"""A range of priorities (lowest, highest) that one sender drains."""
ALL: Lane = (0, 9)
EMERGENCY_LANE: Lane = (EMERGENCY_PRIORITY, EMERGENCY_PRIORITY)
"""Emergencies have a sender of their own, so no other request can hold one up."""
OTHER_LANE: Lane = (EMERGENCY_PRIORITY + 1, 9)


@dataclass(frozen=True)
class OutboxRow:
    """One request in the outbox."""

    id: int
    key: str
    """The Idempotency-Key, the same on every attempt."""
    kind: str
    priority: int
    body: dict[str, Any]
    created_at: float
    state: str
    attempts: int
    next_at: float
    last_error: str
    platform_id: str
    delivered_at: float | None
    after_keys: tuple[str, ...] = ()
    """Requests that must be delivered before this one."""

    @property
    def fields(self) -> dict[str, Any]:
        """The request's structured, kind-specific fields."""
        value = self.body.get("fields", {})
        return value if isinstance(value, dict) else {}

    @property
    def stored(self) -> bool:
        """Whether the row is on disk (an emergency the full disk refused is not)."""
        return self.id > 0


class EmergencyNotStored(DiskFullError):
    """The disk is full even without the reserve: the emergency is kept in memory and sent
    from there (``row``), and the elder must be told it was not recorded."""

    def __init__(self, message: str, row: OutboxRow) -> None:
        super().__init__(message)
        self.row = row


_UNBLOCKED = (
    "NOT EXISTS (SELECT 1 FROM json_each(outbox.after_keys) AS a"
    " JOIN outbox AS first ON first.key = a.value WHERE first.state = 'pending')"
)
"""SQL: the row waits for no pending request."""
_EMERGENCIES_FIRST = (
    "(outbox.priority = 0 OR NOT EXISTS (SELECT 1 FROM outbox AS e"
    " WHERE e.priority = 0 AND e.state = 'pending'))"
)
"""SQL: nothing but an emergency goes while an emergency waits (after an outage, the
emergency lane sends first; a parked or delivered one blocks nothing)."""


class Outbox:
    """Requests waiting for, or delivered to, the platform, in ``Database``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._unstored: list[OutboxRow] = []
        """Emergencies the full disk refused, sent from memory (negative ids)."""

    def add(
        self,
        kind: str,
        priority: int,
        body: Mapping[str, Any],
        now: float,
        records: Iterable[Record] = (),
        after: Iterable[str] = (),
    ) -> OutboxRow:
        """Commit a new request (and its records) to disk; returns its row. It is not due
        while a request named in ``after`` is still pending (a cancellation waits for
        what it cancels, so the platform never sees them the wrong way round). On a full
        disk see the module's docstring."""
        key, records = str(uuid.uuid4()), tuple(records)
        text, waits = dumps(dict(body)), dumps(list(after))
        if priority != EMERGENCY_PRIORITY:
            self._room_for_ordinary_writes()
            return self._insert(key, kind, priority, text, now, waits, records)
        try:
            return self._insert(key, kind, priority, text, now, waits, records)
        except DiskFullError as first:
            failure = first
        if self._db.space.release():  # the room kept for this moment
            try:
                return self._insert(key, kind, priority, text, now, waits, records)
            except DiskFullError as again:
                failure = again
        row = OutboxRow(0, key, kind, priority, dict(body), now, PENDING, 0, now, "", "",
                        None, tuple(after))  # fmt: skip
        with self._lock:
            row = replace(row, id=-1 - len(self._unstored))
            self._unstored.append(row)
        raise EmergencyNotStored(str(failure), row) from failure

    def _insert(
        self, key: str, kind: str, priority: int, body: str, now: float, after: str,
        records: tuple[Record, ...],
    ) -> OutboxRow:  # fmt: skip
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "INSERT INTO outbox (key, kind, priority, body, created_at, next_at, after_keys)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, kind, priority, body, now, now, after),
            )
            _insert_records(conn, records, now, key)
            row = conn.execute("SELECT * FROM outbox WHERE id = ?", (cur.lastrowid,)).fetchone()
        return _row(row)

    def _room_for_ordinary_writes(self) -> None:
        if self._db.space.full():
            raise DiskFullError(
                f"{self._db.path}: the disk is full: only emergencies are recorded until "
                "space is freed (`assistant doctor` says how)"
            )

    def record(self, records: Iterable[Record], now: float) -> None:
        """Commit local records that go with no request (refused on a full disk)."""
        self._room_for_ordinary_writes()
        with self._db.connect() as conn, transaction(conn):
            _insert_records(conn, records, now, "")

    def next_due(self, now: float, lane: Lane = ALL, skip: Iterable[str] = ()) -> OutboxRow | None:
        """The most urgent pending row of ``lane`` whose time has come: emergencies first,
        and nothing else while an emergency is pending (``skip``: keys not to give, such
        as deliveries the full disk would not let the sender mark)."""
        skipped = sorted(skip)
        if lane[0] == EMERGENCY_PRIORITY and self._unstored:
            self._store_unstored()  # on disk as soon as there is room (this lane only)
        if self._waits_for_unstored(lane):
            return None
        waiting = self._waiting_in_memory(delivered=set(skipped))
        if waiting:
            due = [r for r in waiting if r.next_at <= now and r.key not in skipped]
            return min(due, key=lambda r: r.next_at) if due else None
        marks = ",".join("?" * len(skipped))
        unblocked = _UNBLOCKED.replace("'pending')", f"'pending' AND first.key NOT IN ({marks}))")
        return self._one(
            "SELECT * FROM outbox WHERE state = ? AND next_at <= ? AND priority BETWEEN ? AND ?"
            f" AND key NOT IN ({marks}) AND {unblocked} AND {_EMERGENCIES_FIRST}"
            " ORDER BY priority, next_at, id LIMIT 1",
            (PENDING, now, *lane, *skipped, *skipped),
        )

    def next_wakeup(self, lane: Lane = ALL) -> float | None:
        """When the earliest pending row of ``lane`` is due (None: nothing pending)."""
        if self._waits_for_unstored(lane):
            return float("inf")  # until the emergencies' lane sent them
        waiting = self._waiting_in_memory()
        if waiting:
            return min(r.next_at for r in waiting)
        with self._db.connect() as conn:
            value = conn.execute(
                "SELECT MIN(next_at) FROM outbox WHERE state = ? AND priority BETWEEN ? AND ?"
                f" AND {_UNBLOCKED} AND {_EMERGENCIES_FIRST}",
                (PENDING, *lane),
            ).fetchone()[0]
        return float(value) if value is not None else None

    def _waits_for_unstored(self, lane: Lane) -> bool:
        """Whether ``lane`` (not the emergencies') waits for an unstored emergency:
        emergencies first."""
        if lane[0] == EMERGENCY_PRIORITY:
            return False
        with self._lock:
            return any(r.state == PENDING for r in self._unstored)

    def _waiting_in_memory(self, delivered: set[str] | None = None) -> list[OutboxRow]:
        """Unstored emergencies still to send, but those waiting for a pending row they
        name in ``after_keys`` (an escalation waits for its alarm, wherever it is; the
        emergencies' lane then sends from disk). ``delivered``: keys the platform has
        although the disk still says pending."""
        with self._lock:
            pending = [r for r in self._unstored if r.state == PENDING]
        if not pending:
            return []
        waited_for = {key for r in pending for key in r.after_keys}
        still = (self._pending_keys(waited_for) | {r.key for r in pending}) - (delivered or set())
        return [r for r in pending if not set(r.after_keys) & still]

    def _pending_keys(self, keys: set[str]) -> set[str]:
        """Which of ``keys`` are pending on disk (none known when the disk cannot say)."""
        if not keys:
            return set()
        names = sorted(keys)
        marks = ",".join("?" * len(names))
        try:
            with self._db.connect() as conn:
                rows = conn.execute(
                    f"SELECT key FROM outbox WHERE state = ? AND key IN ({marks})",
                    (PENDING, *names),
                ).fetchall()
        except StorageError:
            return set()
        return {str(r[0]) for r in rows}

    def unstored(self) -> list[OutboxRow]:
        """The emergencies kept in memory only (lost if the process ends now)."""
        with self._lock:
            return list(self._unstored)

    def _store_unstored(self) -> None:
        """Write the emergencies kept in memory to disk, if there is room now (called by
        the emergencies' sender only, between its attempts, so no attempt is under way)."""
        with self._lock:
            rows = list(self._unstored)
        for row in rows:
            try:
                with self._db.connect() as conn, transaction(conn):
                    conn.execute(
                        "INSERT OR IGNORE INTO outbox (key, kind, priority, body, created_at,"
                        " state, attempts, next_at, last_error, platform_id, delivered_at,"
                        " after_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (row.key, row.kind, row.priority, dumps(row.body), row.created_at,
                         row.state, row.attempts, row.next_at, row.last_error, row.platform_id,
                         row.delivered_at, dumps(list(row.after_keys))),
                    )  # fmt: skip
            except StorageError:
                return
            with self._lock:
                self._unstored = [r for r in self._unstored if r.key != row.key]

    def clamp_waits(self, now: float, longest_s: float, lane: Lane = ALL) -> int:
        """Bring forward rows waiting longer than ``longest_s`` from ``now``: after the
        clock was set back (a Raspberry Pi has no clock of its own until NTP answers), a
        retry must not wait for the old time to come round again."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "UPDATE outbox SET next_at = ? WHERE state = ? AND next_at > ?"
                " AND priority BETWEEN ? AND ?",
                (now, PENDING, now + longest_s, *lane),
            )
        return cur.rowcount

    def get(self, key: str) -> OutboxRow | None:
        """The row with this idempotency key."""
        with self._lock:
            kept = [r for r in self._unstored if r.key == key]
        return kept[0] if kept else self._one("SELECT * FROM outbox WHERE key = ?", (key,))

    def latest(self, kinds: Iterable[str], limit: int = 50) -> list[OutboxRow]:
        """The newest rows of these kinds, newest first (dropped rows left out)."""
        names = list(kinds)
        marks = ",".join("?" * len(names))
        with self._lock:
            kept = [r for r in reversed(self._unstored) if r.kind in names]
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM outbox WHERE kind IN ({marks}) AND state != ?"
                " ORDER BY id DESC LIMIT ?",
                (*names, DROPPED, limit),
            ).fetchall()
        merged = sorted([*kept, *(_row(r) for r in rows)], key=lambda r: -r.created_at)
        return merged[:limit]

    def delivered(self, row: OutboxRow, platform_id: str, now: float) -> None:
        """The platform stored the request."""
        self._attempted(row, state=DELIVERED, platform_id=platform_id, delivered_at=now,
                        last_error="")  # fmt: skip

    def retry_later(self, row: OutboxRow, error: str, next_at: float) -> None:
        """The attempt failed; try again at ``next_at``."""
        self._attempted(row, last_error=error, next_at=next_at)

    def park(self, row: OutboxRow, reason: str) -> None:
        """The platform refused the request; keep it, with the reason, for a technician."""
        self._attempted(row, state=PARKED, last_error=reason)

    def requeue(self, key: str, now: float) -> bool:
        """A technician sends a parked request again, or a waiting one now; False when no
        such row is parked or pending."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "UPDATE outbox SET state = ?, next_at = ? WHERE key = ? AND state IN (?, ?)",
                (PENDING, now, key, PARKED, PENDING),
            )
        return cur.rowcount == 1

    def drop(self, key: str, reason: str, now: float) -> bool:
        """A technician gives a request up: the row stays, marked with the reason, and an
        ``outbox_dropped`` record says what was dropped, when and why (never silent).
        False when there is no such row still to deliver."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "UPDATE outbox SET state = ?, last_error = ? WHERE key = ? AND state IN (?, ?)",
                (DROPPED, f"dropped: {reason}", key, PENDING, PARKED),
            )
            if cur.rowcount != 1:
                return False
            kind = conn.execute("SELECT kind FROM outbox WHERE key = ?", (key,)).fetchone()[0]
            record = Record("outbox_dropped", {"key": key, "kind": kind, "reason": reason})
            _insert_records(conn, [record], now, key)
        return True

    def by_id(self, row_id: int) -> OutboxRow | None:
        """The row with this number (what ``assistant outbox list`` shows)."""
        return self._one("SELECT * FROM outbox WHERE id = ?", (row_id,))

    def rows(self, states: Iterable[str], limit: int = 100) -> list[OutboxRow]:
        """Rows in these states, oldest first."""
        names = list(states)
        marks = ",".join("?" * len(names))
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY id LIMIT ?",
                (*names, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def oldest_pending(self) -> float | None:
        """When the oldest request still waiting for the platform was made."""
        with self._db.connect() as conn:
            value = conn.execute(
                "SELECT MIN(created_at) FROM outbox WHERE state = ?", (PENDING,)
            ).fetchone()[0]
        return float(value) if value is not None else None

    def purge(self, delivered_before: float) -> int:
        """Forget delivered rows older than the retention period; returns how many."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "DELETE FROM outbox WHERE state = ? AND delivered_at < ?",
                (DELIVERED, delivered_before),
            )
        return cur.rowcount

    def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        with self._db.connect() as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        out = {PENDING: 0, DELIVERED: 0, PARKED: 0, DROPPED: 0}
        out.update({r[0]: int(r[1]) for r in rows})
        for row in self.unstored():
            out[row.state] = out.get(row.state, 0) + 1
        return out

    def _one(self, sql: str, args: tuple[Any, ...]) -> OutboxRow | None:
        with self._db.connect() as conn:
            row = conn.execute(sql, args).fetchone()
        return _row(row) if row is not None else None

    def _attempted(self, row: OutboxRow, **changes: Any) -> None:
        """One more attempt at ``row``, with these columns changed (in memory for an
        unstored emergency)."""
        if not row.stored:
            with self._lock:
                kept = any(r.key == row.key for r in self._unstored)
                self._unstored = [
                    replace(r, attempts=r.attempts + 1, **changes) if r.key == row.key else r
                    for r in self._unstored
                ]
            if kept:
                return
        assignments = "".join(f"{name} = ?, " for name in changes)
        with self._db.connect() as conn, transaction(conn):  # by key: it may have moved in
            conn.execute(
                f"UPDATE outbox SET {assignments}attempts = attempts + 1 WHERE key = ?",
                (*changes.values(), row.key),
            )


def _insert_records(
    conn: sqlite3.Connection, records: Iterable[Record], now: float, key: str
) -> None:
    for record in records:
        conn.execute(
            "INSERT INTO records (kind, at, data, outbox_key) VALUES (?, ?, ?, ?)",
            (record.kind, now, dumps(dict(record.data)), key),
        )
        if record.settles:
            marks = ",".join("?" * len(record.overrides))
            conn.execute(
                "UPDATE occurrences SET state = 'done', outcome = ?, resolved_at = ?"
                f" WHERE id = ? AND (state != 'done' OR outcome IN ({marks}))",
                (record.kind, now, record.settles, *record.overrides),
            )


def _row(row: sqlite3.Row) -> OutboxRow:
    values = dict(row)
    values["body"] = json.loads(values["body"])
    values["after_keys"] = tuple(json.loads(values["after_keys"]))
    return OutboxRow(**values)
