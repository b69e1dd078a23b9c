"""Where audio comes from: the microphone, or a WAV recording playing the microphone's part.

``AudioSource`` is the seam: ``read`` gives the next normalised chunk, or None when there
is none yet (the loop then looks at the time and its other events). ``Microphone`` is the
real device (``sounddevice``); when it disappears it is re-opened, with a warning in the
technician log, instead of ending the loop. ``WavSource`` replays a file, as fast as it
can or in real time (``realtime=True``: chunks arrive when they would have been spoken).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from assistant.errors import AudioDeviceError
from audio.chunks import CHUNK_MS, RATE, WIDTH, AudioChunk, ChunkConverter, silence, wav_chunks
from audio.devices import find_device, rescan, sounddevice

_LOGGER = logging.getLogger(__name__)
LOST_AFTER_S = 3.0
"""A microphone that delivers nothing for this long is taken as lost and re-opened."""
REOPEN_EVERY_S = 2.0
RESYNC_MS = 500.0
"""Chunks are timestamped back to back; a drift beyond this (audio dropped) resyncs."""


class AudioSource(Protocol):
    """A stream of normalised chunks (timestamps in milliseconds, monotonic)."""

    @property
    def ended(self) -> bool:
        """Whether no more audio will come (a recording played to its end)."""

    def read(self) -> AudioChunk | None:
        """The next chunk; None if none arrived within about one chunk's time."""

    def flush(self) -> None:
        """Drop what was captured meanwhile (XiaoAn's own voice while it spoke)."""

    def close(self) -> None:
        """Release the device."""


class WavSource:
    """A WAV file as the microphone, followed by ``tail_ms`` of silence; its timeline starts
    at ``start_ms`` (so that one file can follow another)."""

    def __init__(
        self,
        path: Path,
        realtime: bool = False,
        tail_ms: int = 1500,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        start_ms: int = 0,
    ) -> None:
        chunks = [_shifted(c, start_ms) for c in wav_chunks(path)]
        end = chunks[-1].end_ms if chunks else 0
        chunks += [silence(CHUNK_MS, timestamp_ms=end + i * CHUNK_MS)
                   for i in range(tail_ms // CHUNK_MS)]  # fmt: skip
        self._chunks: Iterator[AudioChunk] = iter(chunks)
        self._realtime = realtime
        self._clock = clock
        self._sleep = sleep
        self._origin_ms = clock() * 1000 - start_ms if realtime else 0.0
        self._ended = False
        self.duration_ms = chunks[-1].end_ms if chunks else 0

    @property
    def ended(self) -> bool:
        """Whether the file (and its silent tail) was read to the end."""
        return self._ended

    @property
    def origin_ms(self) -> float:
        """The file's 0 on the monotonic clock, in milliseconds (0 unless ``realtime``)."""
        return self._origin_ms

    def read(self) -> AudioChunk | None:
        """The next chunk; in real time, once it has been fully 'spoken'."""
        chunk = next(self._chunks, None)
        if chunk is None:
            self._ended = True
            return None
        if not self._realtime:
            return chunk
        due_s = (self._origin_ms + chunk.end_ms) / 1000
        wait = due_s - self._clock()
        if wait > 0:
            self._sleep(wait)
        return AudioChunk(chunk.rate, chunk.width, chunk.channels, chunk.audio,
                          round(self._origin_ms + chunk.timestamp_ms))  # fmt: skip

    def flush(self) -> None:
        """In real time, skip what would have been heard while XiaoAn spoke."""
        if not self._realtime:
            return
        now_ms = self._clock() * 1000 - self._origin_ms
        rest = list(self._chunks)
        self._chunks = iter([c for c in rest if c.end_ms > now_ms])

    def close(self) -> None:
        """Nothing to release."""


def _shifted(chunk: AudioChunk, ms: int) -> AudioChunk:
    if not ms:
        return chunk
    return AudioChunk(chunk.rate, chunk.width, chunk.channels, chunk.audio,
                      chunk.timestamp_ms + ms)  # fmt: skip


class Microphone:
    """The capture device, 16-bit mono, at 16 kHz or else its own rate (resampled).

    ``backend`` is the ``sounddevice`` module (the one seam to the hardware; tests pass a
    stand-in), ``wait_s`` how long ``read`` waits for audio, ``sleep`` how it pauses
    between attempts to re-open a lost device. With ``wait_for_device`` (the service), no
    microphone at the start is a lost one, looked for again and again, not an error."""

    def __init__(
        self,
        device: str = "",
        clock: Callable[[], float] = time.monotonic,
        backend: ModuleType | None = None,
        wait_s: float = CHUNK_MS / 1000 * 2,
        sleep: Callable[[float], None] = time.sleep,
        wait_for_device: bool = False,
    ) -> None:
        self._spec = device
        self._clock = clock
        self._sd = backend or sounddevice()
        self._wait_s = wait_s
        self._sleep = sleep
        self._queue: queue.Queue[tuple[bytes, float]] = queue.Queue()
        self._stream: Any = None
        self._rate = RATE
        self._converter = ChunkConverter()
        self._last_audio = clock()
        self._lost_since: float | None = None
        self._next_ms: float | None = None
        self._next_try = 0.0
        self.name = ""
        try:
            self._open()
        except AudioDeviceError as err:
            if not wait_for_device:
                raise
            _LOGGER.warning("%s: waiting for a microphone", err)
            self._lost_since = self._next_try = clock()

    @property
    def missing(self) -> bool:
        """Whether there is no working microphone right now (it is being looked for)."""
        return self._lost_since is not None

    @property
    def ended(self) -> bool:
        """A microphone never ends."""
        return False

    def _open(self) -> None:
        sd = self._sd
        index, info = find_device(self._spec, "input", sd)
        self.name = str(info.get("name", index))
        for rate in dict.fromkeys((RATE, int(info.get("default_samplerate") or RATE))):
            try:
                self._stream = sd.RawInputStream(
                    samplerate=rate, blocksize=rate * CHUNK_MS // 1000, device=index,
                    channels=1, dtype="int16", callback=self._captured,
                )  # fmt: skip
                self._stream.start()
            except sd.PortAudioError as err:
                _LOGGER.debug("microphone %s refused %d Hz: %s", self.name, rate, err)
                continue
            self._rate = rate
            self._last_audio = self._clock()
            _LOGGER.info("Microphone %s open at %d Hz", self.name, rate)
            return
        raise AudioDeviceError(
            f"the microphone `{self.name}` cannot be opened at 16 kHz or its own rate: "
            "check the cable, close a program that holds it (the service: `sudo systemctl "
            "stop xiaoan` first; PipeWire on a desktop), or set audio_input to another device"
        )

    def _captured(self, data: Any, frames: int, when: Any, status: Any) -> None:
        del frames, when
        if status:
            _LOGGER.debug("microphone status: %s", status)
        self._queue.put((bytes(data), self._clock()))

    def read(self) -> AudioChunk | None:
        """The next chunk; None while there is none (and while the device is re-opened)."""
        if self._lost_since is not None:
            self._reopen()
            return None
        try:
            data, captured_at = self._queue.get(timeout=self._wait_s)
        except queue.Empty:
            if self._clock() - self._last_audio > LOST_AFTER_S:
                self._lost(f"no audio for {LOST_AFTER_S:.0f} s")
            return None
        self._last_audio = captured_at
        length_ms = len(data) // WIDTH * 1000 / self._rate
        start_ms = captured_at * 1000 - length_ms
        if self._next_ms is not None and abs(start_ms - self._next_ms) < RESYNC_MS:
            start_ms = self._next_ms  # callbacks jitter: the audio itself is continuous
        self._next_ms = start_ms + length_ms
        return self._converter.convert(AudioChunk(self._rate, WIDTH, 1, data, round(start_ms)))

    def _lost(self, why: str) -> None:
        _LOGGER.warning("microphone %s lost (%s): re-opening it", self.name, why)
        self.close()
        self._lost_since = self._clock()
        self._next_try = self._clock()

    def _reopen(self) -> None:
        now = self._clock()
        if now < self._next_try:
            self._sleep(min(0.2, self._next_try - now))
            return
        self._next_try = now + REOPEN_EVERY_S
        rescan(self._sd)
        try:
            self._open()
        except AudioDeviceError as err:
            _LOGGER.debug("microphone still gone: %s", err)
            return
        _LOGGER.warning(
            "microphone %s back after %.0f s", self.name, now - (self._lost_since or now)
        )
        self._lost_since = None

    def flush(self) -> None:
        """Drop the audio captured so far (XiaoAn's own voice)."""
        self._next_ms = None
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        """Stop and close the stream (errors of a vanished device are ignored)."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        sd = self._sd
        try:
            stream.stop()
            stream.close()
        except sd.PortAudioError as err:
            _LOGGER.debug("closing the microphone: %s", err)
