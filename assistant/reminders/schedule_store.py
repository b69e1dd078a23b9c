"""The schedule in force: the last good copy, kept in the device's database.

Receives a family's file (``$XIAOAN_HOME/schedule.yaml``) or the platform's copy
(``GET /v1/schedule``); emits the ``Schedule`` reminders work from. A new copy is checked
in full first (``assistant.reminders.schedule_file``); only a good one replaces the copy in force,
in one transaction, so a bad file or a garbled download never takes the reminders away.
Which source counts is the ``schedule_source`` setting (``file`` or ``platform``).
"""

from __future__ import annotations

import json
import logging
import stat
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ScheduleError, StorageError
from assistant.reminders.firing import PLANNED_UNTIL
from assistant.reminders.schedule_file import load_schedule_file, parse_schedule
from assistant.storage import files
from assistant.storage.database import Database, dumps, get_value, put_value, transaction
from assistant.storage.yaml_limits import SCHEDULE_BYTES, over_limits
from assistant.values.schedule import EMPTY, Schedule

_LOGGER = logging.getLogger(__name__)
GOOD_COPY = "schedule.good"
FILE_SEEN = "schedule.file_seen"


@dataclass(frozen=True)
class Installed:
    """Where the schedule in force came from."""

    origin: str
    """``file`` or ``platform``."""
    version: int
    """The platform's version, or how many good copies of the file were taken up."""
    installed_at: float
    where: str
    """The file's path, or ``platform``."""


class ScheduleStore:
    """The last good schedule, and the checks a new one must pass to replace it."""

    def __init__(self, db: Database, file: Path, source: str = "file") -> None:
        self._db = db
        self.file = file
        self.source = source
        self._cached: tuple[str, Schedule] | None = None
        self.problem = ""
        """Why the copy in force cannot be used ("" when it can, or there is none)."""
        self._storage_warned = False
        self._seen: str | None = None
        self._looked_at: float | None = None

    def refresh(self, now: float) -> bool:
        """At most once a second: say whether the schedule in force changed since the last
        call (a file ``ScheduleFileWatch`` took up, or a platform copy the sync stored).
        Cheap: it reads one value, never the family's file."""
        first = self._looked_at is None
        if self._looked_at is not None and 0.0 <= now - self._looked_at < 1.0:
            return False
        self._looked_at = now
        raw = self._value(GOOD_COPY)
        changed = not first and raw != self._seen
        self._seen = raw
        return changed

    def current(self) -> Schedule:
        """The schedule in force (``EMPTY`` when none was ever installed)."""
        raw = self._value(GOOD_COPY)
        if raw is None:
            self.problem = ""
            return EMPTY
        if self._cached and self._cached[0] == raw:
            return self._cached[1]
        try:
            stored = json.loads(raw)
            schedule = parse_schedule(stored["data"], f"the stored copy of {stored['where']}")
        except ScheduleError as err:  # a newer release reads an older copy more strictly
            return self._unusable(raw, f"{len(err.problems)} mistake(s)", err)
        except (ValueError, TypeError, KeyError, RecursionError) as err:  # damaged
            return self._unusable(raw, "damaged", err)
        self.problem = ""
        self._cached = (raw, schedule)
        return schedule

    def _unusable(self, raw: str, why: str, err: Exception) -> Schedule:
        """The copy in force cannot be used: XiaoAn runs without it and says so."""
        self.problem = (
            f"the reminder schedule in force cannot be used ({why}): no reminders until "
            "one is installed again (`assistant reminders install FILE`)"
        )
        _LOGGER.error("%s", self.problem)
        _LOGGER.debug("schedule mistakes: %s", err)
        self._cached = (raw, EMPTY)
        return EMPTY

    def installed(self) -> Installed | None:
        """Where the schedule in force came from (None: no schedule, or a damaged copy)."""
        raw = self._value(GOOD_COPY)
        if raw is None:
            return None
        try:
            stored = json.loads(raw)
            return Installed(str(stored["origin"]), int(stored["version"]),
                             float(stored["installed_at"]), str(stored["where"]))  # fmt: skip
        except (ValueError, TypeError, KeyError, RecursionError):
            return None

    def refresh_file(self, now: float) -> bool:
        """Take up the family's file if it changed since last seen and is good; True when
        the schedule in force changed. A bad file is reported once and left aside."""
        if self.source != "file":
            return False
        try:
            info = self.file.stat()
        except FileNotFoundError:
            return False
        except OSError as err:
            _LOGGER.warning("cannot read the reminder schedule %s: %s", self.file, err)
            return False
        seen = f"{info.st_mtime_ns}:{info.st_size}"
        try:
            if self._value(FILE_SEEN) == seen:
                return False
            _private(self.file, info.st_mode)
            try:
                schedule = load_schedule_file(self.file)
                data = _plain(self.file)
            except ScheduleError as err:
                _LOGGER.warning(
                    "the reminder schedule %s has %d mistake(s); the last good copy stays in "
                    "force: run `assistant reminders validate %s`",
                    self.file, len(err.problems), self.file,
                )  # fmt: skip
                _LOGGER.debug("schedule mistakes: %s", err)
                self._put(FILE_SEEN, seen)  # not read again until it changes
                return False
            self._store("file", data, now, str(self.file), schedule, seen=seen)
        except StorageError as err:  # a full disk: looked at again next time
            if not self._storage_warned:
                _LOGGER.warning("the reminder schedule cannot be taken up now: %s", err)
            self._storage_warned = True
            return False
        self._storage_warned = False
        return True

    def install_file(self, path: Path, now: float) -> Schedule:
        """Check a family's file and, when good, put it in force."""
        schedule = load_schedule_file(path)
        self._store("file", _plain(path), now, str(path), schedule)
        return schedule

    def install_platform(self, answer: dict[str, Any], now: float) -> Schedule | None:
        """Put the platform's copy in force when it is newer and good (None: not newer)."""
        version = answer.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ScheduleError(["the platform's schedule: `version` is not a whole number"])
        held = self.installed()
        if held is not None and held.origin == "platform" and held.version >= version:
            return None
        data = answer.get("schedule")
        schedule = parse_schedule(data, f"the platform's schedule (version {version})")
        self._store("platform", data, now, "platform", schedule, version)
        return schedule

    def _store(
        self, origin: str, data: Any, now: float, where: str, schedule: Schedule,
        version: int | None = None, seen: str | None = None,
    ) -> None:  # fmt: skip
        held = self.installed()
        number = version if version is not None else (held.version + 1 if held else 1)
        value = {"origin": origin, "version": number, "installed_at": now, "where": where,
                 "data": data}  # fmt: skip
        with self._db.connect() as conn, transaction(conn):
            put_value(conn, GOOD_COPY, dumps(value))
            if seen is not None:  # the file in force and the file seen go together
                put_value(conn, FILE_SEEN, seen)
            # reminders are owed from now on, even if XiaoAn stops before its first tick
            since = now - 60.0 * schedule.reminding.late_fire_min
            conn.execute(
                "INSERT OR IGNORE INTO state (name, value) VALUES (?, ?)",
                (PLANNED_UNTIL, str(since)),
            )
        self._cached = None
        _LOGGER.info("reminder schedule from %s in force (version %d, %d medicine(s))",
                     origin, number, len(schedule.medicines))  # fmt: skip

    def _value(self, name: str) -> str | None:
        with self._db.connect() as conn:
            return get_value(conn, name)

    def _put(self, name: str, value: str) -> None:
        with self._db.connect() as conn, transaction(conn):
            put_value(conn, name, value)


def _private(path: Path, mode: int) -> None:
    """The schedule names medicines: keep it readable by XiaoAn's user only (0600)."""
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        try:
            files.chmod_own(path, 0o600)  # never through a link (to /dev/null…)
            _LOGGER.info("made %s readable by its owner only (mode 0600)", path)
        except OSError as err:
            _LOGGER.warning("%s is readable by others and cannot be changed (%s): run "
                            "`chmod 600 %s`", path, err, path)  # fmt: skip


def _plain(path: Path) -> Any:
    """The file's data as JSON values (dates as ISO text), to be checked again on reading."""
    try:
        text = files.read_small(path, SCHEDULE_BYTES).decode("utf-8-sig")
        if over_limits(text, SCHEDULE_BYTES) is not None:
            raise ValueError("over the limits of a schedule file")
        data = YAML(typ="safe").load(text)
        return json.loads(json.dumps(data, default=_iso))
    except (OSError, UnicodeDecodeError, YAMLError, ValueError, TypeError, RecursionError) as err:
        # it passed the checks just before: changed in between, or a value YAML reads oddly
        raise ScheduleError([f"{path}: cannot be read again ({err}): save it again"]) from err


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
