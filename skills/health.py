"""Health reports: a measurement or a mild symptom, recorded locally and relayed.

A value outside the ranges below, or any symptom, gets an offer to call the community
doctor (要不要帮您联系社区医生？). The reading is committed before the question is asked.
Offline: the reading is on the device at once and relayed when the platform is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.values.platform import Outgoing
from assistant.values.records import Record
from skills.base import Ask, Confirm, Handled, Outcome, Reply, Skill, SkillRequest

HEALTH_PRIORITY = 5
CALLBACK_PRIORITY = 2


@dataclass(frozen=True)
class Range:
    """Readings outside ``low``–``high`` are worth a doctor's call."""

    low: float
    high: float


LIMITS = {
    "blood_pressure": (Range(90, 179), Range(50, 109)),  # systolic, diastolic (mmHg)
    "blood_sugar": (Range(3.9, 13.9),),  # mmol/L
    "temperature": (Range(35.5, 38.4),),  # °C
    "heart_rate": (Range(50, 119),),  # beats per minute
}
"""Ranges from common home-monitoring guidance; weight has none."""


class HealthSkill(Skill):
    """``health_report``."""

    intents = ("health_report",)
    offline = "records the reading locally; relays it when the platform is reachable"

    def handle(self, request: SkillRequest) -> Outcome:
        """Record and relay the reading; offer the doctor when it looks wrong."""
        measure = request.slots.get("measure")
        value = request.slots.get("value")
        if measure is None or value is None:
            values = {"measure": measure} if measure else {}
            key = "health.ask_value" if measure else "health.ask_what"
            return Ask(Reply(key, values), request.intent, dict(request.slots), "value")
        fields = {"measure": str(measure), "value": str(value),
                  "at": request.ctx.now.isoformat(timespec="seconds")}  # fmt: skip
        relay = Outgoing("health_report", fields, HEALTH_PRIORITY)
        records = (Record("health", fields),)
        values = {"measure": measure, "value": value}
        if measure == "symptom" or _out_of_range(str(measure), str(value)):
            doctor = Outgoing(
                "callback", {"contact": "community_doctor", "reason": "health_report",
                             "measure": str(measure), "value": str(value)},
                CALLBACK_PRIORITY,
            )  # fmt: skip
            key = "health.symptom_offer" if measure == "symptom" else "health.high_offer"
            return Confirm(
                Reply(key, values),
                on_yes=Handled(Reply("health.doctor_called"), doctor),
                on_no=Handled(Reply("health.take_care")),
                relay=relay,
                records=records,
            )
        return Handled(Reply("health.recorded", values), relay, records)


def _out_of_range(measure: str, value: str) -> bool:
    limits = LIMITS.get(measure)
    if limits is None:
        return False
    try:
        numbers = [float(part) for part in value.split("/")]
    except ValueError:
        return False
    return any(not r.low <= n <= r.high for r, n in zip(limits, numbers, strict=False))
