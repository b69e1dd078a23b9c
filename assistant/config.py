"""Settings: package defaults, then ``$XIAOAN_HOME/config.yaml``, then ``XIAOAN_<NAME>``.

Every path derives from one base directory, ``XIAOAN_HOME`` (default: the per-user data
directory, e.g. ``~/.local/share/xiaoan``), never from the working directory. Settings are
a frozen dataclass; a mistake names the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ConfigError

LANGUAGES = ("zh", "en")
_ENV_PREFIX = "XIAOAN_"


@dataclass(frozen=True)
class Paths:
    """Where the assistant keeps its files, all below one base directory."""

    home: Path

    @property
    def config_file(self) -> Path:
        """The site settings file (YAML)."""
        return self.home / "config.yaml"

    @property
    def data_dir(self) -> Path:
        """Databases and state."""
        return self.home / "data"

    @property
    def models_dir(self) -> Path:
        """Installed speech models, one folder per language."""
        return self.home / "models"

    @property
    def logs_dir(self) -> Path:
        """Rotated log files."""
        return self.home / "logs"


@dataclass(frozen=True)
class Settings:
    """The assistant's settings; each is also ``XIAOAN_<NAME>`` in the environment."""

    lang: str = "zh"
    """Language of the elder: ``zh`` (Mandarin) or ``en``."""

    timezone: str = "Asia/Shanghai"
    """IANA timezone that relative dates and times (明天上午) are resolved in."""

    log_level: str = "WARNING"
    """Log level of the assistant's own log: DEBUG, INFO, WARNING or ERROR."""

    @property
    def tz(self) -> ZoneInfo:
        """The timezone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)


def _check_lang(value: str) -> str | None:
    return None if value in LANGUAGES else f"write one of: {', '.join(LANGUAGES)}"


def _check_timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "write an IANA timezone such as Asia/Shanghai"
    return None


def _check_log_level(value: str) -> str | None:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    return None if value.upper() in levels else f"write one of: {', '.join(levels)}"


_CHECKS: dict[str, Callable[[str], str | None]] = {
    "lang": _check_lang,
    "timezone": _check_timezone,
    "log_level": _check_log_level,
}


def default_home(env: Mapping[str, str]) -> Path:
    """``XIAOAN_HOME`` if set, else the per-user data directory."""
    if env.get("XIAOAN_HOME"):
        return Path(env["XIAOAN_HOME"]).expanduser()
    return Path(platformdirs.user_data_dir("xiaoan", appauthor=False))


def load_settings(env: Mapping[str, str] | None = None) -> tuple[Settings, Paths]:
    """Read settings: defaults, then the site file, then ``XIAOAN_<NAME>`` variables."""
    env = os.environ if env is None else env
    paths = Paths(default_home(env))
    values: dict[str, str] = {}
    if paths.config_file.exists():
        values.update(_read_file(paths.config_file))
    for field in fields(Settings):
        name = _ENV_PREFIX + field.name.upper()
        if name in env:
            values[field.name] = env[name]
            _check(field.name, env[name], f"environment variable {name}")
    return Settings(**values), paths


def _read_file(path: Path) -> dict[str, str]:
    """Read and check the site settings file; every mistake is reported at once."""
    try:
        data: Any = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({err}): fix its permissions") from err
    except YAMLError as err:
        raise ConfigError(f"{path}: is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: must be a list of `name: value` lines")
    known = [f.name for f in fields(Settings)]
    problems: list[str] = []
    values: dict[str, str] = {}
    for key, value in data.items():
        where = f"{path}, line {_line_of(data, key)}"
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(known)}"
            problems.append(f"{where}: unknown setting `{key}`: {hint}")
            continue
        message = _CHECKS[key](str(value))
        if message:
            problems.append(f"{where}: {key} `{value}` is not valid: {message}")
        values[key] = str(value)
    if problems:
        raise ConfigError("\n".join(problems))
    return values


def _line_of(data: Any, key: object) -> int:
    try:
        return int(data.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def _check(name: str, value: str, where: str) -> None:
    message = _CHECKS[name](value)
    if message:
        raise ConfigError(f"{where}: `{value}` is not a valid {name}: {message}")
