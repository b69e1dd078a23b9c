"""Benchmark of the reminders: a simulated week of about 1,000 reminders, XiaoAn killed
(``kill -9``) at random moments and kept off for seconds to hours each time
(``bench/reminder_week.py``).

Prints: fired on time, lateness while running (p50 / p99 / max, the tick's own run time
included), fired late after a restart (how many, how late), first sayings cut by a kill,
taken or answered, reported missed (of which: device off), silently skipped (must be 0),
duplicated (must be 0), kills, seconds.

    python bench/reminders.py [--medicines 36] [--per-day 4] [--days 7] [--kills 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reminder_week import run_week, summary


def main() -> int:
    """Run the week and print its figures; exit 1 if a reminder was skipped or doubled."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--medicines", type=int, default=36)
    parser.add_argument("--per-day", type=int, default=4)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="One JSON object.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run_week(Path(tmp), args.medicines, args.per_day, args.days, args.kills,
                          args.seed)  # fmt: skip
    figures = summary(result)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:32} {value}")
        for problem in result.problems[:20]:
            print("problem:", problem)
    return 1 if result.skipped or result.duplicated else 0


if __name__ == "__main__":
    raise SystemExit(main())
