"""``xiaoan-platform``: the care platform's own command (issue 17)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from bench.chaos import PipeLines

COMMAND = [sys.executable, "-m", "careplatform.cli"]


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_migrate_then_accounts_then_contacts(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    first = run("migrate", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "database at 0002 (was empty)" in first.stdout
    assert run("migrate", "--db", db).stdout.strip() == "database at 0002"
    assert (tmp_path / "p.db").stat().st_mode & 0o777 == 0o600
    made = run("user", "add", "小张", "--role", "operator", "--db", db, stdin="a long password\n")
    assert made.returncode == 0, made.stderr
    again = run("user", "add", "小张", "--role", "operator", "--db", db, stdin="a long password\n")
    assert (again.returncode, "exists already" in again.stderr) == (2, True)
    short = run("user", "add", "小李", "--role", "operator", "--db", db, stdin="short\n")
    assert (short.returncode, "at least 10" in short.stderr) == (2, True)
    role = run("user", "add", "小王", "--role", "boss", "--db", db, stdin="a long password\n")
    assert role.returncode == 2
    family = run(
        "user",
        "add",
        "王女儿",
        "--role",
        "family",
        "--device",
        "nosuch",
        "--db",
        db,
        stdin="a long password\n",
    )
    assert (family.returncode, "no device" in family.stderr) == (2, True)
    nobody = run("device", "contact", "no-such-device", "女儿", "--email", "a@b.cn", "--db", db)
    assert nobody.returncode == 2
    bad = run("device", "contact", "d1", "女儿", "--email", "not-an-address", "--db", db)
    assert (bad.returncode, "not an e-mail" in bad.stderr) == (2, True)
    for result in (first, made, again, short, role, family, nobody, bad):
        assert "Traceback" not in result.stderr


def test_serve_listens_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--db", str(tmp_path / "p.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = PipeLines(proc.stdout).next(30.0) or ""
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.removeprefix("listening on ")
        assert requests.get(url + "/healthz", timeout=10).json() == {"ok": True}
        assert requests.get(url + "/login", timeout=10).status_code == 200
        missing = requests.get(url + "/v1/nothing", timeout=10)
        assert missing.json()["error"] == "not_found"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0, errors
    assert b"Traceback" not in errors


def test_serve_says_why_it_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        busy = run("serve", "--port", port, "--db", str(tmp_path / "p.db"))
    assert (busy.returncode, "cannot listen" in busy.stderr) == (1, True)
    nowhere = run("serve", "--port", "0", "--db", str(tmp_path / "no" / "such" / "p.db"))
    assert (nowhere.returncode, "no such folder" in nowhere.stderr) == (1, True)
    unknown = run("serve", "--port", "0", "--db", "mysql://x@y/z")
    assert (unknown.returncode, "not supported" in unknown.stderr) == (1, True)
    for result in (busy, nowhere, unknown):
        assert "Traceback" not in result.stderr
