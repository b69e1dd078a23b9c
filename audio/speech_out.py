"""Speech out: text to audio with pyttsx3 (espeak-ng), then to a speaker or a WAV file.

``Voice`` turns a reply into an ``AudioChunk``: Mandarin or English voice by language,
elder-friendly defaults (slower than espeak-ng's 175 words per minute, loud), the volume
the elder chose by voice (1–10, ``DeviceState.volume``), and a repeated reminder's
emphasis said louder and slower. pyttsx3 only writes to a file here; playing is the
``AudioOutput`` seam's job, so tests and ``run --audio`` record replies instead.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, AudioDeviceError
from audio.chunks import AudioChunk, read_wav

_LOGGER = logging.getLogger(__name__)
VOICES = {"zh": "cmn", "en": "en-us"}
"""espeak-ng voice of each language."""
ATTEMPTS = 3
_WORD = re.compile(r"\w")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])\s*|(?<=[.])\s+")


class SpeechOutError(AssistantError):
    """espeak-ng gave no audio for a reply (the loop logs it and goes on)."""


@dataclass(frozen=True)
class Delivery:
    """How loud and fast one reply is said."""

    rate: int
    """Words per minute."""
    volume: float
    """espeak-ng's amplitude as pyttsx3 takes it (1.0 normal, up to 2.0)."""


def delivery(rate: int, volume: int, emphasis: int = 0) -> Delivery:
    """Rate and loudness for the elder's volume (1–10) and a reminder's emphasis (0–3).

    Loud by default: the usual volume 7 is 1.3 times espeak-ng's normal amplitude."""
    loud = (0.4 + 0.13 * volume) * (1 + 0.15 * emphasis)
    return Delivery(round(rate * (1 - 0.08 * emphasis)), min(2.0, round(loud, 2)))


class Voice:
    """Synthesises replies; one espeak-ng engine for the process, used by one thread."""

    def __init__(self, lang: str, workdir: Path | None = None) -> None:
        self._voice = VOICES[lang]
        self._engine = _engine()
        self._dir = Path(tempfile.mkdtemp(prefix="xiaoan-tts-", dir=workdir))
        os.chmod(self._dir, 0o700)
        self._lock = threading.Lock()

    def sentences(self, text: str) -> list[str]:
        """The reply cut after each sentence's end mark, so the first plays sooner."""
        out: list[str] = []
        for part in (p.strip() for p in _SENTENCE_END.split(text)):
            if out and not _WORD.search(part):  # a closing quote or bracket on its own
                out[-1] += part
            elif part:
                out.append(part)
        return out or [text]

    def synthesize(self, text: str, how: Delivery) -> AudioChunk:
        """The reply as audio (16 kHz mono 16-bit); ``SpeechOutError`` if none came."""
        path = self._dir / "reply.wav"
        with self._lock:
            for _ in range(ATTEMPTS):  # pyttsx3's loop now and then returns before writing
                self._write(text, how, path)
                if path.exists():
                    try:
                        return read_wav(path, whole=True)
                    finally:
                        path.unlink(missing_ok=True)
        raise SpeechOutError(f"espeak-ng produced no audio for a reply of {len(text)} characters")

    def _write(self, text: str, how: Delivery, path: Path) -> None:
        engine = self._engine
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to …"
            engine.setProperty("voice", self._voice)
            engine.setProperty("rate", how.rate)
            engine.setProperty("volume", how.volume)
            engine.save_to_file(text, str(path))
            engine.runAndWait()

    def close(self) -> None:
        """Remove the private working folder."""
        with contextlib.suppress(OSError):
            for leftover in self._dir.iterdir():
                leftover.unlink()
            self._dir.rmdir()


def _engine() -> Any:
    try:
        import pyttsx3

        return pyttsx3.init("espeak")
    except (ImportError, OSError, RuntimeError) as err:
        raise AudioDeviceError(
            f"speech out cannot start ({err}): install espeak-ng (`sudo apt-get install espeak-ng`)"
        ) from err
