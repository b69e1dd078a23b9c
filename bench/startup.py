"""Benchmark of the technician's commands' start-up: each as a whole process.

Runs ``python -m assistant ARGS`` for ``--help``, ``status``, ``outbox list``,
``config show`` and ``doctor`` (on an empty device home, no platform, no model: what a
technician meets on a fresh device) ``--runs`` times each, and prints the median, the
fastest and the slowest wall time, plus the bare interpreter's start for reference.

    python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (("--help",), ("status",), ("outbox", "list"), ("config", "show"), ("doctor",))


def wall_s(args: list[str], env: dict[str, str]) -> float:
    """Seconds one process takes from start to exit."""
    began = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, timeout=60)  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    """Print the start-up figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
        env["XIAOAN_HOME"] = str(Path(home) / "xiaoan")
        rows = [("python (bare)", [sys.executable, "-c", "pass"])]
        rows += [(" ".join(c), [sys.executable, "-m", "assistant", *c]) for c in COMMANDS]
        print(f"start-up, {runs} runs each (median, min, max in seconds)")
        for name, args in rows:
            wall_s(args, env)  # warm the file cache
            times = [wall_s(args, env) for _ in range(runs)]
            print(f"  {name:<16} median {statistics.median(times):5.2f}  "
                  f"min {min(times):5.2f}  max {max(times):5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
