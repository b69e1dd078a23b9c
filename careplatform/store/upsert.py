"""What differs between the databases the platform runs on: ``INSERT … ON CONFLICT``, and
serialising the transactions that count something before they add to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing``/``_do_update``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def lock_scope(conn: Connection, scope: str) -> None:
    """Hold ``scope`` for the rest of the transaction: two transactions counting the
    same scope's attempts then adding one run one after the other. (SQLite's write
    transactions are serialised already: ``BEGIN IMMEDIATE``.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:scope))"), {"scope": scope})
