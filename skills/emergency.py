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
            key = "emergency.recorded_again" if active is not None else "emergency.recorded"
            return Handled(Reply(key, {"kind": kind}), Outgoing("emergency", fields, EMERGENCY))
        if active is None:
            return Handled(Reply("cancel.nothing"))
        fields_ = {"emergency_key": active.key, "emergency_keys": list(active.keys)}
        cancel = Outgoing("emergency_cancel", fields_, EMERGENCY, after=active.keys)
        return Confirm(
            Reply("emergency.cancel_confirm"),
            on_yes=Handled(Reply("emergency.cancelled"), cancel),
            on_no=Handled(Reply("emergency.still_calling")),
        )
