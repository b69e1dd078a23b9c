"""Resolve what was said about time into ISO 8601 values (rules: ``docs/slots.md``).

Receives ``TimeFacts`` (the pieces an extractor found: a day, a weekday, a part of the
day, a clock time, an offset, a duration, a recurrence) and an aware "now"; emits
``TimeValue`` with the strings the slots carry. Language-free: the extractors fill the
facts (``intents.timesteps``, with the words and patterns of ``time_zh`` and ``time_en``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

PART_HOURS = {
    "early": 8, "morning": 9, "noon": 12, "afternoon": 15, "dusk": 18,
    "evening": 19, "night": 22, "dawn": 5,
}  # fmt: skip
"""Representative hour of a part of the day said without a clock time."""

_PM_PARTS = {"afternoon", "dusk", "evening"}


@dataclass
class TimeFacts:
    """Pieces of one time expression; ``spans`` are where they stood in the text."""

    day_offset: int | None = None
    weekday: int | None = None
    """0 = Monday."""
    week_shift: int | None = None
    """None: the coming one; 0: this calendar week; 1: next week; 2: the week after."""
    month: int | None = None
    day_of_month: int | None = None
    part: str | None = None
    """A key of ``PART_HOURS``."""
    hour: int | None = None
    minute: int = 0
    offset_minutes: int | None = None
    duration_minutes: int | None = None
    recurrence: str | None = None
    """ISO 8601 period of a repeating time: ``P1D`` or ``P1W``."""
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def has_day(self) -> bool:
        """A day was said (relative, weekday or date)."""
        return (
            self.day_offset is not None or self.weekday is not None or self.day_of_month is not None
        )

    @property
    def empty(self) -> bool:
        """Nothing about time was said."""
        return not self.spans


@dataclass(frozen=True)
class TimeValue:
    """Slot strings derived from the facts."""

    when: str | None = None
    """A date, a datetime, or a repeating interval ``R/<start>/<period>``."""
    date: str | None = None
    """The day only."""
    minutes: int | None = None
    """A duration or offset in minutes (for snoozing)."""


def resolve(facts: TimeFacts, now: datetime) -> TimeValue:
    """Apply the conventions of ``docs/slots.md`` to the facts; a time that falls outside
    the calendar (明天, said on 9999-12-31) resolves to nothing rather than failing."""
    try:
        return _resolve(facts, now)
    except (OverflowError, ValueError):
        return TimeValue()


def _resolve(facts: TimeFacts, now: datetime) -> TimeValue:
    minutes = facts.duration_minutes if facts.duration_minutes is not None else facts.offset_minutes
    if facts.offset_minutes is not None and not facts.has_day and facts.hour is None:
        later = now.replace(second=0, microsecond=0) + timedelta(minutes=facts.offset_minutes)
        return TimeValue(when=_iso(later), date=later.date().isoformat(), minutes=minutes)
    day = _day(facts, now)
    moment = _moment(facts, now, day)
    if facts.recurrence is not None:
        if moment is None:
            return TimeValue(minutes=minutes)
        return TimeValue(when=f"R/{_iso(moment)}/{facts.recurrence}", minutes=minutes)
    if moment is not None:
        return TimeValue(when=_iso(moment), date=day.isoformat() if day else None, minutes=minutes)
    if day is not None:
        return TimeValue(when=day.isoformat(), date=day.isoformat(), minutes=minutes)
    return TimeValue(minutes=minutes)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _day(facts: TimeFacts, now: datetime) -> date | None:
    today = now.date()
    if facts.day_offset is not None:
        return today + timedelta(days=facts.day_offset)
    if facts.weekday is not None:
        if facts.week_shift is None:
            return today + timedelta(days=(facts.weekday - today.weekday()) % 7)
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(days=7 * facts.week_shift + facts.weekday)
    if facts.day_of_month is not None:
        return _next_date(today, facts.month, facts.day_of_month)
    return None


def _next_date(today: date, month: int | None, day: int) -> date | None:
    candidates = []
    for year in (today.year, today.year + 1):
        for m in [month] if month else [today.month, today.month % 12 + 1]:
            y = year + (1 if not month and m < today.month else 0)
            try:
                candidates.append(date(y, m, day))
            except ValueError:
                continue
    future = sorted(c for c in candidates if c >= today)
    return future[0] if future else None


def _moment(facts: TimeFacts, now: datetime, day: date | None) -> datetime | None:
    if facts.hour is None and facts.part is None:
        return None
    if facts.hour is None:
        assert facts.part is not None
        hours = [PART_HOURS[facts.part]]
        minute = 0
    else:
        hours = _candidate_hours(facts.hour, facts.part)
        minute = facts.minute
    if day is not None:
        at_day = [_at(now, day, h, minute) for h in hours]
        later = [m for m in at_day if m > now] if day == now.date() else []
        return later[0] if later else at_day[0]
    for offset in (0, 1):
        for h in hours:
            moment = _at(now, now.date() + timedelta(days=offset), h, minute)
            if offset == 1 or moment > now:
                return moment
    return None


def _candidate_hours(hour: int, part: str | None) -> list[int]:
    if part in _PM_PARTS:
        return [hour + 12 if hour < 12 else hour]
    if part == "noon":
        return [hour + 12 if 1 <= hour <= 3 else hour]
    if part == "night":
        return [hour + 12 if 6 <= hour < 12 else hour % 24]
    if part is not None:
        return [hour % 24]
    if 1 <= hour <= 5:
        return [hour + 12]
    if 6 <= hour <= 11:
        return [hour, hour + 12]
    return [hour % 24]


def _at(now: datetime, day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=now.tzinfo)
