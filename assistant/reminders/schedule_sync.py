"""The schedule in the background: the platform's copy fetched, the family's file read.

Receives ``GET /v1/schedule`` answers every ``schedule_poll_s`` (``schedule_source:
platform``); emits nothing but a new good copy in ``ScheduleStore``, which the dialogue
loop takes up on its next tick. A copy that fails the checks is logged once per version
(mistake count only: a schedule holds medicine names) and left aside; the last good copy
stays in force. The network never blocks the dialogue: this runs in its own thread.
``ScheduleFileWatch`` does the same for the family's file (``schedule_source: file``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from assistant.errors import ScheduleError, StorageError
from assistant.relay.periodic import Periodic
from assistant.relay.platform import Fetched, PlatformClient, Refused
from assistant.reminders.schedule_store import ScheduleStore

_LOGGER = logging.getLogger(__name__)
FILE_LOOK_S = 1.0
"""How often the family's schedule file is looked at."""


class ScheduleSync:
    """Polls the platform for this device's schedule; ``start()`` runs it in a thread."""

    def __init__(
        self,
        client: PlatformClient | None,
        store: ScheduleStore,
        poll_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._refused_version: object = None
        self._thread = Periodic("schedule-sync", self.fetch, poll_s, survives=(StorageError,))

    def fetch(self) -> bool:
        """One look at the platform; True when a newer good schedule was put in force."""
        if self._client is None:
            return False
        answer = self._client.get("/v1/schedule")
        if isinstance(answer, Refused) and answer.code == "no_schedule":
            return False
        if not isinstance(answer, Fetched):
            _LOGGER.info("could not fetch the reminder schedule: %s", answer)
            return False
        version = answer.data.get("version")
        try:
            return self._store.install_platform(answer.data, self._clock()) is not None
        except ScheduleError as err:
            if version != self._refused_version:
                _LOGGER.warning("the platform's reminder schedule (version %s) has %d mistake(s);"
                                " the last good copy stays in force", version,
                                len(err.problems))  # fmt: skip
                _LOGGER.debug("schedule mistakes: %s", err)
            self._refused_version = version
            return False

    def start(self) -> None:
        """Poll in a background thread until ``stop()``."""
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (a fetch under way finishes first)."""
        self._thread.stop(timeout_s)


class ScheduleFileWatch:
    """Takes up the family's changed file (``schedule_source: file``) in a thread of its
    own, once a second: reading and checking a large or hostile file never holds up the
    dialogue (a 救命 is answered while it loads); the dialogue only sees the copy in force
    change."""

    def __init__(self, store: ScheduleStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._thread = Periodic("schedule-file", self.look, FILE_LOOK_S)

    def look(self) -> bool:
        """One look at the file; True when a changed, good file was put in force."""
        return self._store.refresh_file(self._clock())

    def start(self) -> None:
        """Look in a background thread until ``stop()``."""
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (a look under way finishes first)."""
        self._thread.stop(timeout_s)
