"""Health measurements as said: blood pressure, blood sugar, temperature, heart rate, weight.

Receives normalised text; emits ``Measurement(measure, value)`` with the contract's value
strings ("140/90", "7.8", "37.8", "88", "120斤") or ``None``. Two run-together numbers
(血压一百四十九十) are split where both halves are plausible (systolic 70–260, diastolic
30–160).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intents.numbers import EN_NUMBER_WORDS, as_text, en_number, zh_number

_ZN = r"[零〇一二两三四五六七八九十百\d.点]+"
_EN_NOT_VALUES = frozenset({"a", "an", "oh", "half", "couple"})
_EN_DIGITS = {w: i + 1 for i, w in enumerate(
    ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))}  # fmt: skip


@dataclass(frozen=True)
class Measurement:
    """One measured value."""

    measure: str
    value: str


def _split_pressure(said: str) -> tuple[float, float] | None:
    """一百四十九十 → (140, 90): the split where both halves are plausible."""
    for cut in range(1, len(said)):
        if not (_numeral(said[:cut]) and _numeral(said[cut:])):
            continue
        high, low = zh_number(said[:cut]), zh_number(said[cut:])
        if high and low and 70 <= high <= 260 and 30 <= low <= 160 and high > low:
            return high, low
    return None


def _numeral(said: str) -> bool:
    """A half that can stand alone: 百 only once, after a single digit (一百一, not 十一百一,
    which cn2an reads as 120)."""
    if "百" not in said:
        return True
    return said.count("百") == 1 and said.index("百") == 1 and said[0] in "一二两三四五六七八九"


def _pressure(high: float | None, low: float | None) -> Measurement | None:
    if high is None or low is None:
        return None
    if high < low:
        high, low = low, high
    return Measurement("blood_pressure", f"{as_text(high)}/{as_text(low)}")


_ZH_BP_LABELLED = re.compile(rf"高压(?:是|有)?(?P<hi>{_ZN}).*?低压(?:是|有)?(?P<lo>{_ZN})")
_ZH_BP_LABELLED_REV = re.compile(rf"低压(?:是|有)?(?P<lo>{_ZN}).*?高压(?:是|有)?(?P<hi>{_ZN})")
_ZH_BP = re.compile(
    rf"血压[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<a>{_ZN})(?:[/比,和到]|\s)?(?P<b>{_ZN})?"
)
_ZH_SUGAR = re.compile(rf"血糖[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<v>{_ZN})")
_ZH_TEMP = re.compile(
    rf"(?:体温|温度|发烧|烧到|烧)?[^零〇一二两三四五六七八九十百\d]{{0,3}}(?P<v>[三四]十[一二三四五六七八九]|3\d|4[0-2])(?:度|℃)(?P<f>[一二三四五六七八九\d])?"
    rf"|(?:体温|温度)[^零〇一二两三四五六七八九十百\d]{{0,3}}(?P<v2>{_ZN})"
)
_ZH_HEART = re.compile(
    rf"(?:心跳|心率|脉搏|脉)[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<v>{_ZN})"
)
_ZH_WEIGHT = re.compile(rf"(?P<v>{_ZN})(?P<u>斤|公斤|千克|kg)")


def zh_measurement(text: str) -> Measurement | None:
    """The first measurement said in Mandarin text."""
    for finder in (_zh_pressure, _zh_sugar, _zh_temperature, _zh_heart, _zh_weight):
        found = finder(text)
        if found is not None:
            return found
    return None


def _num(said: str | None) -> float | None:
    return zh_number(said.replace("点", ".") if said and re.search(r"\d点", said) else said or "")


def _zh_pressure(text: str) -> Measurement | None:
    m = _ZH_BP_LABELLED.search(text) or _ZH_BP_LABELLED_REV.search(text)
    if m:
        return _pressure(_num(m["hi"]), _num(m["lo"]))
    m = _ZH_BP.search(text)
    if not m:
        return None
    if m["b"]:
        return _pressure(_num(m["a"]), _num(m["b"]))
    split = _split_pressure(m["a"])
    return _pressure(*split) if split else None


def _zh_sugar(text: str) -> Measurement | None:
    m = _ZH_SUGAR.search(text)
    value = _num(m["v"]) if m else None
    return Measurement("blood_sugar", as_text(value)) if value else None


def _zh_temperature(text: str) -> Measurement | None:
    m = _ZH_TEMP.search(text)
    if not m:
        return None
    if m["v2"]:
        value = _num(m["v2"])
        return Measurement("temperature", as_text(value)) if value and 34 <= value <= 43 else None
    whole = _num(m["v"])
    tenth = _num(m["f"]) if m["f"] else 0.0
    if whole is None or tenth is None:
        return None
    return Measurement("temperature", as_text(round(whole + tenth / 10, 1)))


def _zh_heart(text: str) -> Measurement | None:
    m = _ZH_HEART.search(text)
    value = _num(m["v"]) if m else None
    return Measurement("heart_rate", as_text(value)) if value and 30 <= value <= 220 else None


def _zh_weight(text: str) -> Measurement | None:
    if "体重" not in text and "斤" not in text and "公斤" not in text:
        return None
    m = _ZH_WEIGHT.search(text)
    value = _num(m["v"]) if m else None
    if not m or not value:
        return None
    unit = "斤" if m["u"] == "斤" else "kg"
    return Measurement("weight", f"{as_text(value)}{unit}")


_EN_WORD = r"(?:" + "|".join(w for w in EN_NUMBER_WORDS if w not in _EN_NOT_VALUES) + r")"
_EN = (
    rf"\b(?:\d+(?:\.\d+)?"
    rf"|(?:a )?{_EN_WORD}(?:(?: and | |-){_EN_WORD})*(?: point(?: {_EN_WORD})+)?)\b"
)
"""A value as said: digits (7.8) or number words (one hundred and forty, seven point eight)."""
_EN_GAP = r"[^\d]{0,25}?"
"""Words between the measure and its value (my blood pressure this morning was ...)."""
_EN_BP = re.compile(
    rf"(?:blood pressure|bp|pressure){_EN_GAP}(?P<a>{_EN}) ?(?:over|/|and|by) ?(?P<b>{_EN})", re.I
)
_EN_SUGAR = re.compile(rf"(?:sugar|glucose){_EN_GAP}(?P<v>{_EN})", re.I)
_EN_TEMP = re.compile(rf"(?:temperature|temp|fever){_EN_GAP}(?P<v>{_EN})", re.I)
_EN_HEART = re.compile(
    rf"(?:heart rate|pulse|heartbeat|heart beat|heart){_EN_GAP}(?P<v>{_EN})", re.I
)
_EN_UNIT = r"(?P<u>pounds?|lbs?|kilos?|kilograms?|kgs?|stones?)\b"
_EN_WEIGHT = re.compile(rf"(?:weigh|weight){_EN_GAP}(?P<v>{_EN})(?: ?{_EN_UNIT})?", re.I)
_EN_WEIGHT_UNIT = re.compile(rf"(?P<v>{_EN}) ?{_EN_UNIT}", re.I)


def en_measurement(text: str) -> Measurement | None:
    """The first measurement said in English text."""
    finders: tuple[Callable[[str], Measurement | None], ...] = (
        _en_pressure, _en_sugar, _en_temperature, _en_heart, _en_weight)  # fmt: skip
    for finder in finders:
        found = finder(text)
        if found is not None:
            return found
    return None


def _en_value(said: str) -> float | None:
    """'one hundred and forty' → 140, 'one forty' → 140, 'thirty seven point five' → 37.5."""
    said = " ".join(said.strip().lower().replace("-", " ").split())
    whole, point, tenths = said.partition(" point ")
    value = _en_whole(whole)
    if value is None or not point:
        return value
    digits = [en_number(w) for w in tenths.split()]
    if any(d is None or not 0 <= d <= 9 or d != int(d) for d in digits):
        return None
    return float(f"{int(value)}.{''.join(str(int(d)) for d in digits if d is not None)}")


def _en_whole(said: str) -> float | None:
    value = en_number(said)
    words = said.split()
    # "one forty" (a hundred and forty), "one thirty five": hundreds said as one digit.
    if len(words) >= 2 and words[0] in _EN_DIGITS and words[1] not in ("hundred", "and"):
        rest = en_number(" ".join(words[1:]))
        if rest is not None and 10 <= rest < 100:
            return _EN_DIGITS[words[0]] * 100 + rest
    return value


def _en_pressure(text: str) -> Measurement | None:
    m = _EN_BP.search(text)
    return _pressure(_en_value(m["a"]), _en_value(m["b"])) if m else None


def _en_sugar(text: str) -> Measurement | None:
    m = _EN_SUGAR.search(text)
    value = _en_value(m["v"]) if m else None
    return Measurement("blood_sugar", as_text(value)) if value else None


def _en_temperature(text: str) -> Measurement | None:
    m = _EN_TEMP.search(text)
    value = _en_value(m["v"]) if m else None
    return Measurement("temperature", as_text(value)) if value else None


def _en_heart(text: str) -> Measurement | None:
    m = _EN_HEART.search(text)
    value = _en_value(m["v"]) if m else None
    return Measurement("heart_rate", as_text(value)) if value and 30 <= value <= 220 else None


def _en_weight(text: str) -> Measurement | None:
    m = _EN_WEIGHT.search(text) or _EN_WEIGHT_UNIT.search(text)
    value = _en_value(m["v"]) if m else None
    if not m or not value:
        return None
    unit = (m["u"] or "").lower()
    suffix = "kg" if unit.startswith("k") else "lb" if unit.startswith(("p", "l")) else unit[:2]
    return Measurement("weight", f"{as_text(value)}{suffix}")
