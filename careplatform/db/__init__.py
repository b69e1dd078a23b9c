"""The platform's database: tables, opening a URL, migrations."""
