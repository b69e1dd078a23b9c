"""What the slots of ``docs/slots.md`` hold, as skills and the layers below read them.

``SlotValue`` is the same alias as ``intents.results.SlotValue`` (``intents/`` cannot import
``assistant/``, and skills import no engine). A ``when`` value is read here once, for the
skills, the reminder commands and the words XiaoAn says: ``when_kind`` (a day, a moment,
a repeating time) and ``in_past``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypeAlias

SlotValue: TypeAlias = str | int
"""A slot's value: text (ISO times, names, enumerations) or a whole number."""


def when_kind(when: str) -> Literal["date", "datetime", "recurrence"] | None:
    """What a ``when`` slot value (``docs/slots.md``) is: a day (``2026-12-01``), a moment
    (``2026-12-01T08:00:00+08:00``), a repeating time (``R/<datetime>/P1D``), or None when
    it is none of these."""
    if when.startswith("R/"):
        parts = when.split("/")
        ok = len(parts) == 3 and when_kind(parts[1]) == "datetime" and parts[2].startswith("P")
        return "recurrence" if ok else None
    try:
        date.fromisoformat(when)  # a date only: 2026-12-01 (not 2026-12-01T08:00)
    except ValueError:
        pass
    else:
        return "date"
    try:
        datetime.fromisoformat(when)
    except ValueError:
        return None
    return "datetime"


def in_past(when: str, now: datetime) -> bool:
    """Whether a ``when`` slot value (``docs/slots.md``) is already over; recurrences and
    values that are not ISO never are."""
    if when.startswith("R/"):
        return False
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return False
    if moment.tzinfo is None:
        return moment.date() < now.date()
    return moment < now
