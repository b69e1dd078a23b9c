"""Benchmark of the relay: how fast an emergency reaches the platform, and a kill -9 run.

Prints
- emergency latency: typed utterance → committed in the outbox (reply ready), and →
  stored by the reference platform (the sender has its 201), median / p95 / max, with a
  healthy platform and with one failing 30 % of the calls;
- a kill -9 run (``bench/chaos.py``): sent, received, lost, duplicated.

    python bench/relay.py [--emergencies 100] [--requests 500] [--kills 25] [--fail 0.3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Paths, Settings
from assistant.relay.sender import Delivered, RelayEvent
from assistant.wiring.app import build
from bench.chaos import DEVICE_ID, SECRET, admin, platform_process, run_chaos

UTTERANCES = ("救命", "我摔倒了起不来", "快叫救护车", "着火了", "快来人啊")


def emergency_latency(workdir: Path, count: int, fail_share: float) -> tuple[list[float], ...]:
    """Per emergency: (utterance → committed, utterance → stored by the platform), ms."""
    with platform_process(workdir) as url:
        admin(url, "PUT", "/v1/admin/faults", {"fail_rate": fail_share, "seed": 1})
        settings = replace(Settings(), platform_url=url, device_id=DEVICE_ID, device_secret=SECRET)
        delivered: dict[str, float] = {}
        arrived = threading.Condition()

        def on_event(event: RelayEvent) -> None:
            if isinstance(event, Delivered):
                with arrived:
                    delivered[event.row.key] = time.perf_counter()
                    arrived.notify_all()

        assistant = build(settings, Paths(workdir / "home"), on_event)
        assistant.start()
        committed, stored = [], []
        try:
            for i in range(count):
                start = time.perf_counter()
                assistant.dialogue.hear(UTTERANCES[i % len(UTTERANCES)])
                committed.append((time.perf_counter() - start) * 1000)
                key = assistant.outbox.latest(("emergency",), limit=1)[0].key
                with arrived:
                    arrived.wait_for(lambda k=key: k in delivered, timeout=60)  # type: ignore[misc]
                stored.append((delivered[key] - start) * 1000)
        finally:
            assistant.stop()
    return committed, stored


def _figures(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  max {ordered[-1]:7.1f}"


def main() -> None:
    """Run both benchmarks and print their figures."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--emergencies", type=int, default=100)
    args.add_argument("--requests", type=int, default=500)
    args.add_argument("--kills", type=int, default=25)
    args.add_argument("--fail", type=float, default=0.3)
    options = args.parse_args()
    print(f"emergency latency over {options.emergencies} emergencies (ms)")
    for share in (0.0, options.fail):
        with tempfile.TemporaryDirectory() as tmp:
            committed, stored = emergency_latency(Path(tmp), options.emergencies, share)
        print(f"  platform failing {share:4.0%}: → outbox   {_figures(committed)}")
        print(f"  platform failing {share:4.0%}: → platform {_figures(stored)}")
    with tempfile.TemporaryDirectory() as tmp:
        result = run_chaos(Path(tmp), options.requests, options.fail, options.kills)
    print(f"kill -9 run: {options.requests} requests, {options.fail:.0%} of calls failing, "
          f"{result.kills} kills, {result.seconds:.0f} s")  # fmt: skip
    print(
        f"  sent (acknowledged) {result.sent}  received {result.received}  lost {result.lost}"
        f"  duplicated {result.duplicated}  stored though unacknowledged {result.unacknowledged}"
    )


if __name__ == "__main__":
    main()
