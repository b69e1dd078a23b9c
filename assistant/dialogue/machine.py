"""The dialogue: one utterance in, what to say out, through an explicit state machine.

States (transitions only in ``_enter``, each logged)::

    IDLE ──skill asks for a slot──► ASKING ──answer fills it──► (the skill again)
    IDLE ──skill asks yes/no─────► CONFIRMING ──yes──► on_yes / ──no──► on_no
    CONFIRMING ──a correction (不对，后天下午)──► the skill again with the change
    ASKING ──cancel──► IDLE (好的，不办了);  CONFIRMING ──cancel──► on_no
    ASKING | CONFIRMING ──no answer for followup_timeout_s──► ask once more ──► IDLE
    any ──emergency──► the emergency skill at once, whatever was open
    any ──danger or strong pain, not a sure emergency──► CONFIRMING 您是不是不舒服？要我马上
         帮您叫人吗？ ──yes──► the call for help / ──no──► the health report /
         ──no answer, or not understood──► the call for help all the same (``safety``)
    IDLE ──not understood twice in a row──► CONFIRMING 要我请服务中心给您回个电话吗？
    IDLE, free (no question open, no alarm on) ──a reminder's time──► say it;
         its answers (吃过了, 等会儿, 好的; anything to a check-in) settle or postpone it

Receives utterances (``hear``), the passing of time (``tick``) and the sender's events
(``on_relay``); emits ``Say`` values. A follow-up question's answer needs no wake word
(``expects_answer``). Whatever a skill sends or records is committed to the outbox
*before* the reply is returned; the sender is woken afterwards. Not thread-safe: one
loop calls it (``assistant.wiring.voice_loop``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import TypeAlias
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.dialogue import reminding, safety
from assistant.dialogue.replies import Replies
from assistant.dialogue.state import DeviceState
from assistant.dialogue.timed import OverdueAlarms
from assistant.errors import DiskFullError, StorageError
from assistant.relay.outbox import EmergencyNotStored, Outbox, OutboxRow
from assistant.relay.requests import request_body, who
from assistant.relay.sender import Acknowledged, Delivered, Parked, RelayEvent
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_store import ScheduleStore
from assistant.values.occurrences import CHECKIN
from assistant.values.platform import Outgoing
from assistant.values.prompts import Prompt
from assistant.values.records import Record
from assistant.values.slots import SlotValue
from intents import IntentParser
from intents.results import ParseResult
from skills.base import (
    AddReminder,
    Ask,
    Confirm,
    Context,
    Handled,
    Outcome,
    PlatformLookups,
    RemoveReminder,
    RepeatLast,
    Reply,
    SkillRequest,
    Snooze,
    VolumeStep,
    WaitReminder,
)
from skills.emergency import centre_said, number_for
from skills.registry import SkillSet

_LOGGER = logging.getLogger(__name__)
Slots: TypeAlias = Mapping[str, SlotValue]
"""What the parser found in an utterance (``docs/slots.md``)."""
FREE_TEXT_SLOTS = frozenset({"what", "contact", "note"})
"""Slots whose answer is taken as said when no finder recognises it."""
KEEPS_QUESTION_OPEN = frozenset({"repeat", "volume_up", "volume_down"})
"""Intents that leave the open question open (the elder did not hear it well)."""
MISUNDERSTOOD_WINDOW_S = 60.0
"""Two utterances not understood within this are "in a row" (a call-back is offered)."""


class State(Enum):
    """Where the conversation is."""

    IDLE = "idle"
    ASKING = "asking"
    CONFIRMING = "confirming"


@dataclass(frozen=True)
class Say:
    """Something to say, by reply key (for tests and logs) and as text."""

    key: str
    text: str
    urgent: bool = False
    """Emergency news: said even over other speech."""
    emphasis: int = 0
    """0 as usual; 1–3 a repeated reminder, said that much louder and slower."""
    reminders: tuple[str, ...] = ()
    """The reminder occurrences this says (``Occurrence.id``), for logs and benchmarks."""
    saying: int = 0
    """Which saying of those reminders this is (1 the first)."""


@dataclass(frozen=True)
class _Open:
    """The question that is waiting for its answer."""

    outcome: Ask | Confirm
    asked_at: float
    asked_twice: bool = False


class Dialogue:
    """XiaoAn's side of the conversation with one elder."""

    def __init__(
        self,
        settings: Settings,
        parser: IntentParser,
        skills: SkillSet,
        outbox: Outbox,
        state: DeviceState,
        lookups: PlatformLookups,
        clock: Callable[[], float],
        reminders: Reminders,
        schedules: ScheduleStore,
        wake_sender: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._parser = parser
        self._skills = skills
        self._outbox = outbox
        self._state = state
        self._lookups = lookups
        self._clock = clock
        self._wake_sender = wake_sender
        self._reminders = reminders
        self._schedules = schedules
        self._prompted_at = float("-inf")
        self._tz = ZoneInfo(settings.timezone)
        numbers = {"medical": settings.number_medical, "fire": settings.number_fire,
                   "police": settings.number_police}  # fmt: skip
        self._replies = Replies.load(settings.lang, settings.address_form, numbers)
        self._summaries = (
            self._replies
            if settings.platform_lang == settings.lang
            else Replies.load(settings.platform_lang)
        )
        self._open: _Open | None = None
        self._last: Say | None = None
        self._misunderstood = 0
        """Utterances not understood in a row (two: a call-back is offered)."""
        self._misunderstood_at = float("-inf")
        self._overdue = OverdueAlarms(outbox, state, settings.emergency_ack_timeout_s, clock)
        self._tick_error = ""
        """The last storage error ``tick`` logged (``_tick_failed``)."""
        self._address_from_schedule()

    @property
    def state(self) -> State:
        """The state of the conversation."""
        if self._open is None:
            return State.IDLE
        return State.ASKING if isinstance(self._open.outcome, Ask) else State.CONFIRMING

    @property
    def expects_answer(self) -> bool:
        """Whether the next utterance answers a question (no wake word needed)."""
        if self._open is not None:
            return True
        return self._clock() - self._prompted_at < self._settings.followup_timeout_s and bool(
            self._reminders.sounding()
        )

    def hear(self, text: str) -> list[Say]:
        """React to one utterance."""
        now = self._now()
        match = self._parser.parse(text, now)
        _LOGGER.debug("heard intent %s in state %s", match.intent, self.state.value)
        safety_question = self._safety_question()
        if safety_question is not None and match.intent != "emergency":
            return self._answer_safety(safety_question, match, text, now)
        if match.intent != "emergency" and match.concern:
            self._answer_reminder(match.intent, text, now)  # a check-in is answered all the same
            self._enter(None, "danger or pain words")
            return self._concern(match.concern, text, now)
        answered = self._answer_reminder(match.intent, text, now)
        if answered is not None:
            return answered
        if match.intent == "emergency" or self._open is None:
            self._enter(None, "new request")
            return self._run(match.intent, match.slots, text, now)
        if match.intent in KEEPS_QUESTION_OPEN:  # 再说一遍 / 嗯？ / 大声点 while asked
            return self._keep_open(self._open, match, text, now)
        if match.intent == "cancel":  # to a yes/no question, cancel means no
            if isinstance(self._open.outcome, Confirm):
                question = self._open.outcome
                return self._act(question.on_cancel or question.on_no, now)
            self._enter(None, "cancelled")
            return [self._say(Reply("dialogue.cancelled"), now)]
        if isinstance(self._open.outcome, Confirm):
            return self._answer_confirm(self._open.outcome, match.intent, match.slots, text, now)
        return self._answer_ask(self._open.outcome, match.intent, match.slots, text, now)

    def pressed(self) -> list[Say]:
        """The help button: an emergency at once, with no question (the elder may not be
        able to speak); whatever was asked is dropped."""
        now = self._now()
        self._enter(None, "help button")
        _LOGGER.info("help button pressed")
        return self._run("emergency", {"kind": "general", "source": "button"}, "", now)

    def held(self) -> list[Say]:
        """The help button held down: the alarm that is on is called off, as 我没事了 and
        yes would (the alarm stays; a cancellation follows it); nothing else."""
        now = self._now()
        skill = self._skills.for_intent("emergency")
        try:
            outcome = skill.handle(SkillRequest("cancel", {}, "", self._context(now)))
        except StorageError as err:
            return self._storage_failed(now, err)
        if isinstance(outcome, Confirm) and isinstance(outcome.on_yes, Handled):
            self._enter(None, "help button held")
            yes = outcome.on_yes
            if yes.relay is not None:  # the centre reads that it was the button, not words
                fields = {**yes.relay.fields, "event": "button"}
                yes = replace(yes, relay=replace(yes.relay, fields=fields))
            return self._act(yes, now)
        return []

    def alarm_state(self) -> str:
        """``alarm`` (on, not acknowledged), ``acknowledged``, or "" (none): for a LED."""
        try:
            alarm = self._state.active_emergency()
        except StorageError:
            return ""
        if alarm is None:
            return ""
        return "acknowledged" if alarm.acknowledged else "alarm"

    def tick(self) -> list[Say]:
        """Let time pass: an emergency unacknowledged, a question unanswered, a reminder."""
        now = self._now()
        try:
            out = self._emergency_overdue(now)
        except StorageError as err:  # said when the elder next speaks; the loop must go on
            self._tick_failed("cannot check the emergency's acknowledgement", err)
            out = []
        return [*out, *self._question_overdue(now), *self._remind(now)]

    def _tick_failed(self, what: str, err: StorageError) -> None:
        """Log a storage error of ``tick`` once, not five times a second."""
        if str(err) != self._tick_error:
            _LOGGER.warning("%s: %s", what, err)
        self._tick_error = str(err)

    def _question_overdue(self, now: datetime) -> list[Say]:
        pending = self._open
        if pending is None or self._clock() - pending.asked_at < self._settings.followup_timeout_s:
            return []
        if isinstance(pending.outcome, Confirm) and pending.outcome.on_silence is not None:
            _LOGGER.info("no answer to the safety question: calling for help")
            return self._act(pending.outcome.on_silence, now)
        if pending.asked_twice:
            self._enter(None, "no answer")
            return [self._say(Reply("dialogue.gave_up"), now)]
        self._open = replace(pending, asked_at=self._clock(), asked_twice=True)
        again = self._replies.say(Reply("dialogue.again"), now)
        question = self._replies.say(pending.outcome.reply, now)
        return [self._remember(Say(pending.outcome.reply.key, self._replies.join(again, question)))]

    def _remind(self, now: datetime) -> list[Say]:
        """The reminder schedule's turn: relay what lapsed, say what is due when free."""
        try:
            if self._schedules.refresh(self._clock()):
                self._reminders.reload()
                self._address_from_schedule()
            events = self._reminders.tick(self._free)
        except StorageError as err:
            self._tick_failed("cannot look at the reminders", err)
            return []
        says: list[Say] = []
        for event in events:
            if isinstance(event, Prompt):
                says.append(self._prompt(event, now))
                continue
            handled = reminding.lapse_outcome(event, self._reminders.schedule.notify, now)
            try:
                self._commit(handled.relay, handled.records, now)
            except StorageError as err:
                self._tick_failed("could not record a lapsed reminder; trying again", err)
                continue
            # after a long stop, one sentence about today's latest, not a list of every dose
            today = event.occurrence.due.date() == now.date()
            if handled.reply.key and today and not says and self._free():
                says.append(self._say(handled.reply, now))
        return says

    def on_relay(self, event: RelayEvent) -> list[Say]:
        """The sender delivered or parked a request: tell the elder what matters."""
        now = self._now()
        row = event.row
        if isinstance(event, Parked):
            return [self._say(Reply("relay.parked"), now)]
        if isinstance(event, Acknowledged):  # a person saw it: only now "已收到"
            if self._state.active_emergency() is None:
                return []  # called off meanwhile
            said = centre_said(event.note)
            return [self._say(Reply("emergency.acknowledged", {"centre_said": said}), now,
                              urgent=True)]  # fmt: skip
        if not isinstance(event, Delivered):
            return []
        if row.kind == "emergency":
            alarm = self._state.active_emergency()
            if event.status == "cancelled" or alarm is None:
                return []  # the elder called it off; the cancellation's news follows
            if alarm.acknowledged or row.fields.get("follows"):
                return []  # a later call of an alarm the elder heard about already
            return [self._say(Reply("emergency.delivered"), now, urgent=True)]
        key = f"delivered.{row.kind}"
        if key in self._replies.texts and self._open is None:
            return [self._say(Reply(key, row.fields), now)]
        return []

    # --- reminders ------------------------------------------------------------------

    def _address_from_schedule(self) -> None:
        """The family's schedule may say how XiaoAn addresses the elder (王奶奶)."""
        form = self._reminders.schedule.address_form or self._settings.address_form
        if form != self._replies.address_form:
            self._replies = replace(self._replies, address_form=form)

    def _free(self) -> bool:
        """Whether a reminder may speak: no question open, no alarm on."""
        return self._open is None and self._state.active_emergency() is None

    def _prompt(self, prompt: Prompt, now: datetime) -> Say:
        self._prompted_at = self._clock()
        emphasis = 0 if prompt.quiet else min(prompt.saying - 1, 3)
        reply = reminding.prompt_reply(prompt)
        text = self._replies.say(reply, now)
        _LOGGER.info("reminder said (saying %d, %.1f s late)", prompt.saying, prompt.late_s)
        ids = tuple(o.id for o in prompt.occurrences)
        return self._remember(
            Say(reply.key, text, emphasis=emphasis, reminders=ids, saying=prompt.saying)
        )

    def _answer_reminder(self, intent: str, text: str, now: datetime) -> list[Say] | None:
        """An answer to a sounding reminder (None: the utterance is not one)."""
        try:
            self._reminders.heard()
            sounding = self._state.sounding() if self._open is None else []
        except StorageError:
            return None  # the normal path reports the broken database
        if not sounding or intent == "emergency":
            return None
        settled = reminding.settled_by_saying(sounding, intent, text, now)
        if settled:
            try:
                self._commit(None, tuple(settled), now)
            except StorageError as err:
                return self._storage_failed(now, err)
            checkin = any(s.occurrence.kind == CHECKIN for s in sounding)
            if checkin and intent in ("unknown", "yes", "no", "cancel"):
                return [self._say(Reply("checkin.thanks"), now)]
        done = {r.settles for r in settled}
        rest = [s for s in sounding if s.occurrence.id not in done]
        outcome = reminding.answer(rest, intent, self._reminders.reminding.snooze_min)
        return self._act(outcome, now) if outcome is not None else None

    # --- running skills -------------------------------------------------------------

    def _run(self, intent: str, slots: Slots, text: str, now: datetime) -> list[Say]:
        if intent == "unknown" and self._parser.clean(text):
            recent = self._clock() - self._misunderstood_at < MISUNDERSTOOD_WINDOW_S
            self._misunderstood = self._misunderstood + 1 if recent else 1
            self._misunderstood_at = self._clock()
        elif intent != "unknown":
            self._misunderstood = 0
        if self._misunderstood >= 2:
            self._misunderstood = 0
            return self._act(safety.callback_offer(text), now)
        skill = self._skills.for_intent(intent)
        try:
            outcome = skill.handle(SkillRequest(intent, slots, text, self._context(now)))
        except StorageError as err:
            return self._storage_failed(now, err)
        return self._act(outcome, now)

    def _act(self, outcome: Outcome, now: datetime) -> list[Say]:
        """Commit what the outcome sends and records, apply its effects, then reply."""
        try:
            urgent = False
            if not isinstance(outcome, Ask):
                urgent = self._commit(outcome.relay, outcome.records, now)
            if isinstance(outcome, Handled):
                self._apply(outcome)
        except StorageError as err:
            return self._storage_failed(now, err)
        if not isinstance(outcome, Handled):
            self._enter(_Open(outcome, self._clock()), f"asked {outcome.reply.key}")
            return [self._say(outcome.reply, now, urgent=urgent)]
        self._enter(None, "handled")
        if any(isinstance(e, RepeatLast) for e in outcome.effects) and self._last:
            return [self._last]
        return [self._say(outcome.reply, now, urgent=urgent)]

    def _storage_failed(self, now: datetime, err: StorageError) -> list[Say]:
        """Tell the elder the truth: not noted (the disk is full, or the database failed);
        an emergency the full disk refused is being sent from memory all the same."""
        self._enter(None, "storage failed")
        if isinstance(err, EmergencyNotStored):
            _LOGGER.error("an emergency could not be written (disk full): sent from memory")
            self._wake_sender()
            return [self._say(Reply("emergency.not_stored"), now, urgent=True)]
        if isinstance(err, DiskFullError):
            _LOGGER.warning("the disk is full: a request was refused (%s)", err)
            return [self._say(Reply("storage.full"), now, urgent=True)]
        _LOGGER.error("the local database failed; the elder is told it was not noted: %s", err)
        return [self._say(Reply("storage.failed"), now, urgent=True)]

    def _answer_confirm(
        self, question: Confirm, intent: str, slots: Slots, text: str, now: datetime
    ) -> list[Say]:
        if intent == "yes":
            return self._act(question.on_yes, now)
        # 不对，后天下午 / no, two dinners: the same request with the answer's changes
        correcting = intent in ("no", "unknown") or (question.intent and intent == question.intent)
        corrected = self._corrected(question, text, now) if correcting else None
        if corrected is not None:
            self._enter(None, "corrected")
            return self._run(question.intent, corrected, text, now)
        if intent == "no":
            return self._act(question.on_no, now)
        if intent != "unknown":  # the elder moved on to something else
            self._enter(None, "changed subject")
            return self._run(intent, slots, text, now)
        return self._not_understood(Reply("dialogue.yes_or_no"), text, now)

    def _corrected(
        self, question: Confirm, text: str, now: datetime
    ) -> dict[str, SlotValue] | None:
        """The confirmed slots with the answer's changes (不对，后天下午), or None."""
        if not question.intent:
            return None
        said = self._parser.slots_for(text, question.intent, now, defaults=False)
        changed = {k: v for k, v in said.items() if question.slots.get(k) != v}
        return {**question.slots, **changed} if changed else None

    def _answer_ask(
        self, question: Ask, intent: str, slots: Slots, text: str, now: datetime
    ) -> list[Say]:
        if not question.slot and slots and intent not in ("unknown", "yes", "no", question.intent):
            self._enter(None, "changed subject")  # 帮我订明天的午饭: a new request of its own
            return self._run(intent, slots, text, now)
        if not question.slot:  # what to change (不是 to a confirmation)
            changed = self._parser.slots_for(text, question.intent, now, defaults=False)
            if changed:
                self._enter(None, "changed")
                return self._run(question.intent, {**question.slots, **changed}, text, now)
            if intent == "no":
                self._enter(None, "nothing to change")
                return [self._say(Reply("dialogue.cancelled"), now)]
        found = self._fill(question, text, now) if question.slot else {}
        if question.slot and question.slot in found:
            merged = {**found, **question.slots, question.slot: found[question.slot]}
            self._enter(None, "answered")
            return self._run(question.intent, merged, text, now)
        if intent not in ("unknown", "yes", "no", question.intent):
            self._enter(None, "changed subject")
            return self._run(intent, slots, text, now)
        return self._not_understood(Reply("dialogue.not_understood"), text, now)

    def _fill(self, question: Ask, text: str, now: datetime) -> dict[str, SlotValue]:
        """The slots the answer says (the asked one among them, if it was understood)."""
        found = self._parser.slots_for(text, question.intent, now)
        if question.slot not in found:
            known = " ".join(
                self._replies.words.get(name, {}).get(str(v), "")
                for name, v in question.slots.items()
            ).strip()  # 血压 + 一百四十九十: the answer read with what is already known
            if known:
                found = self._parser.slots_for(f"{known} {text}", question.intent, now)
        if question.slot not in found and question.slot in FREE_TEXT_SLOTS:
            said = self._parser.clean(text)
            if said:
                found[question.slot] = said
        return found

    def _not_understood(self, hint: Reply, said: str, now: datetime) -> list[Say]:
        pending = self._open
        assert pending is not None
        if pending.asked_twice:
            self._enter(None, "not understood twice")
            return self._act(safety.callback_offer(said), now)
        self._open = replace(pending, asked_at=self._clock(), asked_twice=True)
        text = self._replies.join(self._replies.say(hint, now),
                                  self._replies.say(pending.outcome.reply, now))  # fmt: skip
        return [self._remember(Say(hint.key, text))]

    # --- the safety net ------------------------------------------------------------

    def _safety_question(self) -> Confirm | None:
        """The open safety question (您是不是不舒服？), if that is what is open."""
        pending = self._open
        if pending is None or not isinstance(pending.outcome, Confirm):
            return None
        return pending.outcome if pending.outcome.on_silence is not None else None

    def _answer_safety(
        self, question: Confirm, match: ParseResult, text: str, now: datetime
    ) -> list[Say]:
        """Yes calls, no (or 我很好) records the symptom; the danger said again calls;
        anything not understood calls too, saying so: slurred words are a stroke sign."""
        clear = match.stage in ("template", "cue")
        if (match.intent == "no" and clear) or self._parser.says_fine(text):
            return self._act(question.on_no, now)
        if (match.intent == "yes" and clear) or match.concern:
            return self._act(question.on_yes, now)
        if match.intent in KEEPS_QUESTION_OPEN and clear and self._open is not None:
            return self._keep_open(self._open, match, text, now)
        if match.intent in ("unknown", "yes", "no", "cancel") or not clear:
            assert question.on_unclear is not None
            return self._act(question.on_unclear, now)
        self._enter(None, "changed subject")  # 几点了: able to ask, not in danger
        return self._run(match.intent, match.slots, text, now)

    def _keep_open(self, pending: _Open, match: ParseResult, text: str, now: datetime) -> list[Say]:
        """Again, louder, quieter while a question is open: the question stays open (and is
        said once more after a change of volume)."""
        says = self._run(match.intent, match.slots, text, now)
        self._open = replace(pending, asked_at=self._clock())
        if match.intent != "repeat":
            says.append(self._say(pending.outcome.reply, now))
        return says

    def _concern(self, kind: str, text: str, now: datetime) -> list[Say]:
        """Ask first; with an alarm already on, call again at once."""
        if self._state.active_emergency() is not None:
            return self._run("emergency", {"kind": kind}, text, now)
        return self._act(self._concern_question(kind, text, now), now)

    def _context(self, now: datetime) -> Context:
        return Context(now, self._settings.lang, self._state, self._lookups)

    def _concern_question(self, kind: str, text: str, now: datetime) -> Confirm:
        context = self._context(now)
        health = dict(self._parser.slots_for(text, "health_report", now))
        report = SkillRequest("health_report", health, text, context) if health else None
        return safety.concern_question(
            self._skills, SkillRequest("emergency", {"kind": kind}, text, context), kind, report
        )

    # --- side effects ---------------------------------------------------------------

    def _commit(self, relay: Outgoing | None, records: tuple[Record, ...], now: datetime) -> bool:
        """Write the request and records to disk (one transaction); True for emergencies."""
        if relay is None:
            if records:
                self._outbox.record(records, self._clock())
            return False
        self._commit_request(relay, now, records)
        return relay.priority == 0

    def _commit_request(
        self, relay: Outgoing, now: datetime, records: tuple[Record, ...] = ()
    ) -> OutboxRow:
        """Commit one request with its summary, then wake the sender."""
        summary = self._summaries.summary(relay.kind, relay.fields, who(self._settings), now)
        body = request_body(relay, now, summary, self._settings.lang)
        row = self._outbox.add(
            relay.kind, relay.priority, body, self._clock(), records, relay.after
        )
        self._wake_sender()
        return row

    def _apply(self, handled: Handled) -> None:
        for effect in handled.effects:
            if isinstance(effect, VolumeStep):
                self._state.step_volume(effect.step)
            elif isinstance(effect, AddReminder):
                self._reminders.add_voice(effect.when, effect.what)
            elif isinstance(effect, RemoveReminder):
                self._reminders.remove_voice(effect.id)
            elif isinstance(effect, Snooze):
                self._reminders.snooze(effect.ids, effect.minutes)
            elif isinstance(effect, WaitReminder):
                self._reminders.wait(effect.ids)

    def _emergency_overdue(self, now: datetime) -> list[Say]:
        """An alarm unacknowledged for ``emergency_ack_timeout_s``: say so (once) and ask the
        platform to notify the family (committed first; said even if that fails)."""
        overdue = self._overdue.check()
        if overdue is None:
            return []
        first = self._outbox.get(overdue.alarm.key)
        kind = str(first.fields.get("kind", "general")) if first else "general"
        key = "emergency.not_answered" if overdue.alarm.delivered else "emergency.not_acknowledged"
        say = self._say(Reply(key, {"number_for": number_for(kind)}), now, urgent=True)
        try:
            if not self._state.escalated(overdue.alarm.key):
                self._commit_request(overdue.escalation(), now)
        except StorageError as err:
            _LOGGER.error("could not commit the escalation of an unacknowledged alarm: %s", err)
        return [say]

    # --- helpers --------------------------------------------------------------------

    def _enter(self, pending: _Open | None, why: str) -> None:
        before = self.state
        self._open = pending
        if self.state is not before:
            _LOGGER.debug("dialogue %s → %s (%s)", before.value, self.state.value, why)

    def _say(self, reply: Reply, now: datetime, urgent: bool = False) -> Say:
        return self._remember(Say(reply.key, self._replies.say(reply, now), urgent))

    def _remember(self, say: Say) -> Say:
        self._last = say
        return say

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), self._tz)
