"""When reminders come due: a schedule and the voice reminders in, occurrences out.

Receives a checked ``Schedule``, the voice reminders (``VoiceReminder``) and a timezone;
emits ``Occurrence`` values, each with an id made from what and when (``med/降压药/
2026-12-01T08:00``), so planning the same span twice yields the same ids and the
database (``assistant.reminders.firing``) keeps one row per occurrence.

The arithmetic of fire times (cron-style weekdays, every N days, start and end dates,
daylight-saving changes) is APScheduler's triggers; their scheduler and its misfire
policy are not used: firing is ours, durable and explicit (``assistant.reminders.firing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from assistant.values.occurrences import (
    CHECKIN,
    INACTIVITY,
    MEDICINE,
    VOICE,
    Occurrence,
    VoiceReminder,
)
from assistant.values.schedule import Days, Schedule

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PERIOD = re.compile(r"P(\d+)([DW])")


class _Trigger(Protocol):
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


@dataclass(frozen=True)
class _Source:
    """One trigger and the occurrence it makes at each fire time."""

    trigger: _Trigger
    kind: str
    key: str
    name: str = ""
    dose: str = ""
    meal: str = ""
    note: str = ""

    def at(self, moment: datetime) -> Occurrence:
        stamp = moment.strftime("%Y-%m-%dT%H:%M")
        ident = f"{self.kind[:3] if self.kind == MEDICINE else self.kind}/{self.key}{stamp}"
        return Occurrence(ident, self.kind, moment, self.name, self.dose, self.meal, self.note)


class Planner:
    """The occurrences of one schedule and set of voice reminders."""

    def __init__(self, schedule: Schedule, voice: tuple[VoiceReminder, ...], tz: ZoneInfo) -> None:
        self._tz = tz
        self._sources = [*_schedule_sources(schedule, tz), *_voice_sources(voice, tz)]

    def between(self, after: datetime, until: datetime) -> Iterator[Occurrence]:
        """Occurrences due in ``(after, until]``, in no particular order."""
        for source in self._sources:
            moment = source.trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
            while moment is not None and moment <= until:
                yield source.at(moment)
                moment = source.trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))

    def next_after(self, after: datetime) -> datetime | None:
        """The earliest due time after ``after`` (None: nothing is ever due again)."""
        times = [
            t
            for s in self._sources
            if (t := s.trigger.get_next_fire_time(None, after + timedelta(microseconds=1)))
        ]
        return min(times, default=None)

    def on_day(self, day: date, kinds: tuple[str, ...] = (MEDICINE,)) -> list[Occurrence]:
        """The occurrences of one local day, in time order."""
        start = datetime.combine(day, time(0), self._tz)
        found = self.between(start - timedelta(microseconds=1), start + timedelta(days=1))
        return sorted((o for o in found if o.kind in kinds and o.due.date() == day),
                      key=lambda o: (o.due, o.name))  # fmt: skip


def _schedule_sources(schedule: Schedule, tz: ZoneInfo) -> Iterator[_Source]:
    for medicine in schedule.medicines:
        start = datetime.combine(medicine.start, time(0), tz) if medicine.start else None
        end = datetime.combine(medicine.end, time(23, 59, 59), tz) if medicine.end else None
        for moment in medicine.times:
            trigger = _days_trigger(medicine.days, moment, tz, start, end, medicine.start)
            yield _Source(trigger, MEDICINE, f"{medicine.name}/", medicine.name, medicine.dose,
                          medicine.meal, medicine.note)  # fmt: skip
    if schedule.checkin is not None:
        trigger = _days_trigger(schedule.checkin.days, schedule.checkin.time, tz, None, None, None)
        yield _Source(trigger, CHECKIN, "")
    if schedule.inactivity is not None:
        by = schedule.inactivity.by
        yield _Source(CronTrigger(hour=by.hour, minute=by.minute, timezone=tz), INACTIVITY, "")


def _days_trigger(
    days: Days,
    moment: time,
    tz: ZoneInfo,
    start: datetime | None,
    end: datetime | None,
    first_day: date | None,
) -> _Trigger:
    if days.rule == "every":
        assert first_day is not None, "the schedule check requires a start for every N days"
        first = datetime.combine(first_day, moment, tz)
        every: _Trigger = IntervalTrigger(days=days.every_n, start_date=first, end_date=end,
                                          timezone=tz)  # fmt: skip
        return every
    weekdays = {
        "daily": "*",
        "weekdays": "mon-fri",
        "weekends": "sat,sun",
        "weekly": ",".join(_WEEKDAYS[d] for d in days.weekdays),
    }[days.rule]
    cron: _Trigger = CronTrigger(day_of_week=weekdays, hour=moment.hour, minute=moment.minute,
                                 start_date=start, end_date=end, timezone=tz)  # fmt: skip
    return cron


def _voice_sources(voice: tuple[VoiceReminder, ...], tz: ZoneInfo) -> Iterator[_Source]:
    for reminder in voice:
        trigger = voice_trigger(reminder.spec, tz)
        if trigger is not None:
            yield _Source(trigger, VOICE, f"{reminder.id}/", reminder.what)


def voice_trigger(spec: str, tz: ZoneInfo) -> _Trigger | None:
    """The trigger of a ``set_reminder.when`` value (None: not a time that can fire)."""
    try:
        if not spec.startswith("R/"):
            moment = datetime.fromisoformat(spec)
            if moment.tzinfo is None:
                return None
            once: _Trigger = DateTrigger(run_date=moment.astimezone(tz), timezone=tz)
            return once
        _, first_text, period = spec.split("/")
        first = datetime.fromisoformat(first_text).astimezone(tz)
    except ValueError:
        return None
    match = _PERIOD.fullmatch(period)
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2)
    if count == 1:
        weekday = _WEEKDAYS[first.weekday()] if unit == "W" else "*"
        daily: _Trigger = CronTrigger(day_of_week=weekday, hour=first.hour, minute=first.minute,
                                      start_date=first, timezone=tz)  # fmt: skip
        return daily
    days = count * (7 if unit == "W" else 1)
    spaced: _Trigger = IntervalTrigger(days=days, start_date=first, timezone=tz)
    return spaced
