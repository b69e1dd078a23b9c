"""``assistant platform-server`` logs what it serves (issue 15: it logged nothing, unlike its
``python -m`` form), and what an unauthenticated client sends reaches the log escaped:
no terminal escape sequence, no forged line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from bench.chaos import PipeLines

ESCAPES = b"\x1b[2J\x1b]0;owned\x07"


def test_the_log_shows_requests_with_what_clients_sent_escaped(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant", "platform-server", "--port", "0", "--db",
         str(tmp_path / "p.db"), "--admin-token", "t"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = PipeLines(server.stdout).next(30.0) or ""
        host, port = line.removeprefix("listening on http://").strip().split(":")
        with socket.create_connection((host, int(port)), timeout=10) as client:
            client.sendall(
                b"GET /v1/" + ESCAPES + b"x\nINFO forged HTTP/1.1\r\nHost: a\r\n"
                b"X-Device-Id: dev" + ESCAPES + b"\r\nConnection: close\r\n\r\n"
            )
            while client.recv(65536):
                pass
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1]
    assert b"listening on" in log  # INFO lines are there
    assert b"GET /v1/" in log
    assert b"\x1b" not in log
    assert b"\x07" not in log
    assert b"\\x1b[2J" in log
    assert not any(line.startswith(b"INFO forged") for line in log.splitlines())
