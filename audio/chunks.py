"""Audio as typed chunks: one shape for the microphone, WAV files and speech out.

Every stage receives ``AudioChunk`` values normalised once, at the edge, to 16 kHz, 16-bit,
mono (``ChunkConverter``). A WAV file (``wav_chunks``) and the microphone produce the same
chunks, so every stage can be run from recordings.
"""

from __future__ import annotations

import math
import stat
import wave
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AudioFileError

RATE = 16_000
"""Samples per second of every chunk after the edge."""
WIDTH = 2
"""Bytes per sample (16-bit signed, little-endian)."""
CHANNELS = 1
CHUNK_MS = 50
"""The usual chunk length: short, so the end of speech is seen within 50 ms of the VAD
deciding; the wake spotter gathers two before it decodes."""


@dataclass(frozen=True)
class AudioChunk:
    """A piece of PCM audio and when it began (milliseconds on its source's timeline)."""

    rate: int
    width: int
    channels: int
    audio: bytes
    timestamp_ms: int = 0

    @property
    def samples(self) -> int:
        """Samples per channel."""
        return len(self.audio) // (self.width * self.channels)

    @property
    def seconds(self) -> float:
        """Duration."""
        return self.samples / self.rate

    @property
    def end_ms(self) -> int:
        """When the chunk ends, on the same timeline as ``timestamp_ms``."""
        return self.timestamp_ms + round(self.seconds * 1000)


class ChunkConverter:
    """Converts chunks of any rate, width and channel count to 16 kHz, 16-bit, mono.

    Stateful across chunks of one stream (the resampler keeps its filter history).
    """

    def __init__(self, rate: int = RATE) -> None:
        self.rate = rate
        self._resampler: Any = None
        self._from_rate = 0

    def convert(self, chunk: AudioChunk, last: bool = False) -> AudioChunk:
        """The chunk in the target format; ``last`` flushes the resampler's delay."""
        audio = _to_16bit(chunk.audio, chunk.width)
        if chunk.channels > 1:
            audio = _to_mono(audio, chunk.channels)
        if chunk.rate != self.rate:
            audio = self._resample(audio, chunk.rate, last)
        return AudioChunk(self.rate, WIDTH, CHANNELS, audio, chunk.timestamp_ms)

    def _resample(self, audio: bytes, rate: int, last: bool) -> bytes:
        import numpy as np
        import soxr

        if self._resampler is None or rate != self._from_rate:
            self._resampler = soxr.ResampleStream(rate, self.rate, 1, dtype="int16")
            self._from_rate = rate
        out = self._resampler.resample_chunk(np.frombuffer(audio, dtype=np.int16), last=last)
        return bytes(out.tobytes())


def _to_16bit(audio: bytes, width: int) -> bytes:
    if width == WIDTH:
        return audio
    if width == 1:  # unsigned 8-bit
        return array("h", ((b - 128) << 8 for b in audio)).tobytes()
    if width in (3, 4):
        step = width
        out = array("h", (int.from_bytes(audio[i + step - 2 : i + step], "little", signed=True)
                          for i in range(0, len(audio) - step + 1, step)))  # fmt: skip
        return out.tobytes()
    raise AudioFileError(f"{width * 8}-bit audio is not supported: use 16-bit PCM")


def _to_mono(audio: bytes, channels: int) -> bytes:
    samples = array("h", audio)
    mono = array("h", (sum(samples[i : i + channels]) // channels
                       for i in range(0, len(samples) - channels + 1, channels)))  # fmt: skip
    return mono.tobytes()


def wav_chunks(path: Path, chunk_ms: int = CHUNK_MS) -> Iterator[AudioChunk]:
    """The file's audio as normalised chunks, timestamped from 0."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or a device: never read for ever
            raise AudioFileError(f"{path}: is not a file: give the path of a WAV recording")
        reader = wave.open(str(path), "rb")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError as err:
        raise AudioFileError(f"{path}: no such file: give the path of a WAV recording") from err
    except (wave.Error, EOFError, OSError) as err:
        raise AudioFileError(
            f"{path}: is not a PCM WAV file ({err}): convert it, e.g. "
            f"`sox {path.name} -r 16000 -c 1 -b 16 out.wav`"
        ) from err
    with reader:
        rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
        if not (1000 <= rate <= 384_000 and 1 <= channels <= 32):
            raise AudioFileError(
                f"{path}: says {rate} samples a second and {channels} channel(s), which no "
                f"recording has: convert it, e.g. `sox {path.name} -r 16000 -c 1 -b 16 out.wav`"
            )
        converter = ChunkConverter()
        frames = max(1, min(reader.getnframes() or 1, rate * chunk_ms // 1000))
        position = 0
        data = reader.readframes(frames)
        while data:
            following = reader.readframes(frames)
            chunk = AudioChunk(rate, width, channels, data, position * 1000 // rate)
            position += len(data) // (width * channels)
            yield converter.convert(chunk, last=not following)
            data = following


def read_wav(path: Path, whole: bool = False) -> AudioChunk:
    """A whole WAV file as one normalised chunk (``whole``: converted in one step)."""
    return join(wav_chunks(path, 1 << 30 if whole else CHUNK_MS))


def join(chunks: Iterable[AudioChunk]) -> AudioChunk:
    """Consecutive chunks of one format as one chunk (the first one's timestamp)."""
    items = list(chunks)
    if not items:
        return AudioChunk(RATE, WIDTH, CHANNELS, b"")
    first = items[0]
    audio = b"".join(c.audio for c in items)
    return AudioChunk(first.rate, first.width, first.channels, audio, first.timestamp_ms)


def write_wav(path: Path, chunk: AudioChunk) -> None:
    """Write one chunk as a WAV file."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(chunk.channels)
        writer.setsampwidth(chunk.width)
        writer.setframerate(chunk.rate)
        writer.writeframes(chunk.audio)


def silence(ms: int, rate: int = RATE, timestamp_ms: int = 0) -> AudioChunk:
    """``ms`` milliseconds of digital silence."""
    return AudioChunk(rate, WIDTH, CHANNELS, bytes(rate * ms // 1000 * WIDTH), timestamp_ms)


def tone(hz: float, ms: int, rate: int = RATE, level: float = 0.3) -> AudioChunk:
    """A sine tone with 10 ms fades (the earcon), generated: no sound file needed."""
    count = rate * ms // 1000
    fade = max(1, rate // 100)
    peak = level * 32767

    def sample(i: int) -> int:
        envelope = min(1.0, i / fade, (count - i) / fade)
        return round(peak * envelope * math.sin(2 * math.pi * hz * i / rate))

    return AudioChunk(rate, WIDTH, CHANNELS, array("h", map(sample, range(count))).tobytes())


def split(chunk: AudioChunk, chunk_ms: int = CHUNK_MS) -> Iterator[AudioChunk]:
    """A long chunk as consecutive chunks of ``chunk_ms``."""
    step = chunk.rate * chunk_ms // 1000 * chunk.width * chunk.channels
    for offset in range(0, len(chunk.audio), step):
        start_ms = chunk.timestamp_ms + offset * 1000 // (chunk.rate * chunk.width * chunk.channels)
        yield AudioChunk(chunk.rate, chunk.width, chunk.channels,
                         chunk.audio[offset : offset + step], start_ms)  # fmt: skip


def level(chunk: AudioChunk) -> float:
    """Root-mean-square level, 0–1 of full scale."""
    samples = array("h", chunk.audio)
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
