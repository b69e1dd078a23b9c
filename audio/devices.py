"""Audio devices by name or index, and the speaker: the one seam to the sound hardware.

``sounddevice`` needs the PortAudio library; without it, or without a matching device, an
``AudioDeviceError`` says what to install or which device names exist. ``AudioOutput``
is what the loop plays replies on: the ``Speaker``, or a ``WavRecorder`` (tests,
``assistant run --audio FILE.wav --replies OUT.wav``).
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from assistant.errors import AudioDeviceError
from audio.chunks import AudioChunk, ChunkConverter, join, silence, write_wav

_LOGGER = logging.getLogger(__name__)


BACKEND_ENV = "XIAOAN_AUDIO_BACKEND"
"""Names a module that stands in for ``sounddevice`` (tests and CI, which have no sound
hardware, run commands as subprocesses with ``tests.support.fake_sounddevice``). Unset on a
device."""


def sounddevice() -> ModuleType:
    """The ``sounddevice`` module (imported late: it loads PortAudio), or the stand-in
    named by ``XIAOAN_AUDIO_BACKEND``."""
    stand_in = os.environ.get(BACKEND_ENV, "")
    if stand_in:
        try:
            return importlib.import_module(stand_in)
        except ImportError as err:
            raise AudioDeviceError(
                f"{BACKEND_ENV}={stand_in} cannot be imported ({err}): unset it on a device"
            ) from err
    try:
        import sounddevice as sd
    except OSError as err:
        raise AudioDeviceError(
            f"PortAudio is missing ({err}): install it with `sudo apt-get install libportaudio2`"
        ) from err
    module: ModuleType = sd
    return module


def rescan(sd: ModuleType) -> None:
    """Make PortAudio list the devices again (it lists them once, when it starts), so a
    microphone or speaker plugged in again is found."""
    terminate, initialize = getattr(sd, "_terminate", None), getattr(sd, "_initialize", None)
    if terminate is None or initialize is None:
        return
    try:
        terminate()
        initialize()
    except sd.PortAudioError as err:
        _LOGGER.debug("PortAudio could not restart: %s", err)


def find_device(
    spec: str, kind: str, backend: ModuleType | None = None
) -> tuple[int, dict[str, Any]]:
    """The ``input`` or ``output`` device named by index or part of its name ("": default)."""
    sd = backend or sounddevice()
    devices = [dict(d) for d in sd.query_devices()]
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    usable = [(i, d) for i, d in enumerate(devices) if int(d.get(channels, 0)) > 0]
    what = "microphone" if kind == "input" else "speaker"
    if not usable:
        raise AudioDeviceError(
            f"no {what} found: plug one in (USB), check "
            f"`{'arecord' if kind == 'input' else 'aplay'} -l`"
        )
    if not spec:
        default = sd.default.device[0 if kind == "input" else 1]
        for i, d in usable:
            if i == default:
                return i, d
        return usable[0]
    for i, d in usable:
        by_index = spec.isdigit() and i == int(spec)
        if by_index or (not spec.isdigit() and spec.lower() in str(d.get("name", "")).lower()):
            return i, d
    names = "; ".join(f"{i} {d.get('name')}" for i, d in usable)
    raise AudioDeviceError(
        f"no {what} matches audio_{kind} `{spec}`: set it to one of these (index or part "
        f"of the name): {names}"
    )


class AudioOutput(Protocol):
    """Where replies are played; ``play`` returns once the audio was played."""

    def play(self, chunk: AudioChunk) -> None:
        """Play one piece of audio to its end."""


class Speaker:
    """The output device through ``sounddevice`` (opened per reply: a lost device recovers)."""

    def __init__(self, device: str = "", wait_for_device: bool = False) -> None:
        self._spec = device
        self._index: int | None = None
        self.name = ""
        self.last_error = ""
        """Why the last ``play`` failed ("" when it played): ``assistant speaker-test`` says it."""
        try:
            self._find()
        except AudioDeviceError as err:
            if not wait_for_device:
                raise
            _LOGGER.warning("%s: waiting for a speaker", err)

    @property
    def missing(self) -> bool:
        """Whether no speaker was found (it is looked for again before each reply)."""
        return self._index is None

    def _find(self) -> None:
        index, info = find_device(self._spec, "output")
        self._index, self.name = index, str(info.get("name", index))

    def play(self, chunk: AudioChunk) -> None:
        """Play and wait; a device error is logged, and the reply is lost, not the loop."""
        sd = sounddevice()
        self.last_error = ""
        if self._index is None:  # no rescan here: it would stop the microphone's stream
            try:
                self._find()
            except AudioDeviceError as lost:
                _LOGGER.debug("%s", lost)
                self.last_error = str(lost)
                return
        try:
            sd.play(_as_array(chunk), chunk.rate, device=self._index, blocking=True)
        except (sd.PortAudioError, ValueError) as err:
            self.last_error = str(err)
            _LOGGER.warning("speaker %s failed (%s): trying to re-open it", self.name, err)
            rescan(sd)
            self._index = None
            try:
                self._find()
            except AudioDeviceError as lost:
                _LOGGER.warning("%s", lost)

    def stop(self) -> None:
        """Stop what is playing now (any thread: the help button cuts a reply short)."""
        sd = sounddevice()
        try:
            sd.stop()
        except (AttributeError, sd.PortAudioError) as err:
            _LOGGER.debug("nothing stopped: %s", err)


def _as_array(chunk: AudioChunk) -> Any:
    import numpy as np

    return np.frombuffer(chunk.audio, dtype=np.int16)


class WavRecorder:
    """Writes every reply into one WAV file (with a short pause between), in memory until
    ``close``; ``started`` holds the monotonic time each reply began to be played."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._converter = ChunkConverter()
        self._pieces: list[AudioChunk] = []
        self.started: list[float] = []

    def play(self, chunk: AudioChunk) -> None:
        """Keep the audio (converted to 16 kHz) and note when it began."""
        self.started.append(self._clock())
        self._pieces += [self._converter.convert(chunk), silence(200)]

    def close(self) -> None:
        """Write the file, mode 0600: replies may name medicines and health values."""
        write_wav(self.path, join(self._pieces))
        descriptor = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:  # never through a link: a --replies pointing at /dev/null keeps /dev/null's mode
            if stat.S_ISREG(os.fstat(descriptor).st_mode):
                os.fchmod(descriptor, 0o600)
        finally:
            os.close(descriptor)
