"""``assistant run`` as a user runs it (a subprocess), offline and against the reference
platform in a process of its own; and configuration mistakes it must refuse clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.chaos import admin, assistant_env, platform_process
from tests.support.speaking import Speaker


def _run(env: dict[str, str], stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "run", "--text", "--json", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def _env(home: Path, **settings: str) -> dict[str, str]:
    """This environment without XiaoAn's variables, with ``XIAOAN_HOME`` and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), **settings)
    return env


def _keys(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [json.loads(line)["key"] for line in done.stdout.splitlines()]


def test_offline_emergency_is_recorded_and_says_only_that(tmp_path: Path) -> None:
    done = _run(_env(tmp_path), "救命\n")
    assert done.returncode == 0, done.stderr
    assert _keys(done) == ["emergency.recorded"]
    assert "正在呼叫" in done.stdout
    assert "马上有人" not in done.stdout
    assert "no platform configured" in done.stderr
    db = tmp_path / "data" / "xiaoan.db"
    assert db.exists()
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_emergency_is_delivered_then_acknowledged_by_a_person(tmp_path: Path) -> None:
    """Stored by the platform is said as such; 服务中心已收到 only once a person at the care
    centre acknowledged the alarm (issue 17), which XiaoAn learns by asking."""
    with platform_process(tmp_path) as url:
        speaker = Speaker(assistant_env(tmp_path, url))
        said = speaker.say("救命")
        assert said[0] == "emergency.recorded"
        assert _until(speaker, "emergency.delivered", said)
        assert speaker.say("我想约明天上午保洁") == ["booking.confirm"]
        said = speaker.say("对")
        assert said[0] == "booking.recorded"
        assert _until(speaker, "delivered.service_booking", said)
        emergency = admin(url, "GET", "/v1/admin/requests?kind=emergency").json()["requests"][0]
        admin(url, "POST", f"/v1/admin/requests/{emergency['id']}/acknowledge",
              {"by": "值班员小张", "note": "王医生十分钟到"})  # fmt: skip
        assert speaker.hears(10.0) == "emergency.acknowledged"  # within the watch's 3 s
        errors = speaker.stop()
    assert "Traceback" not in errors


def _until(speaker: Speaker, key: str, said: list[str]) -> bool:
    """Whether ``key`` was among ``said`` or is said within 10 s."""
    return key in said or speaker.hears(10.0) == key


def test_text_mode_prints_plain_lines(tmp_path: Path) -> None:
    env = _env(tmp_path, XIAOAN_ADDRESS_FORM="王奶奶")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "run", "--text"], input="你会干什么\n",
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.startswith("小安：我可以帮您")


def test_bad_platform_url_is_named_with_the_fix_and_xiaoan_still_answers(tmp_path: Path) -> None:
    """A bad setting never keeps XiaoAn from starting (issue 15): it is at its default, the
    mistake is named, and a call for help is still recorded."""
    done = _run(_env(tmp_path, XIAOAN_PLATFORM_URL="http://platform.example.org"), "救命\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["key"] == "emergency.recorded"
    assert "XIAOAN_PLATFORM_URL" in done.stderr
    assert "https://" in done.stderr
    assert "Traceback" not in done.stderr


def test_secret_file_readable_by_others_is_not_used(tmp_path: Path) -> None:
    secret = tmp_path / "device_secret"
    secret.write_text("ab" * 32)
    secret.chmod(0o644)
    done = _run(_env(tmp_path), "")
    assert done.returncode == 0, done.stderr
    assert f"chmod 600 {secret}" in done.stderr
    assert "not paired" in done.stderr


def test_secret_in_the_config_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("device_id: d1\ndevice_secret: abababababababab\n")
    done = _run(_env(tmp_path), "")
    assert done.returncode == 0, done.stderr
    assert "line 2" in done.stderr
    assert "device_secret_file" in done.stderr


def test_a_reminder_due_fires_in_text_mode(tmp_path: Path) -> None:
    (tmp_path / "schedule.yaml").write_text(
        'medicines:\n  - {name: 降压药, dose: 一片, times: ["08:00"]}\n', encoding="utf-8"
    )
    done = _run(_env(tmp_path), "吃过了\n", "--now", "2026-11-22T08:02:00+08:00")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["key"] for line in lines] == ["reminder.medicine", "medicine.taken_named"]
    assert "该吃降压药了，一片" in lines[0]["text"]
    assert lines[0]["emphasis"] == 0
