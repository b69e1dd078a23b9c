"""Settings: package defaults, then ``$XIAOAN_HOME/config.yaml``, then ``XIAOAN_<NAME>``.

Every path derives from one base directory, ``XIAOAN_HOME`` (default: the per-user data
directory, e.g. ``~/.local/share/xiaoan``), never from the working directory. Settings are
a frozen dataclass; a mistake names the file, the line and the fix.

A mistake never keeps XiaoAn from starting (under systemd that would be a restart loop and
a mute device): ``load_settings`` leaves a bad setting at its default and lists the mistake
in ``Settings.problems``, which ``doctor``, ``status`` and the heartbeat show. Only
``load_settings(strict=True)`` (``assistant config validate``) refuses the file.
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from assistant.errors import ConfigError
from assistant.storage import files
from assistant.storage.yaml_limits import SETTINGS_BYTES, over_limits

_LOGGER = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
_ENV_PREFIX = "XIAOAN_"


@dataclass(frozen=True)
class Paths:
    """Where the assistant keeps its files, all below one base directory."""

    home: Path

    def make_private(self) -> None:
        """Create the home (mode 0700), or narrow an existing one of ours to 0700: it holds
        health data, names and the device secret (PIPL)."""
        try:
            files.private_folder(self.home)
            info = self.home.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
                files.chmod_own(self.home, 0o700)
        except OSError:
            pass  # opening the database names the folder and the fix

    @property
    def config_file(self) -> Path:
        """The site settings file (YAML)."""
        return self.home / "config.yaml"

    @property
    def data_dir(self) -> Path:
        """Databases and state."""
        return self.home / "data"

    @property
    def database(self) -> Path:
        """The local database: outbox, health readings, doses, reminders, the schedule in
        force, cache (``assistant.storage.database``)."""
        return self.data_dir / "xiaoan.db"

    @property
    def models_dir(self) -> Path:
        """Installed speech models, one folder per language."""
        return self.home / "models"

    @property
    def schedule_file(self) -> Path:
        """The family's reminder schedule (YAML; ``assistant reminders example``)."""
        return self.home / "schedule.yaml"

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

    address_form: str = ""
    """How XiaoAn addresses the elder (王奶奶); empty: no form of address."""

    elder_name: str = ""
    """The elder's full name (王秀英), for the summaries service providers read."""

    elder_address: str = ""
    """Where the elder lives (3栋2单元501), for the summaries service providers read."""

    platform_url: str = ""
    """Base URL of the care platform; ``https://`` (``http://`` only for 127.0.0.1 or
    localhost, the reference server). Empty: requests wait in the outbox."""

    platform_lang: str = "zh"
    """Language of the one-line summaries that service providers read: ``zh`` or ``en``."""

    device_id: str = ""
    """This device's id at the platform."""

    device_secret: str = field(default="", repr=False)
    """The per-device signing secret (hex). Prefer ``device_secret_file``."""

    device_secret_file: str = "device_secret"
    """File holding the secret (mode 0600), relative to ``XIAOAN_HOME``."""

    emergency_ack_timeout_s: float = 30.0
    """Seconds an emergency may go unacknowledged before XiaoAn says so and asks the
    platform to notify the family (seconds)."""

    followup_timeout_s: float = 10.0
    """Seconds XiaoAn waits for the answer to its question before asking once more."""

    request_timeout_s: float = 5.0
    """Timeout of one HTTP request to the platform (seconds)."""

    read_timeout_s: float = 2.0
    """Timeout of a lookup the elder waits for (menu, status), before the cache (seconds)."""

    retry_max_s: float = 300.0
    """Longest wait between two attempts at a request that is not an emergency (seconds;
    emergencies are retried at most 10 s apart, whatever this says)."""

    retention_days: int = 30
    """Days a delivered request is kept in the outbox before it is purged."""

    disk_reserve_mb: int = 16
    """Space kept on the disk for the emergency path, released when the disk is full
    (``assistant.storage.space``)."""

    schedule_source: str = "file"
    """Where the reminder schedule comes from: ``file`` (``$XIAOAN_HOME/schedule.yaml``,
    taken up when it changes) or ``platform`` (``GET /v1/schedule``, polled)."""

    schedule_poll_s: float = 600.0
    """Seconds between two looks at the platform's schedule (``schedule_source: platform``)."""

    heartbeat_s: float = 60.0
    """Seconds between two heartbeats to the platform (uptime, outbox backlog, last
    problem), so the platform sees a device go quiet."""

    audio_input: str = ""
    """Microphone: a device index or part of its name; empty: the system's default input."""

    audio_output: str = ""
    """Speaker: a device index or part of its name; empty: the system's default output."""

    model_dir: str = ""
    """A Vosk model folder (relative to ``XIAOAN_HOME``) to use instead of the installed
    model of the language (``$XIAOAN_HOME/models/<lang>``); ``--model DIR`` overrides it."""

    wake_phrase: str = ""
    """The wake phrase; empty: the language's default (小安小安; ``hello assistant``)."""

    wake_threshold: float = 0.6
    """Least confidence (0–1) of the wake phrase's words before XiaoAn wakes."""

    wake_repeats: int = 2
    """Consecutive partial results (about 0.1 s each) that must hold the wake phrase."""

    wake_refractory_s: float = 2.0
    """Seconds after waking (and after XiaoAn spoke) in which the wake phrase is ignored."""

    speech_end_ms: int = 300
    """Trailing silence that ends an utterance (milliseconds)."""

    vad_threshold: float = 0.5
    """Probability (0–1) of speech above which a 32 ms window counts as speech."""

    max_utterance_s: float = 15.0
    """Longest utterance; listening stops there (seconds)."""

    no_speech_timeout_s: float = 6.0
    """After waking, how long XiaoAn waits for speech to begin (seconds)."""

    second_pass: bool = True
    """When nothing was understood, decode again restricted to the intent sentences' words."""

    number_medical: str = "120"
    """The number for an ambulance, said when an alarm is not acknowledged (120 in China)."""

    number_fire: str = "119"
    """The fire brigade's number (119 in China)."""

    number_police: str = "110"
    """The police's number (110 in China)."""

    button_pin: int = 0
    """The help button's GPIO pin (BCM number, 2–27), wired to ground; 0: no button."""

    led_pin: int = 0
    """The status LED's GPIO pin (BCM number, 2–27); 0: no LED."""

    neural_voice: str = ""
    """A Piper voice (``.onnx``, its ``.onnx.json`` beside it; relative to ``XIAOAN_HOME``)
    that speaks instead of espeak-ng; empty, or one that fails to load: espeak-ng."""

    speech_rate: int = 140
    """Speaking rate in words per minute (espeak-ng's own default is 175)."""

    earcon: bool = True
    """Play a short tone when XiaoAn starts listening."""

    problems: tuple[str, ...] = field(default=(), compare=False)
    """Not a setting: the mistakes left aside when the settings were read (each names the
    file or variable, the line and the fix; the setting kept its default)."""

    @property
    def tz(self) -> ZoneInfo:
        """The timezone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)


def _check_schedule_source(value: str) -> str | None:
    return None if value in ("file", "platform") else "write file or platform"


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


def _check_url(value: str) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError:
        return "write a URL such as https://platform.example.org"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return None
    return "write an https:// URL (http:// is allowed only for 127.0.0.1 or localhost)"


def _check_secret(value: str) -> str | None:
    if not value:
        return None
    if _HEX.fullmatch(value) and len(value) % 2 == 0:
        return None
    return "write the secret as an even number of hexadecimal digits, at least 32"


def _check_device_id(value: str) -> str | None:
    if not value or _DEVICE_ID.fullmatch(value):
        return None
    return "write 1 to 64 letters, digits, dots, dashes or underscores (e.g. xiaoan-0001)"


def _check_retry_max(value: str) -> str | None:
    message = _check_positive(value)
    if message is None and float(value) > 300:
        return "write at most 300 (seconds): a request may not wait longer between tries"
    return message


def _check_positive(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return "write a number of seconds, e.g. 30"
    if not math.isfinite(number):
        return "write a finite number of seconds, e.g. 30"
    return None if number > 0 else "write a number above 0"


def _seconds_up_to(maximum: float) -> Callable[[str], str | None]:
    """A check of a positive, finite number of seconds no larger than ``maximum``: what
    passes validation must work (``.inf`` or 1e300 would overflow every wait)."""

    def check(value: str) -> str | None:
        message = _check_positive(value)
        if message is None and float(value) > maximum:
            return f"write at most {maximum:g} (seconds)"
        return message

    return check


def _check_fraction(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return "write a number between 0 and 1, e.g. 0.5"
    return None if 0 < number < 1 else "write a number between 0 and 1, e.g. 0.5"


def _whole(value: str) -> int | None:
    """A whole number written in ASCII digits (not ², not 1e9), else None."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _check_count(value: str) -> str | None:
    number = _whole(value)
    return None if number and number <= 100_000 else "write a whole number from 1 to 100000"


def _check_bool(value: str) -> str | None:
    return None if value.lower() in _BOOLS else "write true or false"


def _check_rate(value: str) -> str | None:
    number = _whole(value)
    ok = number is not None and 60 <= number <= 300
    return None if ok else "write words per minute between 60 and 300, e.g. 140"


def _check_days(value: str) -> str | None:
    number = _whole(value)
    ok = number is not None and 0 < number <= 3650
    return None if ok else "write a whole number of days from 1 to 3650, e.g. 30"


def _check_phone_number(value: str) -> str | None:
    ok = value.isascii() and value.isdigit() and 2 <= len(value) <= 8
    return None if ok else "write the emergency number in digits, e.g. 120 (or 999, 112)"


def _check_pin(value: str) -> str | None:
    number = _whole(value)
    ok = number is not None and (number == 0 or 2 <= number <= 27)
    return None if ok else "write a GPIO number (BCM) from 2 to 27, or 0 for none"


def _check_reserve(value: str) -> str | None:
    number = _whole(value)
    ok = number is not None and 1 <= number <= 1024
    return None if ok else "write a whole number of MB from 1 to 1024, e.g. 16"


_BOOLS = {"true": True, "yes": True, "on": True, "1": True,
          "false": False, "no": False, "off": False, "0": False}  # fmt: skip
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CHECKS: dict[str, Callable[[str], str | None]] = {
    "lang": _check_lang,
    "platform_lang": _check_lang,
    "timezone": _check_timezone,
    "log_level": _check_log_level,
    "platform_url": _check_url,
    "device_secret": _check_secret,
    "emergency_ack_timeout_s": _seconds_up_to(600),
    "followup_timeout_s": _seconds_up_to(120),
    "request_timeout_s": _seconds_up_to(120),
    "read_timeout_s": _seconds_up_to(60),
    "retry_max_s": _check_retry_max,
    "device_id": _check_device_id,
    "retention_days": _check_days,
    "disk_reserve_mb": _check_reserve,
    "button_pin": _check_pin,
    "number_medical": _check_phone_number,
    "number_fire": _check_phone_number,
    "number_police": _check_phone_number,
    "led_pin": _check_pin,
    "schedule_source": _check_schedule_source,
    "schedule_poll_s": _seconds_up_to(86_400),
    "heartbeat_s": _seconds_up_to(86_400),
    "wake_threshold": _check_fraction,
    "wake_repeats": _check_count,
    "wake_refractory_s": _seconds_up_to(60),
    "speech_end_ms": _check_count,
    "vad_threshold": _check_fraction,
    "max_utterance_s": _seconds_up_to(300),
    "no_speech_timeout_s": _seconds_up_to(300),
    "second_pass": _check_bool,
    "speech_rate": _check_rate,
    "earcon": _check_bool,
}
_SECRETS = frozenset({"device_secret"})
"""Settings that never come from the site file (copied, shown and edited by hand): they come
from the environment or their own 0600 file."""


def setting_names() -> list[str]:
    """The names of the settings, in their order."""
    return [f.name for f in fields(Settings) if f.name != "problems"]


def default_home(env: Mapping[str, str]) -> Path:
    """``XIAOAN_HOME`` if set, else the per-user data directory."""
    if env.get("XIAOAN_HOME"):
        raw = env["XIAOAN_HOME"]
        try:
            home = Path(raw).expanduser()
        except RuntimeError as err:  # ~nosuchuser/x
            raise ConfigError(
                f"XIAOAN_HOME `{raw}`: {err}: write a full path, e.g. /var/lib/xiaoan"
            ) from err
        if len(str(home)) > 1024 or any(len(part.encode()) > 255 for part in home.parts):
            raise ConfigError(
                f"XIAOAN_HOME is {len(raw)} characters long: no folder can have that name: "
                "write a short full path, e.g. /var/lib/xiaoan"
            )
        return home
    return Path(platformdirs.user_data_dir("xiaoan", appauthor=False))


def load_settings(
    env: Mapping[str, str] | None = None, *, strict: bool = False
) -> tuple[Settings, Paths]:
    """Read settings: defaults, then the site file, then ``XIAOAN_<NAME>`` variables.

    A mistake leaves that setting at its default (a file that cannot be read at all: every
    setting) and is listed in ``Settings.problems``; with ``strict`` every mistake raises
    ``ConfigError`` instead."""
    env = os.environ if env is None else env
    paths = Paths(default_home(env))
    values: dict[str, str] = {}
    problems: list[str] = []
    if paths.config_file.exists() or paths.config_file.is_symlink():
        try:
            good, found = _read_file(paths.config_file)
        except ConfigError as err:  # not readable, not YAML: all at their defaults
            good, found = {}, [f"{err}; every setting of it is at its default"]
        values.update(good)
        problems += found
    for name in setting_names():
        variable = _ENV_PREFIX + name.upper()
        if variable in env:
            message = _problem(name, env[variable])
            if message:
                wrong = _shown(env[variable])
                problems.append(f"environment variable {variable}: `{wrong}` is not a "
                                f"valid {name}: {message}; {name} is at its default")  # fmt: skip
            else:
                values[name] = env[variable]
    if "device_secret" not in values:
        secret_file = paths.home / values.get("device_secret_file", Settings.device_secret_file)
        try:
            values["device_secret"] = read_secret(secret_file)
        except ConfigError as err:
            problems.append(f"{err}; until then the device is not paired")
    if strict and problems:
        raise ConfigError("\n".join(problems))
    for problem in problems:
        _LOGGER.warning("%s", problem)
    return Settings(**_typed(values), problems=tuple(problems)), paths


def read_secret(path: Path) -> str:
    """The device secret from its file ("" when there is none); the file must be 0600."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return ""
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err}): fix its permissions") from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: the device secret is readable by others: run `chmod 600 {path}`"
        )
    try:
        value = files.read_small(path, 4096).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"{path}: the device secret cannot be read ({err}): pair the device again "
            "with `assistant register`"
        ) from err
    message = _check_secret(value)
    if message:
        raise ConfigError(f"{path}: the device secret is not valid: {message}")
    return value


def _typed(values: Mapping[str, str]) -> dict[str, Any]:
    """Checked strings converted to each field's type (str, int, float or bool)."""
    types = {f.name: f.type for f in fields(Settings)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types[name]
        if kind == "bool":
            out[name] = _BOOLS[value.lower()]
        else:
            out[name] = int(value) if kind == "int" else float(value) if kind == "float" else value
    return out


def _read_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """Read and check the site settings file: the good settings, and every mistake."""
    return check_site_data(read_site_data(path), path)


def read_site_data(path: Path) -> Any:
    """The site settings file as ruamel's round-trip data, read within the limits (a pipe,
    a device, a file over 16 KiB, deep nesting or an alias is a ``ConfigError``)."""
    try:
        text = files.read_small(path, SETTINGS_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({err}): fix it or remove it") from err
    return _site_data(text, path)


def read_site_text(text: str, path: Path) -> dict[str, str]:
    """Check the text of a site settings file (``path`` names it in messages); every
    mistake at once raises ``ConfigError``."""
    values, problems = check_site_data(_site_data(text, path), path)
    if problems:
        raise ConfigError("\n".join(problems))
    return values


def _site_data(text: str, path: Path) -> Any:
    over = over_limits(text, SETTINGS_BYTES)
    if over is not None:
        where = f"{path}, line {over.line}" if over.line else str(path)
        raise ConfigError(f"{where}: {over.words()}")
    try:
        return YAML(typ="rt").load(text)
    except (YAMLError, RecursionError) as err:
        raise ConfigError(f"{path}: is not valid YAML: {err}") from err


def check_site_data(data: Any, path: Path) -> tuple[dict[str, str], list[str]]:
    """The good settings of a site settings file's data, and its mistakes (one line each,
    naming the file, the line and the fix). Data that is not a mapping raises
    ``ConfigError``: nothing of it can be used."""
    if data is None:
        return {}, []
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: must be a list of `name: value` lines")
    known = setting_names()
    problems: list[str] = []
    values: dict[str, str] = {}
    for key, value in data.items():
        where = f"{path}, line {line_of(data, key)}"
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(known)}"
            problems.append(f"{where}: unknown setting `{key}`: {hint}")
            continue
        if key in _SECRETS:
            problems.append(
                f"{where}: `{key}` does not belong in this file: put the secret in the file "
                f"named by device_secret_file (mode 0600) or in XIAOAN_{key.upper()}"
            )
            continue
        if isinstance(value, Mapping | list):
            problems.append(f"{where}: {key} must be one value, not a list or a mapping")
            continue
        message = _problem(key, str(value))
        if message:
            problems.append(f"{where}: {key} `{_shown(str(value))}` is not valid: {message}")
            continue
        values[key] = str(value)
    return values, problems


def check_setting(name: str, value: str) -> None:
    """A setting as ``assistant config set`` would write it; ``ConfigError`` says the fix."""
    known = setting_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "`assistant config show` lists them"
        raise ConfigError(f"unknown setting `{name}`: {hint}")
    if name in _SECRETS:
        raise ConfigError(
            f"`{name}` is not kept in config.yaml: pair the device with `assistant register`"
        )
    _check(name, value, f"setting {name}")


def typed_value(name: str, value: str) -> Any:
    """A checked setting's value as its field's type (for writing YAML)."""
    return _typed({name: value})[name]


def line_of(data: Any, key: object) -> int:
    """The line (from 1) of ``key`` in a mapping ruamel.yaml read; 0 when unknown."""
    try:
        return int(data.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 0


RUNNING_YEARS = (2000, 2100)
"""Where a running clock may start (the schedule's dates are checked in the same range)."""


def parse_moment(value: str, tz: ZoneInfo, option: str = "--now", running: bool = True) -> datetime:
    """An ISO 8601 time given on the command line; without an offset, in ``tz``. A clock
    that runs (``running``: reminders, requests) must start within ``RUNNING_YEARS``; the
    moment one utterance is understood at (``assistant parse``) may be any."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise ConfigError(
            f"{option} `{_shown(value)}` is not an ISO 8601 time: write e.g. "
            "2026-11-22T10:00:00+08:00"
        ) from err
    moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if running and not RUNNING_YEARS[0] <= moment.year <= RUNNING_YEARS[1]:
        raise ConfigError(
            f"{option} `{_shown(value)}`: a clock that runs (reminders, requests) must start "
            f"between {RUNNING_YEARS[0]} and {RUNNING_YEARS[1]}: write e.g. "
            "2026-11-22T10:00:00+08:00"
        )
    return moment


def _shown(value: str, most: int = 60) -> str:
    """A wrong value as a message quotes it: at most ``most`` characters, control
    characters escaped (it may be anything a file or a variable held)."""
    cut = value if len(value) <= most else value[: most - 1] + "…"
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in cut)  # fmt: skip


MAX_TEXT = 500
"""The longest value of any setting (a URL, a name, an address)."""


def _problem(name: str, value: str) -> str | None:
    """What is wrong with ``value`` for setting ``name`` (None: nothing)."""
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        return "write it without control characters (a NUL, a tab, a line break, an escape)"
    if len(value) > MAX_TEXT:
        return f"write at most {MAX_TEXT} characters"
    return _CHECKS[name](value) if name in _CHECKS else None


def _check(name: str, value: str, where: str) -> None:
    message = _problem(name, value)
    if message:
        raise ConfigError(f"{where}: `{_shown(value)}` is not a valid {name}: {message}")


def write_setting(key: str, value: str | None) -> Path:
    """Set (or, with None, remove) a checked setting in ``config.yaml``; the file is checked
    whole before it replaces the old one."""
    path = Paths(default_home(os.environ)).config_file
    yaml = YAML(typ="rt")
    data: Any = read_site_data(path) if path.exists() or path.is_symlink() else None
    if data is not None and not isinstance(data, CommentedMap):
        raise ConfigError(f"{path}: must be a list of `name: value` lines: correct it or "
                          "remove it, then set the setting again")  # fmt: skip
    data = data if data is not None else CommentedMap()
    if value is None:
        data.pop(key, None)
    else:
        data[key] = typed_value(key, value)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    text = buffer.getvalue() if data else ""
    read_site_text(text, path)  # every other line still good: else nothing is written
    try:
        files.write_private(path, text.encode("utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot be written ({err.strerror}): check that "
                          f"{path.parent} is a writable folder") from err  # fmt: skip
    return path
