"""Opening the platform's database from its URL: SQLite by default, PostgreSQL for a
district (``postgresql+psycopg://…``), the same code for both. A statement that fails is
logged without its values (``hide_parameters``): they hold health data and addresses.

SQLite: the file is created with mode 0600 (it holds device secrets, health data and
addresses) and never through a link; WAL with ``synchronous=FULL`` (a 201 is on disk);
write transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock on a
lock upgrade, reads with a plain ``BEGIN`` (WAL lets them run beside a writer).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


class DatabaseUrlError(ValueError):
    """The URL names no database this platform can use; the message says why."""


@dataclass(frozen=True)
class Database:
    """The two ways into one database: ``write()`` and ``read()`` transactions."""

    url: str
    writer: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        """Whether this is a SQLite file."""
        return self.writer.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed at the end of the block."""
        with self.writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only transaction."""
        with self.reader.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path.resolve()}"


def open_database(url: str) -> Database:
    """The database at ``url`` (created, for SQLite, with mode 0600)."""
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy.exc.ArgumentError and friends
        raise DatabaseUrlError(f"{url!r} is not a database URL: {err}") from err
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUrlError("a SQLite URL must name a file: sqlite:////var/lib/x/p.db")
        path = Path(parsed.database)
        _private_file(path)
        writer = _sqlite_engine(url, "BEGIN IMMEDIATE")
        reader = _sqlite_engine(url, "BEGIN")
        return Database(url, writer, reader)
    if backend == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               hide_parameters=True)  # fmt: skip
        return Database(url, engine, engine)
    raise DatabaseUrlError(f"{backend!r} databases are not supported: use sqlite:/// or "
                           "postgresql+psycopg://")  # fmt: skip


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30},
                           hide_parameters=True)  # fmt: skip

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, record: Any) -> None:
        del record
        dbapi.isolation_level = None  # transactions are begun below, not by the driver
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "busy_timeout = 30000",
                       "foreign_keys = ON"):  # fmt: skip
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 if missing; refuse a link or anything not a file."""
    if not path.parent.is_dir():
        raise DatabaseUrlError(f"{path.parent}: no such folder for the database")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as err:
        raise DatabaseUrlError(f"{path}: cannot be opened ({err.strerror})") from err
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DatabaseUrlError(f"{path}: is not a regular file")
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
