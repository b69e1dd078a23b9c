"""What XiaoAn says and relays for the reminder schedule's events, and how a short answer
(好的, 不, 算了) to a sounding reminder is taken.

Pure functions: ``assistant.reminders.firing`` emits ``Prompt`` and ``Lapsed``; these return
the ``Reply`` to say and the ``Handled`` outcome (request and settling record) that the
dialogue commits before it speaks. 吃过了 and 等会儿 are the medicine skill's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from assistant.values.occurrences import CHECKIN, INACTIVITY, MEDICINE, VOICE, Occurrence
from assistant.values.platform import Outgoing
from assistant.values.prompts import DEVICE_OFF, Lapsed, Prompt, Sounding
from assistant.values.records import Record
from assistant.values.schedule import Contact
from skills.base import Handled, Outcome, Reply, Snooze, WaitReminder
from skills.medicine import MEDICINE_PRIORITY

CHECKIN_PRIORITY = 3
INACTIVITY_PRIORITY = 2
"""No word from the elder all morning may mean a fall: before bookings and meals."""


def prompt_reply(prompt: Prompt) -> Reply:
    """The words of a reminder (the dialogue says a repeat louder and slower)."""
    first = prompt.occurrences[0]
    if first.kind == CHECKIN:
        hour = first.due.hour
        part = "morning" if hour < 11 else "noon" if hour < 13 else "afternoon" if hour < 18 \
            else "evening"  # fmt: skip
        reply = Reply(f"reminder.checkin_{part}")
    elif first.kind == VOICE:
        reply = Reply("reminder.voice", {"what": first.name})
    elif len(prompt.occurrences) == 1:
        details = _details(first)
        key = "reminder.medicine" if details else "reminder.medicine_plain"
        reply = Reply(key, {"medicine": first.name, "details": details})
    else:
        items = [Reply("reminder.item_dose", {"medicine": o.name, "details": _details(o)})
                 if _details(o) else Reply("reminder.item_plain", {"medicine": o.name})
                 for o in prompt.occurrences]  # fmt: skip
        reply = Reply("reminder.medicines", {"items": items})
    if prompt.saying > 1:
        return Reply("reminder.again", {"parts": [reply]})
    return reply


def _details(dose: Occurrence) -> list[Reply]:
    parts = []
    if dose.dose:
        parts.append(Reply("reminder.dose", {"dose": dose.dose}))
    if dose.meal:
        parts.append(Reply("reminder.meal", {"meal_rule": dose.meal}))
    if dose.note:
        parts.append(Reply("reminder.note", {"note": dose.note}))
    return parts


def lapse_outcome(lapse: Lapsed, notify: Sequence[Contact], now: datetime) -> Handled:
    """The request that tells the family, and the record that settles the occurrence.
    The reply is for the elder when XiaoAn is free to speak (``""``: nothing to say)."""
    dose = lapse.occurrence
    due = dose.due.isoformat(timespec="minutes")
    fields: dict[str, Any] = {
        "due": due, "why": lapse.reason, "reminded": lapse.sayings, "occurrence": dose.id,
        "notify": [_contact(c) for c in notify],
    }  # fmt: skip
    data = {"occurrence": dose.id, "due": due, "why": lapse.reason, "name": dose.name}
    off = lapse.reason == DEVICE_OFF and not lapse.said  # never said: 我当时没能提醒您
    values = {"time": dose.due.isoformat(), "medicine": dose.name, "what": dose.name}
    if dose.kind == MEDICINE:
        fields.update(event="missed", medicine=dose.name, at=now.isoformat(timespec="seconds"))
        reply = Reply("reminder.missed_off" if off else "reminder.missed", values)
        relay = Outgoing("medicine_event", fields, MEDICINE_PRIORITY)
        return Handled(reply, relay, (Record("medicine_missed", data, settles=dose.id),))
    if dose.kind == CHECKIN:
        relay = Outgoing("checkin_missed", fields, CHECKIN_PRIORITY)
        return Handled(Reply(""), relay, (Record("checkin_missed", data, settles=dose.id),))
    if dose.kind == INACTIVITY:
        heard = lapse.last_heard
        fields["last_heard"] = (
            datetime.fromtimestamp(heard, dose.due.tzinfo).isoformat(timespec="minutes")
            if heard else ""
        )  # fmt: skip
        relay = Outgoing("inactivity_alert", fields, INACTIVITY_PRIORITY)
        return Handled(Reply(""), relay, (Record("inactivity_alert", data, settles=dose.id),))
    reply = Reply("reminder.voice_missed_off" if off else "", values)
    return Handled(reply, None, (Record("reminder_missed", data, settles=dose.id),))


def answer(sounding: Sequence[Sounding], intent: str, snooze_min: float) -> Outcome | None:
    """A short answer to the reminders sounding (None: not an answer to them)."""
    ids = tuple(s.occurrence.id for s in sounding)
    voice = [s.occurrence for s in sounding if s.occurrence.kind == VOICE]
    if not ids:
        return None
    if intent == "yes":
        if voice and len(voice) == len(ids):  # 好的, for a reminder of the elder's own
            records = tuple(Record("reminder_heard", {"occurrence": o.id, "what": o.name},
                                   settles=o.id) for o in voice)  # fmt: skip
            return Handled(Reply("reminder.heard"), records=records)
        return Handled(Reply("reminder.waiting"), effects=(WaitReminder(ids),))
    if intent in ("no", "cancel"):  # not now: as 等会儿 (the family hears if it lapses)
        minutes = int(snooze_min)
        return Handled(Reply("snooze.ok", {"minutes": minutes}), effects=(Snooze(minutes, ids),))
    return None


def settled_by_saying(
    sounding: Sequence[Sounding], intent: str, text: str, now: datetime
) -> list[Record]:
    """What an utterance settles whatever else it means: any reply a sounding check-in
    (what was said is kept locally only); 吃过了 a voice reminder (每天晚上九点提醒我吃降压药)."""
    at = now.isoformat(timespec="seconds")
    out = []
    for item in sounding:
        dose = item.occurrence
        if dose.kind == CHECKIN:
            data = {"occurrence": dose.id, "at": at, "said": text[:200]}
            out.append(Record("checkin_answered", data, settles=dose.id))
        elif dose.kind == VOICE and intent == "medicine_taken":
            data = {"occurrence": dose.id, "what": dose.name}
            out.append(Record("reminder_heard", data, settles=dose.id))
    return out


def _contact(contact: Contact) -> dict[str, str]:
    return {"name": contact.name, "relation": contact.relation, "phone": contact.phone}
