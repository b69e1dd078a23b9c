"""Turns that time takes, not the elder: an alarm nobody acknowledged.

Receives the passing of time (``check``, five times a second from ``Dialogue.tick``);
emits an ``Overdue`` once per unacknowledged alarm: the dialogue says so and commits an
``emergency_escalation`` (the platform notifies the family). The reminder schedule's turns
(say what is due, relay what lapsed) are ``assistant.dialogue.reminding``'s policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.dialogue.state import DeviceState
from assistant.relay.outbox import EMERGENCY_PRIORITY, Outbox
from assistant.values.platform import Outgoing
from skills.base import Alarm


@dataclass(frozen=True)
class Overdue:
    """An alarm not acknowledged in time, and how long it has waited."""

    alarm: Alarm
    waited_s: float

    def escalation(self) -> Outgoing:
        """The request that asks the platform to notify the family."""
        fields = {"emergency_key": self.alarm.key, "emergency_keys": list(self.alarm.keys),
                  "notify": "family", "waited_s": round(self.waited_s)}  # fmt: skip
        # never before the alarm it escalates: it waits while that alarm is pending
        return Outgoing("emergency_escalation", fields, EMERGENCY_PRIORITY, after=self.alarm.keys)


class OverdueAlarms:
    """Finds the open alarm that waited ``timeout_s`` unacknowledged, once per call made."""

    def __init__(
        self, outbox: Outbox, state: DeviceState, timeout_s: float, clock: Callable[[], float]
    ) -> None:
        self._outbox = outbox
        self._state = state
        self._timeout_s = timeout_s
        self._clock = clock
        self._announced: set[str] = set()
        """Emergency keys whose missing acknowledgement was already said."""

    def check(self) -> Overdue | None:
        """The alarm to announce now (then never again for its newest call), or None."""
        alarm = self._state.active_emergency()  # delivered is not enough: a person must see it
        if alarm is None or alarm.acknowledged or alarm.keys[-1] in self._announced:
            return None
        first = self._outbox.get(alarm.keys[-1])
        waited = self._clock() - first.created_at if first else 0.0
        if waited < self._timeout_s:
            return None
        self._announced.add(alarm.keys[-1])
        return Overdue(alarm, waited)
