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

from intents.numbers import as_text, en_number, zh_number

_ZN = r"[零〇一二两三四五六七八九十百\d.点]+"
_EN = r"\d+(?:\.\d+)?|[a-z]+(?:[ -][a-z]+)*?"


@dataclass(frozen=True)
class Measurement:
    """One measured value."""

    measure: str
    value: str


def _split_pressure(said: str) -> tuple[float, float] | None:
    """一百四十九十 → (140, 90): the split where both halves are plausible."""
    for cut in range(1, len(said)):
        high, low = zh_number(said[:cut]), zh_number(said[cut:])
        if high and low and 70 <= high <= 260 and 30 <= low <= 160 and high > low:
            return high, low
    return None


def _pressure(high: float | None, low: float | None) -> Measurement | None:
    if high is None or low is None:
        return None
    if high < low:
        high, low = low, high
    return Measurement("blood_pressure", f"{as_text(high)}/{as_text(low)}")


_ZH_BP_LABELLED = re.compile(rf"高压(?:是|有)?(?P<hi>{_ZN}).*?低压(?:是|有)?(?P<lo>{_ZN})")
_ZH_BP_LABELLED_REV = re.compile(rf"低压(?:是|有)?(?P<lo>{_ZN}).*?高压(?:是|有)?(?P<hi>{_ZN})")
_ZH_BP = re.compile(rf"血压[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<a>{_ZN})(?:[/比,和到]|\s)?(?P<b>{_ZN})?")
_ZH_SUGAR = re.compile(rf"血糖[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<v>{_ZN})")
_ZH_TEMP = re.compile(
    rf"(?:体温|温度|发烧|烧到|烧)?[^零〇一二两三四五六七八九十百\d]{{0,3}}(?P<v>[三四]十[一二三四五六七八九]|3\d|4[0-2])(?:度|℃)(?P<f>[一二三四五六七八九\d])?"
    rf"|(?:体温|温度)[^零〇一二两三四五六七八九十百\d]{{0,3}}(?P<v2>{_ZN})"
)
_ZH_HEART = re.compile(rf"(?:心跳|心率|脉搏|脉)[^零〇一二两三四五六七八九十百\d]{{0,4}}(?P<v>{_ZN})")
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


_EN_BP = re.compile(
    rf"(?:blood pressure|bp|pressure)\D{{0,12}}?(?P<a>{_EN}) ?(?:over|/|and|by) ?(?P<b>{_EN})\b", re.I
)
_EN_SUGAR = re.compile(rf"(?:sugar|glucose)\D{{0,12}}?(?P<v>{_EN})\b", re.I)
_EN_TEMP = re.compile(r"(?:temperature|temp|fever)\D{0,12}?(?P<v>\d+(?:\.\d+)?)", re.I)
_EN_HEART = re.compile(rf"(?:heart rate|pulse|heartbeat|heart)\D{{0,12}}?(?P<v>{_EN})\b", re.I)
_EN_WEIGHT = re.compile(
    r"(?:weigh|weight)\D{0,12}?(?P<v>\d+(?:\.\d+)?) ?(?P<u>pounds?|lbs?|kilos?|kilograms?|kg)?", re.I
)


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
    said = said.strip().lower()
    if re.fullmatch(r"[a-z]+(?: point [a-z]+)", said):
        whole, _, tenth = said.partition(" point ")
        w, t = en_number(whole), en_number(tenth)
        return None if w is None or t is None else w + t / 10
    return en_number(said)


def _en_pressure(text: str) -> Measurement | None:
    m = _EN_BP.search(text)
    return _pressure(_en_value(m["a"]), _en_value(m["b"])) if m else None


def _en_sugar(text: str) -> Measurement | None:
    m = _EN_SUGAR.search(text)
    value = _en_value(m["v"]) if m else None
    return Measurement("blood_sugar", as_text(value)) if value else None


def _en_temperature(text: str) -> Measurement | None:
    m = _EN_TEMP.search(text)
    value = float(m["v"]) if m else None
    return Measurement("temperature", as_text(value)) if value else None


def _en_heart(text: str) -> Measurement | None:
    m = _EN_HEART.search(text)
    value = _en_value(m["v"]) if m else None
    return Measurement("heart_rate", as_text(value)) if value and 30 <= value <= 220 else None


def _en_weight(text: str) -> Measurement | None:
    m = _EN_WEIGHT.search(text)
    if not m:
        return None
    unit = (m["u"] or "").lower()
    suffix = "kg" if unit.startswith("k") else "lb" if unit else ""
    return Measurement("weight", f"{as_text(float(m['v']))}{suffix}")
