"""Find what an English utterance says about time.

Receives normalised English text; emits ``TimeFacts`` with the spans of every piece: days
(today, tonight, tomorrow, the day after tomorrow), weekdays (Friday, next Tuesday, this
weekend), dates (the 5th, December 3rd), parts of the day (morning, noon, evening),
clock times (at 3pm, 3:30, half past two, at nine), offsets (in ten minutes, in half an
hour, 20 minutes from now), durations (ten minutes) and recurrences (every day, daily,
every Monday, every morning). This module holds the English words and patterns, and
reads amounts and clock times; what each piece notes is shared (``intents.timesteps``).
"""

from __future__ import annotations

import re

from intents.numbers import EN_NUMBER_WORDS, as_int, en_number
from intents.timefacts import TimeFacts
from intents.timesteps import Extractor, date, day, duration, offset, part, recurrence, week

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
_DAYS: dict[str, tuple[int, str | None]] = {
    "today": (0, None), "tomorrow": (1, None), "yesterday": (-1, None),
    "day after tomorrow": (2, None), "the day after tomorrow": (2, None),
    "tonight": (0, "evening"),
}  # fmt: skip
_SHIFTS = {"next": 1, "this": 0}
"""The week a weekday is in (``coming``, ``on``: the coming one)."""
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


def _minutes(m: re.Match[str]) -> int | None:
    amount, unit = m["n"].lower(), _UNITS.get(m["u"].casefold())
    if unit is None:
        return None
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
    return round(value * unit)


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


def _marked_minutes(m: re.Match[str]) -> int | None:
    """An amount is a time point only with ``in``/``after`` or ``from now``/``later``."""
    return _minutes(m) if m["pre"] or m["post"] else None


def _month(said: str) -> int | None:
    return _MONTHS.get(said.casefold())


extract = Extractor((
    recurrence(_RECUR, _WEEKDAYS, _PARTS),
    offset(_OFFSET, _marked_minutes),
    duration(_DURATION, _minutes),
    day(_DAY, _DAYS),
    week(_WEEK, _WEEKDAYS, _SHIFTS),
    date(_DATE, int, _month),
    (_CLOCK, _clock),
    part(_PART, _PARTS, replaces=frozenset({"morning"})),
))  # fmt: skip
"""Every time piece of a normalised English text (``intents.timesteps``)."""
