"""``assistant config show | validate | set | unset``, run as a technician would."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.support.commands import assistant, assistant_env

COMMENTED = "# set by the installer\nlang: zh  # Mandarin\nspeech_rate: 140\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "config.yaml").write_text(COMMENTED, encoding="utf-8")
    return assistant_env(tmp_path)


def test_set_checks_writes_atomically_keeps_comments_and_is_private(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = assistant(env, "config", "set", "speech_rate", "120")
    assert done.returncode == 0, done.stderr
    assert "speech_rate = 120" in done.stdout
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "# set by the installer" in text
    assert "# Mandarin" in text
    assert "speech_rate: 120" in text
    assert stat.S_IMODE((tmp_path / "config.yaml").stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".config.yaml*"))  # no temporary file left
    assert assistant(env, "config", "set", "device_id", "0001").returncode == 0
    assert "device_id: '0001'" in (tmp_path / "config.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("speech_rat", "120", "did you mean `speech_rate`?"),
        ("speech_rate", "900", "between 60 and 300"),
        ("platform_url", "http://example.org", "https://"),
        ("device_secret", "00" * 32, "assistant register"),
        ("lang", "fr", "zh, en"),
    ],
)
def test_set_refuses_a_mistake_and_leaves_the_file_alone(
    env: dict[str, str], tmp_path: Path, key: str, value: str, message: str
) -> None:
    done = assistant(env, "config", "set", key, value)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == COMMENTED


def test_show_masks_the_secret_and_names_each_source(env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "device_secret"
    secret.write_text("ab" * 32)
    secret.chmod(0o600)
    env["XIAOAN_ELDER_NAME"] = "王秀英"
    done = assistant(env, "config", "show", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["device_secret"]["value"] == "set (32 bytes, hidden)"
    assert "ab" * 8 not in done.stdout
    assert rows["speech_rate"]["source"] == "config.yaml:3"
    assert rows["elder_name"]["source"] == "environment"
    assert rows["timezone"]["source"] == "default"
    plain = assistant(env, "config", "show")
    assert "ab" * 8 not in plain.stdout
    assert "hidden" in plain.stdout


def test_validate_names_the_line_of_every_mistake(env: dict[str, str], tmp_path: Path) -> None:
    assert assistant(env, "config", "validate").returncode == 0
    (tmp_path / "config.yaml").write_text("lang: zh\nspeech_rat: 1\nearcon: maybe\n")
    done = assistant(env, "config", "validate")
    assert done.returncode == 2
    assert "line 2" in done.stderr
    assert "speech_rate" in done.stderr
    assert "line 3" in done.stderr
    assert "true or false" in done.stderr


def test_validate_checks_the_schedule_too(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "schedule.yaml").write_text(
        "medicines:\n  - name: 降压药\n    dose: 1片\n    times: ['25:00']\n", encoding="utf-8"
    )
    done = assistant(env, "config", "validate")
    assert done.returncode == 2
    assert "schedule.yaml" in done.stderr
    assert "line 4" in done.stderr


def test_unset_of_an_unknown_setting_suggests_the_right_one(env: dict[str, str]) -> None:
    done = assistant(env, "config", "unset", "speech_rat")
    assert done.returncode == 2
    assert "did you mean `speech_rate`?" in done.stderr


def test_unset_brings_the_default_back(env: dict[str, str], tmp_path: Path) -> None:
    done = assistant(env, "config", "unset", "speech_rate")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "speech_rate" not in text
    assert "lang: zh" in text
