"""A full SD card never silences the emergency path (issue 15).

Real processes on a real full disk: ``XIAOAN_HOME`` on a small tmpfs filled by a file
until the kernel says "No space left on device", the reference platform in its own
process on 127.0.0.1, the assistant fed utterances on stdin (``run --json``) or run as the
service (``run --service``). The design is in docs/dialogue.md ("A full disk").
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.chaos import admin, assistant_env
from tests.support.small_disk import fill, small_disk
from tests.support.speaking import Speaker
from tests.support.watched_platform import watched_platform

DELIVERY_S = 10.0
"""An emergency reaches the platform this soon after the platform can be reached."""


@contextmanager
def full_disk_home(tmp_path: Path, size_mb: int = 24) -> Iterator[Path]:
    """A folder on a small disk of its own (the home goes below it)."""
    with small_disk(tmp_path / "disk", size_mb) as disk:
        yield disk


def running_until_full(url: str, disk: Path, **settings: str) -> tuple[dict[str, str], Speaker]:
    """An assistant with its home on ``disk``, which records one reading, and then the disk
    fills."""
    env = {**assistant_env(disk, url), "XIAOAN_DISK_RESERVE_MB": "4", **settings}
    speaker = Speaker(env)
    assert "health.recorded" in speaker.say("血压一百三八十")
    fill(disk)
    return env, speaker


def test_a_running_assistant_on_a_disk_that_fills(tmp_path: Path) -> None:
    with watched_platform(tmp_path) as platform, full_disk_home(tmp_path) as disk:
        env, speaker = running_until_full(platform.url, disk)
        # an ordinary request is refused with the truth, and keeps the room for emergencies
        assert speaker.say("血压一百二七十五") == ["storage.full"]
        assert speaker.say("救命")[0] == "emergency.recorded"
        platform.arrives("emergency", 1)
        status = subprocess.run([sys.executable, "-m", "assistant", "status", "--json"],
                                env=env, capture_output=True, text=True, check=False)  # fmt: skip
        assert json.loads(status.stdout)["disk"]["full"] is True, status.stderr
        doctor = subprocess.run([sys.executable, "-m", "assistant", "doctor", "--json"],
                                env=env, capture_output=True, text=True, check=False)  # fmt: skip
        checks = json.loads(doctor.stdout)["checks"]
        assert any(c["part"] == "disk" and "disk is full" in c["detail"] for c in checks), doctor
        errors = speaker.stop()
    assert "Traceback" not in errors + status.stderr + doctor.stderr


def test_no_room_at_all_the_emergency_is_sent_from_memory(tmp_path: Path) -> None:
    with watched_platform(tmp_path) as platform, full_disk_home(tmp_path) as disk:
        _, speaker = running_until_full(platform.url, disk, XIAOAN_DISK_RESERVE_MB="1")
        assert speaker.say("救命")[0] == "emergency.recorded"  # into the reserve's room
        platform.arrives("emergency", 1)
        fill(disk, "more")  # whatever filled the disk goes on: not even the reserve is left
        assert speaker.say("着火了，救命")[0] == "emergency.not_stored"
        platform.arrives("emergency", 2)
        errors = speaker.stop()
    assert "Traceback" not in errors


def test_a_backlog_is_sent_by_a_service_started_on_a_full_disk(tmp_path: Path) -> None:
    with watched_platform(tmp_path) as platform, full_disk_home(tmp_path) as disk:
        env = assistant_env(disk, platform.url)
        env["XIAOAN_DISK_RESERVE_MB"] = "4"
        admin(platform.url, "PUT", "/v1/admin/faults", {"fail_rate": 1.0})  # the platform is down
        speaker = Speaker(env)
        assert speaker.say("救命")[0] == "emergency.recorded"
        speaker.proc.kill()  # a power cut: the outbox holds the emergency
        speaker.proc.wait(10)
        fill(disk)
        admin(platform.url, "PUT", "/v1/admin/faults", {"fail_rate": 0.0})  # the platform is back
        service = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--service"],
            env=dict(env, XIAOAN_HEARTBEAT_S="1", XIAOAN_MODEL_DIR=str(tmp_path / "no-model")),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            seconds = platform.arrives("emergency", 1, within_s=DELIVERY_S + 5)  # start-up too
            beat = platform.heartbeat_where(lambda body: body.get("disk_full"))
        finally:
            service.terminate()
            errors = service.communicate(timeout=30)[1].decode("utf-8", "replace")
        outbox = subprocess.run([sys.executable, "-m", "assistant", "outbox", "list"],
                                env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert seconds < DELIVERY_S + 5
    assert beat["disk_full"] is True
    assert any("disk is full" in p for p in beat["problems"])
    assert outbox.returncode == 0, outbox.stderr
    assert "Traceback" not in errors + outbox.stderr


def test_an_alarm_nobody_acknowledged_is_said_on_a_full_disk(tmp_path: Path) -> None:
    with watched_platform(tmp_path) as platform, full_disk_home(tmp_path) as disk:
        admin(platform.url, "PUT", "/v1/admin/faults", {"fail_rate": 1.0})  # nobody answers
        _, speaker = running_until_full(platform.url, disk, XIAOAN_EMERGENCY_ACK_TIMEOUT_S="2")
        assert speaker.say("救命")[0] == "emergency.recorded"
        assert speaker.hears(10.0) == "emergency.not_acknowledged"
        admin(platform.url, "PUT", "/v1/admin/faults", {"fail_rate": 0.0})
        platform.arrives("emergency", 1)
        platform.arrives("emergency_escalation", 1)  # committed into the reserve's room too
        errors = speaker.stop()
    assert "Traceback" not in errors


pytestmark = pytest.mark.timeout(180)


def test_starting_with_no_reserve_left_uses_the_room_of_its_own_logs(tmp_path: Path) -> None:
    """The reserve was given up and the room eaten since; the Pi restarts on a disk with
    not a byte free, and a changed schedule waits to be taken up."""
    with watched_platform(tmp_path) as platform, full_disk_home(tmp_path) as disk:
        env = {**assistant_env(disk, platform.url), "XIAOAN_DISK_RESERVE_MB": "4"}
        first = Speaker(env)
        assert "health.recorded" in first.say("血压一百三八十")
        first.stop()
        home = disk / "home"
        (home / "data" / "reserve").unlink()
        (home / "logs" / "xiaoan.log.1").write_bytes(b"old line\n" * 100_000)
        (home / "schedule.yaml").write_text("medicines:\n  - {name: 降压药, times: ['08:00']}\n",
                                            encoding="utf-8")  # fmt: skip
        fill(disk)
        speaker = Speaker(env)
        assert speaker.say("救命")[0] == "emergency.recorded"
        platform.arrives("emergency", 1)
        errors = speaker.stop()
    assert "Traceback" not in errors
