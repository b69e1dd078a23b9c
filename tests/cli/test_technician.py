"""``register``, ``outbox``, ``status`` and ``logs`` as a technician runs them (subprocesses),
against the reference platform on 127.0.0.1 where the network is involved."""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.relay.outbox import Outbox
from assistant.storage.database import Database
from tests.support.commands import assistant, assistant_env, notify_socket
from tests.support.platform_fixture import ADMIN_TOKEN, AdminClient, running_platform

DEVICE = "xiaoan-pair-0001"


def test_register_pairs_stores_a_private_secret_and_proves_it(tmp_path: Path) -> None:
    with running_platform(tmp_path, devices={}) as platform:
        code = AdminClient(platform.url, ADMIN_TOKEN).pairing_code(DEVICE)
        env = assistant_env(tmp_path / "home")
        done = assistant(env, "register", "--platform", platform.url, "--code", code.lower())
        assert done.returncode == 0, done.stderr
        assert f"paired as {DEVICE}" in done.stdout
        assert "signed heartbeat was accepted" in done.stdout
        secret_file = tmp_path / "home" / "device_secret"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        secret = secret_file.read_text().strip()
        assert len(secret) == 64
        assert secret not in done.stdout + done.stderr
        config = (tmp_path / "home" / "config.yaml").read_text()
        assert f"device_id: {DEVICE}" in config
        assert platform.url in config
        assert secret not in config
        beat = AdminClient(platform.url, ADMIN_TOKEN).heartbeat(DEVICE)
        assert beat is not None  # the proof went through the signature check
        again = assistant(env, "register", "--platform", platform.url, "--code", code)
        assert again.returncode == 1
        assert "was not accepted (wrong, used already, or expired)" in again.stderr
        assert "new pairing code" in again.stderr


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("http://example.org", 2, "https://"),
        ("http://127.0.0.1:9", 1, "cannot reach"),
    ],
)
def test_register_mistakes_say_what_to_do(
    tmp_path: Path, url: str, code: int, message: str
) -> None:
    done = assistant(assistant_env(tmp_path), "register", "--platform", url, "--code", "X")
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "device_secret").exists()


def _outbox(home: Path) -> Outbox:
    return Outbox(Database(home / "data" / "xiaoan.db").create())


def test_outbox_list_retry_and_drop(tmp_path: Path) -> None:
    outbox = _outbox(tmp_path)
    now = time.time()
    booking = outbox.add("service_booking", 5, {"kind": "service_booking",
                         "summary": "王秀英 3栋2单元501 保洁"}, now)  # fmt: skip
    refused = outbox.add("meal_order", 5, {"kind": "meal_order"}, now)
    outbox.park(refused, "HTTP 400 invalid_request: meal")
    alarm = outbox.add("emergency", 0, {"kind": "emergency"}, now)
    env = assistant_env(tmp_path, XIAOAN_LANG="en")  # its English words
    listed = assistant(env, "outbox", "list")
    assert listed.returncode == 0, listed.stderr
    assert "2 pending, 1 parked" in listed.stdout
    assert f"#{refused.id}" in listed.stdout
    assert "invalid_request" in listed.stdout
    assert "王秀英" not in listed.stdout
    assert "3栋" not in listed.stdout
    rows = [
        json.loads(line) for line in assistant(env, "outbox", "list", "--json").stdout.splitlines()
    ]
    assert {r["state"] for r in rows} == {"pending", "parked"}

    assert assistant(env, "outbox", "retry", str(refused.id)).returncode == 0
    assert _outbox(tmp_path).counts()["parked"] == 0

    no_reason = assistant(env, "outbox", "drop", str(booking.id))
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr
    dropped = assistant(env, "outbox", "drop", str(booking.id), "--reason", "家属已电话预约")
    assert dropped.returncode == 0, dropped.stderr
    row = _outbox(tmp_path).by_id(booking.id)
    assert row is not None
    assert row.state == "dropped"
    assert "家属已电话预约" in row.last_error
    with Database(tmp_path / "data" / "xiaoan.db").connect() as conn:
        record = conn.execute("SELECT data FROM records WHERE kind = 'outbox_dropped'").fetchone()
    assert json.loads(record[0])["reason"] == "家属已电话预约"

    never = assistant(env, "outbox", "drop", str(alarm.id), "--reason", "test")
    assert never.returncode == 1
    assert "never dropped" in never.stderr
    missing = assistant(env, "outbox", "retry", "999")
    assert missing.returncode == 1
    assert "no request #999" in missing.stderr


def test_status_of_a_device_that_never_ran_and_of_a_stopped_run(tmp_path: Path) -> None:
    env = assistant_env(tmp_path, XIAOAN_LANG="en")
    never = assistant(env, "status")
    assert never.returncode == 1
    assert "not running" in never.stdout
    (tmp_path / "schedule.yaml").write_text(
        "medicines:\n  - name: 降压药\n    dose: 1片\n    times: ['08:00', '20:00']\n",
        encoding="utf-8",
    )
    assert assistant(env, "run", "--text", stdin="现在几点了\n").returncode == 0
    done = assistant(env, "status", "--json")
    assert done.returncode == 1  # it ran, and stopped
    report = json.loads(done.stdout)
    assert report["running"] is False
    assert report["runtime"]["phase"] == "stopped"
    assert report["runtime"]["mode"] == "text"
    assert len(report["next_reminders"]) == 3
    assert "降压药" in report["next_reminders"][0]["what"]
    plain = assistant(env, "status")
    assert "stopped, last seen" in plain.stdout
    assert "next reminders:" in plain.stdout


def test_status_of_a_running_assistant(tmp_path: Path) -> None:
    env = assistant_env(tmp_path, XIAOAN_LANG="en")
    with notify_socket(tmp_path / "notify") as messages:
        env["NOTIFY_SOCKET"] = str(tmp_path / "notify")
        command = [sys.executable, "-m", "assistant", "run", "--text"]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   env=env)  # fmt: skip
        try:
            assert "READY=1" in messages.next(timeout_s=60)  # up, its status written
            done = assistant(env, "status")
            assert done.returncode == 0, done.stdout
            assert "running (text), waiting" in done.stdout
            assert f"pid {process.pid}" in done.stdout
        finally:
            process.communicate(b"", timeout=60)
        assert "STOPPING=1" in messages.rest()


def _reader(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for raw in stream:  # type: ignore[attr-defined]
            lines.put(raw.decode())

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_logs_prints_the_last_lines_and_follows_across_a_rotation(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "xiaoan.log.1").write_text("old 1\nold 2\n")
    (logs / "xiaoan.log").write_text("new 1\nnew 2\n")
    env = assistant_env(tmp_path)
    done = assistant(env, "logs", "-n", "3")
    assert done.stdout.splitlines() == ["old 2", "new 1", "new 2"]
    follow = subprocess.Popen([sys.executable, "-m", "assistant", "logs", "-n", "1", "--follow"],
                              stdout=subprocess.PIPE, env=env)  # fmt: skip
    try:
        lines = _reader(follow.stdout)
        assert lines.get(timeout=30) == "new 2\n"  # what was there; what comes follows
        with (logs / "xiaoan.log").open("a") as out:
            out.write("appended\n")
        assert lines.get(timeout=20) == "appended\n"
        os.replace(logs / "xiaoan.log", logs / "xiaoan.log.1")
        (logs / "xiaoan.log").write_text("after rotation\n")
        assert lines.get(timeout=20) == "after rotation\n"
    finally:
        follow.kill()
        follow.wait()
