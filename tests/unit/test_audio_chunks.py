"""Audio chunks: WAV files of any common format arrive as 16 kHz, 16-bit, mono chunks."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import pytest

from assistant.errors import AudioFileError
from audio.chunks import (
    AudioChunk,
    join,
    level,
    read_wav,
    silence,
    split,
    tone,
    wav_chunks,
    write_wav,
)


def _write(path: Path, rate: int, width: int, channels: int, frames: bytes) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def test_chunk_reports_samples_seconds_and_end() -> None:
    chunk = AudioChunk(16000, 2, 1, bytes(3200), timestamp_ms=500)
    assert (chunk.samples, chunk.seconds, chunk.end_ms) == (1600, 0.1, 600)


def test_a_16k_file_arrives_unchanged_in_100_ms_chunks(tmp_path: Path) -> None:
    audio = tone(440, 1000).audio
    chunks = list(wav_chunks(_write(tmp_path / "a.wav", 16000, 2, 1, audio), chunk_ms=100))
    assert len(chunks) == 10
    assert [c.timestamp_ms for c in chunks[:3]] == [0, 100, 200]
    assert join(chunks).audio == audio


@pytest.mark.parametrize(
    ("rate", "width", "channels"), [(22050, 2, 1), (48000, 2, 2), (8000, 1, 1)]
)
def test_other_formats_are_normalised_at_the_edge(
    tmp_path: Path, rate: int, width: int, channels: int
) -> None:
    samples = tone(440, 500, rate=rate).audio
    if width == 1:
        frames = bytes((s >> 8) + 128 for s in array("h", samples))
    else:
        frames = b"".join(samples[i : i + 2] * channels for i in range(0, len(samples), 2))
    chunk = read_wav(_write(tmp_path / "b.wav", rate, width, channels, frames))
    assert (chunk.rate, chunk.width, chunk.channels) == (16000, 2, 1)
    assert chunk.seconds == pytest.approx(0.5, abs=0.02)
    assert level(chunk) == pytest.approx(level(tone(440, 500)), rel=0.1)


def test_a_file_that_is_not_wav_names_the_file_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "voice.mp3"
    bad.write_bytes(b"ID3 not a wave")
    with pytest.raises(AudioFileError, match=r"voice\.mp3: is not a PCM WAV file.*sox"):
        read_wav(bad)
    with pytest.raises(AudioFileError, match="no such file"):
        read_wav(tmp_path / "missing.wav")


def test_split_join_and_write_round_trip(tmp_path: Path) -> None:
    whole = join([tone(300, 250), silence(250)])
    parts = list(split(whole, 100))
    assert [p.timestamp_ms for p in parts] == [0, 100, 200, 300, 400]
    write_wav(tmp_path / "c.wav", join(parts))
    assert read_wav(tmp_path / "c.wav").audio == whole.audio


def test_the_earcon_is_a_faded_tone() -> None:
    earcon = tone(880, 120)
    samples = array("h", earcon.audio)
    assert earcon.seconds == pytest.approx(0.12)
    assert abs(samples[0]) < 50
    assert abs(samples[-1]) < 400
    assert 0.15 < level(earcon) < 0.25
    assert level(silence(100)) == 0.0
