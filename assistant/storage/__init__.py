"""Storage (base layer): the local SQLite database and atomic private files."""
