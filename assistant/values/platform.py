"""What goes to the care platform and comes back from it, as plain values: a request
(``Outgoing``, committed by the dialogue to ``assistant.relay.outbox``) and an answer to a
read (``Lookup``, from ``assistant.relay.lookups``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outgoing:
    """A request for the care platform (``docs/platform-api.md``)."""

    kind: str
    """emergency, emergency_cancel, emergency_escalation, service_booking, service_cancel,
    meal_order, callback, health_report, medicine_event, rating."""
    fields: Mapping[str, Any]
    priority: int = 5
    """0 = emergency (sent first, never parked) … 9."""
    after: tuple[str, ...] = ()
    """Keys of requests that must reach the platform first (what a cancellation cancels)."""


@dataclass(frozen=True)
class Lookup:
    """An answer from the platform, fresh or from the cache; ``data`` None: neither."""

    data: Mapping[str, Any] | None
    age_s: float | None = None
    """None: fresh from the platform; else how old the cached copy is (seconds)."""
    missing: bool = False
    """The platform answered that it has no such thing (404)."""
