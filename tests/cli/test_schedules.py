"""The schedule in force: a bad file or a bad platform copy never replaces a good one; the
platform's copy is fetched from the reference server and taken up by the dialogue; and the
``assistant reminders`` commands, run as a family or technician runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from assistant.config import Paths
from assistant.relay.platform import PlatformClient
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_store import ScheduleStore
from assistant.reminders.schedule_sync import ScheduleSync
from assistant.storage.database import Database
from assistant.values.schedule import EMPTY
from tests.support.dialogue_harness import harness
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    FakeClock,
    running_platform,
)  # fmt: skip

GOOD = 'medicines:\n  - {name: 降压药, dose: 一片, times: ["08:00", "20:00"]}\n'
BAD = 'medicines:\n  - {name: 降压药, times: ["08:3O"]}\n'
PLATFORM_GOOD: dict[str, Any] = {"medicines": [{"name": "降糖药", "times": ["07:30"]}]}


def _store(tmp_path: Path) -> ScheduleStore:
    paths = Paths(tmp_path / "home")
    paths.home.mkdir(parents=True, exist_ok=True)
    return ScheduleStore(Database(paths.database).create(), paths.schedule_file)


def test_a_bad_file_never_replaces_a_good_one(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.file.write_text(GOOD, encoding="utf-8")
    store.file.chmod(0o644)
    assert store.refresh_file(1.0)
    assert oct(store.file.stat().st_mode & 0o777) == "0o600"  # it names medicines
    assert [m.name for m in store.current().medicines] == ["降压药"]
    store.file.write_text(BAD + "# changed\n", encoding="utf-8")
    assert not store.refresh_file(2.0)
    assert [m.name for m in store.current().medicines] == ["降压药"]
    held = store.installed()
    assert held is not None
    assert (held.origin, held.version) == ("file", 1)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.file.write_text(GOOD, encoding="utf-8")
    assert store.refresh_file(1.0)
    assert not store.refresh_file(2.0)


def test_the_platform_copy_is_checked_and_kept(tmp_path: Path) -> None:
    clock = FakeClock()
    store = _store(tmp_path)
    with running_platform(tmp_path, clock=clock) as server:
        admin = AdminClient(server.url)
        client = PlatformClient(server.url, DEVICE_ID, DEVICE_SECRET, 5.0, clock)
        sync = ScheduleSync(client, store, 600.0, clock)
        assert not sync.fetch()  # nothing stored yet: 404 no_schedule
        admin.put_schedule(DEVICE_ID, PLATFORM_GOOD)
        assert sync.fetch()
        assert [m.name for m in store.current().medicines] == ["降糖药"]
        assert not sync.fetch()  # the same version again
        admin.put_schedule(DEVICE_ID, {"medicines": [{"name": "降糖药", "tims": ["07:30"]}]})
        assert not sync.fetch()  # version 2 is refused
        assert [m.name for m in store.current().medicines] == ["降糖药"]
        admin.put_schedule(DEVICE_ID, {"medicines": [{"name": "钙片", "times": ["09:00"]}]})
        assert sync.fetch()
    held = store.installed()
    assert held is not None
    assert (held.origin, held.version) == ("platform", 3)
    assert [m.name for m in store.current().medicines] == ["钙片"]


def test_the_dialogue_takes_up_the_platform_schedule(tmp_path: Path) -> None:
    settings = {"schedule_source": "platform"}
    with harness(tmp_path, "zh", "2026-12-01T07:29:00+08:00", settings=settings) as h:
        assert h.admin is not None
        h.admin.put_schedule(DEVICE_ID, PLATFORM_GOOD)
        assert h.wait(1) == []
        sync = h.assistant.schedule_sync
        assert isinstance(sync, ScheduleSync)
        assert sync.fetch()
        assert h.wait(2) == []
        says = h.wait(57)
        assert [s.key for s in says] == ["reminder.medicine_plain"]
        assert "降糖药" in says[0].text


# --- the command line -----------------------------------------------------------------


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env["XIAOAN_HOME"] = str(home)
    command = [sys.executable, "-m", "assistant", "reminders", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60,
                          check=False)  # fmt: skip


def test_validate_reports_every_mistake_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('medicines:\n  - name: 降压药\n    tims: ["08:00"]\ncheckin: {time: "9点"}\n',
                   encoding="utf-8")  # fmt: skip
    done = _cli(tmp_path / "home", "validate", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad}，第 3 行：不认识 `tims` 这一项：是不是想写 `times`？" in done.stderr
    assert f"{bad}，第 4 行：" in done.stderr  # a zh device answers the family in Chinese


def test_install_takes_only_a_good_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    assert _cli(home, "install", str(good)).returncode == 0
    assert oct((home / "schedule.yaml").stat().st_mode & 0o777) == "0o600"
    done = _cli(home, "install", str(bad))
    assert done.returncode == 2
    assert (home / "schedule.yaml").read_text(encoding="utf-8") == GOOD
    listed = _cli(home, "list", "--days", "2")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("降压药 一片") in (3, 4)  # two a day; today's may be over


def test_example_files_validate(tmp_path: Path) -> None:
    for lang in ("zh", "en"):
        example = _cli(tmp_path, "example", "--lang", lang)
        assert example.returncode == 0, example.stderr
        path = tmp_path / f"{lang}.yaml"
        path.write_text(example.stdout, encoding="utf-8")
        done = _cli(tmp_path, "validate", str(path))
        assert done.returncode == 0, done.stderr


def test_voice_reminders_are_listed_and_removed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = Database(Paths(home).database).create()
    reminders = Reminders(db, lambda: 0.0, ZoneInfo("Asia/Shanghai"), lambda: EMPTY)
    reminders.add_voice("R/2026-11-22T21:00:00+08:00/P1D", "泡脚")
    listed = _cli(home, "list", "--days", "1", "--now", "2026-12-01T10:00:00+08:00")
    assert "#1  每天晚上九点  泡脚" in listed.stdout, listed.stdout
    assert _cli(home, "remove", "1").returncode == 0
    again = _cli(home, "remove", "1")
    assert again.returncode == 2
    assert "没有 #1 这条语音提醒" in again.stderr
    assert "泡脚" not in _cli(home, "list", "--now", "2026-12-01T10:00:00+08:00").stdout


def test_history_says_what_became_of_each_dose(tmp_path: Path) -> None:
    schedule = 'medicines:\n  - {name: 降压药, times: ["08:00"]}\n' \
        'reminding: {repeats: 0}\n'  # fmt: skip
    with harness(tmp_path, "zh", "2026-12-01T07:59:00+08:00", "none", schedule=schedule) as h:
        h.wait(60)
        h.say("吃过了")
        h.wait(86400)
        h.wait(300)
    done = _cli(tmp_path / "home", "history", "--days", "3", "--now", "2026-12-03T00:00:00+08:00")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("吃药 降压药  吃了"), lines
    assert lines[1].endswith("吃药 降压药  漏服（提醒后无人回应）"), lines
