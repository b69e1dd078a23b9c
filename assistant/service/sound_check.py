"""The technician's sound checks, behind ``assistant devices``, ``mic-test`` and
``speaker-test``: which devices there are and which one the settings select, a recording
through the real capture path measured (peak, RMS, clipped samples, a verdict), and the
elder's volume. The recording stays in memory and is never written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TextIO

from assistant.config import Paths, Settings
from assistant.errors import AudioDeviceError
from assistant.storage.database import Database, get_value
from assistant.values.volume import VOLUME_DEFAULT, volume_of
from audio.chunks import RATE, AudioChunk, join, level
from audio.devices import Speaker, find_device
from audio.sources import LOST_AFTER_S, Microphone

SILENCE_DBFS = -55.0
"""An RMS level below this is silence: the microphone hears nothing."""
CLIPPED_MAX = 0.001
"""More than this fraction of samples at full scale is clipping."""
FLOOR_DBFS = round(20 * math.log10(1 / 32768), 1)
"""The level of digital silence: one step of 16-bit audio (-90.3 dBFS)."""
METER_MS = 100
METER_WIDTH = 40
TEST_SENTENCES = {"zh": "您好，我是小安。这是扬声器测试。",
                  "en": "Hello, I am XiaoAn. This is a speaker test."}  # fmt: skip


@dataclass(frozen=True)
class Device:
    """One microphone or speaker as listed."""

    index: int
    name: str
    channels: int
    default_rate: int
    default: bool
    selected: bool


@dataclass(frozen=True)
class MicResult:
    """What ``mic-test`` measured (levels in dBFS, ``clipped`` a fraction of samples)."""

    device: str
    seconds: float
    peak_dbfs: float
    rms_dbfs: float
    clipped: float
    verdict: str
    played_back: bool


ADVICE = {
    "silence": "nothing heard: check the microphone is plugged in, not muted (alsamixer), "
    "and audio_input (`assistant devices`)",
    "clipping": "too loud: lower the capture gain in alsamixer or move the microphone away",
}


@contextmanager
def portaudio_errors(sd: ModuleType) -> Iterator[None]:
    """PortAudio's own errors as an ``AudioDeviceError`` naming the fix."""
    try:
        yield
    except sd.PortAudioError as err:
        raise AudioDeviceError(
            f"PortAudio failed ({err}): check `aplay -l` / `arecord -l`, or reinstall it "
            "(`sudo apt-get install --reinstall libportaudio2`)"
        ) from err


def find_selected(sd: ModuleType, spec: str, kind: str) -> tuple[int, dict[str, Any]]:
    """The device ``spec`` selects; when a set one is not found, the error says how to
    choose another."""
    try:
        return find_device(spec, kind, sd)
    except AudioDeviceError as err:
        if not spec:
            raise
        raise AudioDeviceError(
            f"{err}; e.g. `assistant config set audio_{kind} N` (N: an index from "
            "`assistant devices`)"
        ) from err


def listed(sd: ModuleType, spec: str, kind: str) -> tuple[list[Device], str]:
    """The devices of one kind, and why the selected one is missing ("" when found)."""
    with portaudio_errors(sd):
        infos = [dict(d) for d in sd.query_devices()]
        default = int(sd.default.device[0 if kind == "input" else 1])
        try:
            selected, problem = find_selected(sd, spec, kind)[0], ""
        except AudioDeviceError as err:
            selected, problem = -1, str(err)
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    listed = [Device(i, str(d.get("name", i)), int(d.get(key, 0)),
                     round(float(d.get("default_samplerate") or 0)), i == default, i == selected)
              for i, d in enumerate(infos) if int(d.get(key, 0)) > 0]  # fmt: skip
    return listed, problem


def speaker_for(sd: ModuleType, settings: Settings, hint: str = "") -> Speaker:
    """The speaker the settings select (``hint`` is added to the error when it is missing)."""
    try:
        find_selected(sd, settings.audio_output, "output")
    except AudioDeviceError as err:
        raise AudioDeviceError(f"{err}{hint}") from err
    return Speaker(settings.audio_output)


def play(speaker: Speaker, chunk: AudioChunk) -> None:
    """Play ``chunk``; a speaker that failed is an ``AudioDeviceError`` naming the fix."""
    speaker.play(chunk)
    if speaker.last_error:
        raise AudioDeviceError(
            f"the speaker `{speaker.name}` failed ({speaker.last_error}): check its cable "
            "and `aplay -l`, or set audio_output to another device (`assistant devices`)"
        )


def record(
    microphone: Microphone,
    seconds: float,
    meter: Meter,
    clock: Callable[[], float] = time.monotonic,
) -> AudioChunk:
    """``seconds`` of audio from the microphone (16 kHz), shown on the meter as it comes."""
    wanted = round(seconds * RATE)
    pieces: list[AudioChunk] = []
    got = 0
    deadline = clock() + seconds + LOST_AFTER_S + 1
    while got < wanted:
        chunk = microphone.read()
        if chunk is None:
            if clock() > deadline:
                meter.close()
                raise AudioDeviceError(
                    f"the microphone `{microphone.name}` gave no audio: check its cable, or "
                    "set audio_input to another device (`assistant devices`)"
                )
            continue
        pieces.append(chunk)
        got += chunk.samples
        meter.show(chunk)
    meter.close()
    whole = join(pieces)
    return AudioChunk(whole.rate, whole.width, whole.channels, whole.audio[: wanted * 2])


class Meter:
    """A one-line level meter, redrawn every 100 ms with ``\\r``; silent when ``out`` is not
    a terminal."""

    def __init__(self, out: TextIO, name: str) -> None:
        self._out = out
        self._on = out.isatty()
        self._name = name
        self._pending: list[AudioChunk] = []

    def show(self, chunk: AudioChunk) -> None:
        """Take a chunk; draw once 100 ms have gathered."""
        if not self._on:
            return
        self._pending.append(chunk)
        gathered = join(self._pending)
        if gathered.seconds * 1000 < METER_MS:
            return
        self._pending = []
        db = dbfs(level(gathered))
        bar = "#" * round(METER_WIDTH * max(0.0, 1 + db / 60))
        self._out.write(f"\r{self._name[:24]}  [{bar:<{METER_WIDTH}}] {db:6.1f} dBFS")
        self._out.flush()

    def close(self) -> None:
        """Clear the meter's line."""
        if self._on:
            self._out.write("\r" + " " * (METER_WIDTH + 46) + "\r")
            self._out.flush()


def dbfs(value: float) -> float:
    """A level (0-1 of full scale) in dBFS, one decimal; digital silence is -90.3."""
    return round(20 * math.log10(max(value, 1 / 32768)), 1)


def measure(device: str, chunk: AudioChunk, played_back: bool) -> MicResult:
    """Peak, RMS, the clipped fraction, and the verdict: ``ok``, ``silence`` or ``clipping``."""
    import numpy as np

    samples = np.frombuffer(chunk.audio, dtype=np.int16).astype(np.float64)
    count = max(1, samples.size)
    peak = float(np.max(np.abs(samples), initial=0.0)) / 32768
    rms = math.sqrt(float(np.sum(samples * samples)) / count) / 32768
    clipped = float(np.count_nonzero(np.abs(samples) >= 32767)) / count
    rms_db = dbfs(rms)
    verdict = "clipping" if clipped > CLIPPED_MAX else "silence" if rms_db < SILENCE_DBFS else "ok"
    return MicResult(device, round(chunk.seconds, 2), dbfs(peak), rms_db, round(clipped, 5),
                     verdict, played_back)  # fmt: skip


def stored_volume(paths: Paths) -> int:
    """The elder's volume (1-10) as ``DeviceState.volume`` reads it; the default when none
    was set (or there is no database yet: none is created)."""
    path = paths.database
    if not path.exists():
        return VOLUME_DEFAULT
    with Database(path).create().connect() as conn:
        return volume_of(get_value(conn, "volume"))
