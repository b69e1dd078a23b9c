"""Homophone correction for Mandarin recognition errors (同音字).

Receives cleaned Mandarin text; emits the same text with every stretch whose toneless
pinyin equals a word of the sentence data's vocabulary written as that word
(就命 → 救命, 摔到了 → 摔倒了, 保结 → 保洁). The vocabulary comes from the same sentence
data as the templates, so correction and matching cannot drift apart.

Only stretches of two or more characters are corrected, the longest first. Real words
that sound like a vocabulary word (留学 sounds like 流血, 运到 like 晕倒) are listed as
``homophone_guard`` in ``intents/zh/_common.yaml`` and never rewritten.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

_MAX_WORD = 6


@cache
def _table() -> dict[int, str]:
    """pypinyin's character table, imported on first use (English never needs it)."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[int, str] = pinyin_dict
    return table


@cache
def syllable(char: str) -> str:
    """The toneless default reading of one character (the character itself if none).

    One reading per character, taken from pypinyin's character table: the same
    function serves the vocabulary and the utterance, so they always agree, and it is
    about twenty times faster than pypinyin's phrase-level conversion.
    """
    readings = _table().get(ord(char))
    if not readings:
        return char
    first = unicodedata.normalize("NFD", readings.split(",")[0])
    return "".join(c for c in first if not unicodedata.combining(c))


def syllables(text: str) -> list[str]:
    """One toneless syllable per character."""
    return [syllable(c) for c in text]


@dataclass(frozen=True)
class HomophoneCorrector:
    """Rewrites stretches that sound like vocabulary words as those words."""

    vocabulary: tuple[str, ...]
    guard: frozenset[str] = frozenset()
    _by_sound: dict[tuple[str, ...], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[tuple[str, ...], str] = {}
        words = [
            w
            for w in sorted(set(self.vocabulary), key=lambda w: (-len(w), w))
            if 2 <= len(w) <= _MAX_WORD and all("\u4e00" <= c <= "\u9fff" for c in w)
        ]
        for word in words:
            table.setdefault(tuple(syllables(word)), word)
        object.__setattr__(self, "_by_sound", table)

    @classmethod
    def from_words(cls, words: Iterable[str], guard: Iterable[str]) -> HomophoneCorrector:
        """Build from vocabulary words and real words never to rewrite."""
        return cls(tuple(words), frozenset(guard))

    def correct(self, text: str) -> str:
        """Text with sound-alike stretches replaced by vocabulary words."""
        sounds = syllables(text)
        protected = self._protected(text)
        out: list[str] = []
        i = 0
        while i < len(text):
            word = self._word_at(text, sounds, i, protected)
            if word is None:
                out.append(text[i])
                i += 1
            else:
                out.append(word)
                i += len(word)
        return "".join(out)

    def _protected(self, text: str) -> set[int]:
        """Indexes of characters that belong to a guarded real word."""
        protected: set[int] = set()
        for guarded in self.guard:
            start = text.find(guarded)
            while start >= 0:
                protected.update(range(start, start + len(guarded)))
                start = text.find(guarded, start + 1)
        return protected

    def _word_at(self, text: str, sounds: list[str], i: int, protected: set[int]) -> str | None:
        for size in range(min(_MAX_WORD, len(text) - i), 1, -1):
            if protected and not protected.isdisjoint(range(i, i + size)):
                continue
            word = self._by_sound.get(tuple(sounds[i : i + size]))
            if word is not None:
                return word
        return None
