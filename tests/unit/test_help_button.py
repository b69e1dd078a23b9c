"""One-key help (issue 16): the button on a GPIO pin, tested with gpiozero's mock pins (the
one seam for hardware CI lacks). A press is an emergency at once, through the real loop and
dialogue into the real outbox; a long press calls an alarm off; the LED shows the state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Say
from assistant.wiring.app import Assistant, build
from assistant.wiring.button import HelpButton, led_state
from assistant.wiring.events import ButtonHeld, ButtonPressed, End, Events
from assistant.wiring.voice_loop import VoiceLoop
from tests.conftest import parser_for

BUTTON, LED = 17, 27


@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


def test_a_press_and_a_hold_reach_the_queue(factory: MockFactory) -> None:
    events = Events()
    button = HelpButton(BUTTON, LED, events, pin_factory=factory, hold_s=0.05)
    try:
        factory.pin(BUTTON).drive_low()  # pressed: the pin is pulled to ground
        assert isinstance(events.queue.get(timeout=2), ButtonPressed)
        assert events.interrupt.is_set()  # a reply being said stops
        assert isinstance(events.queue.get(timeout=2), ButtonHeld)  # kept down
        factory.pin(BUTTON).drive_high()
    finally:
        button.close()


def test_the_led_shows_the_state(factory: MockFactory) -> None:
    button = HelpButton(BUTTON, LED, Events(), pin_factory=factory)
    try:
        button.show(led_state("listening", ""))
        assert factory.pin(LED).state
        button.show(led_state("waiting", ""))
        assert not factory.pin(LED).state
        button.show(led_state("waiting", "acknowledged"))
        assert factory.pin(LED).state
    finally:
        button.close()


@pytest.fixture
def assistant(tmp_path: Path) -> Iterator[Assistant]:
    settings = replace(Settings(), lang="zh")
    built = build(settings, Paths(tmp_path / "home"), lambda event: None,
                  parser=parser_for("zh"))  # fmt: skip
    yield built
    built.stop()


def test_a_press_commits_an_emergency_through_the_loop(
    factory: MockFactory, assistant: Assistant
) -> None:
    events = Events()
    said: list[Say] = []
    spoke = threading.Event()

    def heard(says: list[Say], answered: bool) -> None:
        said.extend(says)
        spoke.set()

    loop = VoiceLoop(assistant, None, Settings(), events, on_say=heard)
    thread = threading.Thread(target=loop.run)
    thread.start()
    button = HelpButton(BUTTON, 0, events, pin_factory=factory)
    try:
        factory.pin(BUTTON).drive_low()
        assert spoke.wait(10)
    finally:
        events.queue.put(End())
        thread.join(10)
        button.close()
    assert [s.key for s in said] == ["emergency.recorded"]
    rows = assistant.outbox.latest(["emergency"])
    assert [r.fields.get("event") for r in rows] == ["button"]
