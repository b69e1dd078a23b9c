"""Emergencies: relayed at once, top priority, no question first; and their cancellation.

Offline: the alarm is committed to the outbox and XiaoAn says it is calling; the sender
keeps trying (at most 10 s apart) until the platform acknowledges it. 我没事了 / 取消呼叫
afterwards asks once, then sends a cancellation; the alarm itself is never deleted.
"""

from __future__ import annotations

from assistant.values.platform import Outgoing
from skills.base import Confirm, Handled, Outcome, Reply, Skill, SkillRequest

EMERGENCY = 0
MAX_SAID = 2000
"""Characters of the elder's words sent with an alarm (the rest is rambling or noise)."""


class EmergencySkill(Skill):
    """``emergency``, and ``cancel`` when no question is open (cancelling an alarm)."""

    intents = ("emergency", "cancel")
    offline = "records the alarm and keeps calling until the platform answers"

    def handle(self, request: SkillRequest) -> Outcome:
        """Relay the alarm, or offer to cancel the active one."""
        active = request.ctx.state.active_emergency()
        if request.intent == "emergency":
            kind = str(request.slots.get("kind", "general"))
            fields: dict[str, str] = {"kind": kind, "said": request.text}
            fields["said"] = request.text[:MAX_SAID]
            if active is not None:
                fields["follows"] = active.key
            if request.slots.get("source") == "button":
                fields["event"] = "button"  # pressed, not said: the elder may not speak
            key = "emergency.recorded"
            if active is not None:  # a person saw the first call: help is coming, say so
                key = "emergency.help_coming" if active.acknowledged else "emergency.recorded_again"
            advice = [] if active is not None else _advice(kind, request.text)
            said = centre_said(active.note) if active is not None else []
            reply = Reply(key, {"kind": kind, "advice": advice, "centre_said": said})
            return Handled(reply, Outgoing("emergency", fields, EMERGENCY))
        if active is None:
            return Handled(Reply("cancel.nothing"))
        fields_ = {"emergency_key": active.key, "emergency_keys": list(active.keys)}
        cancel = Outgoing("emergency_cancel", fields_, EMERGENCY, after=active.keys)
        return Confirm(
            Reply("emergency.cancel_confirm"),
            on_yes=Handled(Reply("emergency.cancelled"), cancel),
            on_no=Handled(Reply("emergency.still_calling")),
        )


def centre_said(note: str) -> list[Reply]:
    """The care centre's note, said after the reply (none when it wrote none)."""
    note = note.strip().rstrip("。.!！")
    return [Reply("emergency.centre_said", {"note": note})] if note else []


GAS = ("煤气", "燃气", "天然气", "液化气", "gas")
"""Words that make a fire alarm a gas leak (its advice differs: no switch, no flame)."""


def _advice(kind: str, said: str) -> list[Reply]:
    """What to do while help is on its way, by the danger's kind (docs/dialogue.md cites
    the first-aid sources); none when the kind is not known."""
    if kind == "fire" and any(word in said.lower() for word in GAS):
        return [Reply("advice.gas")]
    if kind in ("fire", "fall", "medical", "intruder"):
        return [Reply(f"advice.{kind}")]
    return []


def number_for(kind: str) -> str:
    """Which emergency number to tell the elder to call: ``fire``, ``police`` or
    ``medical``."""
    if kind == "fire":
        return "fire"
    return "police" if kind == "intruder" else "medical"
