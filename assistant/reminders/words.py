"""Reminders in plain words, in the device's language, for the family's and the
technician's commands (``assistant reminders list | history``, ``assistant status``).
The words and the sentences are in ``assistant/data/messages.yaml``."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.values import phrasing
from assistant.values.messages import say, word
from assistant.values.occurrences import Occurrence
from assistant.values.schedule import Schedule


def describe(schedule: Schedule, lang: str) -> str:
    """What a schedule holds, in one line (``assistant reminders validate | install``)."""
    parts = [say(lang, "reminders.summary.medicines", count=len(schedule.medicines))]
    if schedule.checkin:
        parts.append(say(lang, "reminders.summary.checkin", time=f"{schedule.checkin.time:%H:%M}"))
    if schedule.inactivity:
        by = f"{schedule.inactivity.by:%H:%M}"
        parts.append(say(lang, "reminders.summary.inactivity", time=by))
    if schedule.quiet_hours:
        quiet = schedule.quiet_hours
        start, end = f"{quiet.start:%H:%M}", f"{quiet.end:%H:%M}"
        parts.append(say(lang, "reminders.summary.quiet", start=start, end=end))
    parts.append(say(lang, "reminders.summary.notify", count=len(schedule.notify)))
    return say(lang, "reminders.summary.joiner").join(parts)


def when_words(moment: datetime, lang: str) -> str:
    """A reminder's time in plain words."""
    if lang == "zh":
        return phrasing.zh_day(moment.date(), moment.date() - timedelta(days=9), True) + " " \
            + phrasing.zh_clock(moment, True)  # fmt: skip
    return f"{moment:%a %d %b} {moment:%H:%M}"


def what_words(occurrence: Occurrence, lang: str) -> str:
    """What a reminder is about, in plain words."""
    kind = word(lang, "reminders.kind", occurrence.kind)
    meal = word(lang, "reminders.meal", occurrence.meal) if occurrence.meal else ""
    extra = [x for x in (occurrence.name, occurrence.dose, meal, occurrence.note) if x]
    return f"{kind} {' '.join(extra)}".rstrip()
