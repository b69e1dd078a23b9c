"""What the reminders tell the dialogue, as plain values: say these now (``Prompt``), this
one will not be answered (``Lapsed``), these are said and not answered yet (``Sounding``).

Made by ``assistant.reminders.firing``; read by the dialogue and by skills.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.values.occurrences import Occurrence

NO_ANSWER, DEVICE_OFF, INACTIVE = "no_answer", "device_off", "inactive"


@dataclass(frozen=True)
class Prompt:
    """Say these reminders now (medicines due at the same minute are said together)."""

    occurrences: tuple[Occurrence, ...]
    saying: int
    """1 the first time; 2, 3 … the repeats (each a little louder and slower)."""
    late_s: float
    """Seconds after the due time (for the first saying)."""
    quiet: bool = False
    """In quiet hours: not louder."""


@dataclass(frozen=True)
class Lapsed:
    """A reminder that will not be answered: relay it (the record settles it)."""

    occurrence: Occurrence
    reason: str
    """no_answer, device_off, or inactive (no interaction by the inactivity time)."""
    sayings: int
    last_heard: float | None = None
    said: bool = False
    """Whether it was said at least once (before a snooze, or before the stop)."""


@dataclass(frozen=True)
class Sounding:
    """A reminder said and not answered yet."""

    occurrence: Occurrence
    sayings: int


Event = Prompt | Lapsed
