"""The family's reminder schedule, as checked values (read by
``assistant.reminders.schedule_file``).

A schedule names the medicines (name, dose, times, days, start and end dates, meal, note),
the daily check-in, the inactivity alert, quiet hours, who to notify, and how reminders
repeat. Times are wall-clock times in the device's timezone. Every value here has been
checked: code that receives a ``Schedule`` need not check it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

DayRule = Literal["daily", "weekdays", "weekends", "weekly", "every"]
Meal = Literal["", "before", "after", "with"]
"""When a dose goes with a meal: 饭前 (before), 饭后 (after), 随餐 (with); "" no rule."""


@dataclass(frozen=True)
class Days:
    """On which days something is due."""

    rule: DayRule = "daily"
    weekdays: tuple[int, ...] = ()
    """For ``weekly``: 0 = Monday … 6 = Sunday, sorted, no repeats."""
    every_n: int = 1
    """For ``every``: every N days counted from the medicine's ``start`` (N ≥ 2)."""

    def is_due(self, day: date, start: date | None) -> bool:
        """Whether ``day`` is one of these days (``start`` anchors ``every``)."""
        if self.rule == "weekdays":
            return day.weekday() < 5
        if self.rule == "weekends":
            return day.weekday() >= 5
        if self.rule == "weekly":
            return day.weekday() in self.weekdays
        if self.rule == "every":
            return start is not None and day >= start and (day - start).days % self.every_n == 0
        return True


@dataclass(frozen=True)
class Medicine:
    """One medicine and when it is taken."""

    name: str
    """As the family and the elder call it (降压药, 二甲双胍); unique in the schedule."""
    times: tuple[time, ...]
    """Times of day, sorted, no repeats, none in quiet hours."""
    dose: str = ""
    """How much, as said to the elder (一片, 两粒, 10 units)."""
    days: Days = field(default_factory=Days)
    start: date | None = None
    """First day (inclusive); None: from now on. Required for ``every`` N days."""
    end: date | None = None
    """Last day (inclusive); None: no end."""
    meal: Meal = ""
    note: str = ""
    """Said after the dose (多喝水, 不要和牛奶一起吃)."""
    line: int = 0
    """Line in the family's file where it is written (0: from the platform)."""

    def is_due(self, day: date) -> bool:
        """Whether the medicine is taken on ``day``."""
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day > self.end:
            return False
        return self.days.is_due(day, self.start)


@dataclass(frozen=True)
class CheckIn:
    """The daily check-in: 早上好，今天身体怎么样？ A reply of any kind counts."""

    time: time
    days: Days = field(default_factory=Days)


@dataclass(frozen=True)
class Inactivity:
    """No interaction at all (since the end of quiet hours, or midnight) by ``by``: alert."""

    by: time


@dataclass(frozen=True)
class QuietHours:
    """A span of the night (it may cross midnight) when XiaoAn starts no reminder."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether a time of day falls in the quiet hours (start inclusive, end exclusive)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class Contact:
    """Someone the platform tells about a missed dose or check-in."""

    name: str
    relation: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Reminding:
    """How a reminder repeats and how late it may still fire."""

    repeats: int = 3
    """Times a reminder is said again when nobody answers (0–10), each a little louder and
    slower; after the last, the dose is marked missed and the family is told."""
    repeat_every_min: float = 5.0
    """Minutes between two sayings of an unanswered reminder (1–60)."""
    snooze_min: int = 10
    """Minutes a reminder waits after 等会儿 without a number (1–120)."""
    late_fire_min: float = 30.0
    """A reminder that came due while the device was off fires on start if it is less than
    this many minutes late (0–240); an older one is recorded missed and reported."""
    early_taken_min: float = 60.0
    """A dose said taken up to this many minutes before it is due counts for it (0–180)."""


@dataclass(frozen=True)
class Schedule:
    """A checked reminder schedule."""

    medicines: tuple[Medicine, ...] = ()
    checkin: CheckIn | None = None
    inactivity: Inactivity | None = None
    quiet_hours: QuietHours | None = None
    notify: tuple[Contact, ...] = ()
    reminding: Reminding = field(default_factory=Reminding)
    address_form: str = ""
    """How reminders address the elder (王奶奶); "" → the configured ``address_form``."""

    def medicine(self, name: str) -> Medicine | None:
        """The medicine of this name."""
        return next((m for m in self.medicines if m.name == name), None)


EMPTY = Schedule()
"""No schedule: no medicine reminders, no check-in (voice reminders still work)."""
