"""Bringing a database to the current tables with Alembic (``xiaoan-platform migrate``;
``serve`` does it at start too, under a lock so that two processes do not race)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from careplatform.db.engine import Database


def _config() -> Config:
    config = Config()
    location = resources.files("careplatform.db").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    return config


def head() -> str:
    """The newest migration's revision."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None, "careplatform/db/migrations has no revisions"
    return found


def current(db: Database) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with db.writer.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Migrate to the newest revision; (the revision before, the revision now)."""
    before = current(db)
    config = _config()
    with db.writer.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, head()
