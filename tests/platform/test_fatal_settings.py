"""A mistake in config.yaml never keeps XiaoAn from starting (issue 15): the setting falls
back to its default, the device listens and relays, and the mistake shows in doctor,
status and the heartbeat; ``config validate`` still refuses the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.chaos import admin, assistant_env
from tests.support.speaking import Speaker
from tests.support.watched_platform import watched_platform


def _assistant(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env,
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip


def test_a_typo_in_the_settings_leaves_a_working_device_that_says_so(tmp_path: Path) -> None:
    with watched_platform(tmp_path) as platform:
        env = dict(assistant_env(tmp_path, platform.url), XIAOAN_HEARTBEAT_S="1")
        home = tmp_path / "home"
        home.mkdir()
        (home / "config.yaml").write_text("speach_rate: 120\nrequest_timeout_s: .inf\n",
                                          encoding="utf-8")  # fmt: skip
        speaker = Speaker(env)
        assert speaker.say("救命")[0] == "emergency.recorded"
        status = _assistant(env, "status", "--json")
        problems = json.loads(status.stdout)["runtime"]["problems"]
        beat = platform.heartbeat_where(lambda body: body.get("problems"))
        errors = speaker.stop()
        stored = admin(platform.url, "GET", "/v1/admin/requests?kind=emergency").json()["requests"]
    assert len(stored) == 1  # the default timeout works
    assert any("speach_rate" in p and "speech_rate" in p for p in problems), problems
    assert any("request_timeout_s" in p for p in beat["problems"]), beat
    doctor = json.loads(_assistant(env, "doctor", "--json").stdout)
    configuration = next(c for c in doctor["checks"] if c["part"] == "configuration")
    assert configuration["status"] == "fail"
    assert "speach_rate" in configuration["detail"]
    validate = _assistant(env, "config", "validate")
    assert validate.returncode == 2
    assert "config.yaml, line 1" in validate.stderr
    assert "Traceback" not in errors + status.stderr + validate.stderr
