"""XiaoAn as a supervised systemd service: the unit, its system user, the technician's wrapper.

``render_unit``, ``render_sysusers`` and ``render_wrapper`` turn a ``ServiceSpec`` into the
text of the three files (pure). ``check_spec`` refuses values the files cannot carry;
``blocked`` finds the folder or file that keeps the service user from running the
executable (a venv under ``/home/pi``, which is mode 0700), judged on mode bits alone.
``Installer`` writes the files below a root folder (``/``, or ``--root DIR`` for an image or
a test: then nothing outside DIR is touched and no running systemd is needed) and runs
``systemd-sysusers`` and ``systemctl``; each step says what it did in one line.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from assistant.errors import AssistantError, ConfigError

WATCHDOG_S = 30
"""``WatchdogSec=`` of the unit: systemd restarts XiaoAn when its loop has not said it is
alive for this long (the running assistant reads ``WATCHDOG_USEC``)."""
UNIT_NAME = "xiaoan.service"


def systemd_running() -> bool:
    """Whether this machine was booted with systemd (and so has one to tell)."""
    return Path("/run/systemd/system").is_dir()


UNIT_PATH = PurePosixPath("/etc/systemd/system") / UNIT_NAME
SYSUSERS_PATH = PurePosixPath("/etc/sysusers.d/xiaoan.conf")
WRAPPER_PATH = PurePosixPath("/usr/local/bin/assistant")
WANTS_LINK = PurePosixPath("/etc/systemd/system/multi-user.target.wants") / UNIT_NAME
COMMENT = "XiaoAn voice assistant"
NOLOGIN = "/usr/sbin/nologin"
WRAPPER_MARK = "# XiaoAn technician wrapper"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "raspberry-pi.md"
"""The installation guide in the checkout the running code comes from."""
FIX_LOCATION = "install XiaoAn under /opt/xiaoan (see docs/raspberry-pi.md)"

_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,30}")
_SAFE_PATH = re.compile(r"(/[A-Za-z0-9._+-]+)+")
_VOLATILE = ("/tmp", "/var/tmp", "/run", "/dev", "/proc", "/sys")
_SYSTEM = ("/usr", "/etc", "/boot", "/bin", "/sbin", "/lib", "/lib64", *_VOLATILE)
_SHARED = ("/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/local", "/usr/local")
_READ, _RUN = 4, 1


def default_executable() -> Path:
    """The ``assistant`` script of the running interpreter's environment (its venv)."""
    return Path(sys.executable).parent / "assistant"


@dataclass(frozen=True)
class ServiceSpec:
    """What the service runs, as whom, and where its files live."""

    executable: Path
    """The ``assistant`` script systemd starts (``ExecStart=… run --service``)."""
    user: str = "xiaoan"
    """The dedicated system user (and its group) the service runs as."""
    home: Path = Path("/var/lib/xiaoan")
    """``XIAOAN_HOME`` of the service: settings, models, the outbox; mode 0700."""
    watchdog_s: int = WATCHDOG_S
    """``WatchdogSec=``, in seconds."""
    docs: Path = field(default=DOCS)
    """``Documentation=``: the installation guide."""

    @property
    def state_directory(self) -> str | None:
        """``StateDirectory=`` (relative to /var/lib) when the home is below /var/lib."""
        home = PurePosixPath(self.home)
        if home.is_relative_to("/var/lib") and home != PurePosixPath("/var/lib"):
            return str(home.relative_to("/var/lib"))
        return None


def render_unit(spec: ServiceSpec) -> str:
    """The text of ``/etc/systemd/system/xiaoan.service``."""
    state = spec.state_directory
    state_lines = [f"StateDirectory={state}", "StateDirectoryMode=0700"] if state else []
    lines = [
        "# XiaoAn, supervised by systemd; written by `assistant service install`.",
        "[Unit]",
        "Description=XiaoAn offline voice assistant",
        f"Documentation={spec.docs.as_uri()}",
        "After=network-online.target sound.target",
        "Wants=network-online.target sound.target",
        "# Never stop restarting: the elder relies on it.",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "# Started once it says READY=1; restarted when its WATCHDOG=1 pings stop.",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={spec.executable} run --service",
        f"WatchdogSec={spec.watchdog_s}",
        "Restart=always",
        "RestartSec=5",
        "TimeoutStopSec=15",
        f"User={spec.user}",
        f"Group={spec.user}",
        "SupplementaryGroups=audio",
        f"Environment=XIAOAN_HOME={spec.home}",
        "Environment=PYTHONUNBUFFERED=1",
        f"WorkingDirectory={spec.home}",
        *state_lines,
        "UMask=0077",
        "StandardOutput=journal",
        "StandardError=journal",
        "SyslogIdentifier=xiaoan",
        "# Hardening that keeps /dev/snd (no PrivateDevices=) and a venv under /opt readable.",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        f"ReadWritePaths={spec.home}",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def render_sysusers(spec: ServiceSpec) -> str:
    """The text of ``/etc/sysusers.d/xiaoan.conf``: the system user, in the audio group."""
    return (
        "# XiaoAn's service user (sysusers.d(5)); written by `assistant service install`.\n"
        f'u {spec.user} - "{COMMENT}" {spec.home} {NOLOGIN}\n'
        f"m {spec.user} audio\n"
    )


def render_wrapper(spec: ServiceSpec) -> str:
    """The text of ``/usr/local/bin/assistant``: the real one, run as the service user."""
    user, home, real = (shlex.quote(str(v)) for v in (spec.user, spec.home, spec.executable))
    return (
        "#!/bin/sh\n"
        f"{WRAPPER_MARK}, written by `assistant service install`:\n"
        f"# runs {spec.executable} as {spec.user}, with the service's XIAOAN_HOME.\n"
        f'if [ "$(id -un)" = {user} ]; then\n'
        f"    XIAOAN_HOME={home}\n"
        "    export XIAOAN_HOME\n"
        f'    exec {real} "$@"\n'
        "fi\n"
        f'exec sudo -u {user} XIAOAN_HOME={home} {real} "$@"\n'
    )


def check_spec(spec: ServiceSpec) -> None:
    """Refuse a user name, home or executable the unit and the wrapper cannot carry."""
    if not _USER_NAME.fullmatch(spec.user) or spec.user == "root":
        raise ConfigError(
            f"--user `{spec.user}` is not a name for a system user: use lowercase "
            "letters, digits, _ and - (at most 31), not root, e.g. --user xiaoan"
        )
    for option, path in (("--home", spec.home), ("--exec", spec.executable)):
        if not _SAFE_PATH.fullmatch(str(path)) or ".." in PurePosixPath(path).parts:
            raise ConfigError(
                f"{option} `{path}` must be an absolute path of letters, digits "
                "and . _ + - (no spaces, no ..), e.g. /var/lib/xiaoan"
            )
    check_home(PurePosixPath(spec.home))
    if spec.watchdog_s <= 0:
        raise ConfigError(f"watchdog of {spec.watchdog_s} s: give a positive number of seconds")


def check_home(home: PurePosixPath) -> None:
    """Refuse a home that would be lost, or that is a system or shared folder: the service
    owns its home (mode 0700) and ``uninstall --purge`` deletes it."""
    if any(home.is_relative_to(v) for v in _VOLATILE):
        raise ConfigError(
            f"--home {home} would be lost (PrivateTmp, or memory only): "
            "choose a lasting folder, e.g. --home /var/lib/xiaoan"
        )
    shared = str(home) in _SHARED or any(home.is_relative_to(s) for s in _SYSTEM)
    shared = shared or home.parent == PurePosixPath("/home")  # a person's home folder
    if len(home.parts) < 3 or shared:
        raise ConfigError(
            f"--home {home} is a system folder or a person's, and the service would own it: "
            "give it a folder of its own, e.g. --home /var/lib/xiaoan"
        )


def require_root(euid: int, command: list[str]) -> None:
    """Refuse to install or uninstall unless running as root (``euid`` 0)."""
    if euid != 0:
        raise AssistantError(
            f"changing a system service needs root: run it with sudo: sudo {shlex.join(command)}"
        )


@dataclass(frozen=True)
class Account:
    """Who the service runs as, for permission checks."""

    uid: int | None
    """None: the user does not exist yet (it will own nothing)."""
    gids: frozenset[int]
    """Its primary group and the groups it is (or will be) a member of."""


@dataclass(frozen=True)
class Blocked:
    """A path the service user cannot get through, and why."""

    path: PurePosixPath
    """As the service sees it (inside the root)."""
    reason: str
    mode: int | None = None
    owner: int | None = None
    interpreter: PurePosixPath | None = None
    """Set when the walk to the script's ``#!`` interpreter was stopped."""


def allows(mode: int, owner: int, group: int, account: Account, need: int) -> bool:
    """Whether mode bits give ``account`` every bit of ``need`` (4 read, 1 run/traverse)."""
    if account.uid is not None and owner == account.uid:
        bits = mode >> 6
    elif group in account.gids:
        bits = mode >> 3
    else:
        bits = mode
    return bits & need == need


def blocked(path: PurePosixPath, account: Account, root: Path = Path("/")) -> Blocked | None:
    """What keeps ``account`` from reading and running ``path`` (and, for a script, its
    ``#!`` interpreter), as seen inside ``root``: every folder on the way must let it pass,
    symbolic links are followed inside ``root``. None: nothing does. ACLs are not read."""
    found = _walk(root, path, account)
    if isinstance(found, Blocked):
        return found
    interpreter = _interpreter(found)
    if interpreter is None:
        return None
    seen = _walk(root, interpreter, account)
    return replace(seen, interpreter=interpreter) if isinstance(seen, Blocked) else None


def _walk(root: Path, path: PurePosixPath, account: Account) -> Path | Blocked:
    """The file ``path`` leads to inside ``root``, or where the walk was stopped."""
    here, todo, hops = PurePosixPath("/"), list(path.parts[1:]), 0
    while todo:
        name = todo.pop(0)
        st = _inside(root, here).stat()
        if not allows(st.st_mode, st.st_uid, st.st_gid, account, _RUN):
            return Blocked(here, "a folder it cannot enter", st.st_mode & 0o7777, st.st_uid)
        if name in (".", ".."):
            here = here.parent if name == ".." else here
            continue
        target = _inside(root, here / name)
        if not target.is_symlink():
            here = here / name
            if not target.exists():
                return Blocked(here, "missing")
            continue
        hops += 1
        if hops > 40:
            return Blocked(here / name, "a loop of symbolic links")
        link = PurePosixPath(os.readlink(target))
        here = PurePosixPath("/") if link.is_absolute() else here
        todo = [p for p in link.parts if p != "/"] + todo
    final = _inside(root, here)
    st = final.stat()
    if not allows(st.st_mode, st.st_uid, st.st_gid, account, _READ | _RUN):
        return Blocked(here, "a file it cannot read and run", st.st_mode & 0o7777, st.st_uid)
    return final


def _inside(root: Path, path: PurePosixPath) -> Path:
    return root / path.relative_to("/")


def _interpreter(script: Path) -> PurePosixPath | None:
    """The absolute ``#!`` interpreter of a script; None for a binary."""
    if script.is_dir():
        return None
    with script.open("rb") as file:
        first = file.readline(256)
    words = first[2:].decode("utf-8", errors="replace").split() if first[:2] == b"#!" else []
    return PurePosixPath(words[0]) if words and words[0].startswith("/") else None


def account_of(user: str, root: Path = Path("/")) -> Account:
    """``user``'s account from ``root``'s /etc/passwd and /etc/group, with the audio group
    it is about to join; uid None when the user does not exist yet."""
    uid, gids = None, set()
    for row in _rows(root / "etc/passwd"):
        if len(row) > 3 and row[0] == user and row[2].isdigit() and row[3].isdigit():
            uid, gids = int(row[2]), {int(row[3])}
    for row in _rows(root / "etc/group"):
        member = row[0] == "audio" or user in row[3].split(",") if len(row) > 3 else False
        if member and row[2].isdigit():
            gids.add(int(row[2]))
    return Account(uid, frozenset(gids))


def _rows(file: Path) -> list[list[str]]:
    if not file.exists():
        return []
    return [line.split(":") for line in file.read_text(encoding="utf-8").splitlines()]
