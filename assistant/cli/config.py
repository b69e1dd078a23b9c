"""``assistant config show | validate | set KEY VALUE | unset KEY``: the site settings.

``show`` prints every setting with where its value comes from (default, the file and its
line, or the environment); secrets are masked. ``set`` checks the value, then the whole
file as it would be, and only then replaces ``config.yaml`` atomically (mode 0600: it may
hold the elder's name and address), keeping its comments. A running assistant takes the
change on its next start (``sudo systemctl restart xiaoan``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.shared import JsonOption

if TYPE_CHECKING:
    from assistant.config import Paths, Settings

app = typer.Typer(
    help="Site settings: show (secrets masked), validate, set KEY VALUE, unset KEY.",
    no_args_is_help=True,
)
_MASKED = frozenset({"device_secret"})
RESTART_HINT = "a running assistant uses it after `sudo systemctl restart xiaoan`"


@dataclass(frozen=True)
class Shown:
    """One setting as ``config show`` prints it."""

    name: str
    value: str
    source: str
    """``default``, ``config.yaml:LINE``, ``environment`` or (the secret) its file."""


def shown_settings(settings: Settings, paths: Paths, env: dict[str, str]) -> list[Shown]:
    """Every setting, masked where secret, with its source."""
    from assistant.config import setting_names

    lines = _file_lines(paths.config_file)
    out = []
    for name in setting_names():
        value = getattr(settings, name)
        env_name = f"XIAOAN_{name.upper()}"
        if env_name in env:
            source = "environment"
        elif name in lines:
            source = f"config.yaml:{lines[name]}"
        elif name == "device_secret" and value:
            source = str(paths.home / settings.device_secret_file)
        else:
            source = "default"
        out.append(Shown(name, _masked(name, value), source))
    return out


def _masked(name: str, value: object) -> str:
    if name in _MASKED:
        return f"set ({len(str(value)) // 2} bytes, hidden)" if value else "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _file_lines(path: Path) -> dict[str, int]:
    from ruamel.yaml.comments import CommentedMap

    from assistant.config import line_of, read_site_data
    from assistant.errors import ConfigError

    if not path.exists():
        return {}
    try:
        data: Any = read_site_data(path)
    except ConfigError:
        return {}
    if not isinstance(data, CommentedMap):
        return {}
    return {str(key): line_of(data, key) for key in data}


@app.command()
def show(as_json: JsonOption = False) -> None:
    """Every setting, where its value comes from, secrets masked."""
    from assistant.config import load_settings

    settings, paths = load_settings()
    rows = shown_settings(settings, paths, dict(os.environ))
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.__dict__, ensure_ascii=False))
        return
    typer.echo(f"# {paths.config_file}")
    width = max(len(row.name) for row in rows)
    for row in rows:
        typer.echo(f"{row.name:<{width}}  {row.value or '(empty)'}   [{row.source}]")


@app.command()
def validate(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Check config.yaml, the environment and the reminder schedule; every mistake at once."""
    from assistant.config import load_settings
    from assistant.reminders.schedule_file import load_schedule_file

    settings, paths = load_settings(strict=True)
    checked = [f"{paths.config_file}: good" if paths.config_file.exists()
               else f"{paths.config_file}: none (defaults in force)"]  # fmt: skip
    if settings.schedule_source == "file" and paths.schedule_file.exists():
        schedule = load_schedule_file(paths.schedule_file)
        checked.append(f"{paths.schedule_file}: good ({len(schedule.medicines)} medicines)")
    if as_json:
        typer.echo(json.dumps({"ok": True, "checked": checked}, ensure_ascii=False))
        return
    for line in checked:
        typer.echo(line)


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="A setting's name (`assistant config show`).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Check a value and write it into config.yaml (atomically, comments kept)."""
    from assistant.config import check_setting, write_setting

    check_setting(key, value)
    path = write_setting(key, value)
    typer.echo(f"{path}: {key} = {_masked(key, value)} ({RESTART_HINT})")


@app.command()
def unset(key: Annotated[str, typer.Argument(help="A setting's name.")]) -> None:
    """Remove a setting from config.yaml: its default applies again."""
    from assistant.config import Settings, check_setting, write_setting

    check_setting(key, str(getattr(Settings(), key, "")))
    path = write_setting(key, None)
    typer.echo(f"{path}: {key} back to its default ({RESTART_HINT})")
