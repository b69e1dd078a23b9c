"""``assistant status`` and ``assistant outbox list | retry | drop`` speak the device's
language: Chinese on a zh device (the default), as a family member reads it, with only the
commands a technician types, the request kinds and the platform's own error texts left as
they are; ``--json`` stays English (scripts read it)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.relay.outbox import Outbox
from assistant.storage.database import Database
from assistant.values.messages import messages
from tests.support.commands import assistant, assistant_env

SCHEDULE = "medicines:\n  - name: 降压药\n    dose: 1片\n    times: ['08:00', '20:00']\n"


def english_left(text: str, *kept: str) -> list[str]:
    """The Latin-letter words of ``text`` once the backquoted commands and ``kept`` (kinds,
    the platform's error texts) are taken out."""
    text = re.sub(r"`[^`]*`", "", text)
    for part in kept:
        text = text.replace(part, "")
    return re.findall(r"[A-Za-z]+", text)


def write_runtime(home: Path, **changes: Any) -> None:
    """A ``data/runtime.json`` as a running assistant (this test's own process) writes it."""
    now = time.time()
    status = {"pid": os.getpid(), "started_at": now - 3 * 3600, "updated_at": now,
              "mode": "text", "phase": "waiting", "lang": "zh", "version": "9.9.9",
              "model": "", "problems": [], "last_error": "", "last_error_at": None,
              "heartbeat": {"at": now - 600, "ok": True, "error": "", "skew_s": None},
              "stopped_at": None, **changes}  # fmt: skip
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "data" / "runtime.json").write_text(json.dumps(status), encoding="utf-8")


def _outbox(home: Path) -> Outbox:
    return Outbox(Database(home / "data" / "xiaoan.db").create())


@pytest.mark.parametrize("prefix", ["status.", "outbox.", "span."])
def test_the_chinese_texts_have_no_english_words_outside_commands(prefix: str) -> None:
    for key, texts in messages().items():
        if key.startswith(prefix):
            assert english_left(re.sub(r"\{[^}]*\}", "", texts["zh"])) == [], key


# --- status -------------------------------------------------------------------------------


def test_status_of_a_device_that_never_ran_is_in_chinese(tmp_path: Path) -> None:
    done = assistant(assistant_env(tmp_path), "status")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "小安没有在运行（它还没在这台设备上运行过；启动方法：`sudo systemctl start xiaoan` "
        "或 `assistant run`）",
        "发给平台的请求：0 条待发送，0 条被平台拒绝，0 条已送达，0 条已放弃",
        "接下来的提醒：7 天内没有",
    ]
    assert english_left(done.stdout) == []
    english = assistant(assistant_env(tmp_path, XIAOAN_LANG="en"), "status")
    assert english.stdout.startswith("XiaoAn: not running (it never ran here;")


def test_status_of_a_stopped_run_is_in_chinese_and_its_json_in_english(tmp_path: Path) -> None:
    (tmp_path / "schedule.yaml").write_text(SCHEDULE, encoding="utf-8")
    write_runtime(tmp_path, updated_at=time.time() - 600, stopped_at=time.time() - 600,
                  phase="stopped")  # fmt: skip
    env = assistant_env(tmp_path)
    done = assistant(env, "status")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == "小安没有在运行：它已经停止了，最后一次运行在 10 分钟前（`assistant logs` 能看到原因）"
    )
    assert lines[2] == "接下来的提醒："
    assert len(lines) == 6
    assert all("降压药" in line for line in lines[3:])
    assert english_left(done.stdout) == []
    report = json.loads(assistant(env, "status", "--json").stdout)
    assert (report["running"], report["runtime"]["phase"]) == (False, "stopped")
    assert set(report["outbox"]) == {"pending", "parked", "delivered", "dropped"}


def test_status_of_a_run_that_did_not_stop_cleanly_is_in_chinese(tmp_path: Path) -> None:
    write_runtime(tmp_path, updated_at=time.time() - 3 * 86400)
    done = assistant(assistant_env(tmp_path), "status")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        "小安没有在运行：它不是正常停止的，最后一次运行在 3 天前（`assistant logs` 能看到原因）"
    )
    assert english_left(done.stdout) == []


def test_status_of_a_running_assistant_is_in_chinese(tmp_path: Path) -> None:
    write_runtime(tmp_path, problems=["没有找到麦克风：请插好麦克风"], last_error="平台没有回应",
                  last_error_at=time.time() - 1200)  # fmt: skip
    _outbox(tmp_path).add("meal_order", 5, {"kind": "meal_order"}, time.time())
    env = assistant_env(tmp_path)
    done = assistant(env, "status")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:6] == [
        f"小安正在运行（文字模式），正在待命，已经运行了 3 小时，进程号 {os.getpid()}，版本 9.9.9",
        "语言：中文；语音识别模型：没有",
        "问题：没有找到麦克风：请插好麦克风",
        "和平台的联络（心跳）：10 分钟前，平台收到了",
        "最近一次警告：20 分钟前：平台没有回应",
        "发给平台的请求：1 条待发送，0 条被平台拒绝，0 条已送达，0 条已放弃",
    ]
    assert english_left(done.stdout) == []
    report = json.loads(assistant(env, "status", "--json").stdout)
    assert report["running"] is True
    assert (report["runtime"]["mode"], report["runtime"]["phase"]) == ("text", "waiting")
    english = assistant(assistant_env(tmp_path, XIAOAN_LANG="en"), "status")
    assert english.stdout.startswith("XiaoAn: running (text), waiting, up 3 h, pid ")


def test_a_refused_heartbeat_keeps_the_platforms_words(tmp_path: Path) -> None:
    write_runtime(tmp_path, heartbeat={"at": time.time() - 300, "ok": False,
                                       "error": "HTTP 503", "skew_s": None})  # fmt: skip
    done = assistant(assistant_env(tmp_path), "status")
    assert "和平台的联络（心跳）：5 分钟前，平台没有接受：HTTP 503" in done.stdout.splitlines()
    assert english_left(done.stdout, "HTTP") == []


# --- outbox -------------------------------------------------------------------------------


def test_an_empty_outbox_says_so_in_chinese(tmp_path: Path) -> None:
    env = assistant_env(tmp_path)
    empty = assistant(env, "outbox", "list")
    assert (empty.returncode, empty.stdout) == (0, "没有可列出的：没有要发给平台的请求\n")
    outbox = _outbox(tmp_path)
    row = outbox.add("health_report", 5, {"kind": "health_report"}, time.time())
    outbox.delivered(row, "R1", time.time())
    done = assistant(env, "outbox", "list")
    assert done.stdout == (
        "没有等着发给平台的请求（1 条已送达，0 条已放弃：加上 `--all` 可以列出它们）\n"
    )
    assert assistant(env, "outbox", "list", "--all").stdout.startswith(
        "0 条待发送，0 条被平台拒绝，1 条已送达，0 条已放弃\n#"
    )


def test_outbox_list_retry_and_drop_in_chinese(tmp_path: Path) -> None:
    outbox = _outbox(tmp_path)
    now = time.time() - 600
    booking = outbox.add("service_booking", 5, {"kind": "service_booking"}, now)
    refused = outbox.add("meal_order", 5, {"kind": "meal_order"}, now)
    outbox.park(refused, "HTTP 400 invalid_request: meal")
    alarm = outbox.add("emergency", 0, {"kind": "emergency"}, now)
    env = assistant_env(tmp_path)

    listed = assistant(env, "outbox", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "2 条待发送，1 条被平台拒绝，0 条已送达，0 条已放弃"
    pending = next(line for line in lines if line.startswith(f"#{booking.id} "))
    parked = next(line for line in lines if line.startswith(f"#{refused.id} "))
    assert "待发送" in pending
    assert "试了   0 次  10 分钟前  0 秒后再试" in pending
    assert "被平台拒绝" in parked
    assert parked.endswith("上次的错误：HTTP 400 invalid_request: meal")
    assert lines[-1].startswith("被平台拒绝的请求：先解决原因，再用 `assistant outbox retry ID`")
    kept = ("service_booking", "meal_order", "emergency", "HTTP 400 invalid_request: meal")
    assert english_left(listed.stdout, *kept) == []
    rows = [
        json.loads(line) for line in assistant(env, "outbox", "list", "--json").stdout.splitlines()
    ]
    assert {r["state"] for r in rows} == {"pending", "parked"}

    retried = assistant(env, "outbox", "retry", str(refused.id))
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"请求 #{refused.id}（meal_order）会在一分钟之内重新发送\n"
    dropped = assistant(env, "outbox", "drop", str(booking.id), "--reason", "家属已电话预约")
    assert dropped.returncode == 0, dropped.stderr
    assert dropped.stdout == f"请求 #{booking.id}（service_booking）已放弃；原因和它一起记下了\n"

    again = assistant(env, "outbox", "retry", str(booking.id))
    assert again.returncode == 1
    assert f"请求 #{booking.id} 已放弃：只有待发送或被平台拒绝的请求才能重新发送" in again.stderr
    twice = assistant(env, "outbox", "drop", str(booking.id), "--reason", "重复")
    assert f"请求 #{booking.id} 已放弃：只有待发送或被平台拒绝的请求才能放弃" in twice.stderr
    never = assistant(env, "outbox", "drop", str(alarm.id), "--reason", "测试")
    assert never.returncode == 1
    assert f"请求 #{alarm.id} 是紧急求助（emergency）：紧急求助永远不会放弃" in never.stderr
    blank = assistant(env, "outbox", "drop", str(alarm.id), "--reason", " ")
    assert "请用 `--reason 原因` 写明为什么放弃" in blank.stderr
    missing = assistant(env, "outbox", "retry", "999")
    assert missing.returncode == 1
    assert "没有 #999 这条请求：`assistant outbox list --all` 会列出所有请求" in missing.stderr
    for done in (again, twice, never, blank, missing):
        message = done.stderr.removeprefix("assistant: ")
        assert english_left(message, "emergency") == [], done.stderr
