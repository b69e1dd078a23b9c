"""The device's local database: one SQLite file, ``$XIAOAN_HOME/data/xiaoan.db`` (mode 0600).

WAL journal and ``synchronous=FULL``: a commit is on disk when it returns, so a request or
a dose confirmation survives a power cut or ``kill -9`` once the elder was told it was
taken. Each thread opens its own connection (``Database.connect``). The journal mode is set
once, when the file is made (it is kept in the file): a connection never changes it, so
reading needs no write. On a full disk, opening (which in WAL mode needs the ``-shm``
index) gives up the space reserve and tries again (``assistant.storage.space``); a write
that fails on a full disk is a ``DiskFullError``. The running assistant holds one
connection open for its whole life (``hold``), so the index stays while it runs.

Tables: ``outbox`` (requests for the platform, see ``assistant.relay.outbox``), ``records``
(health readings, medicine events: local history), ``cache`` (the last menu and request
statuses read from the platform, with when they were read), ``state`` (small values that
outlive a restart: volume, the last good reminder schedule), ``voice_reminders``
(reminders set by voice), ``occurrences`` (each time a reminder came due, and what became
of it: see ``assistant.reminders.firing``).
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import DiskFullError, StorageError
from assistant.storage import files
from assistant.storage.space import DEFAULT_RESERVE_BYTES, Space

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    platform_id TEXT NOT NULL DEFAULT '',
    delivered_at REAL,
    after_keys TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, priority, next_at);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    data TEXT NOT NULL,
    outbox_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, at);
CREATE TABLE IF NOT EXISTS cache (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS voice_reminders (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    spec TEXT NOT NULL,
    what TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS occurrences (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    due_at REAL NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    sayings INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    first_said_at REAL,
    resolved_at REAL,
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS occurrences_open ON occurrences (state, next_at);
CREATE INDEX IF NOT EXISTS occurrences_due ON occurrences (kind, due_at);
"""


@dataclass(frozen=True)
class Database:
    """Where the local database lives; ``connect()`` gives a thread its connection."""

    path: Path
    reserve_bytes: int = DEFAULT_RESERVE_BYTES
    """The size of the space reserve kept beside the database."""

    @property
    def space(self) -> Space:
        """The disk the database is on, and XiaoAn's reserve there."""
        return Space(self.path.parent, self.reserve_bytes)

    def create(self) -> Database:
        """Create the file (mode 0600, WAL journal) and the tables if they are missing."""
        try:
            files.private_folder(self.path.parent)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600))
            files.chmod_own(self.path, 0o600)  # a device or a link there is refused
            with self.connect() as conn:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")  # kept in the file from now on
                conn.executescript(_SCHEMA)
                _add_missing_columns(conn)
        except StorageError:
            raise
        except (OSError, sqlite3.Error) as err:
            raise self._failure("cannot create the database", err) from err
        return self

    def hold(self) -> sqlite3.Connection:
        """A connection the caller keeps open (and closes): while one is open, the WAL
        index stays on disk, so reading needs no new space."""
        return self._open(check_same_thread=False)  # closed by whichever thread stops

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection with ``synchronous=FULL``; closed on exit."""
        conn = self._open()
        try:
            yield conn
        except sqlite3.Error as err:
            raise self._failure("cannot write the database", err) from err
        finally:
            conn.close()

    def _open(self, check_same_thread: bool = True) -> sqlite3.Connection:
        try:
            return self._try_open(check_same_thread)
        except (OSError, sqlite3.Error) as err:
            if not _for_want_of_space(err, self.space) or not self.space.release():
                raise self._failure("cannot open the database", err) from err
        try:  # the reserve made room: once more
            return self._try_open(check_same_thread)
        except (OSError, sqlite3.Error) as err:
            raise self._failure("cannot open the database", err) from err

    def _try_open(self, check_same_thread: bool = True) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                               check_same_thread=check_same_thread)  # fmt: skip
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA temp_store=MEMORY")  # sorting never needs a file
            conn.execute("PRAGMA schema_version").fetchone()  # opens the file and its index
        except BaseException:
            conn.close()
            raise
        return conn

    def _failure(self, what: str, err: BaseException) -> StorageError:
        if _for_want_of_space(err, self.space):
            return DiskFullError(
                f"{self.path}: {what}: the disk is full ({err}): free space on the SD card "
                "(old logs: `journalctl --vacuum-size=50M`)"
            )
        return StorageError(
            f"{self.path}: {what} ({err}): check the disk and that XIAOAN_HOME is writable"
        )


_SPACE_ERRORS = frozenset({"SQLITE_FULL", "SQLITE_IOERR_SHMSIZE", "SQLITE_IOERR_SHMMAP",
                           "SQLITE_IOERR_WRITE", "SQLITE_IOERR_TRUNCATE"})  # fmt: skip


def _for_want_of_space(err: BaseException, space: Space) -> bool:
    """Whether a failure looks like a full disk (and not, say, a damaged file)."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    name = getattr(err, "sqlite_errorname", "")
    return name in _SPACE_ERRORS or space.free() < space.reserve_bytes


_ADDED_COLUMNS = {"outbox": {"after_keys": "TEXT NOT NULL DEFAULT '[]'"}}
"""Columns added after the first release, added to an older database on start."""


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on an exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_value(conn: sqlite3.Connection, name: str) -> str | None:
    """A small value of the ``state`` table (None: never set)."""
    row = conn.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else None


def put_value(conn: sqlite3.Connection, name: str, value: str) -> None:
    """Set a small value of the ``state`` table (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO state (name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def dumps(value: Any) -> str:
    """JSON as stored: UTF-8 text, keys sorted (so equal values store equal text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
