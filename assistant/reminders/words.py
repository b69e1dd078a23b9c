"""Reminders in plain words, in the device's language, for the family's and the
technician's commands (``assistant reminders list | history``, ``assistant status``).
The words tables are here; the commands' sentences are in ``assistant/data/messages.yaml``."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.values import phrasing
from assistant.values.messages import say
from assistant.values.occurrences import Occurrence
from assistant.values.schedule import Schedule

OUTCOMES = {
    "zh": {"medicine_taken": "吃了", "medicine_missed": "漏服", "checkin_answered": "回答了",
           "checkin_missed": "没有回答", "reminder_heard": "听到了", "reminder_missed": "没有回答",
           "inactivity_alert": "已报告无活动", "active": "有活动", "removed": "已取消",
           "missed": "漏服（正在报告）", "sounding": "正在提醒", "due": "等待提醒",
           "planned": "未记录"},
    "en": {"medicine_taken": "taken", "medicine_missed": "missed", "checkin_answered": "answered",
           "checkin_missed": "not answered", "reminder_heard": "heard",
           "reminder_missed": "not answered", "inactivity_alert": "inactivity reported",
           "active": "active", "removed": "removed", "missed": "missed (reporting)",
           "sounding": "sounding", "due": "waiting", "planned": "not recorded"},
}  # fmt: skip
WHY = {
    "zh": {"no_answer": "提醒后无人回应", "device_off": "设备当时关机", "inactive": "无活动"},
    "en": {"no_answer": "no answer to the reminders", "device_off": "the device was off",
           "inactive": "no activity"},
}  # fmt: skip
KINDS = {
    "zh": {"medicine": "吃药", "checkin": "每日问候", "inactivity": "无活动检查", "voice": "提醒"},
    "en": {"medicine": "medicine", "checkin": "check-in", "inactivity": "inactivity check",
           "voice": "reminder"},
}  # fmt: skip


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


_MEALS = {
    "zh": {"before": "饭前", "after": "饭后", "with": "随餐"},
    "en": {"before": "before a meal", "after": "after a meal", "with": "with a meal"},
}


def what_words(occurrence: Occurrence, lang: str) -> str:
    """What a reminder is about, in plain words."""
    kind = KINDS[lang].get(occurrence.kind, occurrence.kind)
    meal = _MEALS[lang].get(occurrence.meal, "")
    extra = [x for x in (occurrence.name, occurrence.dose, meal, occurrence.note) if x]
    return f"{kind} {' '.join(extra)}".rstrip()
