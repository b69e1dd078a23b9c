"""Speech out: text to audio with espeak-ng, through pyttsx3's espeak-ng binding.

Mandarin is given to espeak-ng as tone-numbered pinyin for its ``cmn-latn-pinyin`` voice
(``audio.pronounce``): its ``cmn`` voice reads most characters with English tone digits.
``phonemes`` shows what the engine makes of a reply (``assistant say --phonemes``).

``Voice`` turns a reply into an ``AudioChunk``: Mandarin or English voice by language,
elder-friendly defaults (slower than espeak-ng's 175 words per minute, loud), the volume
the elder chose by voice (1–10, ``DeviceState.volume``), and a repeated reminder's
emphasis said louder and slower. Playing is the ``AudioOutput`` seam's job, so tests and
``run --audio`` record replies instead.

pyttsx3's own engine is not used: its espeak-ng driver synthesises on espeak-ng's thread
while its command queue runs on ours, and in a trial here one synthesis in three took the
previous call's rate, or wrote the previous text. We drive espeak-ng through the ctypes
binding pyttsx3 ships (``pyttsx3.drivers._espeak``) in its synchronous mode instead: the
voice, rate and loudness are set, then ``Synth`` returns with every sample, in order, in
memory (no temporary file).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import re
import subprocess
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from assistant.errors import AudioDeviceError, SpeechOutError
from audio.chunks import CHANNELS, WIDTH, AudioChunk, ChunkConverter
from audio.pronounce import VOICES, Pronouncer

_LOGGER = logging.getLogger(__name__)
_LOCK = threading.Lock()
"""One synthesis at a time: espeak-ng is the process's."""
_WORD = re.compile(r"\w")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])\s*|(?<=[.])\s+")


@dataclass(frozen=True)
class Delivery:
    """How loud and fast one reply is said."""

    rate: int
    """Words per minute."""
    volume: float
    """Loudness: 1.0 is espeak-ng's normal amplitude (100), 2.0 its loudest (200)."""


def delivery(rate: int, volume: int, emphasis: int = 0) -> Delivery:
    """Rate and loudness for the elder's volume (1–10) and a reminder's emphasis (0–3).

    Loud by default: the usual volume 7 is 1.3 times espeak-ng's normal amplitude."""
    loud = (0.4 + 0.13 * volume) * (1 + 0.15 * emphasis)
    return Delivery(round(rate * (1 - 0.08 * emphasis)), min(2.0, round(loud, 2)))


class Voice:
    """Synthesises replies in one language; every ``Voice`` shares the process's espeak-ng
    (``_espeak``), one call at a time."""

    engine = "espeak-ng"

    def __init__(self, lang: str, as_written_by: str = "") -> None:
        """``as_written_by``: another espeak-ng voice, given the text as written instead
        (``bench/speech.py`` compares with espeak-ng's own reading of the characters)."""
        self.lang = lang
        self.name = as_written_by or VOICES[lang]
        self._voice = self.name.encode()
        self._pronouncer = Pronouncer("en" if as_written_by else lang)  # "en": unchanged
        self._pronouncer.spoken("一")  # its dictionaries load now (0.4 s), not at a reply
        self._espeak, self._rate = _espeak()

    def sentences(self, text: str) -> list[str]:
        """The reply cut after each sentence's end mark, so the first plays sooner."""
        return self.split(text)

    def spoken(self, text: str) -> str:
        """What the engine is given for ``text`` (Mandarin: tone-numbered pinyin)."""
        return self._pronouncer.spoken(text)

    def phonemes(self, text: str) -> list[str]:
        """The engine's phonemes, one line per sentence (see ``phonemes``)."""
        return _espeak_phonemes(self.name, [self.spoken(part) for part in self.split(text)])

    @staticmethod
    def split(text: str) -> list[str]:
        """``text`` cut after each sentence's end mark."""
        out: list[str] = []
        for part in (p.strip() for p in _SENTENCE_END.split(text)):
            if out and not _WORD.search(part):  # a closing quote or bracket on its own
                out[-1] += part
            elif part:
                out.append(part)
        return out or [text]

    def synthesize(self, text: str, how: Delivery) -> AudioChunk:
        """The reply as audio (16 kHz mono 16-bit); ``SpeechOutError`` if none came."""
        espeak = self._espeak
        with _LOCK:
            _SAMPLES.clear()
            if espeak.SetVoiceByName(self._voice) != 0:
                raise SpeechOutError(f"espeak-ng has no voice `{self._voice.decode()}`: "
                                     "install espeak-ng-data")  # fmt: skip
            espeak.SetParameter(espeak.RATE, how.rate, 0)
            espeak.SetParameter(espeak.VOLUME, round(how.volume * 100), 0)
            spoken = self._pronouncer.spoken(text)  # Mandarin: tone-numbered pinyin
            status = espeak.Synth(spoken, flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
            audio = b"".join(_SAMPLES)
            _SAMPLES.clear()
        if status != 0 or not audio:
            raise SpeechOutError(f"espeak-ng gave no audio for a reply of {len(text)} characters")
        chunk = AudioChunk(self._rate, WIDTH, CHANNELS, audio)
        return ChunkConverter().convert(chunk, last=True)


_SAMPLES: list[bytes] = []
"""What espeak-ng's callback delivered for the synthesis under way (guarded by ``_LOCK``)."""


def _collect(wav: Any, count: int, events: Any) -> int:
    del events
    if count > 0:
        _SAMPLES.append(ctypes.string_at(wav, count * WIDTH))
    return 0


@functools.cache
def _espeak() -> tuple[ModuleType, int]:
    """espeak-ng, initialised once for the process in synchronous mode; its sample rate."""
    try:
        from pyttsx3.drivers import _espeak as espeak
    except (ImportError, OSError, RuntimeError) as err:
        raise AudioDeviceError(
            f"speech out cannot start ({err}): install espeak-ng (`sudo apt-get install espeak-ng`)"
        ) from err
    rate = espeak.Initialize(espeak.AUDIO_OUTPUT_SYNCHRONOUS, 200)
    if rate <= 0:
        raise AudioDeviceError("espeak-ng could not start: reinstall it (`sudo apt-get "
                               "install --reinstall espeak-ng`)")  # fmt: skip
    espeak.SetSynthCallback(_collect)
    return espeak, int(rate)


def phonemes(lang: str, text: str) -> list[str]:
    """espeak-ng's phonemes for each sentence of ``text`` as XiaoAn would say it, with the
    engine's own marker where it switches language (``(en)``); through the ``espeak-ng``
    program, the same library the voice uses."""
    pronouncer = Pronouncer(lang)
    return _espeak_phonemes(pronouncer.voice, [pronouncer.spoken(s) for s in Voice.split(text)])


def _espeak_phonemes(voice: str, sentences: list[str]) -> list[str]:
    out = []
    for sentence in sentences:
        try:
            done = subprocess.run(
                ["espeak-ng", "-v", voice, "-x", "-q", sentence],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SpeechOutError(f"espeak-ng cannot be run ({err}): install espeak-ng") from err
        out.append(" ".join(done.stdout.split()))
    return out
