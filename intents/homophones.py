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

from collections.abc import Iterable
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin

_MAX_WORD = 6


def _syllables(text: str) -> list[str]:
    """One toneless syllable per character (non-Chinese characters map to themselves)."""
    out: list[str] = []
    for piece in lazy_pinyin(text, errors=lambda s: list(s)):
        out.append(piece)
    return out


@dataclass(frozen=True)
class HomophoneCorrector:
    """Rewrites stretches that sound like vocabulary words as those words."""

    vocabulary: tuple[str, ...]
    guard: frozenset[str] = frozenset()
    _by_sound: dict[tuple[str, ...], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[tuple[str, ...], str] = {}
        for word in sorted(set(self.vocabulary), key=len, reverse=True):
            if 2 <= len(word) <= _MAX_WORD and all("\u4e00" <= c <= "\u9fff" for c in word):
                syllables = tuple(_syllables(word))
                if len(syllables) == len(word):
                    table.setdefault(syllables, word)
        object.__setattr__(self, "_by_sound", table)

    @classmethod
    def from_words(cls, words: Iterable[str], guard: Iterable[str]) -> HomophoneCorrector:
        """Build from vocabulary words and real words never to rewrite."""
        return cls(tuple(words), frozenset(guard))

    def correct(self, text: str) -> str:
        """Text with sound-alike stretches replaced by vocabulary words."""
        syllables = _syllables(text)
        if len(syllables) != len(text):  # pinyin did not map one syllable per character
            return text
        protected = self._protected(text)
        out: list[str] = []
        i = 0
        while i < len(text):
            word = self._word_at(text, syllables, i, protected)
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

    def _word_at(
        self, text: str, syllables: list[str], i: int, protected: set[int]
    ) -> str | None:
        for size in range(min(_MAX_WORD, len(text) - i), 1, -1):
            if protected and not protected.isdisjoint(range(i, i + size)):
                continue
            word = self._by_sound.get(tuple(syllables[i : i + size]))
            if word is not None:
                return word
        return None
