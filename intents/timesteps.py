"""Find the pieces of time in an utterance: the logic every language shares.

Receives one language's steps (``time_zh``, ``time_en``: its patterns and words, and the
readers of what only that language says its own way, such as amounts and clock times);
emits ``TimeFacts`` with the span of every piece. Pieces never overlap and the first of
each kind wins: a step rejects a match when its kind was noted already.

Each step factory below reads named groups of its pattern; a group ``<name>2`` is the same
piece as ``<name>`` said in another alternative (``the 5th`` / ``May 5``). Words are looked
up case-folded, so a word the pattern matched in any case is found in its table; a word
that is still not in the table (an unusual letter the pattern let through, like ``ı``) is
not taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from intents.timefacts import TimeFacts

Apply = Callable[[re.Match[str], TimeFacts], bool]
"""Notes what a match says in the facts; returns False to reject the match."""
Step = tuple[re.Pattern[str], Apply]
"""A pattern and what to note when it matches."""
Minutes = Callable[[re.Match[str]], int | None]
"""Reads an amount of time in minutes from a match (None: not an amount)."""
Number = Callable[[str], int | None]
"""Reads a number as said (None: not a number)."""

WEEKEND = 5
"""The weekday a weekend stands for: its Saturday."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Extractor:
    """One language's time extractor: ``extract(text) -> TimeFacts``."""

    steps: tuple[Step, ...]
    """Applied in this order, each at every position of the text."""

    def __call__(self, text: str) -> TimeFacts:
        """Every time piece in ``text``; pieces never overlap, the first of each kind wins."""
        facts = TimeFacts()
        for pattern, apply in self.steps:
            for m in _candidates(pattern, text):
                overlaps = any(m.start() < end and start < m.end() for start, end in facts.spans)
                if not overlaps and apply(m, facts):
                    facts.spans.append(m.span())
        facts.spans.sort()
        return facts


def recurrence(
    pattern: re.Pattern[str], weekdays: Mapping[str, int], parts: Mapping[str, str]
) -> Step:
    """每个礼拜一 / every Monday (group ``wd``, a key of ``weekdays``): weekly; else daily,
    at the part of the day of group ``pt`` when said (每晚 / every evening, a key of
    ``parts``)."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        if facts.recurrence:
            return False
        if m["wd"]:
            weekday = _word(weekdays, m["wd"])
            if weekday is None:
                return False
            facts.recurrence, facts.weekday = "P1W", weekday
            return True
        part = _word(parts, m["pt"]) if m["pt"] else None
        if m["pt"] and part is None:
            return False
        facts.recurrence = "P1D"
        if part is not None:
            facts.part = part
        return True

    return pattern, apply


def offset(pattern: re.Pattern[str], minutes: Minutes) -> Step:
    """十分钟后 / in ten minutes: a time point that many minutes from now."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        said = minutes(m)
        if facts.offset_minutes is not None or said is None:
            return False
        facts.offset_minutes = said
        return True

    return pattern, apply


def duration(pattern: re.Pattern[str], minutes: Minutes) -> Step:
    """十分钟 / ten minutes: a duration, unless an offset or a duration was noted."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        said = minutes(m)
        if facts.offset_minutes is not None or facts.duration_minutes is not None or said is None:
            return False
        facts.duration_minutes = said
        return True

    return pattern, apply


def day(pattern: re.Pattern[str], days: Mapping[str, tuple[int, str | None]]) -> Step:
    """明天 / tomorrow: the whole match is a key of ``days``, the day's offset from today
    and the part of the day it also says (今晚 / tonight), if any."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        said = _word(days, m.group(0))
        if facts.has_day or said is None:
            return False
        facts.day_offset, part = said
        if part is not None:
            facts.part = part
        return True

    return pattern, apply


def week(pattern: re.Pattern[str], weekdays: Mapping[str, int], shifts: Mapping[str, int]) -> Step:
    """下周三 / next Wednesday: group ``wd`` (a key of ``weekdays``; a weekend without it),
    group ``s`` the week (a key of ``shifts``; the coming one when absent or not a key).
    After a recurrence it is the recurrence's weekday (每个礼拜一)."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        if facts.weekday is not None or (facts.has_day and facts.recurrence is None):
            return False
        weekday = _word(weekdays, m["wd"]) if m["wd"] else WEEKEND
        if weekday is None:
            return False
        shift = _said(m, "s")
        facts.week_shift = _word(shifts, shift) if shift else None
        facts.weekday = weekday
        return True

    return pattern, apply


def date(pattern: re.Pattern[str], day_of_month: Number, month: Number) -> Step:
    """十二月三号 / December 3rd: group ``dom`` the day of the month (1–31), group ``mon``
    the month (1–12) when said; read with ``day_of_month`` and ``month``."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        said_day, said_month = _said(m, "dom"), _said(m, "mon")
        if facts.has_day or said_day is None:
            return False
        dom = day_of_month(said_day)
        mon = month(said_month) if said_month else None
        if dom is None or not 1 <= dom <= 31 or (mon is not None and not 1 <= mon <= 12):
            return False
        facts.day_of_month, facts.month = dom, mon
        return True

    return pattern, apply


def part(
    pattern: re.Pattern[str], parts: Mapping[str, str], replaces: frozenset[str] = frozenset()
) -> Step:
    """上午 / in the afternoon: group ``p``, a key of ``parts``; it replaces a part noted
    before only when that one is in ``replaces`` (what "9 a.m." implies)."""

    def apply(m: re.Match[str], facts: TimeFacts) -> bool:
        said = _word(parts, m["p"])
        if (facts.part is not None and facts.part not in replaces) or said is None:
            return False
        facts.part = said
        return True

    return pattern, apply


def _word(table: Mapping[str, _T], said: str) -> _T | None:
    return table.get(said.casefold())


def _said(m: re.Match[str], name: str) -> str | None:
    """Group ``name``, or ``name2`` (the same piece in another alternative)."""
    groups = m.groupdict()
    return groups.get(name) or groups.get(f"{name}2")


def _candidates(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches at every start position, overlapping ones included (一早 inside 礼拜一早上)."""
    m = pattern.search(text)
    while m is not None:
        yield m
        m = pattern.search(text, m.start() + 1)
