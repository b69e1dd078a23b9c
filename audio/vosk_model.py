"""One Vosk model, loaded once by explicit path, and the words it knows.

``load_model`` checks the folder first (``audio.model_store.check_model``: structure and
recorded sizes; Vosk itself misbehaves on a truncated graph) and turns Vosk's bare
"Failed to create a model" into a ``ModelError`` naming the folder and the fix. Grammar
restricted recognisers (the wake phrase, the second pass) may only use the model's own
words, so ``segment`` splits a phrase into them (longest match first, for Mandarin).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from audio.chunks import RATE
from audio.model_store import check_model

_LOGGER = logging.getLogger(__name__)
UNKNOWN = "[unk]"
_LONGEST_WORD = 6
"""Longest Mandarin word tried when segmenting (characters)."""


@dataclass
class VoskModel:
    """A loaded model and where it came from."""

    folder: Path
    model: Any
    load_s: float

    def knows(self, word: str) -> bool:
        """Whether the word is in the model's vocabulary."""
        return bool(self.model.vosk_model_find_word(word) >= 0)

    def recognizer(self, grammar: Sequence[str] | None = None) -> Any:
        """A new Vosk recogniser at 16 kHz; restricted to ``grammar`` phrases if given."""
        import vosk

        if grammar is None:
            return vosk.KaldiRecognizer(self.model, float(RATE))
        phrases = json.dumps(list(grammar), ensure_ascii=False)
        return vosk.KaldiRecognizer(self.model, float(RATE), phrases)

    def segment(self, text: str) -> list[str] | None:
        """``text`` as words of the model (spaces kept as word breaks); None if it can't be."""
        words: list[str] = []
        for part in text.split():
            if self.knows(part):
                words.append(part)
                continue
            pieces = self._longest_match(part)
            if pieces is None:
                return None
            words += pieces
        return words or None

    def _longest_match(self, text: str, strict: bool = True) -> list[str] | None:
        """Longest known words first; an unknown character is None (``strict``) or skipped."""
        if self.knows(text):
            return [text]
        words: list[str] = []
        i = 0
        while i < len(text):
            for size in range(min(_LONGEST_WORD, len(text) - i), 0, -1):
                if self.knows(text[i : i + size]):
                    words.append(text[i : i + size])
                    i += size
                    break
            else:
                if strict:
                    return None
                i += 1
        return words

    def known_words(self, texts: Iterable[str]) -> list[str]:
        """The model words in ``texts``, longest first, skipping what the model cannot write
        (for Mandarin, characters it does not know)."""
        seen: dict[str, None] = {}
        for text in texts:
            for piece in text.split():
                for word in self._longest_match(piece, strict=False) or []:
                    seen.setdefault(word, None)
        return list(seen)


def load_model(folder: Path) -> VoskModel:
    """Load the model in ``folder`` once (a few seconds; about 300–600 MB of memory)."""
    check_model(folder)
    import vosk

    vosk.SetLogLevel(-1)
    started = time.monotonic()
    try:
        model = vosk.Model(str(folder))
    except Exception as err:  # Vosk raises a bare Exception("Failed to create a model")
        raise ModelError(
            f"{folder}: Vosk could not load this model ({err}): it is damaged or not a Vosk "
            "model; run `assistant models verify`, or reinstall it with `assistant models install`"
        ) from err
    loaded = VoskModel(folder, model, time.monotonic() - started)
    _LOGGER.info("Loaded the speech model %s in %.2f s", folder, loaded.load_s)
    return loaded
