"""Medicine and reminders: doses taken, what is left today, snoozing, reminders by voice.

All local. A dose said taken settles the reminder it answers: the one sounding, else one
that came due and is still open, else one due within ``early_taken_min`` (吃过了 just
before the reminder: it is then never said). The record and its ``medicine_event`` are
committed before XiaoAn says it was noted. Offline: everything but the relay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assistant.values.occurrences import MEDICINE, Occurrence, VoiceReminder
from assistant.values.platform import Outgoing
from assistant.values.records import Record
from assistant.values.slots import in_past, when_kind
from skills.base import (
    AddReminder,
    Ask,
    Confirm,
    Handled,
    Outcome,
    RemoveReminder,
    Reply,
    Skill,
    SkillRequest,
    Snooze,
)

MEDICINE_PRIORITY = 6
TAKEN = "medicine_taken"
OPEN = frozenset({"due", "sounding", "overdue", "missed", "medicine_missed"})
"""Outcomes of a dose that was due and is not recorded taken."""


class MedicineSkill(Skill):
    """``medicine_taken``, ``medicine_query``, ``snooze``, ``set_reminder``,
    ``list_reminders``, ``cancel_reminder``."""

    intents = ("medicine_taken", "medicine_query", "snooze", "set_reminder", "list_reminders",
               "cancel_reminder")  # fmt: skip
    offline = "all local; doses are relayed when the platform is reachable"

    def handle(self, request: SkillRequest) -> Outcome:
        """Dispatch on the intent."""
        return {
            "medicine_taken": self._taken,
            "medicine_query": self._query,
            "snooze": self._snooze,
            "list_reminders": self._list,
            "cancel_reminder": self._cancel,
        }.get(request.intent, self._remind)(request)

    def _taken(self, request: SkillRequest) -> Outcome:
        said = str(request.slots.get("medicine", ""))
        at = request.ctx.now.isoformat(timespec="seconds")
        doses = self._answered(request, said)
        if doses is None:
            return Handled(Reply("medicine.already_noted"))
        names = list(dict.fromkeys(d.name for d in doses)) or ([said] if said else [])
        records = tuple(
            Record(TAKEN, {"medicine": d.name, "at": at, "occurrence": d.id,
                           "due": d.due.isoformat(timespec="minutes")}, settles=d.id,
                   overrides=("medicine_missed",))  # taken late, after it was reported missed
            for d in doses
        ) or (Record(TAKEN, {"medicine": said, "at": at}),)  # fmt: skip
        fields: dict[str, Any] = {"event": "taken", "medicine": "、".join(names), "at": at}
        if doses:
            fields["due"] = doses[0].due.isoformat(timespec="minutes")
            fields["occurrences"] = [d.id for d in doses]
        key = "medicine.taken_named" if names else "medicine.taken"
        return Handled(
            Reply(key, {"medicine": names}),
            Outgoing("medicine_event", fields, MEDICINE_PRIORITY),
            records,
        )

    def _answered(self, request: SkillRequest, said: str) -> list[Occurrence] | None:
        """The doses 吃过了 answers: the sounding ones; else, unless a dose was noted taken
        within ``early_taken_min`` (then it is 吃过了 again: None), the latest doses due in
        the last three hours and not taken, else the next ones about to be due."""
        state = request.ctx.state
        sounding = [s.occurrence for s in state.sounding() if s.occurrence.kind == MEDICINE]
        found = _named(sounding, said)
        if found:
            return found
        window = 60.0 * state.reminding.early_taken_min
        since = state.since_last_dose_s()
        if not _specific(said) and since is not None and since < window:
            return None
        now = request.ctx.now
        open_now = [
            o
            for o, outcome in state.doses_on(now)
            if outcome in OPEN and o.due <= now and now - o.due < timedelta(hours=3)
        ]
        found = _named(open_now, said) or _named(state.upcoming_doses(window), said)  # fmt: skip
        if not found:
            return []
        latest = max(o.due for o in found) if found[0].due <= now else found[0].due
        return [o for o in found if o.due == latest]

    def _query(self, request: SkillRequest) -> Outcome:
        now, asked = request.ctx.now, str(request.slots.get("medicine", ""))
        doses = request.ctx.state.doses_on(now)
        if asked:
            doses = [(o, s) for o, s in doses if _matches(o.name, asked)]
        if not doses:
            return self._query_records(request, asked)
        parts = []
        for dose, outcome in doses:
            values = {"time": dose.due.isoformat(), "medicine": dose.name}
            if outcome == TAKEN:
                parts.append(Reply("medicine.dose_taken", values))
            elif dose.due <= now and outcome in OPEN:
                parts.append(Reply("medicine.dose_open", values))
        later = [o for o, s in doses if o.due > now and s != TAKEN]
        if later:
            at = later[0].due
            names = [o.name for o in later if o.due == at]
            parts.append(Reply("medicine.dose_next", {"time": at.isoformat(), "medicine": names}))
        elif all(s == TAKEN for _, s in doses):
            parts.append(Reply("medicine.all_done"))
        if not parts:  # today's doses came before the schedule did: what was recorded
            return self._query_records(request, asked)
        return Handled(Reply("medicine.today", {"parts": parts}))

    def _query_records(self, request: SkillRequest, asked: str) -> Outcome:
        """No schedule (or no such medicine in it): answer from the doses recorded today."""
        taken = request.ctx.state.medicine_today()
        if asked:
            said = [m for m in taken if _matches(m, asked) or not m]
            key = "medicine.asked_taken" if said else "medicine.asked_not_taken"
            return Handled(Reply(key, {"medicine": asked}))
        if not taken:
            return Handled(Reply("medicine.none_today"))
        named = [m for m in taken if m]
        if named:
            return Handled(Reply("medicine.today_named", {"medicines": named}))
        return Handled(Reply("medicine.today_count", {"count": len(taken)}))

    def _snooze(self, request: SkillRequest) -> Outcome:
        state = request.ctx.state
        sounding = state.sounding()
        if not sounding:
            return Handled(Reply("snooze.nothing"))
        minutes = int(request.slots.get("minutes", state.reminding.snooze_min))
        ids = tuple(s.occurrence.id for s in sounding)
        medicines = [s.occurrence for s in sounding if s.occurrence.kind == MEDICINE]
        relay = None
        if medicines:
            fields = {"event": "snoozed", "medicine": "、".join(o.name for o in medicines),
                      "at": request.ctx.now.isoformat(timespec="seconds"), "minutes": minutes,
                      "due": medicines[0].due.isoformat(timespec="minutes")}  # fmt: skip
            relay = Outgoing("medicine_event", fields, MEDICINE_PRIORITY)
        reply = Reply("snooze.ok", {"minutes": minutes})
        return Handled(reply, relay, effects=(Snooze(minutes, ids),))

    def _remind(self, request: SkillRequest) -> Outcome:
        slots = dict(request.slots)
        when, what = slots.get("when"), slots.get("what")
        if when is None or in_past(str(when), request.ctx.now):
            slots.pop("when", None)
            return Ask(Reply("reminder.ask_when"), request.intent, slots, "when")
        kind = when_kind(str(when))
        if kind == "date":  # a day without a time: ask for the time
            slots.pop("when", None)
            return Ask(Reply("reminder.ask_time", {"date": when}), request.intent, slots, "when")
        if kind is None:  # not a time a reminder can fire at
            slots.pop("when", None)
            return Ask(Reply("reminder.ask_when"), request.intent, slots, "when")
        if what is None:
            return Ask(Reply("reminder.ask_what"), request.intent, slots, "what")
        values = {"when": when, "what": what}
        return Handled(Reply("reminder.set", values), effects=(AddReminder(str(when), str(what)),))

    def _list(self, request: SkillRequest) -> Outcome:
        reminders = _live(request)
        if not reminders:
            return Handled(Reply("reminder.none"))
        parts = [Reply("reminder.item", {"when": r.spec, "what": r.what}) for r in reminders]
        return Handled(Reply("reminder.list", {"count": len(parts), "parts": parts}))

    def _cancel(self, request: SkillRequest) -> Outcome:
        what = str(request.slots.get("what", ""))
        reminders = _live(request)
        found = [r for r in reminders if _matches(r.what, what)] if what else reminders
        family = request.ctx.state.doses_on(request.ctx.now) if what and not found else []
        if any(_matches(dose.name, what) for dose, _ in family):
            return Handled(Reply("reminder.family_set", {"what": what}))
        if not found:
            key = "reminder.not_found" if what and reminders else "reminder.none"
            return Handled(Reply(key, {"what": what}))
        if len(found) > 1:
            parts = [Reply("reminder.item", {"when": r.spec, "what": r.what}) for r in found]
            slots = {k: v for k, v in request.slots.items() if k != "what"}
            return Ask(Reply("reminder.which", {"count": len(found), "parts": parts}),
                       request.intent, slots, "what")  # fmt: skip
        chosen = found[0]
        values = {"when": chosen.spec, "what": chosen.what}
        return Confirm(
            Reply("reminder.confirm_remove", values),
            Handled(Reply("reminder.removed", values), effects=(RemoveReminder(chosen.id),)),
            Handled(Reply("reminder.kept", values)),
        )


def _live(request: SkillRequest) -> list[VoiceReminder]:
    """Voice reminders that can still fire (a one-off in the past is over)."""
    now = request.ctx.now
    return [r for r in request.ctx.state.voice_reminders() if not in_past(r.spec, now)]


def _matches(name: str, said: str) -> bool:
    """降压药 matches 降压的药? No: one contains the other (降压药 / 药 / 吃降压药)."""
    a, b = name.replace(" ", ""), said.replace(" ", "")
    return bool(a and b) and (a in b or b in a)


def _specific(said: str) -> bool:
    """Whether a medicine was named (降压药), not just 药 or nothing."""
    return bool(said) and said not in ("药", "medicine", "pills", "pill")


def _named(doses: list[Occurrence], said: str) -> list[Occurrence]:
    """The doses a name said picks (all of them when no name was said)."""
    if not _specific(said):
        return doses
    return [o for o in doses if _matches(o.name, said)]
