"""Call-backs: a family member (call_family) or a community volunteer (companionship).

XiaoAn cannot place a call itself: it forwards a call-back request and says who will
call. Offline: the request waits in the outbox.
"""

from __future__ import annotations

from assistant.values.platform import Outgoing
from skills.base import Ask, Handled, Outcome, Reply, Skill, SkillRequest

CALLBACK_PRIORITY = 2


class CallbackSkill(Skill):
    """``call_family`` and ``companionship``."""

    intents = ("call_family", "companionship")
    offline = "the call-back request waits in the outbox"

    def handle(self, request: SkillRequest) -> Outcome:
        """Forward a call-back request."""
        if request.intent == "companionship":
            fields = {"contact": "volunteer", "reason": "companionship"}
            return Handled(Reply("call.volunteer"), Outgoing("callback", fields, CALLBACK_PRIORITY))
        contact = request.slots.get("contact")
        if contact is None:
            return Ask(Reply("call.ask_contact"), request.intent, dict(request.slots), "contact")
        fields = {"contact": str(contact), "reason": "call_family"}
        return Handled(
            Reply("call.recorded", {"contact": contact}),
            Outgoing("callback", fields, CALLBACK_PRIORITY),
        )
