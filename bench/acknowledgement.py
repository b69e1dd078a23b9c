"""Benchmark: an operator acknowledges an alarm → XiaoAn says so (issue 17: ≤ 5 s). A real
``assistant run --json`` against the care platform (in this process, on SQLite); each
trial is a fresh device home: 救命 → delivered → an operator acknowledges in the console
→ the time until XiaoAn says 服务中心已收到 (its alarm watch asks every 3 s).

    python bench/acknowledgement.py [--trials 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import DEVICE_ID, SECRET, assistant_env
from tests.support.care_fixture import running_careplatform
from tests.support.console_client import PASSWORD, ConsoleUser
from tests.support.speaking import Speaker


def trial(root: Path, n: int) -> float:
    """Seconds from the acknowledgement to XiaoAn saying it."""
    (root / f"p{n}").mkdir()
    with running_careplatform(root / f"p{n}", {DEVICE_ID: bytes.fromhex(SECRET)}) as care:
        care.platform.accounts.add("小张", "operator", PASSWORD)
        operator = ConsoleUser(care.url).login("小张")
        speaker = Speaker(assistant_env(root / f"d{n}", care.url))
        said = speaker.say("救命")
        if "emergency.delivered" not in said:
            assert speaker.hears(10.0) == "emergency.delivered"
        rid = care.store.list_requests(kind="emergency")[0].id
        operator.post(f"/requests/{rid}/acknowledge", note="王医生十分钟到")
        acknowledged = time.monotonic()
        heard = speaker.hears(10.0)
        took = time.monotonic() - acknowledged
        speaker.stop()
    assert heard == "emergency.acknowledged", heard
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times = sorted(trial(Path(tmp), n) for n in range(args.trials))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"operator acknowledges → XiaoAn says so ({args.trials} trials): "
        f"median {statistics.median(times):.2f} s, p95 {p95:.2f} s, max {times[-1]:.2f} s"
    )


if __name__ == "__main__":
    main()
