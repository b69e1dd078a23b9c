"""What the platform keeps, over SQLAlchemy Core: one class per part, each method one
transaction, the same on SQLite and PostgreSQL."""
