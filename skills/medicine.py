"""Medicine: doses taken, what was taken today, snoozing a reminder, reminders by voice.

All local: a dose is committed to disk before XiaoAn says it was noted, and relayed as a
``medicine_event``. The reminder schedule itself is a seam (``LocalState.reminder_sounding``,
``AddReminder``, ``Snooze``) that the reminder issue fills in.
"""

from __future__ import annotations

from assistant.outbox import Record
from skills.base import (
    AddReminder,
    Ask,
    Handled,
    Outcome,
    Outgoing,
    Reply,
    Skill,
    SkillRequest,
    Snooze,
    in_past,
)

MEDICINE_PRIORITY = 6
SNOOZE_DEFAULT_MIN = 10


class MedicineSkill(Skill):
    """``medicine_taken``, ``medicine_query``, ``snooze``, ``set_reminder``."""

    intents = ("medicine_taken", "medicine_query", "snooze", "set_reminder")
    offline = "all local; doses are relayed when the platform is reachable"

    def handle(self, request: SkillRequest) -> Outcome:
        """Dispatch on the intent."""
        return {
            "medicine_taken": self._taken,
            "medicine_query": self._query,
            "snooze": self._snooze,
        }.get(request.intent, self._remind)(request)

    def _taken(self, request: SkillRequest) -> Outcome:
        medicine = str(request.slots.get("medicine", ""))
        at = request.ctx.now.isoformat(timespec="seconds")
        fields = {"event": "taken", "medicine": medicine, "at": at}
        key = "medicine.taken_named" if medicine else "medicine.taken"
        return Handled(
            Reply(key, {"medicine": medicine}),
            Outgoing("medicine_event", fields, MEDICINE_PRIORITY),
            (Record("medicine_taken", {"medicine": medicine, "at": at}),),
        )

    def _query(self, request: SkillRequest) -> Outcome:
        taken = request.ctx.state.medicine_today()
        asked = request.slots.get("medicine")
        if asked:
            said = [m for m in taken if m == asked or not m]
            key = "medicine.asked_taken" if said else "medicine.asked_not_taken"
            return Handled(Reply(key, {"medicine": asked}))
        if not taken:
            return Handled(Reply("medicine.none_today"))
        named = [m for m in taken if m]
        if named:
            return Handled(Reply("medicine.today_named", {"medicines": named}))
        return Handled(Reply("medicine.today_count", {"count": len(taken)}))

    def _snooze(self, request: SkillRequest) -> Outcome:
        if not request.ctx.state.reminder_sounding():
            return Handled(Reply("snooze.nothing"))
        minutes = int(request.slots.get("minutes", SNOOZE_DEFAULT_MIN))
        return Handled(Reply("snooze.ok", {"minutes": minutes}), effects=(Snooze(minutes),))

    def _remind(self, request: SkillRequest) -> Outcome:
        slots = dict(request.slots)
        when, what = slots.get("when"), slots.get("what")
        if when is None or in_past(str(when), request.ctx.now):
            slots.pop("when", None)
            return Ask(Reply("reminder.ask_when"), request.intent, slots, "when")
        if what is None:
            return Ask(Reply("reminder.ask_what"), request.intent, slots, "what")
        values = {"when": when, "what": what}
        return Handled(Reply("reminder.set", values), effects=(AddReminder(str(when), str(what)),))
