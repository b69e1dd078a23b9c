"""What reaches the loop besides audio: stdin lines, the senders' events, a button; and how
replies are printed.

One thread owns the dialogue (``assistant.wiring.voice_loop``); stdin lines, the senders' events
and a button press reach it through one queue, so the dialogue needs no locks. Replies are
printed as ``小安：…`` lines, or one JSON object per reply with ``--json``
(``{"key", "text", "urgent", "emphasis"}``).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from assistant.dialogue.machine import Say
from assistant.relay.sender import RelayEvent

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
    """A keypress woke XiaoAn: listen without the wake phrase."""


@dataclass(frozen=True)
class ButtonPressed:
    """The help button was pressed (``at``: monotonic seconds): an emergency, at once."""

    at: float


@dataclass(frozen=True)
class ButtonHeld:
    """The help button was held down: cancel the alarm that is on, if one is."""


Item = Line | End | WakeRequest | ButtonPressed | ButtonHeld | RelayEvent


class Events:
    """The queue the loop reads; the senders' callback puts their events on it."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Item] = queue.Queue()
        self.interrupt = threading.Event()
        """Set by the help button: stop the reply being spoken."""
        self.stop_speech: Callable[[], None] = lambda: None
        """Cuts the sentence being played short (the loop sets it to its speaker's)."""

    def relay(self, event: RelayEvent) -> None:
        """The senders' ``on_event`` callback."""
        self.queue.put(event)

    def wake(self) -> None:
        """A keypress (any thread): listen as if woken by voice."""
        self.queue.put(WakeRequest())

    def press(self, at: float) -> None:
        """The help button (its own thread): stop speaking, and call for help."""
        self.interrupt.set()
        self.stop_speech()
        self.queue.put(ButtonPressed(at))

    def hold(self) -> None:
        """The help button held down (its own thread)."""
        self.queue.put(ButtonHeld())

    def feed(self, lines: Iterable[str]) -> threading.Thread:
        """Read ``lines`` in a thread of their own (stdin blocks)."""

        def read() -> None:
            for line in lines:
                self.queue.put(Line(line))
            self.queue.put(End())

        thread = threading.Thread(target=read, name="stdin", daemon=True)
        thread.start()
        return thread


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
