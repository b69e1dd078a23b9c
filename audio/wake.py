"""The wake phrase, spotted on the audio stream by Vosk restricted to it.

Receives every chunk while XiaoAn waits; emits ``Woken`` when the phrase was said. The
recogniser's grammar is the phrase, ``[unk]`` when the model has it, and "garbage" words
(other words of the sentences) that soak up everything else, so that not every sound
becomes the phrase. Detection policy (``WakePolicy``), in this order:

1. the phrase stands in ``repeats`` consecutive partial results (a grammar recogniser only
   gives a final result at a pause, so partials keep waking fast);
2. then the segment is closed and every word of the phrase must have a confidence of at
   least ``threshold``; a final result at Vosk's own pause is judged the same way;
3. after waking (and while XiaoAn speaks) the phrase is ignored for ``refractory_s``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.errors import ModelError
from audio.chunks import AudioChunk
from audio.recognizer import RENEW_EVERY
from audio.vosk_model import UNKNOWN, VoskModel

_LOGGER = logging.getLogger(__name__)
DEFAULT_PHRASES = {"zh": "小安小安", "en": "hello assistant"}
FEED_MS = 100
"""Audio gathered before each decoding step (one partial result per step)."""
GAP_MS = 20
"""A jump in the chunks' timeline larger than this is a gap in the audio."""


@dataclass(frozen=True)
class WakePolicy:
    """How sure the spotter must be (the ``wake_*`` settings)."""

    phrase: str
    threshold: float = 0.6
    repeats: int = 2
    refractory_s: float = 2.0


@dataclass(frozen=True)
class Woken:
    """The wake phrase was said."""

    at_ms: int
    """When the phrase ended, on the chunks' timeline (what follows is the request)."""
    confidence: float
    """The least confidence of the phrase's words."""


class WakeWord:
    """Spots the wake phrase; ``process`` every chunk while waiting."""

    def __init__(self, model: VoskModel, policy: WakePolicy, garbage: Sequence[str] = ()) -> None:
        words = model.segment(policy.phrase)
        if words is None:
            raise ModelError(
                f"{model.folder}: the wake phrase `{policy.phrase}` has words this model does "
                "not know: set another `wake_phrase` in config.yaml"
            )
        self._words = words
        self._policy = policy
        self._grammar = self._build_grammar(model, garbage)
        self._model = model
        self._recognizer: Any = self._new_recognizer()
        self._resets = 0
        self._base_ms: int | None = None
        self._hits = 0
        self._quiet_until_ms = -1
        self._pending: list[AudioChunk] = []
        self._next_ms: int | None = None
        """Where the next chunk should begin; a gap (audio dropped while XiaoAn spoke)
        starts the recogniser afresh, since its word times count only the audio it got."""

    @property
    def grammar(self) -> list[str]:
        """The phrases the spotter's recogniser may write."""
        return self._grammar

    def _build_grammar(self, model: VoskModel, garbage: Sequence[str]) -> list[str]:
        phrase = " ".join(self._words)
        others = [w for w in dict.fromkeys(garbage) if w not in self._words and model.knows(w)]
        grammar = [phrase, *others]
        if model.knows(UNKNOWN):
            grammar.append(UNKNOWN)
        elif not others:
            _LOGGER.warning("the model has no [unk] and no other words: expect false wakes")
        return grammar

    def _new_recognizer(self) -> Any:
        recognizer = self._model.recognizer(self._grammar)
        recognizer.SetWords(True)
        return recognizer

    def reset(self) -> None:
        """Forget what was heard (after listening to a request). Every ``RENEW_EVERY``
        resets the recogniser is made anew: a reused one's memory creeps up."""
        self._resets += 1
        if self._resets % RENEW_EVERY == 0:
            self._recognizer = self._new_recognizer()
        self._recognizer.Reset()
        self._base_ms = None
        self._hits = 0
        self._pending = []

    def hold(self, until_ms: int) -> None:
        """Ignore the phrase until ``until_ms`` (XiaoAn is speaking, or just woke)."""
        self._quiet_until_ms = max(self._quiet_until_ms, until_ms)

    def process(self, chunk: AudioChunk) -> Woken | None:
        """Take one chunk; ``Woken`` if the phrase was said."""
        if self._next_ms is not None and abs(chunk.timestamp_ms - self._next_ms) > GAP_MS:
            self.reset()
        self._next_ms = chunk.end_ms
        if self._base_ms is None:
            self._base_ms = chunk.timestamp_ms
        self._pending.append(chunk)
        if sum(c.seconds for c in self._pending) * 1000 < FEED_MS - 1:
            return None
        audio = b"".join(c.audio for c in self._pending)
        self._pending = []
        if self._recognizer.AcceptWaveform(audio):
            self._hits = 0
            return self._judged(self._recognizer.Result(), chunk)
        partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        self._hits = self._hits + 1 if self._holds_phrase(partial.split()) else 0
        if self._hits < self._policy.repeats:
            return None
        self._hits = 0
        return self._judged(self._recognizer.FinalResult(), chunk)

    def _holds_phrase(self, said: list[str]) -> bool:
        size = len(self._words)
        return any(said[i : i + size] == self._words for i in range(len(said) - size + 1))

    def _judged(self, result: str, chunk: AudioChunk) -> Woken | None:
        words: list[dict[str, Any]] = json.loads(result).get("result", [])
        size = len(self._words)
        best: Woken | None = None
        for i in range(len(words) - size + 1):
            span = words[i : i + size]
            if [w.get("word") for w in span] != self._words:
                continue
            confidence = min(float(w.get("conf", 0.0)) for w in span)
            at_ms = (self._base_ms or 0) + round(float(span[-1].get("end", 0.0)) * 1000)
            if confidence >= self._policy.threshold and (best is None or at_ms > best.at_ms):
                best = Woken(min(at_ms, chunk.end_ms), confidence)
        if best is None:
            return None
        if best.at_ms < self._quiet_until_ms:
            _LOGGER.debug("wake phrase ignored: within the refractory time")
            return None
        self.hold(best.at_ms + round(self._policy.refractory_s * 1000))
        _LOGGER.info("Woken (confidence %.2f)", best.confidence)
        return best
