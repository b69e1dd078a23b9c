"""The technician's sound checks (``devices``, ``mic-test``, ``speaker-test``), each run as
``assistant`` in a subprocess on hardware described to the stand-in for ``sounddevice``
(``tests.support.fake_sounddevice``): real capture path, real espeak-ng, no sound
card."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import AudioDeviceError
from assistant.service.sound_check import dbfs, measure
from assistant.storage.database import Database, put_value, transaction
from audio.chunks import AudioChunk, level, read_wav, silence, tone, write_wav
from audio.devices import Speaker
from audio.speech_out import Voice, delivery
from tests.support import fake_sounddevice
from tests.support.commands import assistant, assistant_env
from tests.support.fake_sounddevice import HDMI_SPEAKER, USB_MIC, setup
from tests.support.paths import ROOT

RESPEAKER = {"name": "ReSpeaker 2-Mics", "max_input_channels": 2, "max_output_channels": 2,
             "default_samplerate": 16000}  # fmt: skip


def _env(
    tmp_path: Path, devices: list[dict[str, Any]], settings: dict[str, str] | None = None,
    **options: Any,
) -> dict[str, str]:  # fmt: skip
    """A home, the fake hardware, and the repository on the path (``tests`` importable
    whatever the working directory)."""
    env = assistant_env(tmp_path / "home", **(settings or {}))
    env.update(setup(tmp_path / "audio.json", devices, **options))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _played(folder: Path) -> list[AudioChunk]:
    return [read_wav(p) for p in sorted(folder.glob("*.wav"))]


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of English speech by espeak-ng."""
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    audio = Voice("en").synthesize("Testing the microphone, one, two, three.", delivery(140, 7))
    write_wav(path, audio)
    return path


def test_devices_lists_each_kind_with_the_default_and_the_selected_one(tmp_path: Path) -> None:
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC, RESPEAKER], {"XIAOAN_AUDIO_OUTPUT": "respeaker"},
               default=[1, 0])  # fmt: skip
    plain = assistant(env, "devices")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0] == "Microphones (inputs):"
    assert any("USB PnP Sound Device" in x and "default, selected" in x for x in lines)
    assert any(x.split()[:2] == ["2", "ReSpeaker"] and "2 ch  16000 Hz" in x for x in lines)
    assert 'audio_input "" (the system default): 1 USB PnP Sound Device' in plain.stdout
    assert "audio_output `respeaker`: 2 ReSpeaker 2-Mics" in plain.stdout

    done = assistant(env, "devices", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(d["index"], d["default"], d["selected"]) for d in report["inputs"]] == [
        (1, True, True), (2, False, False)]  # fmt: skip
    assert [(d["index"], d["default"], d["selected"]) for d in report["outputs"]] == [
        (0, True, False), (2, False, True)]  # fmt: skip
    assert report["outputs"][0] == {
        "index": 0,
        "name": "vc4-hdmi",
        "channels": 2,
        "default_rate": 48000,
        "default": True,
        "selected": False,
    }
    assert (report["audio_input"], report["audio_output"], report["problems"]) == (
        "", "respeaker", [])  # fmt: skip


def test_a_configured_device_that_is_not_there_says_how_to_choose(tmp_path: Path) -> None:
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], {"XIAOAN_AUDIO_INPUT": "ReSpeaker"})
    plain = assistant(env, "devices")
    assert plain.returncode == 6
    assert "audio_input `ReSpeaker`: not found" in plain.stdout
    assert "no microphone matches audio_input `ReSpeaker`" in plain.stderr
    assert "1 USB PnP Sound Device" in plain.stderr
    assert "`assistant config set audio_input N`" in plain.stderr
    assert "Traceback" not in plain.stderr

    done = assistant(env, "devices", "--json")
    assert done.returncode == 6
    report = json.loads(done.stdout)
    assert report["inputs"][0]["selected"] is False
    assert len(report["problems"]) == 1
    assert "audio_input" in report["problems"][0]


def test_no_sound_hardware_at_all_is_listed_as_none(tmp_path: Path) -> None:
    done = assistant(_env(tmp_path, []), "devices")
    assert done.returncode == 6
    assert "Microphones (inputs): none" in done.stdout
    assert "no microphone found: plug one in" in done.stderr


def test_mic_test_hears_speech_and_plays_it_back(tmp_path: Path, speech_wav: Path) -> None:
    played = tmp_path / "played"
    played.mkdir()
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], rates=[48000],  # no 16 kHz: resampled
               input_wav=speech_wav, played_dir=played)  # fmt: skip
    done = assistant(env, "mic-test", "--seconds", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"device", "seconds", "peak_dbfs", "rms_dbfs", "clipped", "verdict",
                           "played_back"}  # fmt: skip
    assert (result["device"], result["seconds"], result["verdict"]) == (
        "USB PnP Sound Device", 1.0, "ok")  # fmt: skip
    assert -40 < result["rms_dbfs"] < result["peak_dbfs"] <= 0
    assert result["clipped"] < 0.001
    assert result["played_back"] is True
    [back] = _played(played)
    assert (back.rate, back.channels, back.seconds) == (16000, 1, 1.0)
    assert level(back) > 0.01  # what was heard, not silence
    assert not list((tmp_path / "home").rglob("*.wav"))  # the recording was not kept


def test_mic_test_hearing_nothing_says_what_to_check(tmp_path: Path) -> None:
    played = tmp_path / "played"
    played.mkdir()
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], played_dir=played)
    done = assistant(env, "mic-test", "--seconds", "1")
    assert done.returncode == 1
    assert "verdict: silence" in done.stdout
    assert "\r" not in done.stdout  # not a terminal: no meter
    assert "nothing heard: check the microphone is plugged in, not muted (alsamixer)" in (
        done.stderr)  # fmt: skip
    assert len(_played(played)) == 1


def test_mic_test_too_loud_is_clipping(tmp_path: Path) -> None:
    played = tmp_path / "played"
    played.mkdir()
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], input_level="clipping", played_dir=played)
    done = assistant(env, "mic-test", "--seconds", "1", "--no-playback", "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["verdict"] == "clipping"
    assert result["clipped"] > 0.001
    assert result["peak_dbfs"] == 0.0
    assert result["played_back"] is False
    assert "too loud: lower the capture gain in alsamixer" in done.stderr
    assert not _played(played)


def test_mic_test_without_a_microphone_says_what_to_do(tmp_path: Path) -> None:
    done = assistant(_env(tmp_path, [HDMI_SPEAKER]), "mic-test", "--seconds", "1")
    assert done.returncode == 6
    assert "no microphone found: plug one in (USB), check `arecord -l`" in done.stderr
    assert "Traceback" not in done.stderr


def test_mic_test_without_a_speaker_offers_no_playback(tmp_path: Path) -> None:
    done = assistant(_env(tmp_path, [USB_MIC]), "mic-test", "--seconds", "1")
    assert done.returncode == 6
    assert "no speaker found" in done.stderr
    assert "--no-playback" in done.stderr


def test_on_a_terminal_the_meter_redraws_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], input_level=0.1)
    terminal, child_side = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "assistant", "mic-test", "--seconds", "1", "--no-playback"],
        stdin=subprocess.DEVNULL, stdout=child_side, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    os.close(child_side)
    shown = b""
    while True:
        try:
            data = os.read(terminal, 4096)
        except OSError:  # the child ended: its side of the terminal is closed
            break
        if not data:
            break
        shown += data
    os.close(terminal)
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 0, errors
    text = shown.decode()
    meter = [part for part in text.split("\r") if "dBFS" in part and "[" in part]
    assert len(meter) >= 5  # every 100 ms of a second
    assert "-20.0 dBFS" in meter[-1]  # a tone of RMS 0.1 of full scale
    assert "verdict: ok" in text


def _set_volume(home: Path, volume: int) -> None:
    db = Database(home / "data" / "xiaoan.db").create()
    with db.connect() as conn, transaction(conn):
        put_value(conn, "volume", str(volume))


def test_speaker_test_speaks_at_the_settings_rate_and_the_elders_volume(tmp_path: Path) -> None:
    played = tmp_path / "played"
    played.mkdir()
    env = _env(tmp_path, [HDMI_SPEAKER, USB_MIC], {"XIAOAN_SPEECH_RATE": "110"},
               played_dir=played)  # fmt: skip
    _set_volume(tmp_path / "home", 3)
    done = assistant(env, "speaker-test", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["device"], report["lang"], report["rate"], report["volume"]) == (
        "vc4-hdmi", "zh", 110, 3)  # fmt: skip
    assert report["text"] == "您好，我是小安。这是扬声器测试。"
    [slow] = _played(played)
    assert slow.seconds == pytest.approx(report["seconds"], abs=0.01)
    assert slow.seconds > 2
    assert level(slow) > 0.01

    (tmp_path / "fresh").mkdir()
    fresh = _env(tmp_path / "fresh", [HDMI_SPEAKER], {"XIAOAN_SPEECH_RATE": "220"},
                 played_dir=played)  # fmt: skip
    again = assistant(fresh, "speaker-test", "--json")
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["rate"], json.loads(again.stdout)["volume"]) == (220, 7)
    assert not (tmp_path / "fresh" / "home" / "data").exists()  # no database made to read it
    quick = _played(played)[1]
    assert quick.seconds < slow.seconds * 0.8


def test_speaker_test_in_english_with_a_text_of_ones_own(tmp_path: Path) -> None:
    env = _env(tmp_path, [HDMI_SPEAKER], {"XIAOAN_LANG": "en"})
    done = assistant(env, "speaker-test", "--text", "Good morning.")
    assert done.returncode == 0, done.stderr
    assert "Saying 'Good morning.' on vc4-hdmi" in done.stdout
    assert "140 words per minute, volume 7 of 10" in done.stdout


def test_speaker_test_without_a_speaker_says_what_to_do(tmp_path: Path) -> None:
    done = assistant(_env(tmp_path, [USB_MIC]), "speaker-test")
    assert done.returncode == 6
    assert "no speaker found: plug one in" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_speaker_that_fails_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _env(tmp_path, [HDMI_SPEAKER]).items():
        monkeypatch.setenv(name, value)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise fake_sounddevice.PortAudioError("Device unavailable [-9985]")

    speaker = Speaker()
    speaker.play(silence(100))
    assert speaker.last_error == ""
    monkeypatch.setattr(fake_sounddevice, "play", broken)
    speaker.play(silence(100))
    assert "Device unavailable" in speaker.last_error


def test_levels_and_verdicts() -> None:
    assert dbfs(0.0) == -90.3
    assert dbfs(1.0) == 0.0
    assert dbfs(0.1) == -20.0
    assert measure("m", tone(440, 500, level=0.3), True).verdict == "ok"
    assert measure("m", tone(440, 500, level=0.001), True).verdict == "silence"
    assert measure("m", silence(500), True).rms_dbfs == -90.3
    loud = AudioChunk(16000, 2, 1, b"\xff\x7f" * 12 + bytes(19976))  # 0.12 % at full scale
    assert measure("m", loud, False).clipped == 0.0012
    assert measure("m", loud, False).verdict == "clipping"


def test_the_fake_refuses_options_it_does_not_know(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown fake audio options"):
        setup(tmp_path / "audio.json", [USB_MIC], played=str(tmp_path))


def test_without_its_file_the_fake_has_no_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fake_sounddevice.ENV, raising=False)
    assert fake_sounddevice.query_devices() == []
    with pytest.raises(AudioDeviceError):
        Speaker()
