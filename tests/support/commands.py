"""Running ``assistant`` as a technician would: a subprocess with its own ``XIAOAN_HOME``.

::

    env = assistant_env(tmp_path, XIAOAN_LANG="en")
    done = assistant(env, "doctor", "--json")
    assert done.returncode == 0, done.stderr
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FAKE_AUDIO = "tests.support.fake_sounddevice"
"""The stand-in for ``sounddevice`` (``XIAOAN_AUDIO_BACKEND``): CI has no sound hardware."""


def assistant_env(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any ``XIAOAN_`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), **settings)
    return env


def assistant(
    env: dict[str, str], *args: str, stdin: str = "", timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant ARGS`` and wait for it to end."""
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=timeout_s,
                          check=False)  # fmt: skip


class Notifications:
    """What a process sent to its ``NOTIFY_SOCKET`` (``READY=1``, ``WATCHDOG=1``…)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def next(self, timeout_s: float) -> str:
        """The next message; ``TimeoutError`` when none came in time."""
        self._sock.settimeout(timeout_s)
        return self._sock.recv(4096).decode()

    def rest(self) -> str:
        """Every message still queued, joined by newlines."""
        self._sock.setblocking(False)
        out = []
        while True:
            try:
                out.append(self._sock.recv(4096).decode())
            except BlockingIOError:
                return "\n".join(out)


@contextmanager
def notify_socket(path: Path) -> Iterator[Notifications]:
    """A datagram socket standing where systemd's notification socket would be."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    try:
        yield Notifications(sock)
    finally:
        sock.close()
