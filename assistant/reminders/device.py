"""The device's reminders as commands see them: opened on the database and the schedule in
force (or a given schedule) without re-saying anything, and a family's file installed as
the schedule in force."""

from __future__ import annotations

import time
from pathlib import Path

from assistant.config import Paths, Settings
from assistant.errors import ConfigError
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_file import load_schedule_file
from assistant.reminders.schedule_store import ScheduleStore
from assistant.storage.database import Database
from assistant.storage.files import write_private
from assistant.values.messages import say
from assistant.values.schedule import Schedule


def open_reminders(settings: Settings, paths: Paths, schedule: Schedule | None) -> Reminders:
    """The device's reminders (read side), on its schedule or on ``schedule``."""
    db = Database(paths.database).create()
    if schedule is None:
        store = ScheduleStore(db, paths.schedule_file, settings.schedule_source)
        store.refresh_file(time.time())
        return Reminders(db, time.time, settings.tz, store.current, resay=False)
    return Reminders(db, time.time, settings.tz, lambda: schedule, resay=False)


def install_schedule(settings: Settings, paths: Paths, file: Path) -> Schedule:
    """Check ``file`` and, only if it is good, make it the schedule in force (written 0600
    to ``$XIAOAN_HOME/schedule.yaml`` and taken into the database at once); a mistake is a
    ``ScheduleError`` naming the line, in the device's language."""
    schedule = load_schedule_file(file, settings.lang)
    if settings.schedule_source != "file":
        raise ConfigError(
            say(settings.lang, "reminders.platform_in_force", source=settings.schedule_source)
        )
    try:
        write_private(paths.schedule_file, file.read_bytes())
    except OSError as err:
        where = paths.schedule_file
        raise ConfigError(f"{where}: cannot be written ({err.strerror}): remove what is "
                          "there (a folder?) and install again") from err  # fmt: skip
    store = ScheduleStore(Database(paths.database).create(), paths.schedule_file)
    store.refresh_file(time.time())
    return schedule
