"""The assistant supervised: systemd's watchdog (on an injected clock, and for real over a
notification socket), the heartbeat against the reference platform, ``run --service``
without a model or a microphone, and a log that keeps health data and names out."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Paths, Settings
from assistant.service.runtime import RuntimeFile
from assistant.service.supervisor import Supervisor
from assistant.service.watchdog import Watchdog, from_environment
from assistant.wiring.app import build
from tests.support import fake_sounddevice
from tests.support.audio_fixtures import KO_MODEL, KO_WAKE
from tests.support.commands import Notifications, assistant, assistant_env, notify_socket
from tests.support.platform_fixture import (
    ADMIN_TOKEN,
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    FakeClock,
    running_platform,
)


class Ticks:
    """An injected monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_watchdog_pings_every_half_period_only_while_healthy() -> None:
    sent: list[str] = []
    clock = Ticks()
    dog = Watchdog(sent.append, 30.0, clock)
    dog.ready("listening")
    assert sent == ["READY=1\nSTATUS=listening", "WATCHDOG=1"]
    clock.now += 14.9
    assert not dog.alive(True)
    clock.now += 0.1
    assert dog.alive(True)
    clock.now += 60
    assert not dog.alive(False)  # a dead sender: systemd will restart us
    assert sent.count("WATCHDOG=1") == 2
    assert dog.alive(True)  # healthy again: fed at once
    dog.stopping()
    assert sent[-1] == "STOPPING=1"


def test_outside_systemd_nothing_is_sent_and_a_foreign_watchdog_is_ignored() -> None:
    assert not from_environment({}).enabled
    assert not from_environment({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "30000000",
                                 "WATCHDOG_PID": "1"}).enabled  # fmt: skip
    assert from_environment({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "30000000"}).enabled


def test_a_dead_sender_starves_the_watchdog(tmp_path: Path) -> None:
    settings = Settings()
    paths = Paths(tmp_path)
    assistant_ = build(settings, paths, lambda event: None)
    sent: list[str] = []
    clock = Ticks()
    supervisor = Supervisor(assistant_, settings, paths, "text", Watchdog(sent.append, 2.0, clock))
    supervisor.start()
    assert sent[0].startswith("READY=1")
    clock.now += 0.5
    supervisor.tick("waiting")
    assert sent.count("WATCHDOG=1") == 1  # fed at READY, not due again yet
    clock.now += 1
    supervisor.tick("waiting")
    assert sent.count("WATCHDOG=1") == 2
    assistant_.relays[0].start()
    assistant_.relays[0].stop()  # its thread has ended: as if it had died
    clock.now += 5
    supervisor.tick("waiting")
    assert sent.count("WATCHDOG=1") == 2
    supervisor.stop()
    status = RuntimeFile(tmp_path / "data" / "runtime.json").read()
    assert status is not None
    assert status.phase == "stopped"


def test_the_heartbeat_carries_health_and_never_holds_up_an_emergency(tmp_path: Path) -> None:
    with running_platform(tmp_path) as platform:
        admin = AdminClient(platform.url, ADMIN_TOKEN)
        admin.set_faults(delay_ms=3000, paths=["/v1/heartbeat"])  # a heartbeat hangs 3 s
        env = assistant_env(tmp_path / "home", XIAOAN_PLATFORM_URL=platform.url,
                            XIAOAN_DEVICE_ID=DEVICE_ID,
                            XIAOAN_DEVICE_SECRET=DEVICE_SECRET.hex())  # fmt: skip
        done = assistant(env, "run", "--text", "--json", "--linger", "20", stdin="救命\n")
        assert done.returncode == 0, done.stderr
        alarm = admin.requests(kind="emergency")
        beat = admin.heartbeat(DEVICE_ID)
    assert len(alarm) == 1
    assert beat is not None
    assert alarm[0]["received_at"] < beat["received_at"]  # stored while the beat hung
    assert set(beat["body"]) >= {"uptime_s", "outbox_backlog", "parked", "model", "version"}


def _service(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "assistant", "run", "--service"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)  # fmt: skip


def _wait_for(messages: Notifications, wanted: str, limit: int = 60) -> list[str]:
    seen = []
    for _ in range(limit):
        seen.append(messages.next(timeout_s=30))
        if wanted in seen[-1]:
            return seen
    raise AssertionError(f"no {wanted!r} in {seen}")


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    return err.decode()


@pytest.mark.parametrize("model", ["none", "korean"])
def test_the_service_stays_up_without_a_model_or_a_microphone(tmp_path: Path, model: str) -> None:
    home = tmp_path / "home"
    clock = FakeClock()
    with running_platform(tmp_path, clock=clock) as platform, \
            notify_socket(tmp_path / "notify") as messages:  # fmt: skip
        clock.now = __import__("time").time()
        env = assistant_env(home, XIAOAN_PLATFORM_URL=platform.url, XIAOAN_DEVICE_ID=DEVICE_ID,
                            XIAOAN_DEVICE_SECRET=DEVICE_SECRET.hex(), XIAOAN_HEARTBEAT_S="1",
                            NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="1000000",
                            **fake_sounddevice.setup(tmp_path / "audio.json", []))  # fmt: skip
        if model == "korean":
            env.update(XIAOAN_MODEL_DIR=str(KO_MODEL), XIAOAN_WAKE_PHRASE=KO_WAKE)
        process = _service(env)
        problem = "no speech model" if model == "none" else "no microphone"
        try:
            assert problem in _wait_for(messages, "READY=1")[-1]  # systemctl status says it
            _wait_for(messages, "WATCHDOG=1")
            admin = AdminClient(platform.url, ADMIN_TOKEN)
            for _ in range(60):  # heartbeats come every second; the watchdog ticks with them
                beat = admin.heartbeat(DEVICE_ID)
                if beat is not None:
                    break
                _wait_for(messages, "WATCHDOG=1")
            assert beat is not None
            assert problem in str(beat["body"]["last_error"])
            status = assistant(env, "status", "--json")
            report = json.loads(status.stdout)
            assert report["running"] is True
            assert report["runtime"]["mode"] == "service"
            assert any(problem in p for p in report["runtime"]["problems"])
        finally:
            _stop(process)
        assert "STOPPING=1" in messages.rest()


PRIVATE = ("王秀英", "3栋2单元501", "降压药", "130", "85")


def test_the_log_at_info_keeps_health_data_and_names_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "schedule.yaml").write_text(
        "medicines:\n  - name: 降压药\n    dose: 1片\n    times: ['08:00']\n", encoding="utf-8"
    )
    env = assistant_env(home, XIAOAN_LOG_LEVEL="INFO", XIAOAN_ELDER_NAME="王秀英",
                        XIAOAN_ELDER_ADDRESS="3栋2单元501",
                        XIAOAN_ADDRESS_FORM="王奶奶")  # fmt: skip
    said = "血压一百三八十五\n我吃过降压药了\n我想约明天上午保洁\n对\n"
    done = assistant(env, "run", "--text", stdin=said)
    assert done.returncode == 0, done.stderr
    assert "130/85" in done.stdout  # the elder hears it ...
    log = (home / "logs" / "xiaoan.log").read_text(encoding="utf-8")
    log = log.replace(str(tmp_path), "<tmp>")  # pytest-130 is a folder, not a reading
    assert "INFO" in log  # ... the log was written at INFO ...
    for private in PRIVATE:  # ... and holds none of it
        assert private not in log, private
        assert private not in done.stderr, private
    assert oct((home / "logs" / "xiaoan.log").stat().st_mode & 0o777) == "0o600"
