"""Recognition: one utterance's chunks in, a ``Transcript`` out, streaming as the elder speaks.

``Recognizer`` is the small interface the loop and the commands use; ``VoskRecognizer``
is the real one. Chunks are decoded as they arrive (``accept``), so at the end of speech
only the last fraction of a second is left (``finish``). ``restricted`` decodes the same
audio again with the recogniser limited to the intent sentences' words: the second pass,
used when the first transcript meant nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from audio.chunks import AudioChunk
from audio.vosk_model import UNKNOWN, VoskModel

FEED_BYTES = 3200
"""Audio handed to Vosk at once (100 ms): little is left to decode at the end of speech."""
RENEW_EVERY = 100
"""Utterances after which the Vosk recogniser is made anew (about 50 ms, at the start of an
utterance): a reused one keeps caching and its memory creeps up (vosk-api#209)."""


@dataclass(frozen=True)
class Transcript:
    """What was heard in one utterance."""

    text: str
    """Words as the recogniser wrote them (Mandarin with spaces between words)."""
    audio_s: float
    """Seconds of audio decoded."""
    decode_s: float
    """Processor time the decoding took, in seconds (``decode_s / audio_s`` is the RTF)."""
    finish_s: float = 0.0
    """Seconds between the end of the audio and the transcript."""
    restricted: bool = False
    """From the second pass (the sentences' vocabulary)."""


class Recognizer(Protocol):
    """Speech to text for one utterance at a time."""

    def begin(self) -> None:
        """Start an utterance."""

    def accept(self, chunk: AudioChunk) -> None:
        """Decode one more chunk of the utterance."""

    def finish(self) -> Transcript:
        """End the utterance; its transcript."""

    def restricted(self) -> Transcript | None:
        """The last utterance decoded again on the sentences' words (None: no second pass)."""


class VoskRecognizer:
    """Vosk on the configured model; one recogniser reused for every utterance."""

    def __init__(self, model: VoskModel, vocabulary: Sequence[str] = ()) -> None:
        self._model = model
        self._recognizer = model.recognizer()
        self._vocabulary = [w for w in vocabulary if model.knows(w)]
        self._second: Any = None
        self._pending = b""
        self._audio: list[bytes] = []
        self._texts: list[str] = []
        self._cpu = 0.0
        self._samples = 0
        self._utterances = 0

    @property
    def vocabulary(self) -> list[str]:
        """The words the second pass may write."""
        return self._vocabulary

    def begin(self) -> None:
        """Start an utterance (forgets the previous one's audio)."""
        self._utterances += 1
        if self._utterances % RENEW_EVERY == 0:
            self._recognizer = self._model.recognizer()
            self._second = None
        self._recognizer.Reset()
        self._pending = b""
        self._audio = []
        self._texts = []
        self._cpu = 0.0
        self._samples = 0

    def accept(self, chunk: AudioChunk) -> None:
        """Decode the chunk (in ``FEED_BYTES`` pieces)."""
        self._audio.append(chunk.audio)
        self._samples += chunk.samples
        self._pending += chunk.audio
        if len(self._pending) >= FEED_BYTES:
            self._texts += self._feed(self._recognizer, self._pending)
            self._pending = b""

    def finish(self) -> Transcript:
        """The transcript of what was accepted since ``begin``."""
        started = time.monotonic()
        if self._pending:
            self._texts += self._feed(self._recognizer, self._pending)
            self._pending = b""
        cpu = time.process_time()
        texts = [*self._texts, _text(self._recognizer.FinalResult())]
        self._cpu += time.process_time() - cpu
        text = " ".join(" ".join(texts).split())
        return Transcript(text, self._samples / 16000, self._cpu, time.monotonic() - started)

    def restricted(self) -> Transcript | None:
        """The utterance again, on the vocabulary of the intent sentences."""
        if not self._vocabulary or not self._audio:
            return None
        if self._second is None:
            self._second = self._model.recognizer([*self._vocabulary, UNKNOWN])
        started, cpu = time.monotonic(), time.process_time()
        self._second.Reset()
        audio = b"".join(self._audio)
        texts: list[str] = []
        for offset in range(0, len(audio), FEED_BYTES):
            if self._second.AcceptWaveform(audio[offset : offset + FEED_BYTES]):
                texts.append(_text(self._second.Result()))
        texts.append(_text(self._second.FinalResult()))
        text = " ".join(texts).replace(UNKNOWN, " ")
        return Transcript(" ".join(text.split()), len(audio) / 32000,
                          time.process_time() - cpu, time.monotonic() - started, True)  # fmt: skip

    def _feed(self, recognizer: Any, audio: bytes) -> list[str]:
        """Decode; the text of a segment Vosk closed at one of its own endpoints, if any."""
        cpu = time.process_time()
        closed = [_text(recognizer.Result())] if recognizer.AcceptWaveform(audio) else []
        self._cpu += time.process_time() - cpu
        return closed


def best_transcript(
    recognizer: Recognizer, understands: Callable[[str], bool], second_pass: bool = True
) -> Transcript:
    """Finish the utterance; if its words mean nothing, try the second pass (when enabled)."""
    first = recognizer.finish()
    if not second_pass or not first.text or understands(first.text):
        return first
    second = recognizer.restricted()
    if second is not None and second.text and understands(second.text):
        return second
    return first


def _text(result: str) -> str:
    try:
        return str(json.loads(result).get("text", "")).strip()
    except (ValueError, AttributeError):
        return ""
