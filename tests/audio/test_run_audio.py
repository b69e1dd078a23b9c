"""The audio commands as a technician runs them (subprocesses), on the real Korean model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audio.chunks import read_wav
from tests.support.audio_fixtures import KO_MODEL, KO_WAKE, recording


def _env(home: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), **settings)
    return env


def _assistant(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=180,
                          check=False)  # fmt: skip


def test_transcribe_prints_text_and_timings_per_file(tmp_path: Path) -> None:
    one = recording(tmp_path / "one.wav", 300, "오늘 날씨가 좋네요", 300)
    two = recording(tmp_path / "two.wav", 300, "감사합니다", 300)
    done = _assistant(_env(tmp_path), "transcribe", "--model", str(KO_MODEL), "--json",
                      str(one.path), str(two.path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in results] == [str(one.path), str(two.path)]
    for result in results:
        assert result["text"]
        assert result["audio_s"] > 0.5
        assert 0 < result["rtf"] < 2
        assert result["model"] == str(KO_MODEL)


def test_parse_audio_adds_the_intent(tmp_path: Path) -> None:
    one = recording(tmp_path / "one.wav", 300, "감사합니다", 300)
    env = _env(tmp_path, XIAOAN_MODEL_DIR=str(KO_MODEL))
    done = _assistant(env, "parse", "--audio", "--json", str(one.path))
    assert done.returncode == 0, done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["file"] == str(one.path)
    assert result["intent"] == "unknown"  # Korean words mean nothing to the zh intents
    assert {"text", "decode_s", "rtf", "second_pass", "confidence"} <= set(result)


def test_run_audio_wakes_answers_and_writes_the_replies(tmp_path: Path) -> None:
    rec = recording(tmp_path / "in.wav", 500, KO_WAKE, 300, "오늘 날씨가 좋네요", 2500)
    out = tmp_path / "replies.wav"
    env = _env(tmp_path, XIAOAN_WAKE_PHRASE=KO_WAKE)
    done = _assistant(env, "run", "--audio", str(rec.path), "--replies", str(out),
                      "--model", str(KO_MODEL), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert replies
    assert replies[0]["key"].startswith("help.")
    assert read_wav(out).seconds > 1.0
    assert not list((tmp_path / "data").glob("*.wav"))  # no raw audio kept


def test_no_model_is_refused_with_the_folder_and_the_fix(tmp_path: Path) -> None:
    rec = recording(tmp_path / "in.wav", 300, "감사합니다", 300)
    done = _assistant(_env(tmp_path), "transcribe", str(rec.path))
    assert done.returncode == 5
    assert str(tmp_path / "models" / "zh") in done.stderr
    assert "assistant models install zh" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_partial_model_is_refused_before_vosk_sees_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    shutil.copytree(KO_MODEL, broken, ignore=shutil.ignore_patterns("*.fst"))
    rec = recording(tmp_path / "in.wav", 300, "감사합니다", 300)
    done = _assistant(_env(tmp_path), "transcribe", "--model", str(broken), str(rec.path))
    assert done.returncode == 5
    assert str(broken) in done.stderr
    assert "graph" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wav_that_is_not_audio_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "note.wav"
    bad.write_text("not audio", encoding="utf-8")
    done = _assistant(_env(tmp_path), "transcribe", "--model", str(KO_MODEL), str(bad))
    assert done.returncode == 1
    assert "note.wav: is not a PCM WAV file" in done.stderr
    assert "Traceback" not in done.stderr


def _has_microphone() -> bool:
    from audio.devices import find_device

    try:
        find_device("", "input")
    except Exception:
        return False
    return True


@pytest.mark.skipif(_has_microphone(), reason="this machine has a microphone")
def test_without_a_microphone_run_falls_back_to_text_mode(tmp_path: Path) -> None:
    with open(os.devnull, encoding="utf-8") as nothing:  # as under systemd: no terminal
        done = subprocess.run([sys.executable, "-m", "assistant", "run"], stdin=nothing,
                              capture_output=True, text=True, env=_env(tmp_path), timeout=120,
                              check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no microphone found" in done.stderr
    assert "running in text mode" in done.stderr


def test_utterances_piped_to_run_are_text_mode(tmp_path: Path) -> None:
    done = _assistant(_env(tmp_path), "run", "--json", stdin="现在几点了\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["key"].startswith("time")


def test_replies_without_a_recording_is_a_usage_error(tmp_path: Path) -> None:
    done = _assistant(_env(tmp_path), "run", "--replies", str(tmp_path / "r.wav"))
    assert done.returncode == 2
    assert "--audio" in done.stderr
