"""Lengths of time as a technician or a family reads them: ``45 s``, ``12 min``, ``3 h``,
``2 days``; in Chinese ``45 秒``, ``12 分钟``, ``3 小时``, ``2 天``."""

from __future__ import annotations

_UNITS = {"en": ("s", "min", "h", "days"), "zh": ("秒", "分钟", "小时", "天")}


def span(seconds: float, lang: str = "en") -> str:
    """``seconds`` rounded to the unit that suits it (negative counts as 0), in ``lang``'s
    units (English for a language without its own)."""
    second, minute, hour, day = _UNITS.get(lang, _UNITS["en"])
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{round(seconds)} {second}"
    if seconds < 7200:
        return f"{round(seconds / 60)} {minute}"
    if seconds < 172800:
        return f"{round(seconds / 3600)} {hour}"
    return f"{round(seconds / 86400)} {day}"
