"""The device's reminders as commands read them: the database and the schedule in force
(or a given schedule), without re-saying anything."""

from __future__ import annotations

import time

from assistant.config import Paths, Settings
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_store import ScheduleStore
from assistant.storage.database import Database
from assistant.values.schedule import Schedule


def open_reminders(settings: Settings, paths: Paths, schedule: Schedule | None) -> Reminders:
    """The device's reminders (read side), on its schedule or on ``schedule``."""
    db = Database(paths.data_dir / "xiaoan.db").create()
    if schedule is None:
        store = ScheduleStore(db, paths.schedule_file, settings.schedule_source)
        store.refresh_file(time.time())
        return Reminders(db, time.time, settings.tz, store.current, resay=False)
    return Reminders(db, time.time, settings.tz, lambda: schedule, resay=False)
