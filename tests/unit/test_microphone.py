"""The microphone behind its one seam: a stand-in for the ``sounddevice`` module (the
hardware CI lacks). Devices by name or index, clear errors, and re-opening a lost device."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.errors import AudioDeviceError
from audio.devices import find_device
from audio.sources import LOST_AFTER_S, Microphone


class PortAudioError(Exception):
    pass


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeStream:
    """Delivers audio when the test calls ``deliver`` (as PortAudio's thread would)."""

    def __init__(self, backend: FakeBackend, samplerate: int, callback: Any, **_: Any) -> None:
        if samplerate not in backend.rates:
            raise PortAudioError(f"Invalid sample rate {samplerate}")
        self.samplerate = samplerate
        self.callback = callback
        backend.streams.append(self)
        self.closed = False

    def start(self) -> None:
        pass

    def deliver(self, ms: int = 50) -> None:
        self.callback(bytes(self.samplerate * ms // 1000 * 2), 0, None, None)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class FakeBackend(SimpleNamespace):
    """The parts of ``sounddevice`` the microphone uses."""

    def __init__(self, devices: list[dict[str, Any]], rates: tuple[int, ...] = (16000,)) -> None:
        super().__init__(PortAudioError=PortAudioError, default=SimpleNamespace(device=[0, 0]))
        self.devices = devices
        self.rates = rates
        self.streams: list[FakeStream] = []
        self.rescans = 0

    def _terminate(self) -> None:  # PortAudio forgets its device list ...
        self.rescans += 1

    def _initialize(self) -> None:  # ... and lists the devices again
        pass

    def query_devices(self) -> list[dict[str, Any]]:
        return self.devices

    def RawInputStream(self, **kwargs: Any) -> FakeStream:  # sounddevice's name
        return FakeStream(self, **kwargs)


USB = {"name": "USB PnP Sound Device", "max_input_channels": 1, "max_output_channels": 0,
       "default_samplerate": 48000}  # fmt: skip
HDMI = {"name": "vc4-hdmi", "max_input_channels": 0, "max_output_channels": 2,
        "default_samplerate": 48000}  # fmt: skip


def _mic(backend: FakeBackend, clock: FakeClock, device: str = "") -> Microphone:
    return Microphone(device, clock, backend, wait_s=0, sleep=clock.sleep)  # type: ignore[arg-type]


def test_devices_are_found_by_index_or_part_of_the_name() -> None:
    backend = FakeBackend([HDMI, USB])
    assert find_device("usb", "input", backend)[0] == 1  # type: ignore[arg-type]
    assert find_device("1", "input", backend)[0] == 1  # type: ignore[arg-type]
    two = FakeBackend([HDMI, {**HDMI, "name": "bcm2835 Headphones"}, {**HDMI, "name": "USB"}])
    assert find_device("2", "output", two)[0] == 2  # type: ignore[arg-type]  # not "bcm2835"
    assert find_device("", "output", backend)[0] == 0  # type: ignore[arg-type]
    with pytest.raises(
        AudioDeviceError, match=r"no microphone matches audio_input `ReSpeaker`.*1 USB"
    ):
        find_device("ReSpeaker", "input", backend)  # type: ignore[arg-type]


def test_no_microphone_at_all_says_what_to_do() -> None:
    with pytest.raises(AudioDeviceError, match=r"no microphone found: plug one in.*arecord -l"):
        _mic(FakeBackend([HDMI]), FakeClock())


def test_a_device_without_16k_is_opened_at_its_own_rate_and_resampled() -> None:
    backend = FakeBackend([USB], rates=(48000,))
    mic = _mic(backend, FakeClock())
    for _ in range(4):
        backend.streams[-1].deliver(50)
    chunks = [mic.read() for _ in range(4)]
    assert all(c is not None and (c.rate, c.channels) == (16000, 1) for c in chunks)
    total = sum(c.samples for c in chunks if c is not None)
    assert 3200 - 400 <= total <= 3200  # the resampler holds back its filter's delay


def test_a_lost_microphone_is_reopened_and_the_technician_log_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    backend = FakeBackend([USB])
    mic = _mic(backend, clock)
    backend.streams[-1].deliver()
    assert mic.read() is not None
    clock.now += LOST_AFTER_S + 1  # the device went quiet: unplugged
    backend.devices = []
    with caplog.at_level(logging.WARNING):
        assert mic.read() is None
        assert backend.streams[0].closed
        for _ in range(30):  # still gone: the loop keeps running, nothing raised
            assert mic.read() is None
        backend.devices = [USB]  # plugged in again
        for _ in range(30):
            if mic.read() is None and len(backend.streams) == 2:
                break
        backend.streams[-1].deliver()
        assert mic.read() is not None
    messages = [r.getMessage() for r in caplog.records]
    assert any("lost" in m and "re-opening" in m for m in messages)
    assert any("back after" in m for m in messages)
    assert len(backend.streams) == 2
    assert backend.rescans >= 2  # a device plugged in again is only seen after a rescan


def test_flush_drops_what_was_captured_while_xiaoan_spoke() -> None:
    backend = FakeBackend([USB])
    mic = _mic(backend, FakeClock())
    for _ in range(5):
        backend.streams[-1].deliver()
    mic.flush()
    assert mic.read() is None
