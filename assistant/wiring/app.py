"""Wiring: settings in, a ready ``Assistant`` out (database, outbox, senders, dialogue).

Nothing is started at import; ``Assistant.start()`` starts the two senders. Without a
platform URL, device id and secret, requests wait in the outbox (and XiaoAn says so
truthfully: 已记录，正在联系).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Dialogue
from assistant.dialogue.state import DeviceState
from assistant.relay.alarm_watch import ACK_POLL_S, AlarmWatch
from assistant.relay.lookups import CachedLookups
from assistant.relay.outbox import EMERGENCY_LANE, EMERGENCY_PRIORITY, OTHER_LANE, Outbox
from assistant.relay.platform import client_for
from assistant.relay.sender import Backoff, Relay, RelayEvent, Retrying
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_store import ScheduleStore
from assistant.reminders.schedule_sync import ScheduleFileWatch, ScheduleSync
from assistant.storage.database import Database
from assistant.storage.space import MIB, DiskReport
from intents import IntentParser
from skills.registry import SkillSet

_LOGGER = logging.getLogger(__name__)


@dataclass
class Assistant:
    """The parts of a running XiaoAn that the loop talks to."""

    dialogue: Dialogue
    outbox: Outbox
    relays: tuple[Relay, ...]
    reminders: Reminders
    state: DeviceState
    """What the device remembers (the speech volume among it)."""
    parser: IntentParser
    db: Database
    schedules: ScheduleStore
    settings_problems: tuple[str, ...] = ()
    """Mistakes in the settings, left at their defaults (``Settings.problems``)."""
    schedule_sync: ScheduleSync | ScheduleFileWatch | None = None
    """Fetches the platform's schedule (``schedule_source: platform``)."""
    keeper: sqlite3.Connection | None = field(default=None, repr=False)
    """A connection held open while XiaoAn runs, so reading never needs new disk space."""
    alarm_watch: AlarmWatch | None = None
    """Asks the platform whether a person acknowledged the open alarm."""

    def start(self) -> None:
        """Start the senders (and the schedule's sync, and the alarm's watch)."""
        for relay in self.relays:
            relay.start()
        if self.schedule_sync is not None:
            self.schedule_sync.start()
        if self.alarm_watch is not None:
            self.alarm_watch.start()

    def stop(self) -> None:
        """Stop the senders (an attempt under way finishes first)."""
        if self.alarm_watch is not None:
            self.alarm_watch.stop()
        for relay in self.relays:
            relay.stop()
        if self.schedule_sync is not None:
            self.schedule_sync.stop()
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None
        lost = [row for row in self.outbox.unstored() if row.state == "pending"]
        if lost:  # the elder was told they were not recorded
            _LOGGER.error("%d emergency call(s) kept in memory (the disk was full) end with "
                          "XiaoAn, not delivered", len(lost))  # fmt: skip

    def disk(self) -> DiskReport:
        """The disk now; the reserve is made again first when there is room for it."""
        space = self.db.space
        space.restore()
        return space.report()

    def problems(self, disk_now: DiskReport | None = None) -> tuple[str, ...]:
        """What keeps the device from working fully, each with its fix (status, doctor,
        the heartbeat); ``disk_now``: the disk's report if the caller just made it."""
        disk = (disk_now or self.disk()).problem()
        found = (*self.settings_problems, self.schedules.problem, self.reminders.problem, disk)
        return tuple(problem for problem in found if problem)


def build(
    settings: Settings,
    paths: Paths,
    on_event: Callable[[RelayEvent], None],
    clock: Callable[[], float] = time.time,
    parser: IntentParser | None = None,
) -> Assistant:
    """Everything XiaoAn needs, built from its settings; ``on_event`` hears the senders."""
    paths.make_private()
    db = Database(paths.database, settings.disk_reserve_mb * MIB).create()
    keeper = db.hold()
    db.space.restore()
    outbox = Outbox(db)
    if not settings.platform_url:
        _LOGGER.warning("no platform configured: requests wait in the outbox")

    def heard(event: RelayEvent) -> None:
        on_event(event)
        if event.row.priority == EMERGENCY_PRIORITY and not isinstance(event, Retrying):
            wake_senders()  # the other lane waited for this emergency (emergencies first)

    relays = tuple(
        Relay(outbox, client_for(settings, clock=clock), lane=lane, clock=clock, on_event=heard,
              backoff=Backoff(cap_s=settings.retry_max_s),
              retention_s=settings.retention_days * 86400.0)
        for lane in (EMERGENCY_LANE, OTHER_LANE)
    )  # fmt: skip
    schedules = ScheduleStore(db, paths.schedule_file, settings.schedule_source)
    if settings.schedule_source == "file":
        schedules.refresh_file(clock())  # at start, before anyone speaks; then in a thread
    schedules.refresh(clock())
    reminders = Reminders(db, clock, settings.tz, schedules.current)
    state = DeviceState(db, outbox, clock, settings.tz, reminders)
    lookups = CachedLookups(client_for(settings, settings.read_timeout_s, clock), db, clock,
                            settings.read_timeout_s)  # fmt: skip
    parser = parser or IntentParser.load(settings.lang, settings.tz)
    skills = SkillSet.discover().require([*parser.data.slot_names, "unknown"])

    def wake_senders() -> None:
        for relay in relays:
            relay.wake()

    dialogue = Dialogue(settings, parser, skills, outbox, state, lookups, clock, reminders,
                        schedules, wake_senders)  # fmt: skip
    sync: ScheduleSync | ScheduleFileWatch
    if settings.schedule_source == "platform":
        sync = ScheduleSync(client_for(settings, clock=clock), schedules,
                            settings.schedule_poll_s, clock)  # fmt: skip
    else:  # the family's file, read off the dialogue's thread however large it is
        sync = ScheduleFileWatch(schedules, clock)

    def waiting() -> tuple[str, ...]:  # the open alarm's calls nobody acknowledged yet
        alarm = state.active_emergency()
        return () if alarm is None or alarm.acknowledged else alarm.keys

    watch = AlarmWatch(outbox, db, client_for(settings, settings.read_timeout_s, clock), waiting,
                       clock, on_event, ACK_POLL_S, settings.read_timeout_s)  # fmt: skip
    return Assistant(dialogue, outbox, relays, reminders, state, parser, db, schedules,
                     settings.problems, sync, keeper, watch)  # fmt: skip
