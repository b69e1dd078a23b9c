"""Benchmark of ``assistant doctor``: how long it takes, healthy and with each failure.

Sets up a device home as the tests do (the Korean model installed and hashed, a schedule,
a microphone and a speaker from the stand-in, the reference platform on 127.0.0.1), runs
``assistant doctor --json`` as a technician would (a subprocess, Python start included)
``--runs`` times healthy, then once with each failure of the issue broken in. Prints the
wall time of each run, the time the checks took (the report's ``seconds``), and the part
named as failing. The goal: ≤ 3 s healthy, and each failure named with a fix.

    python bench/doctor.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and its intents.py would shadow the
# `intents` package; the repository root is needed for `tests`.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.chdir(ROOT)  # the subprocesses import `tests.support.fake_sounddevice` from here

from audio.model_store import ModelStore  # noqa: E402
from tests.support import fake_sounddevice  # noqa: E402
from tests.support.audio_fixtures import KO_MODEL  # noqa: E402
from tests.support.commands import assistant, assistant_env  # noqa: E402
from tests.support.doctor_cases import CASES, Device  # noqa: E402
from tests.support.platform_fixture import DEVICE_ID, running_platform  # noqa: E402


def _platform_dir(path: Path) -> Path:
    path.mkdir()
    return path


def _timed(device: Device) -> tuple[float, dict[str, object], int]:
    audio = fake_sounddevice.setup(device.home / "audio.json", device.devices)
    env = assistant_env(device.home, XIAOAN_LANG="zh", XIAOAN_MODEL_DIR="models/ko",
                        XIAOAN_PLATFORM_URL=device.platform_url, XIAOAN_DEVICE_ID=DEVICE_ID,
                        **audio)  # fmt: skip
    started = time.monotonic()
    done = assistant(env, "doctor", "--json")
    wall = time.monotonic() - started
    return wall, json.loads(done.stdout), done.returncode


def main() -> int:
    """Run the benchmark; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Healthy runs.")
    args = parser.parse_args()
    missed = 0
    with tempfile.TemporaryDirectory(prefix="xiaoan-doctor-") as scratch:
        work = Path(scratch)
        models = work / "installed" / "models"
        ModelStore(models).install_from("ko", KO_MODEL)
        walls: list[float] = []
        checks: list[float] = []
        for run in range(args.runs):
            home = work / f"healthy-{run}"
            home.mkdir()
            device = Device(home, models)
            device.prepare()
            with running_platform(_platform_dir(work / f"platform-{run}")) as platform:
                device.platform_url = platform.url
                wall, report, code = _timed(device)
            walls.append(wall)
            checks.append(float(report["seconds"]))  # type: ignore[arg-type]
            missed += code != 0
        print(f"healthy, {args.runs} runs: wall median {statistics.median(walls):.2f} s, "
              f"max {max(walls):.2f} s; checks median {statistics.median(checks):.2f} s, "
              f"max {max(checks):.2f} s (goal ≤ 3 s)")  # fmt: skip
        missed += max(walls) > 3.0
        print(f"{'case':<22} {'wall':>6} {'checks':>7}  failing part → fix")
        for name, (breaks, clock, part, _, _) in CASES.items():
            home = work / name.replace(" ", "-")
            home.mkdir()
            device = Device(home, models)
            device.prepare()
            breaks(device)
            with running_platform(_platform_dir(work / f"platform-{home.name}"),
                                  clock=clock or time.time) as platform:  # fmt: skip
                device.platform_url = device.platform_url or platform.url
                wall, report, code = _timed(device)
            failing = [c for c in report["checks"] if c["status"] == "fail"]  # type: ignore[attr-defined]
            named = next((c for c in failing if c["part"] == part), None)
            fix = named["fix"] if named else "NOT NAMED"
            print(f"{name:<22} {wall:>5.2f}s {float(report['seconds']):>6.2f}s  "  # type: ignore[arg-type]
                  f"{part} → {fix[:70]}")  # fmt: skip
            missed += named is None or not fix or code != 1
        shutil.rmtree(models, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
