"""Kill -9 runs: XiaoAn is killed again and again while it sends, the platform fails a
share of the calls, and afterwards every acknowledged request must be on the platform
exactly once.

Both run as real processes: the reference platform (``python -m assistant.refplatform.server``)
and the assistant (``python -m assistant run --json``), fed health readings with unique
values on stdin. A reading counts as *sent* when XiaoAn answered 记下了 (it answers only
after the outbox commit); the kill comes right after an answer (while the sender works)
or right after a line is written (in the middle of a commit). Used by
``tests/platform/test_chaos.py`` (small) and ``bench/relay.py`` (500 requests).
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

DEVICE_ID = "xiaoan-chaos-0001"
SECRET = "5a" * 32
ADMIN = "chaos-admin"
RECORDED = frozenset({"health.recorded", "health.high_offer"})


@dataclass(frozen=True)
class ChaosResult:
    """What a kill -9 run found."""

    sent: int
    """Readings XiaoAn acknowledged (committed before it answered)."""
    received: int
    """Requests the platform stored."""
    lost: int
    """Acknowledged but never stored: must be 0."""
    duplicated: int
    """Stored more than once: must be 0."""
    unacknowledged: int
    """Stored although the kill came before XiaoAn answered (committed, not yet said)."""
    kills: int
    seconds: float


class PipeLines:
    """Lines from a pipe, with a timeout, without threads."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)

    def next(self, timeout_s: float) -> str | None:
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", errors="replace")


class PlatformLog:
    """The platform's log lines (its stderr), drained by a thread of their own so the
    platform never blocks on a full pipe; tests wait on them instead of polling."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False

    def drain(self, stream: IO[bytes]) -> None:
        """Read ``stream`` to its end (run in a thread)."""
        for raw in stream:
            with self._changed:
                self._lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait(self, text: str, count: int = 1, timeout_s: float = 10.0, after: int = 0) -> int:
        """Wait until ``count`` lines from line ``after`` on contain ``text``; the index
        after the last of them (raises AssertionError after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                seen = [i for i, line in enumerate(self._lines) if i >= after and text in line]
                if len(seen) >= count:
                    return seen[count - 1] + 1
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    raise AssertionError(f"{count} lines with {text!r} not logged in {timeout_s} s")
                self._changed.wait(left)


@contextmanager
def platform_process(workdir: Path, log: PlatformLog | None = None) -> Iterator[str]:
    """The reference platform in a process of its own; yields its URL. With ``log``, its
    log lines go there."""
    command = [
        sys.executable,
        "-m",
        "assistant.refplatform.server",
        "--port",
        "0",
        "--db",
        str(workdir / "platform.db"),
        "--admin-token",
        ADMIN,
        "--device",
        f"{DEVICE_ID}={SECRET}",
    ]
    with serving(command, log) as url:
        yield url


@contextmanager
def serving(
    command: list[str],
    log: PlatformLog | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    start_s: float = 30.0,
) -> Iterator[str]:
    """A server process that prints ``listening on URL`` once it listens (the reference
    platform, ``xiaoan-platform serve``); yields the URL, and terminates it after. With
    ``log``, its log lines (stderr) go there."""
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        env=env,
        cwd=cwd,
        stderr=subprocess.DEVNULL if log is None else subprocess.PIPE,
    )
    drainer = None
    if log is not None:
        assert proc.stderr is not None
        drainer = threading.Thread(target=log.drain, args=(proc.stderr,), daemon=True)
        drainer.start()
    try:
        assert proc.stdout is not None
        line = PipeLines(proc.stdout).next(start_s) or ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"the platform did not start: {line!r}")
        yield line.removeprefix("listening on ").strip()
    finally:
        proc.terminate()
        proc.wait(30)
        if drainer is not None:
            drainer.join(10)


def admin(url: str, method: str, path: str, body: object = None) -> requests.Response:
    """An admin call to the platform."""
    reply = requests.request(
        method, url + path, json=body, timeout=10, headers={"Authorization": f"Bearer {ADMIN}"}
    )
    reply.raise_for_status()
    return reply


def assistant_env(workdir: Path, url: str, retry_max_s: float = 1.0) -> dict[str, str]:
    """The environment of an assistant paired with the platform at ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(
        XIAOAN_HOME=str(workdir / "home"),
        XIAOAN_PLATFORM_URL=url,
        XIAOAN_DEVICE_ID=DEVICE_ID,
        XIAOAN_DEVICE_SECRET=SECRET,
        XIAOAN_RETRY_MAX_S=str(retry_max_s),
        XIAOAN_LOG_LEVEL="ERROR",
    )
    return env


def _start(env: dict[str, str], linger_s: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", "--json", "--linger", str(linger_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def readings(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct blood-pressure values within the normal range."""
    pairs = [f"{s}/{d}" for s in range(100, 179) for d in range(60, 100)]
    return rng.sample(pairs, count)


def run_chaos(
    workdir: Path, count: int, fail_share: float, kills: int, seed: int = 1
) -> ChaosResult:
    """One kill -9 run of ``count`` readings with ``kills`` kills."""
    rng = random.Random(seed)
    started = time.monotonic()
    with platform_process(workdir) as url:
        per_fault = 1 - (1 - fail_share) ** (1 / 3)  # reset, fail, drop: independent
        admin(
            url,
            "PUT",
            "/v1/admin/faults",
            {"fail_rate": per_fault, "drop_rate": per_fault, "reset_rate": per_fault, "seed": seed},
        )
        env = assistant_env(workdir, url)
        values = readings(count, rng)
        kill_at = set(rng.sample(range(1, count), kills))
        sent = _feed(env, values, kill_at, rng)
        stored = [
            str(r["fields"].get("value"))
            for r in admin(url, "GET", "/v1/admin/requests?kind=health_report").json()["requests"]
        ]
    seen = Counter(stored)
    return ChaosResult(
        sent=len(sent),
        received=len(stored),
        lost=len(sent - set(seen)),
        duplicated=sum(n - 1 for n in seen.values()),
        unacknowledged=len(set(seen) - sent),
        kills=kills,
        seconds=time.monotonic() - started,
    )


def _feed(
    env: dict[str, str], values: list[str], kill_at: set[int], rng: random.Random
) -> set[str]:
    sent: set[str] = set()
    proc = _start(env, linger_s=120.0)
    lines = PipeLines(proc.stdout)  # type: ignore[arg-type]
    for index, value in enumerate(values):
        assert proc.stdin is not None
        proc.stdin.write(f"血压{value}\n".encode())
        proc.stdin.flush()
        mid_commit = index in kill_at and rng.random() < 0.5
        if not mid_commit:
            reply = lines.next(30.0)
            if reply is not None and json.loads(reply)["key"] in RECORDED:
                sent.add(value)
        if index in kill_at:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc = _start(env, linger_s=120.0)
            lines = PipeLines(proc.stdout)  # type: ignore[arg-type]
    assert proc.stdin is not None
    proc.stdin.close()  # --linger: it keeps sending until nothing is pending
    proc.wait(180)
    return sent
