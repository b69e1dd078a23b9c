"""The device's state as skills read it, derived from the local database.

Nothing here is kept only in memory: an active emergency, the bookings, the doses taken
today and the volume are read back from ``$XIAOAN_HOME/data/xiaoan.db``, so a restart in
the middle of an emergency still knows the alarm is on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.relay.alarm_watch import acknowledgements
from assistant.relay.outbox import DELIVERED, PENDING, Outbox
from assistant.reminders.firing import Reminders
from assistant.storage.database import Database, get_value, put_value, transaction
from assistant.values.occurrences import Occurrence, VoiceReminder
from assistant.values.prompts import Sounding
from assistant.values.schedule import Reminding
from assistant.values.volume import VOLUME_MAX, VOLUME_MIN, volume_of
from skills.base import Alarm, Booking, MealOrder

EMERGENCY_WINDOW_S = 3600.0
"""An emergency stays active this long unless it is cancelled."""


class DeviceState:
    """``skills.base.LocalState`` over the database and the outbox."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        clock: Callable[[], float],
        tz: ZoneInfo,
        reminders: Reminders,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._clock = clock
        self._tz = tz
        self._reminders = reminders

    def bookings(self, service: str | None = None) -> list[Booking]:
        """Service bookings, newest first, with whether each was cancelled since."""
        rows = self._outbox.latest(("service_booking", "service_cancel"))
        cancelled = {r.fields.get("booking_key") for r in rows if r.kind == "service_cancel"}
        out = []
        for row in rows:
            if row.kind != "service_booking":
                continue
            name = str(row.fields.get("service", ""))
            if service is None or name == service:
                out.append(Booking(row.key, name, str(row.fields.get("when", "")), row.state,
                                   row.platform_id, row.key in cancelled))  # fmt: skip
        return out

    def meal_orders(self) -> list[MealOrder]:
        """Canteen orders, newest first, with whether each was cancelled since."""
        rows = self._outbox.latest(("meal_order", "meal_cancel"))
        cancelled = {r.fields.get("order_key") for r in rows if r.kind == "meal_cancel"}
        orders = []
        for row in rows:
            if row.kind != "meal_order":
                continue
            meal, day = str(row.fields.get("meal", "")), str(row.fields.get("date", ""))
            count = int(row.fields.get("count", 1))
            cancel = row.key in cancelled
            orders.append(MealOrder(row.key, meal, day, count, row.state, row.platform_id, cancel))
        return orders

    def active_emergency(self) -> Alarm | None:
        """The calls since the last cancellation that are of the last hour or still not
        delivered (an alarm that never got through stays on, however old)."""
        rows = self._outbox.latest(("emergency", "emergency_cancel"), limit=50)
        since = self._clock() - EMERGENCY_WINDOW_S
        calls = []
        for row in rows:
            if row.kind == "emergency_cancel":
                break
            if row.created_at >= since or row.state == PENDING:
                calls.append(row)
        if not calls:
            return None
        delivered = any(r.state == DELIVERED for r in calls)
        seen = acknowledgements(self._db, [r.key for r in calls])
        note = next((seen[r.key] for r in calls if seen.get(r.key)), "")
        return Alarm(calls[0].key, tuple(r.key for r in calls), bool(seen), delivered, note)

    def escalated(self, emergency_key: str) -> bool:
        """Whether the platform was already asked to notify the family for it."""
        rows = self._outbox.latest(("emergency_escalation",), limit=20)
        return any(
            emergency_key in (r.fields.get("emergency_key"), *r.fields.get("emergency_keys", []))
            for r in rows
        )

    def medicine_today(self) -> list[str]:
        """Medicines recorded as taken since midnight, in order."""
        now = datetime.fromtimestamp(self._clock(), self._tz)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT data FROM records WHERE kind = 'medicine_taken' AND at >= ? ORDER BY id",
                (midnight.timestamp(),),
            ).fetchall()
        return [str(json.loads(r[0]).get("medicine", "")) for r in rows]

    def sounding(self) -> list[Sounding]:
        """The reminders said and not answered yet, most recent first."""
        return self._reminders.sounding()

    def doses_on(self, day: datetime) -> list[tuple[Occurrence, str]]:
        """The scheduled doses of a day, each with what became of it."""
        return self._reminders.occurrences_on(day)

    def upcoming_doses(self, within_s: float) -> list[Occurrence]:
        """Scheduled doses due in the next ``within_s`` seconds, earliest first."""
        return self._reminders.upcoming(self._now(), within_s)

    def since_last_dose_s(self) -> float | None:
        """Seconds since a dose was last recorded taken (None: never)."""
        with self._db.connect() as conn:
            row = conn.execute(
                "SELECT MAX(at) FROM records WHERE kind = 'medicine_taken'"
            ).fetchone()
        return self._clock() - float(row[0]) if row[0] is not None else None

    def voice_reminders(self) -> tuple[VoiceReminder, ...]:
        """The reminders set by voice."""
        return self._reminders.voice_reminders()

    @property
    def reminding(self) -> Reminding:
        """How reminders repeat and snooze (the schedule's ``reminding``)."""
        return self._reminders.reminding

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), self._tz)

    def volume(self) -> int:
        """The speech volume, 1–10, remembered across restarts."""
        return volume_of(self.value("volume"))

    def step_volume(self, step: int) -> int:
        """Change the volume by ``step`` within 1–10; returns the new volume."""
        volume = max(VOLUME_MIN, min(VOLUME_MAX, self.volume() + step))
        self.set_value("volume", str(volume))
        return volume

    def value(self, name: str) -> str | None:
        """A small remembered value."""
        with self._db.connect() as conn:
            return get_value(conn, name)

    def set_value(self, name: str, value: str) -> None:
        """Remember a small value."""
        with self._db.connect() as conn, transaction(conn):
            put_value(conn, name, value)
