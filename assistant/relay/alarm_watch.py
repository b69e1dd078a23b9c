"""Has a person seen the alarm? The platform storing an emergency is not a person seeing
it (``docs/platform-api.md``: ``acknowledged_at``). While an alarm is on, delivered and
not yet acknowledged, ``AlarmWatch`` asks the platform about it every ``interval_s``
(``GET /v1/requests/{id}``); once a person at the care centre acknowledged it (or a
provider accepted it: a platform without ``acknowledged_at``), it records that locally
(``records``, kind ``emergency_acknowledged``, so a restart knows) and reports an
``Acknowledged`` event: the dialogue then says 服务中心已收到, and the centre's note.

Receives the keys of the open alarm's calls no person acknowledged yet (a callable over
the device's state); emits ``Acknowledged``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from urllib.parse import quote

from assistant.errors import StorageError
from assistant.relay.outbox import DELIVERED, Outbox
from assistant.relay.periodic import Periodic
from assistant.relay.platform import Fetched, PlatformClient
from assistant.relay.sender import Acknowledged
from assistant.storage.database import Database, dumps, transaction

_LOGGER = logging.getLogger(__name__)
ACKNOWLEDGED = "emergency_acknowledged"
"""The local record that a person acknowledged a call (``outbox_key``: the call's key)."""
ACK_POLL_S = 3.0
"""How often the platform is asked while an alarm waits for a person (≤ 5 s: issue 17)."""
PERSON_STATUSES = ("accepted", "completed")
"""Statuses only a person sets: they acknowledge a call on a platform without
``acknowledged_at``."""


def acknowledgements(db: Database, keys: list[str]) -> dict[str, str]:
    """Which of these calls a person acknowledged: key → the centre's note ("" if none)."""
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    with db.connect() as conn:
        sql = f"SELECT outbox_key, data FROM records WHERE kind = ? AND outbox_key IN ({marks})"
        rows = conn.execute(sql, (ACKNOWLEDGED, *keys)).fetchall()
    return {str(key): str(json.loads(data).get("note", "")) for key, data in rows}


class AlarmWatch:
    """Asks the platform whether a person acknowledged the open alarm."""

    def __init__(self, outbox: Outbox, db: Database, client: PlatformClient | None,
                 waiting: Callable[[], tuple[str, ...]], clock: Callable[[], float],
                 on_event: Callable[[Acknowledged], None], interval_s: float = 3.0,
                 timeout_s: float = 5.0) -> None:  # fmt: skip
        self._outbox = outbox
        self._db = db
        self._client = client
        self._waiting = waiting
        self._clock = clock
        self._on_event = on_event
        self._timeout_s = timeout_s
        self._told: set[str] = set()
        """Calls reported already (also when the disk refused the record)."""
        self._lock = threading.Lock()
        self._thread = Periodic("alarm-watch", self.look, interval_s)

    def start(self) -> None:
        """Watch in a thread of its own."""
        if self._client is not None:
            self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._thread.stop()

    def look(self) -> list[Acknowledged]:
        """Ask once about each delivered call of the open alarm; what a person
        acknowledged since (reported to ``on_event`` too)."""
        keys = self._waiting()
        if self._client is None or not keys:
            return []
        with self._lock:
            rows = [r for r in self._outbox.latest(("emergency",), limit=50)
                    if r.key in keys and r.state == DELIVERED and r.platform_id
                    and r.key not in self._told]  # fmt: skip
            for row in rows:
                answer = self._client.get(f"/v1/requests/{quote(row.platform_id)}",
                                          self._timeout_s)  # fmt: skip
                if not isinstance(answer, Fetched) or not _seen(answer.data):
                    continue
                note = answer.data.get("note")
                event = Acknowledged(row, note if isinstance(note, str) else "")
                self._record(event)
                self._told.add(row.key)
                self._on_event(event)
                return [event]
        return []

    def _record(self, event: Acknowledged) -> None:
        data = {"note": event.note, "platform_id": event.row.platform_id}
        try:
            with self._db.connect() as conn, transaction(conn):
                conn.execute("INSERT INTO records (kind, at, data, outbox_key) VALUES (?, ?, ?, ?)",
                             (ACKNOWLEDGED, self._clock(), dumps(data), event.row.key))  # fmt: skip
        except StorageError as err:  # a full disk: said all the same, and said once
            _LOGGER.error("could not record that the alarm was acknowledged: %s", err)
        _LOGGER.info("a person at the care centre acknowledged emergency %s",
                     event.row.platform_id)  # fmt: skip


def _seen(data: dict[str, object]) -> bool:
    return bool(data.get("acknowledged_at")) or data.get("status") in PERSON_STATUSES
