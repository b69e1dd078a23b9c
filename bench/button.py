"""Benchmark of one-key help: a press of the button → the emergency committed to the
outbox (the reply is made after the commit), through gpiozero's mock pins, the real loop,
dialogue and SQLite outbox.

    python bench/button.py [--presses 30]
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

from gpiozero.pins.mock import MockFactory

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Say
from assistant.wiring.app import build
from assistant.wiring.button import HelpButton
from assistant.wiring.events import End, Events
from assistant.wiring.voice_loop import VoiceLoop

PIN = 17


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = replace(Settings(), lang="zh")
        assistant = build(settings, Paths(Path(folder) / "home"), lambda event: None)
        events, factory = Events(), MockFactory()
        answered = threading.Event()
        when: list[float] = []

        def said(says: list[Say], _: bool) -> None:
            if any(s.key.startswith("emergency.") for s in says):
                when.append(time.perf_counter())
                answered.set()

        ready = threading.Event()
        loop = VoiceLoop(assistant, None, settings, events, on_say=said,
                         on_tick=lambda phase: ready.set())  # fmt: skip
        thread = threading.Thread(target=loop.run)
        thread.start()
        ready.wait(30)  # the loop warms up first (about 0.5 s): a press then waits for it
        button = HelpButton(PIN, 0, events, pin_factory=factory)
        waits = []
        for _ in range(args.presses):
            answered.clear()
            pressed = time.perf_counter()
            factory.pin(PIN).drive_low()
            answered.wait(10)
            waits.append((when[-1] - pressed) * 1000)
            factory.pin(PIN).drive_high()
        events.queue.put(End())
        thread.join(30)
        button.close()
        stored = len(assistant.outbox.latest(["emergency"], limit=1000))
    waits.sort()
    print(f"button press → emergency committed ({args.presses} presses, {stored} stored), ms:")
    print(f"  median {statistics.median(waits):6.1f}  p95 {waits[int(0.95 * len(waits)) - 1]:6.1f}"
          f"  max {waits[-1]:6.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
