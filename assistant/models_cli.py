"""``assistant models ...``: install, verify, list and remove speech models (placeholder)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Speech models: list, install, verify, remove.", no_args_is_help=True)
