"""Reads from the platform with a local cache, so XiaoAn can still answer offline.

Receives a path to look up; emits a ``skills.base.Lookup``: fresh data, or the last copy
from the ``cache`` table with its age, or nothing. Every fresh answer is cached. The
elder never waits longer than ``timeout_s`` in all (DNS, connect and read together): the
request runs in a worker thread, and an answer that comes later still fills the cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from assistant.relay.platform import Fetched, Looked, PlatformClient, Refused
from assistant.storage.database import Database, dumps, transaction
from assistant.values.platform import Lookup


class CachedLookups:
    """``skills.base.PlatformLookups`` over a ``PlatformClient`` (or none: cache only)."""

    def __init__(
        self, client: PlatformClient | None, db: Database, clock: Callable[[], float],
        timeout_s: float = 2.0,
    ) -> None:  # fmt: skip
        self._client = client
        self._db = db
        self._clock = clock
        self._timeout_s = timeout_s
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookup")

    def menu(self, day: str) -> Lookup:
        """The canteen menu of one day."""
        return self._look(f"/v1/menu?date={quote(day)}")

    def request(self, platform_id: str) -> Lookup:
        """One request's status."""
        return self._look(f"/v1/requests/{quote(platform_id)}")

    def requests(self, kind: str) -> Lookup:
        """This device's requests of one kind."""
        return self._look(f"/v1/requests?kind={quote(kind)}")

    def _look(self, path: str) -> Lookup:
        if self._client is not None:
            try:
                answer = self._worker.submit(self._fetch, path).result(self._timeout_s)
            except TimeoutError:
                return self._cached(path)
            if isinstance(answer, Fetched):
                return Lookup(answer.data)
            if isinstance(answer, Refused) and answer.status == 404:
                return Lookup(None, missing=True)
        return self._cached(path)

    def _fetch(self, path: str) -> Looked:
        assert self._client is not None
        answer = self._client.get(path, self._timeout_s)
        if isinstance(answer, Fetched):
            self._store(path, answer.data)
        return answer

    def _store(self, path: str, data: dict[str, Any]) -> None:
        with self._db.connect() as conn, transaction(conn):
            conn.execute(
                "INSERT INTO cache (name, value, fetched_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value,"
                " fetched_at = excluded.fetched_at",
                (path, dumps(data), self._clock()),
            )

    def _cached(self, path: str) -> Lookup:
        with self._db.connect() as conn:
            row = conn.execute(
                "SELECT value, fetched_at FROM cache WHERE name = ?", (path,)
            ).fetchone()
        if row is None:
            return Lookup(None)
        return Lookup(json.loads(row[0]), max(0.0, self._clock() - float(row[1])))
