"""The migrations make exactly the tables the code describes (``careplatform/db/schema.py``):
after ``upgrade``, Alembic's comparison finds nothing to change, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from careplatform.db.engine import open_database, sqlite_url
from careplatform.db.migrate import current, head, upgrade
from careplatform.db.schema import metadata


def test_the_migrations_make_the_described_tables(tmp_path: Path, db_url: str | None) -> None:
    db = open_database(db_url or sqlite_url(tmp_path / "m.db"))
    try:
        assert current(db) is None
        assert upgrade(db) == (None, head())
        assert upgrade(db) == (head(), head())  # again: nothing to do
        with db.writer.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
    finally:
        db.dispose()
