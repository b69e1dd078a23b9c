"""Times and dates in the plain words XiaoAn speaks, and providers read.

Receives slot values of ``docs/slots.md`` (ISO date, ISO datetime, ``R/<start>/P1D|P1W``)
and an aware "now"; emits words. Relative words (明天上午九点, tomorrow at 9 a.m.) are
for the elder; ``absolute=True`` gives a date no one can misread a day later
(12月2日星期三上午9:00), for the summaries that service providers act on.
"""

from __future__ import annotations

from datetime import date, datetime

from assistant.values.slots import when_kind

_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip
_ZH_NEAR = {-1: "昨天", 0: "今天", 1: "明天", 2: "后天"}
_EN_NEAR = {-1: "yesterday", 0: "today", 1: "tomorrow"}


def zh_number(n: int) -> str:
    """一, 十二, 二十三 (两 is for counts: see ``zh_count``)."""
    import cn2an  # here, not above: it takes 0.15 s to import, and `assistant status` needs
    # it only when a reminder's time is said in Chinese

    return str(cn2an.an2cn(n))


def zh_count(n: int) -> str:
    """Counts before a measure word: 一, 两, 三 … (两份, not 二份)."""
    return "两" if n == 2 else zh_number(n)


def zh_weekday(day: date) -> str:
    """星期一 … 星期日."""
    return "星期" + _ZH_WEEKDAYS[day.weekday()]


def zh_day(day: date, today: date, absolute: bool = False) -> str:
    """今天, 明天, 后天, or 12月3日星期四."""
    near = _ZH_NEAR.get((day - today).days)
    if near and not absolute:
        return near
    return f"{day.month}月{day.day}日{zh_weekday(day)}"


def zh_clock(moment: datetime, absolute: bool = False) -> str:
    """上午九点, 下午三点半, 晚上八点十分 (absolute: 上午9:00, 20:10 spelt out as 晚上8:10)."""
    hour, minute = moment.hour, moment.minute
    part = _zh_part(hour)
    twelve = hour % 12 or 12
    if hour == 12:
        part, twelve = "中午", 12
    if absolute:
        return f"{part}{twelve}:{minute:02d}"
    words = f"{zh_number(twelve)}点" if twelve != 2 else "两点"
    if minute == 30:
        words += "半"
    elif minute:
        words += ("零" if minute < 10 else "") + zh_number(minute) + "分"
    return part + words


def _zh_part(hour: int) -> str:
    if hour < 5:
        return "凌晨"
    if hour < 12:
        return "早上" if hour < 9 else "上午"
    if hour < 18:
        return "下午"
    return "晚上"


def en_day(day: date, today: date, absolute: bool = False) -> str:
    """today, tomorrow, or Thursday 3 December."""
    near = _EN_NEAR.get((day - today).days)
    if near and not absolute:
        return near
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"


def en_clock(moment: datetime, absolute: bool = False) -> str:
    """9 a.m., 3:30 p.m., noon."""
    hour, minute = moment.hour, moment.minute
    if (hour, minute) == (12, 0) and not absolute:
        return "noon"
    suffix = "a.m." if hour < 12 else "p.m."
    twelve = hour % 12 or 12
    return f"{twelve}:{minute:02d} {suffix}" if minute or absolute else f"{twelve} {suffix}"


def when(value: str, now: datetime, lang: str, absolute: bool = False) -> str:
    """A ``when``/``date`` slot value in words; the value itself when it is not ISO."""
    today = now.date()
    if value.startswith("R/"):
        return _recurrence(value, now, lang)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if when_kind(value) == "date":
        return (zh_day if lang == "zh" else en_day)(moment.date(), today, absolute)
    if moment.tzinfo is not None and now.tzinfo is not None:
        moment = moment.astimezone(now.tzinfo)
    if lang == "zh":
        return zh_day(moment.date(), today, absolute) + zh_clock(moment, absolute)
    day = en_day(moment.date(), today, absolute)
    return f"{day} at {en_clock(moment, absolute)}"


def _recurrence(value: str, now: datetime, lang: str) -> str:
    parts = value.split("/")
    if len(parts) != 3:
        return value
    try:
        first = datetime.fromisoformat(parts[1])
    except ValueError:
        return value
    weekly = parts[2] == "P1W"
    if lang == "zh":
        every = "每" + zh_weekday(first.date()).replace("星期", "周") if weekly else "每天"
        return every + zh_clock(first)
    every = f"every {_EN_WEEKDAYS[first.weekday()]}" if weekly else "every day"
    return f"{every} at {en_clock(first)}"


def age(seconds: float, lang: str) -> str:
    """How old an answer is: 5分钟, 2小时, 3天 / 5 minutes, 2 hours, 3 days."""
    minutes = max(1, int(seconds // 60))
    if lang == "zh":
        if minutes < 60:
            return f"{zh_number(minutes)}分钟"
        if minutes < 1440:
            return f"{zh_count(minutes // 60)}个小时"
        return f"{zh_count(minutes // 1440)}天"
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    if minutes < 1440:
        hours = minutes // 60
        return f"{hours} hour{'s' * (hours != 1)}"
    days = minutes // 1440
    return f"{days} day{'s' * (days != 1)}"
