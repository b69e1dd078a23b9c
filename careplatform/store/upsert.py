"""``INSERT … ON CONFLICT`` for whichever database the platform runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing``/``_do_update``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
