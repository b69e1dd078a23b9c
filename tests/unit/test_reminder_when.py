"""A reminder's ``when`` is told a date, a datetime or neither by parsing it, not by length."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import pytest

from assistant.values.slots import when_kind
from skills.base import (
    AddReminder,
    Ask,
    Context,
    Handled,
    LocalState,
    Outcome,
    PlatformLookups,
    SkillRequest,
)
from skills.medicine import MedicineSkill

NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")
NEITHER = ("12/01/2026", "2026-13-45", "tomorrow", "", "R/tomorrow/P1D", "2026-12-01T25:00")
"""Not ISO 8601 (two of them ten characters long, like a date)."""


def _remind(when: str) -> Outcome:
    """``set_reminder`` with ``when``; this path reads neither the state nor the platform."""
    ctx = Context(NOW, "zh", cast(LocalState, object()), cast(PlatformLookups, object()))
    slots = {"when": when, "what": "量血压"}
    return MedicineSkill().handle(SkillRequest("set_reminder", slots, "", ctx))


@pytest.mark.parametrize(
    ("when", "kind"),
    [
        ("2026-12-01", "date"),
        ("2026-12-01T08:00:00+08:00", "datetime"),
        ("2026-12-01T08:00", "datetime"),
        ("R/2026-12-01T08:00:00+08:00/P1D", "recurrence"),
        *[(value, None) for value in NEITHER],
    ],
)
def test_when_kind(when: str, kind: str | None) -> None:
    assert when_kind(when) == kind


def test_a_date_asks_for_the_time() -> None:
    outcome = _remind("2026-12-01")
    assert isinstance(outcome, Ask)
    assert (outcome.reply.key, outcome.slot) == ("reminder.ask_time", "when")
    assert "when" not in outcome.slots


@pytest.mark.parametrize("when", ["2026-12-01T08:00:00+08:00", "R/2026-12-01T08:00:00+08:00/P1D"])
def test_a_datetime_or_recurrence_sets_the_reminder(when: str) -> None:
    outcome = _remind(when)
    assert isinstance(outcome, Handled)
    assert outcome.reply.key == "reminder.set"
    assert outcome.effects == (AddReminder(when, "量血压"),)


@pytest.mark.parametrize("when", NEITHER)
def test_neither_asks_when_again(when: str) -> None:
    outcome = _remind(when)
    assert isinstance(outcome, Ask)
    assert (outcome.reply.key, outcome.slot) == ("reminder.ask_when", "when")
    assert "when" not in outcome.slots
