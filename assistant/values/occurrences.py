"""Reminder occurrences as plain values: what is due when, and the reminders set by voice.

Made by ``assistant.reminders.planner``, stored by ``assistant.reminders.firing``, read by
skills and the dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

MEDICINE, CHECKIN, INACTIVITY, VOICE = "medicine", "checkin", "inactivity", "voice"


@dataclass(frozen=True)
class VoiceReminder:
    """A reminder the elder set by voice (``voice_reminders`` table)."""

    id: int
    spec: str
    """The ``set_reminder.when`` slot: an ISO datetime or ``R/<first>/P1D|P1W``."""
    what: str


@dataclass(frozen=True)
class Occurrence:
    """One time something is due."""

    id: str
    kind: str
    """medicine, checkin, inactivity or voice."""
    due: datetime
    name: str = ""
    """The medicine's name, or what a voice reminder is for."""
    dose: str = ""
    meal: str = ""
    note: str = ""

    @property
    def data(self) -> dict[str, Any]:
        """What is stored with the occurrence (and said from it after a restart)."""
        return {"name": self.name, "dose": self.dose, "meal": self.meal, "note": self.note}
