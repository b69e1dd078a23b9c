"""The text-mode loop: stdin lines in, XiaoAn's replies out, senders in the background.

One thread owns the dialogue; stdin lines, the senders' events and the passing of time
reach it through one queue, so the dialogue needs no locks. Replies are printed as
``小安：…`` lines, or one JSON object per reply with ``--json``
(``{"key", "text", "urgent", "emphasis"}``). At the end of input the loop stops at once (what is
not sent yet stays in the outbox and goes out on the next start), or, with
``linger_s``, keeps sending and printing for up to that long until nothing is pending.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from assistant.app import Assistant
from assistant.dialogue import Dialogue, Say
from assistant.relay import RelayEvent

TICK_S = 0.2
"""How often the loop looks at the time when nothing else happens."""


@dataclass(frozen=True)
class Line:
    """A line typed on stdin."""

    text: str


@dataclass(frozen=True)
class End:
    """Stdin ended."""


@dataclass(frozen=True)
class WakeRequest:
    """A button (or a keypress) woke XiaoAn: listen without the wake phrase."""


Item = Line | End | WakeRequest | RelayEvent


class Events:
    """The queue the loop reads; the senders' callback puts their events on it."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Item] = queue.Queue()

    def relay(self, event: RelayEvent) -> None:
        """The senders' ``on_event`` callback."""
        self.queue.put(event)

    def wake(self) -> None:
        """The hook for a physical button (any thread): listen as if woken by voice."""
        self.queue.put(WakeRequest())

    def feed(self, lines: Iterable[str]) -> threading.Thread:
        """Read ``lines`` in a thread of their own (stdin blocks)."""

        def read() -> None:
            for line in lines:
                self.queue.put(Line(line))
            self.queue.put(End())

        thread = threading.Thread(target=read, name="stdin", daemon=True)
        thread.start()
        return thread


def run_text(
    assistant: Assistant,
    events: Events,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool = False,
    prompt: str = "",
    label: str = "小安：",
    linger_s: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run the loop until the input ends (and, with ``linger_s``, the outbox is empty)."""
    write = writer(out, as_json, prompt, label)
    dialogue = assistant.dialogue
    events.feed(lines)
    if prompt:
        out.write(prompt)
        out.flush()
    ended_at: float | None = None
    while True:
        try:
            item: Item | None = events.queue.get(timeout=TICK_S)
        except queue.Empty:
            item = None
        says = dialogue.tick()
        if isinstance(item, Line):
            says += dialogue.hear(item.text)
        elif isinstance(item, End):
            ended_at = clock()
        elif item is not None and not isinstance(item, WakeRequest):
            says += dialogue.on_relay(item)
        write(says, isinstance(item, Line))
        if ended_at is not None and (
            clock() - ended_at >= linger_s or not assistant.outbox.counts()["pending"]
        ):
            assistant.stop()  # an attempt under way reports before the last events are read
            write(_drain(events, dialogue), False)
            return


def _drain(events: Events, dialogue: Dialogue) -> list[Say]:
    says: list[Say] = []
    while True:
        try:
            item = events.queue.get_nowait()
        except queue.Empty:
            return says
        if not isinstance(item, Line | End | WakeRequest):
            says += dialogue.on_relay(item)


def writer(
    out: TextIO, as_json: bool, prompt: str = "", label: str = "小安："
) -> Callable[[list[Say], bool], None]:
    """Prints replies as ``小安：…`` lines or JSON objects (then the prompt again)."""

    def write(says: list[Say], answered: bool) -> None:
        for say in says:
            if as_json:
                fields = {"key": say.key, "text": say.text, "urgent": say.urgent,
                          "emphasis": say.emphasis}  # fmt: skip
                line = json.dumps(fields, ensure_ascii=False)
            else:
                line = label + say.text
            out.write(line + "\n")
        if prompt and (says or answered):
            out.write(prompt)
        out.flush()

    return write
