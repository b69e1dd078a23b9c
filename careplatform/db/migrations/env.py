"""Alembic's environment: migrates the database the platform's command names
(``xiaoan-platform migrate``), on the connection it hands over."""

from __future__ import annotations

from alembic import context

from careplatform.db.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `xiaoan-platform migrate`")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")  # fmt: skip
with context.begin_transaction():
    context.run_migrations()
