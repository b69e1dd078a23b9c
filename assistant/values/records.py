"""Local history entries as plain values: what is written with a request (a health
reading, a dose taken) in the same transaction (``assistant.relay.outbox``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """A local history entry written with the request (a health reading, a dose taken)."""

    kind: str
    data: Mapping[str, Any]
    settles: str = ""
    """The id of the reminder occurrence this record settles (a dose taken or missed, a
    check-in answered): it is marked done, with ``kind`` as its outcome, in the same
    transaction, so a reminder is never settled without its record, nor recorded twice."""
    overrides: tuple[str, ...] = ()
    """Outcomes of an occurrence already done that this record replaces (a dose taken
    late replaces ``medicine_missed``)."""
