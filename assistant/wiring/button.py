"""One-key help: a physical button on a GPIO pin, and an optional status LED.

Elders who cannot speak in the moment that matters press a button (the community systems
call it 一键呼叫). Receives the pin's edges from ``gpiozero`` (its own thread); emits
``ButtonPressed`` and ``ButtonHeld`` onto the loop's queue (``Events``), and stops a reply
being spoken at once (``Events.interrupt``). The loop turns a press into an emergency with
no question, and a long press (``HOLD_S``) while an alarm is on into its cancellation, as
我没事了 would be. The LED shows the state (``led_state``): off; on while listening; blinking
fast while an alarm is not acknowledged; on, steady, once a person acknowledged it.

``gpiozero`` picks the Pi's pin library (lgpio on Raspberry Pi OS); tests pass its
``MockFactory`` (``pin_factory``): the one seam for hardware CI lacks. Wiring, settings
(``button_pin``, ``led_pin``, BCM numbers, 0: none) and the checks are in
docs/raspberry-pi.md.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from assistant.errors import AudioDeviceError
from assistant.wiring.events import Events

_LOGGER = logging.getLogger(__name__)
HOLD_S = 2.0
"""A press this long while an alarm is on cancels it."""
BLINK_S = 0.25
"""Half a period of the LED's fast blink (an alarm not yet acknowledged)."""


class HelpButton:
    """The button (and LED) on their pins; ``close()`` frees them."""

    def __init__(
        self, button_pin: int, led_pin: int, events: Events, pin_factory: Any = None,
        clock: Any = time.monotonic, hold_s: float = HOLD_S,
    ) -> None:  # fmt: skip
        try:
            from gpiozero import LED, Button
            from gpiozero.exc import GPIOZeroError

            self._button = Button(button_pin, pull_up=True, hold_time=hold_s,
                                  pin_factory=pin_factory)  # fmt: skip
            self._led = LED(led_pin, pin_factory=pin_factory) if led_pin else None
        except (ImportError, OSError, RuntimeError, GPIOZeroError) as err:  # no GPIO here
            raise AudioDeviceError(
                f"the help button on GPIO {button_pin} cannot be used ({err}): check the "
                "wiring (docs/raspberry-pi.md) and `assistant doctor`"
            ) from err
        self._events = events
        self._clock = clock
        self._button.when_pressed = self._pressed
        self._button.when_held = self._held
        self._state = ""

    def _pressed(self) -> None:
        self._events.press(self._clock())

    def _held(self) -> None:
        self._events.hold()

    def show(self, state: str) -> None:
        """Show ``off``, ``listening``, ``alarm`` (not acknowledged) or ``acknowledged``."""
        if self._led is None or state == self._state:
            return
        self._state = state
        if state == "alarm":
            self._led.blink(on_time=BLINK_S, off_time=BLINK_S)
        elif state in ("listening", "acknowledged"):
            self._led.on()
        else:
            self._led.off()

    def close(self) -> None:
        """Free the pins."""
        self._button.close()
        if self._led is not None:
            self._led.close()


def attach(button_pin: int, led_pin: int, events: Events) -> tuple[HelpButton | None, str]:
    """The configured button (None when there is none), and why it cannot be used ("" when
    it can): a button that fails never stops XiaoAn; the problem is shown (status, doctor,
    heartbeat)."""
    if not button_pin:
        return None, ""
    try:
        return HelpButton(button_pin, led_pin, events), ""
    except AudioDeviceError as err:
        _LOGGER.error("%s", err)
        return None, str(err)


def led_state(phase: str, alarm: str) -> str:
    """What the LED shows: an alarm's state first, else whether XiaoAn is listening."""
    return alarm or ("listening" if phase == "listening" else "off")
