"""Numbers as said: Chinese numerals (through ``cn2an``), digits, English number words.

Receives the text of one number (一百四十, 两, 七点八, 37.5, twenty five); emits a float,
or ``None`` when the text is not a number.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from types import ModuleType

ZH_NUMERAL = r"[零〇一二两三四五六七八九十百千\d]"
"""One character of a Chinese or Arabic numeral (decimals add 点 or a dot)."""

_COLLOQUIAL = str.maketrans({"俩": "两", "仨": "三", "〇": "零"})
_DIGITS = re.compile(r"\d+(?:\.\d+)?")

_EN_UNITS = {
    "zero": 0, "oh": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "couple": 2,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
EN_NUMBER_WORDS = tuple(sorted([*_EN_UNITS, *_EN_TENS, "hundred", "half"], key=len, reverse=True))


@cache
def _cn2an() -> ModuleType:
    """cn2an, imported on first use (English never needs it)."""
    import cn2an

    module: ModuleType = cn2an
    return module


def zh_number(text: str) -> float | None:
    """一百四十 → 140, 两 → 2, 七点八 → 7.8, 37.5 → 37.5; ``None`` if not a number."""
    text = text.translate(_COLLOQUIAL).strip()
    if not text:
        return None
    if _DIGITS.fullmatch(text):
        return float(text)
    if text.endswith("半") and len(text) > 1:
        whole = zh_number(text[:-1])
        return None if whole is None else whole + 0.5
    if text == "两":
        return 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = _cn2an().cn2an(text, "smart")
        except (ValueError, KeyError, IndexError):
            return None
    return float(value)


def en_number(text: str) -> float | None:
    """'twenty five' → 25, 'a' → 1, 'half' → 0.5, '7.8' → 7.8; ``None`` if not a number."""
    words = text.lower().replace("-", " ").split()
    if len(words) == 1 and _DIGITS.fullmatch(words[0]):
        return float(words[0])
    if words == ["half"]:
        return 0.5
    total = 0.0
    seen = False
    for word in words:
        if word in _EN_UNITS:
            total += _EN_UNITS[word]
        elif word in _EN_TENS:
            total += _EN_TENS[word]
        elif word == "hundred" and seen:
            total *= 100
        elif word == "and" and seen:
            continue
        else:
            return None
        seen = True
    return total if seen else None


def as_int(value: float | None) -> int | None:
    """An integer when the number is whole, else ``None``."""
    if value is None or value != int(value):
        return None
    return int(value)


def as_text(value: float) -> str:
    """140.0 → '140', 7.8 → '7.8'."""
    return str(int(value)) if value == int(value) else f"{value:g}"
