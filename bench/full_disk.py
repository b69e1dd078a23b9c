"""Benchmark of the emergency path when things go wrong (issue 15).

Prints, each on a real full disk (a small tmpfs filled until the kernel says "No space
left on device"; needs root or password-less sudo) with the reference platform in its own
process:
- running: the disk fills under a running assistant; 救命 → stored by the platform;
- no room at all: not even the reserve's room is left; 救命 → stored (sent from memory);
- backlog: an emergency committed before a power cut, the disk full, then `run --service`
  started on it → stored by the platform, counted from the start;
and, on an ordinary disk, 救命 → reply while the family's largest or most hostile
schedule file is being loaded (median and max of 5 calls each).

    python bench/full_disk.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import admin, assistant_env, platform_process
from tests.support.small_disk import fill, small_disk
from tests.support.speaking import Speaker


def _stored_after(url: str, kind: str, count: int, since: float, limit_s: float = 60) -> float:
    while time.monotonic() - since < limit_s:
        reply = admin(url, "GET", f"/v1/admin/requests?kind={kind}").json()
        if len(reply["requests"]) >= count:
            return time.monotonic() - since
        time.sleep(0.05)
    return float("inf")


def _running(root: Path, reserve_mb: str, again: bool) -> tuple[str, float, list[str]]:
    with platform_process(root) as url, small_disk(root / "disk", 24) as disk:
        env = {**assistant_env(disk, url), "XIAOAN_DISK_RESERVE_MB": reserve_mb}
        speaker = Speaker(env)
        speaker.say("血压一百三八十")
        fill(disk)
        keys = speaker.say("救命")
        seconds = _stored_after(url, "emergency", 1, speaker.said_at)
        if again:
            fill(disk, "more")
            keys = speaker.say("着火了，救命")
            seconds = _stored_after(url, "emergency", 2, speaker.said_at)
        speaker.stop()
    return keys[0], seconds, keys


def _backlog(root: Path) -> float:
    with platform_process(root) as url, small_disk(root / "disk", 24) as disk:
        env = {**assistant_env(disk, url), "XIAOAN_DISK_RESERVE_MB": "4"}
        admin(url, "PUT", "/v1/admin/faults", {"fail_rate": 1.0})
        speaker = Speaker(env)
        speaker.say("救命")
        speaker.proc.kill()
        speaker.proc.wait(10)
        fill(disk)
        admin(url, "PUT", "/v1/admin/faults", {"fail_rate": 0.0})
        started = time.monotonic()
        service = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--service"],
            env=dict(env, XIAOAN_MODEL_DIR=str(root / "no-model")),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = _stored_after(url, "emergency", 1, started)
        service.terminate()
        service.wait(30)
    return seconds


def _while_loading(root: Path, text: str) -> list[float]:
    speaker = Speaker(assistant_env(root, ""))
    speaker.say("几点了")
    (root / "home" / "schedule.yaml").write_text(text, encoding="utf-8")
    times = []
    for _ in range(5):
        speaker.say("救命")
        times.append(speaker.answered_in)
    speaker.stop()
    return times


def main() -> None:
    print("full disk: 救命 → stored by the platform")
    for name, reserve, again in (("running", "4", False), ("no room at all", "1", True)):
        with tempfile.TemporaryDirectory() as folder:
            said, seconds, _ = _running(Path(folder), reserve, again)
        print(f"  {name:<16} {seconds:6.2f} s   (the elder heard {said})")
    with tempfile.TemporaryDirectory() as folder:
        print(f"  {'backlog, started':<16} {_backlog(Path(folder)):6.2f} s   (from `run --service` "
              "started on the full disk)")  # fmt: skip
    largest = "medicines:\n" + "".join(
        f"  - {{name: 药{i}, times: ['08:00', '20:00'], dose: 一片}}\n" for i in range(50)
    ) + "# " + "注释" * 9000 + "\n"  # fmt: skip
    hostile = {"largest accepted (64 KiB)": largest, "nested 5000 deep": "a: " + "[" * 5000,
               "billion laughs": "a: &a [x, x]\n" + "".join(
                   f"{c}: &{c} [*{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                                strict=True))}  # fmt: skip
    print("救命 → reply while a schedule file loads (5 calls)")
    for name, text in hostile.items():
        with tempfile.TemporaryDirectory() as folder:
            times = _while_loading(Path(folder), text)
        print(
            f"  {name:<26} median {statistics.median(times) * 1000:6.0f} ms  "
            f"max {max(times) * 1000:6.0f} ms"
        )


if __name__ == "__main__":
    main()
