"""The values of a reminder schedule, one at a time: times, dates, weekdays, day rules,
meals and phone numbers, each parsed from what a family writes (08:30, 周一, 每两天, 饭后)
or refused with a ``PydanticCustomError`` naming one of our messages (``schedule.*`` in
``assistant/data/messages.yaml``), put into the reader's language where the mistake is
reported (``assistant.reminders.schedule_file``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime, time

from pydantic import ValidatorFunctionWrapHandler
from pydantic_core import PydanticCustomError

from assistant.values.schedule import DayRule, Days, Meal

_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = {word: i for i, en in enumerate(_EN_DAYS) for word in (en, en[:3])} | {
    p + n: min(i, 6) for i, n in enumerate("一二三四五六日天") for p in ("周", "星期", "礼拜")
}
_RULES: dict[str, DayRule] = {"daily": "daily", "every day": "daily", "每天": "daily",
    "天天": "daily", "weekdays": "weekdays", "工作日": "weekdays", "weekends": "weekends",
    "周末": "weekends"}  # fmt: skip
_MEALS: dict[str, Meal] = {"": "", "before": "before", "after": "after", "with": "with",
    "饭前": "before", "饭后": "after", "随餐": "with", "餐前": "before",
    "餐后": "after"}  # fmt: skip
_CN_NUMBERS = dict(zip("二两三四五六七八九十", (2, 2, 3, 4, 5, 6, 7, 8, 9, 10), strict=True))
_EVERY = re.compile(
    r"every\s+(\d+)\s+days?|每\s*(\d+|[二两三四五六七八九十])\s*天|隔天|every other day"
)
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_PHONE = re.compile(r"[0-9+\- ]+")


def bad(say: str, **fields: object) -> PydanticCustomError:
    """A mistake: the message ``schedule.<say>`` with its fields (words come later, in the
    language of whoever reads the report)."""
    return PydanticCustomError("schedule", "{say}", {"say": say, **fields})


def show(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice, if close enough; of two as close, one with the same first letter
    (munday: monday, not sunday)."""
    scores = [(difflib.SequenceMatcher(None, word, choice).ratio(), choice[:1] == word[:1], choice)
              for choice in choices if choice.isascii() and word.isascii()]  # fmt: skip
    best = max(scores, default=(0.0, False, ""))
    return best[2] if best[0] >= 0.6 else None


def unknown(raw: object, choices: Iterable[str], what: str) -> PydanticCustomError:
    """``what`` (a message), or ``what``_close naming the closest choice."""
    close = closest(show(raw).lower(), choices)
    return bad(f"{what}_close", raw=show(raw), close=close) if close else bad(what, raw=show(raw))


def parse_time(raw: object) -> time:
    match = _TIME.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise bad("not_time", raw=show(raw))
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise bad("not_time_of_day", raw=show(raw))
    return time(hour, minute)


def parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        raise bad("date_has_time", raw=show(raw))
    if isinstance(raw, date):
        return _in_range(date(raw.year, raw.month, raw.day), raw)
    match = _DATE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if not match:
        raise bad("not_date", raw=show(raw))
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise bad("not_calendar_day", raw=show(raw)) from None
    return _in_range(day, raw)


FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Dates a schedule may name: outside them, date arithmetic overflows or means a typo."""
MAX_EVERY = 366
"""Longest "every N days": beyond a year it is a typo, and huge N overflows the planner."""


def _in_range(day: date, raw: object) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise bad("date_out_of_range", raw=show(raw), first=FIRST_YEAR, last=LAST_YEAR)
    return day


def parse_weekday(raw: object) -> int:
    word = show(raw).strip().lower()
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if word in _RULES or _EVERY.fullmatch(word):
        raise bad("weekday_in_list", raw=show(raw))
    raise unknown(raw, _WEEKDAYS, "not_weekday")


def _day_rule(text: str) -> Days:
    """Days written as text: daily, weekends, every 3 days, 每3天, 隔天, 周一、周四 …"""
    word = " ".join(text.lower().split())
    every = _EVERY.fullmatch(word)
    if word in _RULES:
        return Days(_RULES[word])
    if every:
        number = every[1] or every[2] or "2"
        return _every(_CN_NUMBERS.get(number) or int(number), text)
    parts = [part for part in re.split(r"[,，、\s]+", word) if part]
    if len(parts) > 1 or word in _WEEKDAYS:
        return Days("weekly", tuple(sorted({parse_weekday(part) for part in parts})))
    raise unknown(text, [*_RULES, *_WEEKDAYS], "not_day_rule")


def _every(number: int, text: str) -> Days:
    if number < 2:
        raise bad("every_is_daily", raw=text)
    if number > MAX_EVERY:
        raise bad("every_too_long", raw=text)
    return Days("every", every_n=number)


def parse_days(value: object, weekdays: ValidatorFunctionWrapHandler) -> Days:
    if isinstance(value, str):
        return _day_rule(value)
    if not isinstance(value, list):
        raise bad("not_day_rule", raw=show(value))
    if not value:
        raise bad("days_empty")
    return Days("weekly", tuple(sorted(set(weekdays(value)))))


def parse_meal(raw: object) -> Meal:
    word = "" if raw is None else show(raw).strip().lower()
    if word in _MEALS:
        return _MEALS[word]
    raise unknown(raw, _MEALS, "not_meal")


def parse_phone(text: str) -> str:
    if text and not (_PHONE.fullmatch(text) and 5 <= sum(c.isdigit() for c in text) <= 20):
        raise bad("not_phone", raw=text)
    return text
