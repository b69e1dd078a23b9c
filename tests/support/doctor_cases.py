"""A device home as ``assistant doctor`` sees it, and the failures to break into it: shared
by ``tests/cli/test_doctor.py`` and ``bench/doctor.py``."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.relay.outbox import Outbox
from assistant.storage.database import Database
from tests.support import fake_sounddevice
from tests.support.commands import assistant, assistant_env
from tests.support.platform_fixture import DEVICE_ID, DEVICE_SECRET

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
