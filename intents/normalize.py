"""Text normalisation before matching.

Receives an utterance as typed or recognised (full-width punctuation, spaces between
Mandarin words as Vosk writes them, filler words, the wake word said in the same breath,
binary junk); emits the text the matchers see:

1. control characters dropped, NFKC (full-width forms → ASCII), at most ``MAX_CHARS``;
2. punctuation → a space; Mandarin: every space removed; English: single spaces;
3. (Mandarin: homophones corrected by ``intents.homophones``, between steps 2 and 4);
4. the wake word removed at the start or the end, filler words removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_CHARS = 200
"""Longer input is cut: an elder's request fits in far fewer characters."""

_PUNCT = re.compile(r"[^\w\s'./:+-]|_")
_SPACE = re.compile(r"\s+")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


@dataclass(frozen=True)
class Normalizer:
    """Cleans utterances of one language; built from the language's ``_common.yaml``."""

    spaced: bool
    """True where words are separated by spaces (English)."""
    wake_words: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()
    leading_fillers: tuple[str, ...] = ()
    _wake: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _fill: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _lead: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        edge = r"\b" if self.spaced else ""
        wake = _alternation(self.wake_words) or "(?!)"
        object.__setattr__(
            self, "_wake", re.compile(rf"^(?:(?:{wake}){edge}\s*)+|\s*{edge}(?:{wake})$", re.I)
        )
        fill = _alternation(self.fillers)
        object.__setattr__(
            self, "_fill", re.compile(rf"{edge}(?:{fill}){edge}", re.I) if fill else None
        )
        lead = _alternation(self.leading_fillers)
        object.__setattr__(
            self, "_lead", re.compile(rf"^(?:(?:{lead}){edge}\s*)+", re.I) if lead else None
        )

    def clean(self, text: str) -> str:
        """Steps 1 and 2: characters, punctuation and spaces."""
        text = "".join(c for c in text[: MAX_CHARS * 2] if c.isprintable() or c.isspace())
        text = unicodedata.normalize("NFKC", text)
        text = _PUNCT.sub(" ", text)
        text = re.sub(r"(?<![\d\w])-|-(?![\d\w])|(?<!\d)[./:+]|[./:+](?!\d)", " ", text)
        if not self.spaced:
            return "".join(text.split())[:MAX_CHARS]
        return _SPACE.sub(" ", text).strip()[:MAX_CHARS]

    def strip(self, text: str) -> str:
        """Step 4: wake word and fillers (kept when they are all that was said: 嗯嗯)."""
        for _ in range(2):
            text = self._wake.sub("", text).strip()
        if self._lead is not None:
            text = self._lead.sub("", text)
        if self._fill is not None:
            without = self._fill.sub(" " if self.spaced else "", text)
            text = without if without.strip() else text
        return _SPACE.sub(" ", text).strip() if self.spaced else text
