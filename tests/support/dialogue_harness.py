"""Run dialogue scripts (``tests/data/dialogues/<lang>/*.yaml``) against a real XiaoAn.

Each script builds the real assistant (SQLite file in ``tmp_path``, entry-point skills,
the packaged parser) on a clock that only moves when told, and, unless the script says
``platform: none`` or ``down``, the reference platform on 127.0.0.1 sharing that clock.
Senders do not run in threads here: a ``send`` turn runs them once, so every reply is
deterministic. Turns, one action each:

``say: TEXT``            the elder speaks
``wait: SECONDS``        time passes; the dialogue's ``tick`` runs
``send: true``           the senders drain the outbox; their events reach the dialogue
``acknowledge: {note}``  a person at the care centre acknowledges the newest emergency
                         (``note``: what the elder is told); XiaoAn's alarm watch looks
``provider: {status}``   a provider moves the newest request to ``status``
``faults: {fail_rate…}`` the platform starts failing (``{}``: stops)
``restart: true``        XiaoAn is killed and started again on the same files and clock
``off: SECONDS``         XiaoAn is killed, time passes without it, and it starts again

A script's ``schedule`` (the family's reminder file, as YAML text) is written to
``$XIAOAN_HOME/schedule.yaml`` before XiaoAn starts.

and what to expect after it: ``replies`` (reply keys, in order), ``contains``
(substrings of the spoken text), ``state`` (idle, asking, confirming), ``stored`` (the
newest request the platform stored: ``kind``, ``fields``, ``summary`` substrings),
``pending`` (how many requests wait in the outbox), ``status_of`` (kind → the statuses
of the stored requests of that kind, newest first), ``stored_kinds`` (the kinds of all
stored requests, newest first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Say
from assistant.relay.sender import RelayEvent
from assistant.reminders.schedule_sync import ScheduleFileWatch
from assistant.wiring.app import Assistant, build
from tests.conftest import parser_for
from tests.support.paths import DIALOGUES
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    FakeClock,
    running_platform,
)  # fmt: skip


@dataclass
class Harness:
    """A real assistant on a fake clock, with the reference platform when there is one."""

    assistant: Assistant
    clock: FakeClock
    admin: AdminClient | None
    events: list[RelayEvent] = field(default_factory=list)
    rebuild: Callable[[], Assistant] | None = None

    def restart(self) -> None:
        """Start XiaoAn again on the same files (what was in memory is gone)."""
        assert self.rebuild is not None
        self.assistant = self.rebuild()

    def say(self, text: str) -> list[Say]:
        """The elder speaks."""
        return self.assistant.dialogue.hear(text)

    def wait(self, seconds: float) -> list[Say]:
        """Time passes (and the file watch's thread has a look, as it would)."""
        self.clock.advance(seconds)
        self.look_at_schedule_file()
        return self.assistant.dialogue.tick()

    def look_at_schedule_file(self) -> None:
        """What ``ScheduleFileWatch``'s thread does once a second, done now."""
        watch = self.assistant.schedule_sync
        if isinstance(watch, ScheduleFileWatch):
            watch.look()

    def send(self) -> list[Say]:
        """Run the senders once; what the dialogue says about their events."""
        self.events.clear()
        for relay in self.assistant.relays:
            relay.send_due()
        says: list[Say] = []
        for event in self.events:
            says += self.assistant.dialogue.on_relay(event)
        return says

    def acknowledge(self, note: str | None = None) -> list[Say]:
        """A person acknowledges the newest emergency; what XiaoAn says once it looks."""
        assert self.admin is not None, "this script has no platform"
        newest = next(r for r in self.stored() if r["kind"] == "emergency")
        self.admin.acknowledge(newest["id"], **({} if note is None else {"note": note}))
        self.events.clear()
        assert self.assistant.alarm_watch is not None
        self.assistant.alarm_watch.look()
        says: list[Say] = []
        for event in self.events:
            says += self.assistant.dialogue.on_relay(event)
        return says

    def stored(self) -> list[dict[str, Any]]:
        """What the platform stored, newest first."""
        assert self.admin is not None, "this script has no platform"
        return self.admin.requests()


@contextmanager
def harness(
    tmp_path: Path,
    lang: str,
    now: str,
    platform: str = "up",
    settings: dict[str, Any] | None = None,
    schedule: str = "",
) -> Iterator[Harness]:
    """A harness whose clock starts at ``now``; ``platform`` is up, down or none."""
    clock = FakeClock(datetime.fromisoformat(now).timestamp())
    with ExitStack() as stack:
        values: dict[str, Any] = {"lang": lang, **(settings or {})}
        admin = None
        if platform == "up":
            server = stack.enter_context(running_platform(tmp_path, clock=clock))
            values.update(platform_url=server.url, device_id=DEVICE_ID,
                          device_secret=DEVICE_SECRET.hex())  # fmt: skip
            admin = AdminClient(server.url)
        elif platform == "down":
            values.update(platform_url="http://127.0.0.1:9", device_id=DEVICE_ID,
                          device_secret=DEVICE_SECRET.hex())  # fmt: skip
        configured = dataclasses.replace(Settings(), **values)
        events: list[RelayEvent] = []
        paths = Paths(tmp_path / "home")
        if schedule:
            paths.home.mkdir(parents=True, exist_ok=True)
            paths.schedule_file.write_text(schedule, encoding="utf-8")

        def rebuild() -> Assistant:
            return build(configured, paths, events.append, clock, parser_for(lang))

        yield Harness(rebuild(), clock, admin, events, rebuild)


def load_scripts(lang: str) -> list[tuple[str, dict[str, Any]]]:
    """Every script of one language: (file:name, script)."""
    out = []
    for path in sorted((DIALOGUES / lang).glob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for name, script in data.items():
            out.append((f"{lang}/{path.stem}:{name}", script))
    return out
