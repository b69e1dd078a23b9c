"""Reminding: each occurrence of the schedule said at its time, answered, or reported.

Receives the passing of time (``tick``) and the elder's answers (``snooze``, ``wait``);
emits ``Prompt`` (say a reminder now) and ``Lapsed`` (a reminder nobody answered, or one
that came due while the device was off: the dialogue relays it). Every occurrence is a
row of the ``occurrences`` table, keyed by ``Occurrence.id``, so nothing fires twice and
nothing is skipped without a trace. An occurrence's life::

    (planned) ──less than late_fire_min late──► due ──said──► sounding ──answered──► done
        │                                        ▲   (repeats, louder) │
        │                                        └──snoozed────────────┤
        └──older (the device was off)──► overdue ◄──no answer after the repeats──┘
                                           └──relayed with its record──► done

Planning covers ``(planned_until, now]`` and moves ``planned_until`` in the same
transaction as the rows it inserts; after a restart it resumes where it stopped, so time
that passed while the device was off is planned too (at most ``MAX_CATCH_UP_S``). A
reminder waits while XiaoAn is busy (a question open, an emergency on) and fires when it
is free. "Done" is written by a record that settles the occurrence (``Record.settles``),
in the same transaction as the record and its request; the only other ways are an
inactivity time passed with the elder heard (``active``) and a voice reminder removed
(``removed``), neither of which is reported.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.reminders.planner import Planner
from assistant.storage.database import Database, dumps, get_value, put_value, transaction
from assistant.values.occurrences import INACTIVITY, MEDICINE, Occurrence, VoiceReminder
from assistant.values.prompts import (
    DEVICE_OFF,
    INACTIVE,
    NO_ANSWER,
    Event,
    Lapsed,
    Prompt,
    Sounding,
)
from assistant.values.schedule import Reminding, Schedule

_LOGGER = logging.getLogger(__name__)
DUE, SOUNDING, OVERDUE, DONE = "due", "sounding", "overdue", "done"
MAX_CATCH_UP_S = 3 * 86400.0
"""Time off the device plans for after a restart (a clock set years ahead must not
report years of missed doses)."""
MAX_WAIT_S = 2 * 3600.0
"""The longest an open reminder waits (the longest snooze); longer only after the clock
went back."""
PLANNED_UNTIL = "reminders.planned_until"
LAST_HEARD = "reminders.last_heard"


_UNPLANNABLE = (OverflowError, ValueError, ArithmeticError)
"""What planning a schedule the calendar cannot hold raises."""


class Reminders:
    """The reminder schedule at work, over the ``occurrences`` table."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float],
        tz: ZoneInfo,
        schedule: Callable[[], Schedule],
        resay: bool = True,
    ) -> None:
        self._db = db
        self._clock = clock
        self._tz = tz
        self._schedule_of = schedule
        self._schedule = Schedule()
        self._planner = Planner(self._schedule, (), tz)
        self._next_plan: float | None = 0.0
        """When the planner next has something to insert (None: never)."""
        self._next_row: float | None = 0.0
        """When an open row next needs attention (None: no open row)."""
        self.problem = ""
        """Why the reminders cannot be planned ("" when they can)."""
        self.reload()
        self._last_now = float("-inf")
        if resay:
            self._after_a_stop()

    @property
    def schedule(self) -> Schedule:
        """The schedule in force."""
        return self._schedule

    @property
    def reminding(self) -> Reminding:
        """How reminders repeat."""
        return self._schedule.reminding

    def reload(self) -> None:
        """Take up a new schedule or a changed set of voice reminders; one that cannot be
        planned (a date the calendar cannot hold) is set aside, and ``problem`` says so."""
        self._schedule = self._schedule_of()
        self._planner = Planner(self._schedule, self.voice_reminders(), self._tz)
        self._next_plan = self._next_row = 0.0
        self.problem = ""
        try:
            self._planner.next_after(self._local(self._clock()))
        except _UNPLANNABLE as err:
            self._set_aside(err)

    def _set_aside(self, err: Exception) -> None:
        """Run without the schedule and the voice reminders: they cannot be planned."""
        self.problem = (
            "the reminders cannot be planned (a date or repeat the calendar cannot hold): "
            "no reminders until the schedule is installed again "
            "(`assistant reminders validate FILE`, then `install`)"
        )
        _LOGGER.error("%s (%s)", self.problem, type(err).__name__)
        self._schedule = Schedule()
        self._planner = Planner(self._schedule, (), self._tz)
        self._next_plan = self._next_row = 0.0

    def next_wakeup(self) -> float | None:
        """When ``tick`` next has something to do (None: nothing, ever)."""
        times = [t for t in (self._next_plan, self._next_row) if t is not None]
        return min(times, default=None)

    def _after_a_stop(self) -> None:
        """On start, what the stop left open: a reminder whose turn came more than
        ``late_fire_min`` ago while XiaoAn was off (never said, snoozed, or between two
        sayings) is missed (``device_off``) and reported, as if it had come due then; one
        left sounding is said again at once, as a repeat (the stop may have cut it short)."""
        now = self._clock()
        stale = now - 60.0 * self.reminding.late_fire_min
        with self._db.connect() as conn, transaction(conn):
            conn.execute(
                "UPDATE occurrences SET state = ?, reason = ? WHERE state IN (?, ?)"
                " AND kind != ? AND next_at < ?",
                (OVERDUE, DEVICE_OFF, DUE, SOUNDING, INACTIVITY, stale),
            )
            conn.execute(
                "UPDATE occurrences SET next_at = MIN(next_at, ?) WHERE state = ?",
                (now, SOUNDING),
            )

    def tick(self, idle: Callable[[], bool]) -> list[Event]:
        """Plan, then what to relay and (when ``idle()``) what to say now."""
        now = self._clock()
        if now < self._last_now - 1.0:  # the clock went back: a repeat must not wait for it
            with self._db.connect() as conn, transaction(conn):
                _clamp_waits(conn, now)
            self._next_plan = self._next_row = 0.0
        self._last_now = now
        if self._next_plan is not None and now >= self._next_plan:
            try:
                self._plan(now)
            except _UNPLANNABLE as err:
                self._set_aside(err)
        if self._next_row is None or now < self._next_row:
            return []
        with self._db.connect() as conn:
            events: list[Event] = [*self._lapses(conn, now)]
            prompt = self._prompt(conn, now) if idle() else None
            self._next_row = _next_open(conn)
        if prompt is not None:
            events.append(prompt)
        return events

    def sounding(self) -> list[Sounding]:
        """The reminders said and not answered, most recent due time first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM occurrences WHERE state = ? ORDER BY due_at DESC, id",
                (SOUNDING,),
            ).fetchall()
        return [Sounding(_occurrence(r, self._tz), int(r["sayings"])) for r in rows]

    def snooze(self, ids: Iterable[str], minutes: float) -> None:
        """Say these again in ``minutes``, with the repeats counted afresh."""
        until = self._clock() + 60.0 * minutes
        self._update(ids, "state = ?, sayings = 0, next_at = ?, reason = 'snoozed'", (DUE, until))

    def wait(self, ids: Iterable[str]) -> None:
        """The elder said yes (好的) but not done: ask again after the repeat interval."""
        until = self._clock() + 60.0 * self.reminding.repeat_every_min
        self._update(ids, "next_at = ?", (until,), state=SOUNDING)

    def voice_reminders(self) -> tuple[VoiceReminder, ...]:
        """The reminders set by voice and not removed, oldest first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, spec, what FROM voice_reminders WHERE active = 1 ORDER BY id"
            ).fetchall()
        return tuple(VoiceReminder(int(r["id"]), str(r["spec"]), str(r["what"])) for r in rows)

    def add_voice(self, spec: str, what: str) -> int:
        """Keep a reminder set by voice (on disk before XiaoAn repeats it back)."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "INSERT INTO voice_reminders (created_at, spec, what) VALUES (?, ?, ?)",
                (self._clock(), spec, what),
            )
        self.reload()
        return int(cur.lastrowid or 0)

    def remove_voice(self, ident: int) -> bool:
        """Remove a voice reminder (kept on record, inactive); its sounding and pending
        occurrences are settled as removed."""
        with self._db.connect() as conn, transaction(conn):
            cur = conn.execute(
                "UPDATE voice_reminders SET active = 0 WHERE id = ? AND active = 1", (ident,)
            )
            conn.execute(
                "UPDATE occurrences SET state = ?, outcome = 'removed', resolved_at = ?"
                " WHERE kind = 'voice' AND id LIKE ? AND state != ?",
                (DONE, self._clock(), f"voice/{ident}/%", DONE),
            )
        self.reload()
        return cur.rowcount == 1

    def heard(self) -> None:
        """The elder said something (for the inactivity alert)."""
        with self._db.connect() as conn, transaction(conn):
            put_value(conn, LAST_HEARD, str(self._clock()))

    def occurrences_on(
        self, day: datetime, kinds: tuple[str, ...] = (MEDICINE,)
    ) -> list[tuple[Occurrence, str]]:
        """One local day's occurrences with what became of each: the outcome (the settling
        record's kind), ``missed`` while overdue, the state while open, ``planned``."""
        planned = self._planner.on_day(day.date(), kinds)
        ids = [o.id for o in planned]
        marks = ",".join("?" * len(ids))
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT id, state, outcome FROM occurrences WHERE id IN ({marks})", ids
            ).fetchall()
        known = {r["id"]: _outcome(r) for r in rows}
        return [(o, known.get(o.id, "planned")) for o in planned]

    def planned(self, after: datetime, within_s: float) -> list[Occurrence]:
        """Every occurrence due in ``(after, after + within_s]``, earliest first."""
        found = self._planner.between(after, after + timedelta(seconds=within_s))
        return sorted(found, key=lambda o: (o.due, o.kind, o.name))

    def history(self, since: float) -> list[dict[str, Any]]:
        """What became of the occurrences due since ``since``, oldest first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM occurrences WHERE due_at >= ? ORDER BY due_at, id", (since,)
            ).fetchall()
        out = []
        for row in rows:
            occurrence = _occurrence(row, self._tz)
            said = row["first_said_at"]
            outcome = _outcome(row)
            resolved = row["resolved_at"] if row["outcome"] == "medicine_taken" else None
            late = float(resolved) - float(row["due_at"]) if resolved else None
            out.append({"due": occurrence.due.isoformat(), "kind": occurrence.kind,
                        "name": occurrence.name, "outcome": outcome, "why": row["reason"],
                        "sayings": int(row["sayings"]), "late_s": late,
                        "first_said_late_s": float(said) - float(row["due_at"]) if said
                        else None})  # fmt: skip
        return out

    def upcoming(self, after: datetime, within_s: float) -> list[Occurrence]:
        """Medicine occurrences due in ``(after, after + within_s]``, earliest first."""
        return [o for o in self.planned(after, within_s) if o.kind == MEDICINE]

    # --- planning -------------------------------------------------------------------

    def _plan(self, now: float) -> None:
        with self._db.connect() as conn, transaction(conn):
            stored = get_value(conn, PLANNED_UNTIL)
            since = float(stored) if stored else now - 60.0 * self.reminding.late_fire_min
            if now - since > MAX_CATCH_UP_S:
                _LOGGER.warning("the device was off (or its clock moved) for %.0f h: "
                                "reminders of the last %.0f h only are reported",
                                (now - since) / 3600, MAX_CATCH_UP_S / 3600)  # fmt: skip
                since = now - MAX_CATCH_UP_S
            if now < since - 1.0:  # started on a clock behind the last one (no RTC, NTP)
                _clamp_waits(conn, now)
            if now > since:
                start, end = self._local(since), self._local(now)
                for occurrence in self._planner.between(start, end):
                    self._insert(conn, occurrence, now)
                put_value(conn, PLANNED_UNTIL, str(now))
        after = self._planner.next_after(self._local(max(now, since)))
        self._next_plan = after.timestamp() if after else None
        self._next_row = 0.0

    def _insert(self, conn: sqlite3.Connection, occurrence: Occurrence, now: float) -> None:
        due = occurrence.due.timestamp()
        late = now - due > 60.0 * self.reminding.late_fire_min and occurrence.kind != INACTIVITY
        state, reason = (OVERDUE, DEVICE_OFF) if late else (DUE, "")
        taken_early = conn.execute(
            "SELECT kind FROM records WHERE json_extract(data, '$.occurrence') = ? LIMIT 1",
            (occurrence.id,),
        ).fetchone()
        if taken_early:
            state, reason = DONE, ""
        conn.execute(
            "INSERT OR IGNORE INTO occurrences (id, kind, due_at, data, state, reason, next_at,"
            " outcome, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (occurrence.id, occurrence.kind, due, dumps(occurrence.data), state, reason, due,
             taken_early[0] if taken_early else "", now if taken_early else None),
        )  # fmt: skip

    # --- what to say, what to relay ---------------------------------------------------

    def _lapses(self, conn: sqlite3.Connection, now: float) -> list[Lapsed]:
        """Sounding rows past their last repeat become overdue; every overdue row is given
        to the dialogue to relay (again after a failed write: it stays overdue)."""
        ended = conn.execute(  # read first: no write (and no fsync) on most ticks
            "SELECT 1 FROM occurrences WHERE next_at <= ? AND ((state = ? AND sayings > ?)"
            " OR (state = ? AND kind = ?)) LIMIT 1",
            (now, SOUNDING, self.reminding.repeats, DUE, INACTIVITY),
        ).fetchone()
        if ended:
            with transaction(conn):
                conn.execute(
                    "UPDATE occurrences SET state = ?, reason = ? WHERE state = ?"
                    " AND next_at <= ? AND sayings > ?",
                    (OVERDUE, NO_ANSWER, SOUNDING, now, self.reminding.repeats),
                )
                self._check_inactivity(conn, now)
        rows = conn.execute(
            "SELECT * FROM occurrences WHERE state = ? ORDER BY due_at, id", (OVERDUE,)
        ).fetchall()
        heard = get_value(conn, LAST_HEARD)
        return [Lapsed(_occurrence(r, self._tz), str(r["reason"]), int(r["sayings"]),
                       float(heard) if heard else None, r["first_said_at"] is not None)
                for r in rows]  # fmt: skip

    def _check_inactivity(self, conn: sqlite3.Connection, now: float) -> None:
        """An inactivity time that came: overdue if nothing was heard since the day began
        (the end of quiet hours, or midnight), else done."""
        rows = conn.execute(
            "SELECT id, due_at FROM occurrences WHERE kind = ? AND state = ? AND next_at <= ?",
            (INACTIVITY, DUE, now),
        ).fetchall()
        heard = float(get_value(conn, LAST_HEARD) or 0.0)
        for row in rows:
            active = heard >= self._day_start(float(row["due_at"]))
            conn.execute(
                "UPDATE occurrences SET state = ?, reason = ?, outcome = ?, resolved_at = ?"
                " WHERE id = ?",
                (DONE, "", "active", now, row["id"]) if active
                else (OVERDUE, INACTIVE, "", None, row["id"]),
            )  # fmt: skip

    def _day_start(self, due_at: float) -> float:
        due = self._local(due_at)
        quiet = self._schedule.quiet_hours
        start = datetime.combine(due.date(), quiet.end if quiet else time(0), self._tz)
        return (start if start <= due else start - timedelta(days=1)).timestamp()

    def _prompt(self, conn: sqlite3.Connection, now: float) -> Prompt | None:
        """The reminders whose time has come: a first saying, or a repeat."""
        row = conn.execute(
            "SELECT * FROM occurrences WHERE state IN (?, ?) AND kind != ? AND next_at <= ?"
            " ORDER BY next_at, due_at, id LIMIT 1",
            (DUE, SOUNDING, INACTIVITY, now),
        ).fetchone()
        if row is None:
            return None
        group = [row]
        if row["kind"] == MEDICINE:  # medicines of the same minute, said in one breath
            group = conn.execute(
                "SELECT * FROM occurrences WHERE state = ? AND kind = ? AND next_at <= ?"
                " AND sayings = ? ORDER BY id",
                (row["state"], MEDICINE, now, row["sayings"]),
            ).fetchall()
        saying = int(row["sayings"]) + 1
        next_at = now + 60.0 * self.reminding.repeat_every_min
        with transaction(conn):
            for item in group:
                conn.execute(
                    "UPDATE occurrences SET state = ?, sayings = ?, next_at = ?,"
                    " first_said_at = COALESCE(first_said_at, ?) WHERE id = ?",
                    (SOUNDING, saying, next_at, now, item["id"]),
                )
        order = {m.name: i for i, m in enumerate(self._schedule.medicines)}
        occurrences = tuple(sorted((_occurrence(r, self._tz) for r in group),
                                   key=lambda o: order.get(o.name, len(order))))  # fmt: skip
        late = now - float(row["due_at"]) if saying == 1 and row["reason"] != "snoozed" else 0.0
        quiet = self._schedule.quiet_hours
        in_quiet = quiet is not None and quiet.contains(self._local(now).time())
        return Prompt(occurrences, saying, late, in_quiet)

    def _update(
        self, ids: Iterable[str], assignments: str, args: tuple[object, ...], state: str = ""
    ) -> None:
        names = list(ids)
        if not names:
            return
        marks = ",".join("?" * len(names))
        guard = " AND state = ?" if state else " AND state != 'done'"
        with self._db.connect() as conn, transaction(conn):
            conn.execute(
                f"UPDATE occurrences SET {assignments} WHERE id IN ({marks}){guard}",
                (*args, *names, *((state,) if state else ())),
            )
        self._next_row = 0.0

    def _local(self, stamp: float) -> datetime:
        return datetime.fromtimestamp(stamp, self._tz)


def _outcome(row: sqlite3.Row) -> str:
    """What became of an occurrence: the settling record's kind, ``missed`` while it waits
    to be reported, else its state (due, sounding)."""
    return str(row["outcome"] or ("missed" if row["state"] == OVERDUE else row["state"]))


def _occurrence(row: sqlite3.Row, tz: ZoneInfo) -> Occurrence:
    data = json.loads(row["data"])
    due = datetime.fromtimestamp(float(row["due_at"]), tz)
    return Occurrence(str(row["id"]), str(row["kind"]), due, str(data.get("name", "")),
                      str(data.get("dose", "")), str(data.get("meal", "")),
                      str(data.get("note", "")))  # fmt: skip


def _clamp_waits(conn: sqlite3.Connection, now: float) -> None:
    """Bring forward open reminders waiting longer than any wait can be (``MAX_WAIT_S``)."""
    conn.execute(
        "UPDATE occurrences SET next_at = ? WHERE state IN (?, ?) AND next_at > ?",
        (now, DUE, SOUNDING, now + MAX_WAIT_S),
    )


def _next_open(conn: sqlite3.Connection) -> float | None:
    value = conn.execute(
        "SELECT MIN(next_at) FROM occurrences WHERE state IN (?, ?, ?)", (DUE, SOUNDING, OVERDUE)
    ).fetchone()[0]
    return float(value) if value is not None else None
