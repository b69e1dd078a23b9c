"""A stand-in for the ``sounddevice`` module: sound hardware described by a JSON file.

Commands run as subprocesses with ``XIAOAN_AUDIO_BACKEND=tests.support.fake_sounddevice``
and ``XIAOAN_FAKE_AUDIO=/path/audio.json`` (``setup`` writes the file and gives both)::

    {"devices": [{"name": "USB PnP Sound Device", "max_input_channels": 1,
                  "max_output_channels": 0, "default_samplerate": 48000}, ...],
     "default": [0, 1],          # the system's default input and output (absent: the
                                 # first device of each kind)
     "rates": [16000, 48000],    # the rates a stream opens at (absent: any rate)
     "input_wav": "speech.wav",  # what the microphone hears, once, then silence (absent:
                                 # silence)
     "input_level": 0.1,         # instead: a 440 Hz tone of this RMS (0-1 of full scale),
                                 # or "clipping": a tone overdriven far past full scale
     "played_dir": "/path"}      # every play() writes 001.wav, 002.wav, ... there

No devices listed: the machine has no sound hardware. ``RawInputStream`` delivers its
blocks from a thread at real-time pace (a recording of 3 s takes 3 s); ``play`` writes its
WAV and returns at once. The file is read afresh on every call, so a test can unplug a
device by rewriting it.

The subprocess must be able to import ``tests``: run it from the repository root
(``python -m assistant`` puts the working directory first on ``sys.path``) or put the
root on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from audio.chunks import RATE, AudioChunk, ChunkConverter, read_wav, write_wav

ENV = "XIAOAN_FAKE_AUDIO"
"""Names the JSON file describing the hardware."""
OPTIONS = frozenset({"default", "rates", "input_wav", "input_level", "played_dir"})

USB_MIC: dict[str, Any] = {"name": "USB PnP Sound Device", "max_input_channels": 1,
                           "max_output_channels": 0, "default_samplerate": 48000}  # fmt: skip
HDMI_SPEAKER: dict[str, Any] = {"name": "vc4-hdmi", "max_input_channels": 0,
                                "max_output_channels": 2, "default_samplerate": 48000}  # fmt: skip

Samples = npt.NDArray[np.int16]


def setup(path: Path, devices: list[dict[str, Any]], **options: Any) -> dict[str, str]:
    """Write the hardware description to ``path``; the variables a subprocess needs."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise TypeError(f"unknown fake audio options {sorted(unknown)}: known {sorted(OPTIONS)}")
    values = {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
    path.write_text(json.dumps({"devices": devices, **values}), encoding="utf-8")
    return {"XIAOAN_AUDIO_BACKEND": "tests.support.fake_sounddevice", ENV: str(path)}


class PortAudioError(Exception):
    """As ``sounddevice.PortAudioError``."""


def _config() -> dict[str, Any]:
    name = os.environ.get(ENV, "")
    if not name:
        return {"devices": []}
    config: dict[str, Any] = json.loads(Path(name).read_text(encoding="utf-8"))
    return config


def _channels(kind: str) -> str:
    return "max_input_channels" if kind == "input" else "max_output_channels"


def _defaults(config: dict[str, Any]) -> list[int]:
    if "default" in config:
        return [int(i) for i in config["default"]]
    devices = config["devices"]
    return [next((i for i, d in enumerate(devices) if d.get(_channels(kind), 0) > 0), -1)
            for kind in ("input", "output")]  # fmt: skip


class _Default:
    """``sounddevice.default``: only ``device``, the default (input, output) indices."""

    @property
    def device(self) -> list[int]:
        return _defaults(_config())


default = _Default()


def query_devices(device: int | None = None, kind: str | None = None) -> Any:
    """Every device (a list of dicts), or one by index, or the default ``kind``'s."""
    config = _config()
    devices = [{**d, "index": i} for i, d in enumerate(config["devices"])]
    if kind is not None:
        device = _defaults(config)[0 if kind == "input" else 1]
    if device is None:
        return devices
    if not 0 <= device < len(devices):
        raise PortAudioError(f"Error querying device {device}")
    return devices[device]


def _device(config: dict[str, Any], device: int | str | None, kind: str) -> dict[str, Any]:
    devices: list[dict[str, Any]] = config["devices"]
    index = _defaults(config)[0 if kind == "input" else 1] if device is None else device
    if isinstance(index, str):
        index = next((i for i, d in enumerate(devices) if index in d["name"]), -1)
    if not 0 <= index < len(devices) or devices[index].get(_channels(kind), 0) <= 0:
        raise PortAudioError(f"Error opening {kind} device {index}: Invalid device [-9996]")
    return devices[index]


class _Signal:
    """What the microphone hears, sample by sample, at the stream's rate."""

    def __init__(self, config: dict[str, Any], rate: int) -> None:
        self._rate = rate
        self._position = 0
        self._level = config.get("input_level")
        self._recording: Samples = np.zeros(0, dtype=np.int16)
        if self._level is None and config.get("input_wav"):
            chunk = read_wav(Path(config["input_wav"]))
            if rate != RATE:
                chunk = ChunkConverter(rate).convert(chunk, last=True)
            self._recording = np.frombuffer(chunk.audio, dtype=np.int16)

    def next(self, frames: int) -> Samples:
        start, self._position = self._position, self._position + frames
        if self._level is None:
            block = self._recording[start : start + frames]
            return np.concatenate([block, np.zeros(frames - len(block), dtype=np.int16)])
        rms = 4.0 if self._level == "clipping" else float(self._level)
        t = np.arange(start, start + frames) / self._rate
        wave = rms * math.sqrt(2) * 32768 * np.sin(2 * math.pi * 440 * t)
        return np.clip(wave, -32768, 32767).astype(np.int16)


class RawInputStream:
    """A capture stream: ``callback(data, frames, time, status)`` gets each block from a
    thread, in real time, once ``start`` was called."""

    def __init__(
        self,
        samplerate: float | None = None,
        blocksize: int | None = None,
        device: int | str | None = None,
        channels: int | None = None,
        dtype: str | None = None,
        callback: Callable[[bytes, int, Any, Any], None] | None = None,
        **_: Any,
    ) -> None:
        config = _config()
        info = _device(config, device, "input")
        rate = int(samplerate or info["default_samplerate"])
        if "rates" in config and rate not in config["rates"]:
            raise PortAudioError("Error opening RawInputStream: Invalid sample rate [-9997]")
        self.channels = channels or 1
        if self.channels > info["max_input_channels"] or dtype not in (None, "int16"):
            raise PortAudioError("Error opening RawInputStream: Invalid number of channels")
        self.samplerate = float(rate)
        self.blocksize = blocksize or rate // 20
        self._callback = callback
        self._signal = _Signal(config, rate)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = False

    @property
    def active(self) -> bool:
        """Whether blocks are being delivered."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Begin delivering blocks."""
        self._stopped.clear()
        self._thread = threading.Thread(target=self._deliver, daemon=True)
        self._thread.start()

    def _deliver(self) -> None:
        block_s = self.blocksize / self.samplerate
        began, count = time.monotonic(), 0
        while not self._stopped.wait(max(0.0, began + (count + 1) * block_s - time.monotonic())):
            samples = np.repeat(self._signal.next(self.blocksize), self.channels)
            if self._callback is not None:
                self._callback(samples.tobytes(), self.blocksize, None, None)
            count += 1

    def stop(self) -> None:
        """Stop delivering (waits for the thread)."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def close(self) -> None:
        """Stop, and release the stream."""
        self.stop()
        self.closed = True

    def __enter__(self) -> RawInputStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def play(
    data: Any,
    samplerate: float | None = None,
    mapping: Any = None,
    blocking: bool = False,
    loop: bool = False,
    device: int | str | None = None,
    **_: Any,
) -> None:
    """Write the audio as the next numbered WAV in ``played_dir``; returns at once."""
    del mapping, blocking, loop
    config = _config()
    info = _device(config, device, "output")
    samples = np.asarray(data)
    if samples.dtype.kind == "f":
        samples = np.clip(samples * 32767, -32768, 32767)
    channels = 1 if samples.ndim == 1 else int(samples.shape[1])
    rate = int(samplerate or info["default_samplerate"])
    folder = config.get("played_dir")
    if not folder:
        return
    number = 1
    while (Path(folder) / f"{number:03d}.wav").exists():
        number += 1
    audio = samples.astype(np.int16).tobytes()
    write_wav(Path(folder) / f"{number:03d}.wav", AudioChunk(rate, 2, channels, audio))


def _terminate() -> None:
    """PortAudio forgets its devices (nothing to do: the setup is read on every call)."""


def _initialize() -> None:
    """PortAudio lists the devices again."""
