"""Running out of a medicine: never a dose taken; the centre is asked to buy more.

``medicine_out`` (药吃完了，帮我买点 · I've run out of my heart pills) asks first, then
books a shopping errand with the medicine in its note, so a person brings more. Nothing
is recorded as taken. Offline: the booking waits in the outbox.
"""

from __future__ import annotations

from assistant.values.platform import Outgoing
from skills.base import Confirm, Handled, Outcome, Reply, Skill, SkillRequest

SUPPLY_PRIORITY = 3
"""As a service booking: it is one (shopping)."""


class SupplySkill(Skill):
    """``medicine_out``."""

    intents = ("medicine_out",)
    offline = "the shopping errand waits in the outbox"

    def handle(self, request: SkillRequest) -> Outcome:
        """Offer to have the medicine bought; book the errand on yes."""
        medicine = str(request.slots.get("medicine", ""))
        values = {"medicine": medicine}
        fields = {
            "service": "shopping",
            "when": request.ctx.now.date().isoformat(),
            "note": f"medicine_out: {medicine}" if medicine else "medicine_out",
        }
        named = "_named" if medicine else ""
        return Confirm(
            Reply(f"medicine.out_confirm{named}", values),
            on_yes=Handled(
                Reply("medicine.out_recorded", values),
                Outgoing("service_booking", fields, SUPPLY_PRIORITY),
            ),
            on_no=Handled(Reply("medicine.out_declined", values)),
        )
