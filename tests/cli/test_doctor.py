"""``assistant doctor`` as a technician runs it: a healthy device, and each failure named
with its fix. Real platform server on 127.0.0.1, the real Korean model installed and
hashed, sound hardware from the stand-in (CI has none)."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from assistant.refplatform.server import PlatformServer
from audio.model_store import ModelStore
from tests.support.audio_fixtures import KO_MODEL
from tests.support.doctor_cases import CASES, Device
from tests.support.platform_fixture import running_platform


@pytest.fixture(scope="module")
def installed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Korean model installed (and recorded) once; homes link to its files."""
    models = tmp_path_factory.mktemp("installed") / "models"
    ModelStore(models).install_from("ko", KO_MODEL)
    return models


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
