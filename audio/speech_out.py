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
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AudioDeviceError
from audio.chunks import AudioChunk, read_wav

_LOGGER = logging.getLogger(__name__)
VOICES = {"zh": "cmn", "en": "en-us"}
"""espeak-ng voice of each language."""
VOLUME_NORMAL = 7
"""The volume setting that is espeak-ng's normal loudness."""


@dataclass(frozen=True)
class Delivery:
    """How loud and fast one reply is said."""

    rate: int
    """Words per minute."""
    volume: float
    """espeak-ng's amplitude as pyttsx3 takes it (1.0 normal, up to 2.0)."""


def delivery(rate: int, volume: int, emphasis: int = 0) -> Delivery:
    """Rate and loudness for the elder's volume (1–10) and a reminder's emphasis (0–3)."""
    loud = volume / VOLUME_NORMAL * (1 + 0.15 * emphasis)
    return Delivery(round(rate * (1 - 0.08 * emphasis)), min(2.0, round(loud, 2)))


class Voice:
    """Synthesises replies; one espeak-ng engine for the process, used by one thread."""

    def __init__(self, lang: str, workdir: Path | None = None) -> None:
        self._voice = VOICES[lang]
        self._engine = _engine()
        self._dir = Path(tempfile.mkdtemp(prefix="xiaoan-tts-", dir=workdir))
        os.chmod(self._dir, 0o700)
        self._lock = threading.Lock()

    def synthesize(self, text: str, how: Delivery) -> AudioChunk:
        """The reply as audio (16 kHz mono 16-bit)."""
        path = self._dir / "reply.wav"
        with self._lock, contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "saved"
            engine = self._engine
            engine.setProperty("voice", self._voice)
            engine.setProperty("rate", how.rate)
            engine.setProperty("volume", how.volume)
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            try:
                return read_wav(path)
            finally:
                path.unlink(missing_ok=True)

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
