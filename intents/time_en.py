"""Find what an English utterance says about time.

Receives normalised English text; emits ``TimeFacts`` with the spans of every piece: days
(today, tonight, tomorrow, the day after tomorrow), weekdays (Friday, next Tuesday, this
weekend), dates (the 5th, December 3rd), parts of the day (morning, noon, evening),
clock times (at 3pm, 3:30, half past two, at nine), offsets (in ten minutes, in half an
hour, 20 minutes from now), durations (ten minutes) and recurrences (every day, daily,
every Monday, every morning).
"""

from __future__ import annotations

import re

from intents.numbers import EN_NUMBER_WORDS, as_int, en_number
from intents.timefacts import Step, TimeFacts, collect, note_duration, note_offset

_NUM = (
    r"(?:\d+|(?:" + "|".join(EN_NUMBER_WORDS) + r")(?:[ -](?:" + "|".join(EN_NUMBER_WORDS) + r"))?)"
)
_HOUR = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_WEEKDAYS = {d: i for i, d in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}  # fmt: skip
_MONTHS = {m: i + 1 for i, m in enumerate((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december"))}  # fmt: skip
_PARTS = {"early morning": "early", "morning": "morning", "noon": "noon", "midday": "noon",
          "lunchtime": "noon", "afternoon": "afternoon", "evening": "evening",
          "tonight": "evening", "night": "night"}  # fmt: skip
_UNITS = {"minute": 1, "min": 1, "hour": 60}
_WD = "|".join(_WEEKDAYS)

_RECUR = re.compile(
    rf"\b(?:every|each) ?(?P<wd>{_WD})s?\b|\b(?P<daily>every ?day|daily|each day)\b"
    r"|\b(?:every|each) (?P<pt>morning|evening|night|afternoon)\b",
    re.I,
)
_AMOUNT = (
    rf"(?P<n>{_NUM}|half an?|an? half|(?:a |one )?quarter of an?|three quarters of an?|an?)"
    r"(?: and a half)?(?: more| extra)? (?P<u>minute|min|hour)s?"
)
_OFFSET = re.compile(
    rf"\b(?P<pre>(?:in|after) (?:another )?)?{_AMOUNT}(?P<post> (?:from now|later))?\b", re.I
)
_DURATION = re.compile(rf"\b(?:another |more )?{_AMOUNT}\b", re.I)
_DAY = re.compile(
    r"\b(?P<d>(?:the )?day after tomorrow|tomorrow|today|yesterday)\b|\b(?P<tn>tonight)\b", re.I
)
_WEEK = re.compile(
    rf"\b(?:(?P<s>next|this|coming|on)\s)?(?P<wd>{_WD})\b|\b(?P<s2>next|this)? ?weekend\b", re.I
)
_DATE = re.compile(
    r"\b(?:(?P<mon>" + "|".join(_MONTHS) + r") (?P<dom>\d{1,2})(?:st|nd|rd|th)?"
    r"|the (?P<dom2>\d{1,2})(?:st|nd|rd|th)(?: of (?P<mon2>" + "|".join(_MONTHS) + r"))?)\b",
    re.I,
)
_PART = re.compile(r"\b(?:in the |this |at )?(?P<p>" + "|".join(_PARTS) + r")\b", re.I)
_CLOCK = re.compile(
    rf"\b(?:at |around |about |by )?(?P<h>{_HOUR})(?::(?P<m>\d{{2}}))? ?"
    r"(?P<ap>a\.?m\.?|p\.?m\.?|o'? ?clock)"
    rf"|\b(?:at|around|about|by) (?P<h2>{_HOUR})"
    r"(?::(?P<m2>\d{2})| (?P<mw>fifteen|thirty|forty[- ]five))?\b"
    rf"|\b(?:(?:at|around|about|by) )?(?P<rel>half|(?:a )?quarter)"
    rf" (?P<dir>past|to) (?P<h3>{_HOUR})\b"
    r"|\b(?P<noon>noon|midday|midnight)\b",
    re.I,
)


def extract(text: str) -> TimeFacts:
    """Every time piece in ``text``; pieces never overlap, the first of each kind wins."""
    return collect(text, _STEPS)


def _recurrence(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.recurrence:
        return False
    if m["wd"]:
        facts.recurrence, facts.weekday = "P1W", _WEEKDAYS[m["wd"].lower()]
        return True
    facts.recurrence = "P1D"
    if m["pt"]:
        facts.part = _PARTS[m["pt"].lower()]
    return True


def _minutes(m: re.Match[str]) -> int | None:
    amount, unit = m["n"].lower(), m["u"].lower()
    if "half" in amount:
        value: float | None = 0.5
    elif "quarter" in amount:
        value = 0.75 if amount.startswith("three") else 0.25
    else:
        value = en_number(amount)
    if value is None:
        return None
    if "and a half" in m.group(0).lower():
        value += 0.5
    return round(value * _UNITS[unit])


def _offset(m: re.Match[str], facts: TimeFacts) -> bool:
    return bool(m["pre"] or m["post"]) and note_offset(facts, _minutes(m))


def _duration(m: re.Match[str], facts: TimeFacts) -> bool:
    return note_duration(facts, _minutes(m))


def _day(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.has_day:
        return False
    if m["tn"]:
        facts.day_offset, facts.part = 0, "evening"
        return True
    said = m["d"].lower()
    facts.day_offset = {"today": 0, "tomorrow": 1, "yesterday": -1}.get(said, 2)
    return True


def _week(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.weekday is not None or (facts.has_day and facts.recurrence is None):
        return False
    shift = (m["s"] or m["s2"] or "").lower()
    facts.week_shift = {"next": 1, "this": 0}.get(shift)
    facts.weekday = _WEEKDAYS[m["wd"].lower()] if m["wd"] else 5
    return True


def _date(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.has_day:
        return False
    dom = int(m["dom"] or m["dom2"])
    month_name = m["mon"] or m["mon2"]
    if not 1 <= dom <= 31:
        return False
    facts.day_of_month = dom
    facts.month = _MONTHS[month_name.lower()] if month_name else None
    return True


def _clock(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.hour is not None:
        return False
    if m["noon"]:
        facts.hour = 0 if m["noon"].lower() == "midnight" else 12
        return True
    hour = as_int(en_number(m["h"] or m["h2"] or m["h3"]))
    if hour is None or not 0 <= hour <= 24:
        return False
    minute = int(m["m"] or m["m2"] or 0)
    if m["mw"]:
        minute = {"fifteen": 15, "thirty": 30}.get(m["mw"].lower(), 45)
    if m["rel"]:
        minute = 30 if m["rel"].lower() == "half" else 15
        if m["dir"].lower() == "to":
            hour, minute = hour - 1, 60 - minute
    ap = (m["ap"] or "").lower().replace(".", "")
    if ap.startswith("p") and hour < 12:
        hour += 12
    elif ap.startswith("a") and hour == 12:
        hour = 0
    elif ap.startswith("a") or ap.startswith("p"):
        facts.part = facts.part or "morning"
    facts.hour, facts.minute = hour, minute
    return True


def _part(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.part is not None and facts.part != "morning":
        return False
    facts.part = _PARTS[m["p"].lower()]
    return True


_STEPS: tuple[Step, ...] = (
    (_RECUR, _recurrence),
    (_OFFSET, _offset),
    (_DURATION, _duration),
    (_DAY, _day),
    (_WEEK, _week),
    (_DATE, _date),
    (_CLOCK, _clock),
    (_PART, _part),
)
