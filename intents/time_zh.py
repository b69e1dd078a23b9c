"""Find what a Mandarin utterance says about time.

Receives normalised Mandarin text (no spaces); emits ``TimeFacts`` with the spans of
every piece: days (明天, 大后天, 今晚), weekdays (周五, 下礼拜三, 这个周末), dates (12号,
十二月三号), parts of the day (上午, 晌午, 傍晚), clock times (三点半, 八点一刻, 15:30),
offsets (十分钟后, 半个小时以后, 过一个钟头), durations (十分钟) and recurrences (每天,
每晚, 每个礼拜一). A numeral followed by 点 and a single digit is a decimal (七点八), not a
time; 一点 is a time only with 钟/半/分 or a part of the day (一点 also means "a little").
This module holds the Mandarin words and patterns, and reads amounts and clock times;
what each piece notes is shared (``intents.timesteps``).
"""

from __future__ import annotations

import re

from intents.numbers import as_int, zh_number
from intents.timefacts import TimeFacts
from intents.timesteps import Extractor, date, day, duration, offset, part, recurrence, week

_N = r"[零〇一二两三四五六七八九十\d]{1,3}"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS.update({str(i): i - 1 for i in range(1, 8)})
_SHIFT = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1}
_DAYS: dict[str, tuple[int, str | None]] = {
    "大后天": (3, None), "后天": (2, None), "后儿个": (2, None), "明天": (1, None),
    "明儿个": (1, None), "明儿": (1, None), "明日": (1, None), "今天": (0, None),
    "今儿个": (0, None), "今儿": (0, None), "今日": (0, None), "昨天": (-1, None),
    "前天": (-2, None), "明早": (1, "early"), "明晚": (1, "evening"), "今早": (0, "early"),
    "今晚": (0, "evening"), "今夜": (0, "night"),
}  # fmt: skip
"""Day words: the offset from today, and the part of the day said with it (今晚)."""
_PARTS = {
    "大清早": "early", "清早": "early", "一早": "early", "早上": "early", "早晨": "early",
    "上午": "morning", "中午": "noon", "晌午": "noon", "下午": "afternoon", "后晌": "afternoon",
    "傍晚": "dusk", "晚上": "evening", "夜里": "night", "半夜": "night", "凌晨": "dawn",
}  # fmt: skip
_RECURRING_PARTS = {"晚上": "evening", "晚": "evening", "早上": "early", "早晨": "early",
                    "早": "early"}  # fmt: skip
_UNITS = {"分钟": 1, "分": 1, "小时": 60, "钟头": 60, "钟点": 60, "刻钟": 15}


def _alt(words: object) -> str:
    return "|".join(sorted(map(str, words), key=len, reverse=True))  # type: ignore[call-overload]


_RECUR = re.compile(
    r"每(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])|(?P<daily>每天|天天|每日)"
    r"|每(?:个)?(?P<pt>晚上|晚|早上|早晨|早)"
)
_AMOUNT = rf"(?P<n>{_N}个半|{_N}|半)个?(?P<u>分钟|小时|钟头|钟点|刻钟|分(?!钟))"
_AMOUNT_2 = _AMOUNT.replace("<n>", "<n2>").replace("<u>", "<u2>")  # group names are unique
_OFFSET = re.compile(rf"(?:再过|过)?{_AMOUNT}(?:以后|之后|后)|(?:再过|过){_AMOUNT_2}")
_DURATION = re.compile(_AMOUNT)
_DAY = re.compile(_alt(_DAYS))
_WEEK = re.compile(
    r"(?P<s>下下|下|这|本|上)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    r"|(?P<s2>下|这|本)?个?(?P<we>周末)"
)
_DATE = re.compile(rf"(?:(?P<mon>{_N})月)?(?P<dom>{_N})(?:号|日)(?!楼|床|门|线|单元)")
_PART = re.compile(f"(?P<p>{_alt(_PARTS)})(?!饭|餐)")
_CLOCK = re.compile(
    rf"(?P<h>{_N})(?:点钟|点|时)(?:(?P<half>半)|(?P<q>一刻|三刻)|(?P<mm>{_N})分"
    r"|(?P<m2>[零〇][一二三四五六七八九]|[二三四五]?十[一二三四五六七八九]?|\d\d)(?![\d点度])"
    r"|(?P<zheng>整|钟))?"
    r"|(?P<dh>\d{1,2})[:：](?P<dm>\d{2})"
)
_NOT_A_CLOCK = re.compile(r"[零一二两三四五六七八九\d度斤块元克毫]")


def _minutes(m: re.Match[str]) -> int | None:
    groups = {k: v for k, v in m.groupdict().items() if v}
    amount = groups.get("n") or groups.get("n2")
    unit = groups.get("u") or groups.get("u2")
    if unit is None:
        return None
    if amount is None:
        return None
    value = 0.5 if amount == "半" else zh_number(amount.replace("个半", "半"))
    if value is None:
        return None
    return round(value * _UNITS[unit])


def _clock(m: re.Match[str], facts: TimeFacts) -> bool:
    if facts.hour is not None:
        return False
    if m["dh"]:
        hour, minute = int(m["dh"]), int(m["dm"])
    else:
        hour = as_int(zh_number(m["h"])) or 0
        bare = not any(m[g] for g in ("half", "q", "mm", "m2", "zheng"))
        following = m.string[m.end() : m.end() + 1]
        if bare and following and _NOT_A_CLOCK.match(following):
            return False
        if hour == 1 and bare and facts.part is None and "钟" not in m.group(0):
            return False
        minute = _clock_minute(m)
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return False
    facts.hour, facts.minute = hour, minute
    return True


def _clock_minute(m: re.Match[str]) -> int:
    if m["half"]:
        return 30
    if m["q"]:
        return 15 if m["q"] == "一刻" else 45
    said = m["mm"] or m["m2"]
    return (as_int(zh_number(said)) or 0) if said else 0


def _number(said: str) -> int | None:
    return as_int(zh_number(said))


extract = Extractor((
    recurrence(_RECUR, _WEEKDAYS, _RECURRING_PARTS),
    offset(_OFFSET, _minutes),
    duration(_DURATION, _minutes),
    day(_DAY, _DAYS),
    week(_WEEK, _WEEKDAYS, _SHIFT),
    date(_DATE, _number, _number),
    part(_PART, _PARTS),
    (_CLOCK, _clock),
))  # fmt: skip
"""Every time piece of a normalised Mandarin text (``intents.timesteps``); parts of the
day come before clock times, which they decide (一点 alone is "a little")."""
