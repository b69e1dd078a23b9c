"""Skills one by one, on a local state and platform made of plain data (they are pure:
they read a ``Context`` and return an ``Outcome``), and their discovery by entry point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.values.occurrences import Occurrence, VoiceReminder
from assistant.values.platform import Lookup
from assistant.values.prompts import Sounding
from assistant.values.schedule import Reminding
from intents.data import load_language
from skills.base import (
    AddReminder,
    Alarm,
    Ask,
    Booking,
    Confirm,
    Context,
    Handled,
    MealOrder,
    Outcome,
    SkillRequest,
    Snooze,
    VolumeStep,
)
from skills.device import DeviceSkill
from skills.emergency import EmergencySkill
from skills.health import HealthSkill
from skills.meals import MealSkill
from skills.medicine import MedicineSkill
from skills.rating import RatingSkill
from skills.registry import SkillError, SkillSet
from skills.services import ServiceSkill

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class State:
    """``LocalState`` as plain data."""

    booked: list[Booking] = field(default_factory=list)
    ordered: list[MealOrder] = field(default_factory=list)
    emergency: Alarm | None = None
    taken: list[str] = field(default_factory=list)
    ringing: list[Sounding] = field(default_factory=list)
    doses: list[tuple[Occurrence, str]] = field(default_factory=list)
    level: int = 7
    reminding: Reminding = field(default_factory=Reminding)

    def bookings(self, service: str | None = None) -> list[Booking]:
        return [b for b in self.booked if service is None or b.service == service]

    def meal_orders(self) -> list[MealOrder]:
        return self.ordered

    def active_emergency(self) -> Alarm | None:
        return self.emergency

    def medicine_today(self) -> list[str]:
        return self.taken

    def sounding(self) -> list[Sounding]:
        return self.ringing

    def doses_on(self, day: datetime) -> list[tuple[Occurrence, str]]:
        return [(o, s) for o, s in self.doses if o.due.date() == day.date()]

    def upcoming_doses(self, within_s: float) -> list[Occurrence]:
        return [o for o, s in self.doses if 0 < (o.due - NOW).total_seconds() <= within_s]

    def voice_reminders(self) -> tuple[VoiceReminder, ...]:
        return ()

    def since_last_dose_s(self) -> float | None:
        return None

    def volume(self) -> int:
        return self.level


@dataclass
class Platform:
    """``PlatformLookups`` as plain data."""

    menus: Mapping[str, Any] = field(default_factory=dict)
    statuses: Mapping[str, Any] = field(default_factory=dict)
    listed: Mapping[str, Any] | None = None

    def menu(self, day: str) -> Lookup:
        return Lookup(self.menus.get(day))

    def request(self, platform_id: str) -> Lookup:
        return Lookup(self.statuses.get(platform_id), 600.0)

    def requests(self, kind: str) -> Lookup:
        return Lookup(self.listed)


def handle(
    skill: Any,
    intent: str,
    slots: dict[str, Any] | None = None,
    *,
    state: State | None = None,
    platform: Platform | None = None,
    text: str = "",
) -> Outcome:
    ctx = Context(NOW, "zh", state or State(), platform or Platform())
    return skill.handle(SkillRequest(intent, slots or {}, text, ctx))  # type: ignore[no-any-return]


def test_every_intent_has_exactly_one_skill() -> None:
    skills = SkillSet.discover()
    contract = set(load_language("zh").slot_names) | {"unknown"}
    assert skills.intents == contract
    skills.require(contract)


def test_two_skills_claiming_one_intent_are_refused() -> None:
    with pytest.raises(SkillError, match="claimed by"):
        SkillSet([EmergencySkill(), EmergencySkill()])


def test_emergency_relays_at_once_with_top_priority() -> None:
    out = handle(EmergencySkill(), "emergency", {"kind": "fall"}, text="我摔倒了")
    assert isinstance(out, Handled)
    assert out.relay is not None
    assert (out.relay.kind, out.relay.priority) == ("emergency", 0)
    assert out.relay.fields == {"kind": "fall", "said": "我摔倒了"}


def test_cancel_of_an_alarm_asks_first_and_never_deletes() -> None:
    alarm = Alarm("k2", ("k2", "k1"), False)
    out = handle(EmergencySkill(), "cancel", state=State(emergency=alarm))
    assert isinstance(out, Confirm)
    assert out.on_yes.relay is not None
    assert out.on_yes.relay.kind == "emergency_cancel"
    assert out.on_yes.relay.fields == {"emergency_key": "k2", "emergency_keys": ["k2", "k1"]}
    assert out.on_yes.relay.after == ("k2", "k1")  # sent only once the calls are delivered


def test_booking_asks_for_service_then_time_then_confirms() -> None:
    skill = ServiceSkill()
    first = handle(skill, "book_service")
    assert isinstance(first, Ask)
    assert first.slot == "service"
    second = handle(skill, "book_service", {"service": "cleaning"})
    assert isinstance(second, Ask)
    assert second.slot == "when"
    third = handle(skill, "book_service", {"service": "cleaning", "when": "2026-11-23"})
    assert isinstance(third, Confirm)
    assert third.relay is None
    assert third.on_yes.relay is not None
    assert third.on_yes.relay.kind == "service_booking"


def test_status_from_the_cache_says_its_age() -> None:
    booked = [Booking("k", "cleaning", "2026-11-23", "delivered", "R1", False)]
    out = handle(
        ServiceSkill(),
        "service_status",
        {"service": "cleaning"},
        state=State(booked=booked),
        platform=Platform(statuses={"R1": {"status": "accepted"}}),
    )
    assert isinstance(out, Handled)
    assert out.reply.key == "status.accepted"
    assert out.reply.values["age_s"] == 600.0


def test_meal_defaults_and_menu_items() -> None:
    menu = {"2026-11-22": {"meals": [{"meal": "lunch", "items": ["米饭"]}]}}
    out = handle(
        MealSkill(), "order_meal", {"meal": "lunch", "count": 2}, platform=Platform(menus=menu)
    )
    assert isinstance(out, Confirm)
    assert out.reply.key == "meal.confirm_items"
    assert out.on_yes.relay is not None
    assert out.on_yes.relay.fields == {
        "meal": "lunch",
        "date": "2026-11-22",
        "count": 2,
        "diet": "regular",
    }


@pytest.mark.parametrize(
    ("measure", "value", "offer"),
    [
        ("blood_pressure", "130/85", False),
        ("blood_pressure", "185/95", True),
        ("blood_pressure", "120/112", True),
        ("blood_sugar", "3.2", True),
        ("temperature", "38.9", True),
        ("heart_rate", "88", False),
        ("weight", "120斤", False),
        ("symptom", "头晕", True),
    ],
)
def test_health_records_first_and_offers_the_doctor(measure: str, value: str, offer: bool) -> None:
    out = handle(HealthSkill(), "health_report", {"measure": measure, "value": value})
    relay = out.relay if isinstance(out, Handled | Confirm) else None
    assert relay is not None
    assert relay.kind == "health_report"
    assert isinstance(out, Confirm) is offer


def test_rating_goes_to_the_last_completed_service() -> None:
    listed = {
        "requests": [
            {"id": "R2", "status": "accepted", "fields": {"service": "repair"}},
            {"id": "R1", "status": "completed", "fields": {"service": "cleaning"}},
        ]
    }
    out = handle(RatingSkill(), "rate_service", {"stars": 4}, platform=Platform(listed=listed))
    assert isinstance(out, Handled)
    assert out.relay is not None
    assert out.relay.fields == {"stars": 4, "request_id": "R1", "service": "cleaning"}


def test_medicine_taken_is_recorded_and_relayed() -> None:
    out = handle(MedicineSkill(), "medicine_taken", {"medicine": "降压药"})
    assert isinstance(out, Handled)
    assert out.relay is not None
    assert out.records
    assert out.relay.fields["event"] == "taken"


def test_snooze_only_when_a_reminder_sounds() -> None:
    skill = MedicineSkill()
    assert handle(skill, "snooze").reply.key == "snooze.nothing"
    dose = Occurrence("med/降压药/2026-11-22T10:00", "medicine", NOW, "降压药")
    out = handle(skill, "snooze", state=State(ringing=[Sounding(dose, 1)]))
    assert isinstance(out, Handled)
    assert out.effects == (Snooze(10, (dose.id,)),)
    assert out.relay is not None
    assert out.relay.fields["event"] == "snoozed"


def test_reminder_by_voice_is_an_effect() -> None:
    out = handle(
        MedicineSkill(), "set_reminder", {"when": "2026-11-23T08:00:00+08:00", "what": "量血压"}
    )
    assert isinstance(out, Handled)
    assert out.effects == (AddReminder("2026-11-23T08:00:00+08:00", "量血压"),)


def test_volume_stops_at_the_ends() -> None:
    assert handle(DeviceSkill(), "volume_up", state=State(level=10)).reply.key == "volume.max"
    out = handle(DeviceSkill(), "volume_down", state=State(level=5))
    assert isinstance(out, Handled)
    assert out.effects == (VolumeStep(-1),)


@pytest.mark.parametrize(
    ("lookup", "key"),
    [
        (Lookup({"status": "on_hold"}), "status.other"),
        (Lookup(None, missing=True), "status.not_found"),
        (Lookup(None), "status.unknown"),
    ],
)
def test_status_the_platform_does_not_know_or_unknown_status(lookup: Lookup, key: str) -> None:
    booked = [Booking("k", "cleaning", "2026-11-23", "delivered", "R1", False)]

    class One(Platform):
        def request(self, platform_id: str) -> Lookup:
            return lookup

    out = handle(ServiceSkill(), "service_status", state=State(booked=booked), platform=One())
    assert out.reply.key == key
