"""``assistant doctor`` as a technician runs it: a healthy device, and each failure named
with its fix. Real platform server on 127.0.0.1, the real Korean model installed and
hashed, sound hardware from the stand-in (CI has none)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.outbox import Outbox
from assistant.platform_server import PlatformServer
from assistant.storage import Database
from audio.model_store import ModelStore
from tests import fake_sounddevice
from tests.audio_fixtures import KO_MODEL
from tests.commands import assistant, assistant_env
from tests.platform_fixture import DEVICE_ID, DEVICE_SECRET, running_platform

GOOD_SCHEDULE = """\
medicines:
  - name: 降压药
    dose: 1片
    times: ["08:00"]
"""
BAD_SCHEDULE = """\
medicines:
  - name: 降压药
    dose: 1片
    times: ["8点"]
"""


@pytest.fixture(scope="module")
def installed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Korean model installed (and recorded) once; homes link to its files."""
    models = tmp_path_factory.mktemp("installed") / "models"
    ModelStore(models).install_from("ko", KO_MODEL)
    return models


@dataclass
class Device:
    """A home folder set up as on a healthy device; each test breaks one thing."""

    home: Path
    models: Path
    devices: list[dict[str, Any]] = field(
        default_factory=lambda: [fake_sounddevice.USB_MIC, fake_sounddevice.HDMI_SPEAKER]
    )
    platform_url: str = ""

    def prepare(self) -> None:
        shutil.copytree(self.models, self.home / "models", copy_function=os.link)
        (self.home / "schedule.yaml").write_text(GOOD_SCHEDULE, encoding="utf-8")
        secret = self.home / "device_secret"
        secret.write_text(DEVICE_SECRET.hex())
        secret.chmod(0o600)

    def doctor(self) -> tuple[int, dict[str, Any], str]:
        audio = fake_sounddevice.setup(self.home / "audio.json", self.devices)
        env = assistant_env(self.home, XIAOAN_LANG="zh", XIAOAN_MODEL_DIR="models/ko",
                            XIAOAN_PLATFORM_URL=self.platform_url, XIAOAN_DEVICE_ID=DEVICE_ID,
                            **audio)  # fmt: skip
        done = assistant(env, "doctor", "--json")
        assert done.stdout, done.stderr
        report = json.loads(done.stdout)
        plain = assistant(env, "doctor")
        assert plain.returncode == done.returncode
        return done.returncode, report, plain.stdout


@pytest.fixture
def device(tmp_path: Path, installed_model: Path) -> Device:
    home = tmp_path / "home"
    home.mkdir()
    ready = Device(home, installed_model)
    ready.prepare()
    return ready


def _failing(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["part"]: c for c in report["checks"] if c["status"] == "fail"}


def _run(device: Device, platform: AbstractContextManager[PlatformServer | None]) -> Any:
    with platform as server:
        if server is not None and not device.platform_url:
            device.platform_url = server.url
        return device.doctor()


def test_a_healthy_device_is_healthy(device: Device, tmp_path: Path) -> None:
    code, report, plain = _run(device, running_platform(tmp_path))
    assert code == 0, report
    assert report["healthy"] is True
    statuses = {c["part"]: c["status"] for c in report["checks"]}
    for part in ("packages", "configuration", "schedule", "microphone", "speaker", "model",
                 "platform", "registration", "clock", "disk", "outbox"):  # fmt: skip
        assert statuses[part] == "ok", report
    assert "USB PnP Sound Device" in plain
    assert "XiaoAn is healthy" in plain


def _corrupt_model(device: Device) -> None:
    victim = device.home / "models" / "ko" / "am" / "final.mdl"
    data = bytearray(victim.read_bytes())
    victim.unlink()  # a linked file: break the link, do not touch the shared model
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))


def _fill_outbox(device: Device) -> None:
    outbox = Outbox(Database(device.home / "data" / "xiaoan.db").create())
    for i in range(60):
        outbox.add("service_booking", 5, {"kind": "service_booking", "n": i}, time.time())


def _no_model(device: Device) -> None:
    shutil.rmtree(device.home / "models")


def _bad_schedule(device: Device) -> None:
    (device.home / "schedule.yaml").write_text(BAD_SCHEDULE, encoding="utf-8")


def _no_microphone(device: Device) -> None:
    device.devices = [fake_sounddevice.HDMI_SPEAKER]


def _wrong_secret(device: Device) -> None:
    (device.home / "device_secret").write_text(bytes(32).hex())


def _platform_down(device: Device) -> None:
    device.platform_url = "http://127.0.0.1:9"  # discard: nothing listens


def _fast_clock() -> float:
    return time.time() + 600.0


# case: (what breaks, before doctor runs, platform clock, failing part, words in its detail
# and fix)
CASES: dict[str, tuple[Callable[[Device], None], Callable[[], float] | None, str, str, str]] = {
    "no microphone": (_no_microphone, None, "microphone", "no microphone", "plug one in"),
    "no model": (_no_model, None, "model", "does not exist", "model"),
    "corrupt model file": (_corrupt_model, None, "model", "final.mdl", "assistant models install"),
    "bad schedule file": (_bad_schedule, None, "schedule", "line 4", "correct the lines"),
    "platform down": (_platform_down, None, "platform", "unreachable", "check the network"),
    "wrong device secret": (_wrong_secret, None, "registration", "wrong device secret",
                            "assistant register"),
    "clock 10 minutes off": (lambda d: None, _fast_clock, "clock", "10 min behind",
                             "timedatectl set-ntp true"),
    "full outbox": (_fill_outbox, None, "outbox", "full: 60 requests", "assistant outbox list"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_each_failure_is_named_with_its_fix(device: Device, tmp_path: Path, case: str) -> None:
    breaks, clock, part, detail, fix = CASES[case]
    breaks(device)
    platform: AbstractContextManager[PlatformServer | None] = (
        nullcontext(None) if device.platform_url
        else running_platform(tmp_path, clock=clock or time.time)
    )  # fmt: skip
    code, report, plain = _run(device, platform)
    assert code == 1
    failing = _failing(report)
    assert part in failing, report
    assert detail in failing[part]["detail"], failing[part]
    assert fix in failing[part]["fix"], failing[part]
    assert f"NOT healthy: {part}" in plain or f", {part}" in plain


def test_bad_settings_are_a_failing_part_not_a_traceback(device: Device) -> None:
    (device.home / "config.yaml").write_text("speech_rat: 120\n", encoding="utf-8")
    code, report, _ = device.doctor()
    assert code == 1
    failing = _failing(report)
    assert "config.yaml, line 1" in failing["configuration"]["detail"]
    assert "speech_rate" in failing["configuration"]["detail"]
