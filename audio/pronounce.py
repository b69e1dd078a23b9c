"""What espeak-ng is given to say: Mandarin as tone-numbered pinyin, numbers as words.

espeak-ng 1.51 (Debian, Raspberry Pi OS) reads most Chinese characters with its ``cmn``
voice through a pinyin fallback and speaks the tone digit in English ("别" becomes "bie
two"). Its ``cmn-latn-pinyin`` voice reads tone-numbered pinyin as Mandarin, with
third-tone sandhi, and never switches language. So a Mandarin reply is given to it as
pinyin: ``pypinyin`` with its phrase dictionary (多音字: 重复 chong2, 银行 hang2, 长大 zhang3,
血压 xue4, 还没 hai2) turns the characters into syllables. Before that, what is written in
digits is written as words: a time 8:30 as 八点三十, a reading 130/85 as 一百三十，八十五, a
telephone number digit by digit (1 as 幺), other numbers, decimals and percentages by
``cn2an``. Punctuation stays (it makes the pauses). Latin letters (维生素C, B超, CT) are
said by their names as Mandarin speakers say them (C 西, B 必); anything else that is
neither Chinese, a letter nor punctuation is dropped from speech and listed by
``uncovered`` for the checks.

Receives reply text; emits the text for the voice. English passes unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}
"""The espeak-ng voice of each language (for the text ``Pronouncer`` gives it)."""

_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)")
_RATIO = re.compile(r"(?<!\d)(\d{2,3})\s*/\s*(\d{2,3})(?!\d)")
_PHONE = re.compile(r"(?<![\d.])\d{7,}(?![\d.])")
_DIGITS = "零幺二三四五六七八九"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUNCTUATION = {"，": ",", "。": ".", "！": "!", "？": "?", "、": ",", "；": ";", "：": ",",
                "（": ",", "）": ",", "“": "", "”": "", "‘": "", "’": "", "《": "", "》": "",
                "…": ".", "—": ",", "·": " ", "~": ",", "～": ","}  # fmt: skip
_KEPT = set(",.!?; ")
_LETTERS = {
    "a": "ei1", "b": "bi4", "c": "xi1", "d": "di4", "e": "yi4", "f": "ai2 fu1", "g": "ji4",
    "h": "ai4 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai2 lou5", "m": "ai2 mu5",
    "n": "en1", "o": "ou1", "p": "pi4", "q": "qiu1", "r": "a4", "s": "ai2 si1", "t": "ti4",
    "u": "you1", "v": "wei1", "w": "da2 bu5 liu5", "x": "ai4 ke4 si1", "y": "wai4",
    "z": "zei4",
}  # fmt: skip
"""Latin letters by their names as Mandarin speakers say them."""


@dataclass(frozen=True)
class Pronouncer:
    """Text → what the language's espeak-ng voice says."""

    lang: str

    @property
    def voice(self) -> str:
        """The espeak-ng voice for ``spoken`` text."""
        return VOICES[self.lang]

    def spoken(self, text: str) -> str:
        """``text`` as the voice must be given it."""
        if self.lang != "zh":
            return text
        return " ".join(_syllables(words_for_numbers(text)))

    def uncovered(self, text: str) -> list[str]:
        """Characters of ``text`` the voice would not say (none for a good reply)."""
        if self.lang != "zh":
            return []
        written = words_for_numbers(text)
        return [c for c in written if not (_HAN.match(c) or c in _PUNCTUATION or c in _KEPT
                                           or c.isspace() or c in "/%"
                                           or c.lower() in _LETTERS)]  # fmt: skip


def words_for_numbers(text: str) -> str:
    """Digits written as the Mandarin words a person would say for them."""
    from cn2an import transform  # 0.15 s to import: only when a Mandarin reply is said

    text = _TIME.sub(lambda m: _clock(int(m[1]), int(m[2])), text)
    text = _PHONE.sub(lambda m: "".join(_DIGITS[int(d)] for d in m[0]), text)
    text = _RATIO.sub(lambda m: f"{_number(int(m[1]))}，{_number(int(m[2]))}", text)
    if any(c.isdigit() for c in text):
        try:
            text = str(transform(text, "an2cn"))
        except (ValueError, KeyError, IndexError):  # cn2an gives up on odd mixtures
            text = "".join(_DIGITS[int(c)] if c.isdigit() else c for c in text)
    return text.replace("%", "")


def _clock(hour: int, minute: int) -> str:
    words = "两点" if hour == 2 else f"{_number(hour)}点"
    if minute == 30:
        return words + "半"
    if minute == 0:
        return words
    return words + ("零" if minute < 10 else "") + _number(minute) + "分"


def _number(n: int) -> str:
    from cn2an import an2cn

    return str(an2cn(n))


def _syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    out: list[str] = []
    for piece in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                             errors=lambda chars: chars):  # fmt: skip
        for part in [piece] if _is_syllable(piece) else list(piece):
            if _is_syllable(part):
                out.append(part)
            elif part.isascii() and part.lower() in _LETTERS:
                out.extend(_LETTERS[part.lower()].split())
            elif part in _PUNCTUATION:
                mark = _PUNCTUATION[part]
                if mark.strip():
                    out.append(mark)
            elif part in _KEPT and part.strip():
                out.append(part)
    return out


def _is_syllable(piece: str) -> bool:
    return bool(re.fullmatch(r"[a-zü]+[1-5]", piece))
