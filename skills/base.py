"""What a skill receives and returns. Skills return data; they never speak or post.

A skill is one small class bound to intent names (``intents``) and discovered through
the entry-point group ``assistant.skills`` (``skills.registry``). It receives a
``SkillRequest`` (intent, slots, the local ``Context``) and emits an ``Outcome``:

- ``Handled(reply, relay=…, records=…, effects=…)``: done. The dialogue commits the relay
  request and the records to disk *before* it speaks the reply;
- ``Ask(reply, slot, …)``: a question whose answer fills one slot; the skill is called
  again with it;
- ``Confirm(reply, on_yes, on_no)``: a yes/no question before anything is sent.

Replies are keys into ``skills/responses/<lang>.yaml`` with raw slot values; the words
are chosen there (``assistant.dialogue.replies``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from assistant.values.occurrences import Occurrence, VoiceReminder
from assistant.values.platform import Lookup, Outgoing
from assistant.values.prompts import Sounding
from assistant.values.records import Record
from assistant.values.schedule import Reminding
from assistant.values.slots import SlotValue


@dataclass(frozen=True)
class Reply:
    """A reply by key, with the values its text needs."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeStep:
    """Louder (+1) or quieter (-1); remembered across restarts."""

    step: int


@dataclass(frozen=True)
class RepeatLast:
    """Say the last reply again."""


@dataclass(frozen=True)
class AddReminder:
    """Keep a reminder set by voice (it fires through the reminder schedule)."""

    when: str
    what: str


@dataclass(frozen=True)
class Snooze:
    """Postpone the reminders that are sounding (``ids``)."""

    minutes: float
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaitReminder:
    """The elder said 好的 to a reminder: ask again after the repeat interval."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class RemoveReminder:
    """Remove a reminder set by voice."""

    id: int


Effect = VolumeStep | RepeatLast | AddReminder | Snooze | WaitReminder | RemoveReminder


@dataclass(frozen=True)
class Handled:
    """The skill is done: say ``reply`` once ``relay`` and ``records`` are on disk."""

    reply: Reply
    relay: Outgoing | None = None
    records: tuple[Record, ...] = ()
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class Ask:
    """Ask for one missing slot; the answer comes back as ``slots[slot]``. With ``slot``
    empty, any slot of the intent the answer says changes (那改成后天吧)."""

    reply: Reply
    intent: str
    slots: Mapping[str, SlotValue]
    slot: str


@dataclass(frozen=True)
class Confirm:
    """Ask yes or no before acting; ``relay`` and ``records`` are committed before asking.

    With ``intent`` and ``slots`` (what is being confirmed), an answer that corrects a slot
    (不对，后天下午) runs the skill again with it instead of meaning no."""

    reply: Reply
    on_yes: Handled
    on_no: Outcome
    relay: Outgoing | None = None
    records: tuple[Record, ...] = ()
    intent: str = ""
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    on_cancel: Handled | None = None
    """What 算了 / never mind means when it is not ``on_no`` (no asks what to change)."""
    on_silence: Handled | None = None
    """What no answer means: the safety question (您是不是不舒服？) calls for help then.
    None: ask once more, then give up."""
    on_unclear: Handled | None = None
    """What an answer not understood means, where that is not "ask again" (the safety
    question: slurred words are a stroke sign, so it calls for help, saying why)."""


Outcome = Handled | Ask | Confirm


@dataclass(frozen=True)
class Booking:
    """A service booking this device sent (from the outbox)."""

    key: str
    service: str
    when: str
    state: str
    """The outbox state: pending, delivered, parked."""
    platform_id: str
    cancelled: bool


@dataclass(frozen=True)
class MealOrder:
    """A canteen order this device sent (from the outbox)."""

    key: str
    meal: str
    date: str
    count: int
    state: str
    """The outbox state: pending, delivered, parked."""
    platform_id: str
    cancelled: bool


@dataclass(frozen=True)
class Alarm:
    """The emergency that is still on: the newest call, and every call still open."""

    key: str
    """The newest call's idempotency key."""
    keys: tuple[str, ...]
    """Every open call, newest first (a cancellation names them all)."""
    acknowledged: bool
    """Whether a person at the care centre acknowledged one of the open calls (the
    platform storing it is ``delivered``, not this)."""
    delivered: bool = False
    """Whether the platform stored one of the open calls."""
    note: str = ""
    """What the care centre said with its acknowledgement (王医生十分钟到), if anything."""


class LocalState(Protocol):
    """What skills may read of the device's state (``assistant.dialogue.state``)."""

    def bookings(self, service: str | None = None) -> list[Booking]:
        """Service bookings, newest first."""
        ...

    def meal_orders(self) -> list[MealOrder]:
        """Canteen orders, newest first."""
        ...

    def active_emergency(self) -> Alarm | None:
        """The alarm not cancelled since: of the last hour, or not delivered yet."""
        ...

    def medicine_today(self) -> list[str]:
        """Medicines recorded as taken today, in order."""
        ...

    def sounding(self) -> list[Sounding]:
        """The reminders said and not answered yet, most recent first."""
        ...

    def doses_on(self, day: datetime) -> list[tuple[Occurrence, str]]:
        """The scheduled doses of a day with what became of each (``taken``/
        ``medicine_taken``, ``missed``, ``sounding``, ``due``, ``planned``…)."""
        ...

    def upcoming_doses(self, within_s: float) -> list[Occurrence]:
        """Scheduled doses due in the next ``within_s`` seconds, earliest first."""
        ...

    def since_last_dose_s(self) -> float | None:
        """Seconds since a dose was last recorded taken (None: never)."""
        ...

    def voice_reminders(self) -> tuple[VoiceReminder, ...]:
        """The reminders set by voice, oldest first."""
        ...

    @property
    def reminding(self) -> Reminding:
        """How reminders repeat and snooze."""
        ...

    def volume(self) -> int:
        """The speech volume, 1–10."""
        ...


class PlatformLookups(Protocol):
    """Reads from the platform with a cache for offline use (``assistant.relay.lookups``)."""

    def menu(self, day: str) -> Lookup:
        """The canteen menu of one day (ISO date)."""
        ...

    def request(self, platform_id: str) -> Lookup:
        """One request's status."""
        ...

    def requests(self, kind: str) -> Lookup:
        """This device's requests of one kind (``{"requests": [...]}``)."""
        ...


@dataclass(frozen=True)
class Context:
    """The world as a skill sees it."""

    now: datetime
    lang: str
    state: LocalState
    platform: PlatformLookups


@dataclass(frozen=True)
class SkillRequest:
    """One intent for a skill to handle."""

    intent: str
    slots: Mapping[str, SlotValue]
    text: str
    ctx: Context


class Skill:
    """Base class: name the intents in ``intents`` and implement ``handle``."""

    intents: ClassVar[tuple[str, ...]] = ()
    offline: ClassVar[str] = ""
    """What the skill does without the network (one line, for the docs)."""

    def handle(self, request: SkillRequest) -> Outcome:
        """Handle one of this skill's intents."""
        raise NotImplementedError
