"""``assistant service …``: XiaoAn as a supervised systemd service.

Verbs: ``unit`` (print the unit file), ``install`` (the unit, the system user, the
technician's ``/usr/local/bin/assistant`` wrapper, the home folder; enable and start) and
``uninstall`` (the same, undone; the home folder stays unless ``--purge``). Both of the
last two need root. With ``--root DIR`` everything happens below DIR (an image, a test) and
no running systemd is needed. Every step prints one line; a failing step stops with the
command's own words. The files' text comes from ``assistant.service``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from assistant.errors import AssistantError, ConfigError
from assistant.service import (
    FIX_LOCATION,
    NOLOGIN,
    SYSUSERS_PATH,
    UNIT_NAME,
    UNIT_PATH,
    WRAPPER_MARK,
    WRAPPER_PATH,
    Blocked,
    ServiceSpec,
    account_of,
    blocked,
    check_home,
    check_spec,
    default_executable,
    render_sysusers,
    render_unit,
    render_wrapper,
    require_root,
)
from assistant.service import systemd_running as booted_with_systemd

app = typer.Typer(
    help="XiaoAn as a systemd service: print the unit, install, uninstall.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

UserOption = Annotated[str, typer.Option("--user", help="The service's own system user.")]
HomeOption = Annotated[
    Path, typer.Option("--home", help="The service's XIAOAN_HOME (mode 0700, owned by --user).")
]
ExecOption = Annotated[
    Path | None,
    typer.Option(
        "--exec",
        help=f"The `assistant` script to run (default: {default_executable()}).",
        show_default=False,
    ),
]
RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Work below this folder (an image, a test): nothing outside "
        "it is touched and no running systemd is needed.",
        show_default=False,
    ),
]

Run = Callable[[list[str]], subprocess.CompletedProcess[str]]
"""Runs one command, capturing its output (``subprocess.run``; tests pass a fake)."""


@app.command()
def unit(
    user: UserOption = "xiaoan",
    home: HomeOption = Path("/var/lib/xiaoan"),
    executable: ExecOption = None,
) -> None:
    """Print the unit file `install` writes, for inspection."""
    spec = ServiceSpec(executable or default_executable(), user, home)
    check_spec(spec)
    sys.stdout.write(render_unit(spec))


@app.command()
def install(
    user: UserOption = "xiaoan",
    home: HomeOption = Path("/var/lib/xiaoan"),
    executable: ExecOption = None,
    root: RootOption = None,
    no_start: Annotated[
        bool, typer.Option("--no-start", help="Enable only: it starts at the next boot.")
    ] = False,
) -> None:
    """Install XiaoAn as a service that starts at boot and is restarted whenever it stops.

    Writes /etc/systemd/system/xiaoan.service, /etc/sysusers.d/xiaoan.conf and the
    /usr/local/bin/assistant wrapper (so `assistant doctor` runs as the service user),
    creates the user and its home, enables the service and (re)starts it. Run it again
    after an upgrade: every step is safe to repeat."""
    require_root(os.geteuid(), [str(default_executable()), *sys.argv[1:]])
    spec = ServiceSpec(executable or default_executable(), user, home)
    Installer(_root(root), _say).install(spec, start=not no_start)


@app.command()
def uninstall(
    root: RootOption = None,
    purge: Annotated[
        bool,
        typer.Option("--purge", help="Also delete the home folder: the elder's data, the outbox."),
    ] = False,
) -> None:
    """Stop and disable the service; remove the unit, the wrapper and the sysusers file.

    The home folder (the elder's settings and data, requests not yet sent) is kept unless
    --purge; the system user is kept."""
    require_root(os.geteuid(), [str(default_executable()), *sys.argv[1:]])
    Installer(_root(root), _say).uninstall(purge)


class Installer:
    """The steps of install and uninstall, below one root folder (None: this machine)."""

    def __init__(
        self,
        root: Path | None,
        say: Callable[[str], None],
        run: Run | None = None,
        which: Callable[[str], str | None] = shutil.which,
        systemd_running: bool | None = None,
    ) -> None:
        self.root = root
        self.base = root or Path("/")
        self.say = say
        self.run = run or _run
        self.which = which
        self.live = root is None and (
            booted_with_systemd() if systemd_running is None else systemd_running
        )
        """Whether a running systemd is told: never below --root."""

    def install(self, spec: ServiceSpec, start: bool) -> None:
        """Write the files, create the user and its home, enable (and start) the service."""
        self.preflight(spec, start)
        self._write(UNIT_PATH, render_unit(spec), 0o644)
        self._write(SYSUSERS_PATH, render_sysusers(spec), 0o644)
        self._write(
            WRAPPER_PATH,
            render_wrapper(spec),
            0o755,
            f": `assistant …` runs {spec.executable} as {spec.user}",
        )
        self._create_user(spec)
        self._make_home(spec)
        start = start and self.root is None
        if start:
            self._systemctl("reload systemd", "daemon-reload")
        self._systemctl("enable the service", "enable", UNIT_NAME)
        self.say(f"enabled {UNIT_NAME}: it starts at every boot")
        if start:
            self._systemctl("start the service", "restart", UNIT_NAME)
            self.say(f"restarted {UNIT_NAME}: `journalctl -u {UNIT_NAME} -f` shows its log")
        else:
            self.say(
                f"not started ({'--root' if self.root else '--no-start'}): "
                "it starts at the next boot"
            )

    def preflight(self, spec: ServiceSpec, start: bool) -> None:
        """Refuse before changing anything: bad values, an executable the user cannot run,
        a home or wrapper that belongs to someone else, no systemd to start the service."""
        if start and self.root is None and not self.live:
            raise AssistantError(
                "systemd is not running on this machine (a container or a "
                "chroot?): add --no-start; the service starts at the next boot"
            )
        check_spec(spec)
        exe = self._at(spec.executable)
        if not exe.is_file():
            where = f" below --root {self.root}" if self.root else ""
            raise ConfigError(
                f"--exec {spec.executable} does not exist{where}: give XiaoAn's "
                "`assistant` script, e.g. --exec /opt/xiaoan/.venv/bin/assistant"
            )
        found = blocked(PurePosixPath(spec.executable), account_of(spec.user, self.base), self.base)
        if found is not None:
            raise ConfigError(
                f"the service user {spec.user} cannot run {spec.executable}: "
                f"{self._describe(found)}: {FIX_LOCATION}"
            )
        self._check_home_owner(spec)
        self._check_wrapper()

    def uninstall(self, purge: bool) -> None:
        """Disable (and stop) the service, remove its files, keep or delete its home."""
        installed = self._installed()
        if self._at(UNIT_PATH).exists():
            now = ["--now"] if self.live else []
            self._systemctl("disable the service", "disable", *now, UNIT_NAME)
            self.say(f"disabled {UNIT_NAME}" + (" and stopped it" if now else ""))
        else:
            self.say(f"{self._at(UNIT_PATH)} is not there: nothing to disable")
        for path in (UNIT_PATH, WRAPPER_PATH, SYSUSERS_PATH):
            self._remove(path)
        if self.live:
            self._systemctl("reload systemd", "daemon-reload")
        if installed is None:
            installed = ServiceSpec.user, PurePosixPath(ServiceSpec.home)
            self.say(f"no unit and no sysusers file: the home is taken to be {installed[1]}")
        user, home = installed
        if purge:
            self._purge(home)
        else:
            self.say(
                f"kept {self._at(home)} (the elder's settings and data, the outbox): "
                "--purge deletes it"
            )
        self.say(f"kept the system user {user}: `sudo userdel {user}` removes it")

    def _at(self, path: PurePosixPath | Path) -> Path:
        return self.base / PurePosixPath(path).relative_to("/")

    def _describe(self, found: Blocked) -> str:
        via = "" if found.interpreter is None else f", on the way to its #! {found.interpreter}"
        if found.mode is None:
            return f"{found.path} is {found.reason}{via}"
        owner = self._user_name(found.owner)
        return f"{found.path} is {found.reason} (mode {found.mode:04o}, owner {owner}){via}"

    def _user_name(self, uid: int | None) -> str:
        for line in _lines(self._at(PurePosixPath("/etc/passwd"))):
            row = line.split(":")
            if len(row) > 2 and row[2] == str(uid):
                return row[0]
        return f"uid {uid}"

    def _check_home_owner(self, spec: ServiceSpec) -> None:
        home = self._at(spec.home)
        if not home.exists():
            return
        owner = home.stat().st_uid
        if owner not in (0, account_of(spec.user, self.base).uid):
            raise ConfigError(
                f"--home {spec.home} belongs to {self._user_name(owner)}: give "
                "the service a folder of its own, e.g. --home /var/lib/xiaoan"
            )

    def _check_wrapper(self) -> None:
        wrapper = self._at(WRAPPER_PATH)
        if wrapper.exists() and not self._is_ours(wrapper):
            raise ConfigError(
                f"{WRAPPER_PATH} exists and is not XiaoAn's wrapper: move it away "
                f"(sudo mv {WRAPPER_PATH} {WRAPPER_PATH}.orig), then run this again"
            )

    @staticmethod
    def _is_ours(wrapper: Path) -> bool:
        return WRAPPER_MARK in wrapper.read_bytes()[:512].decode("utf-8", errors="replace")

    def _write(self, path: PurePosixPath, text: str, mode: int, note: str = "") -> None:
        target = self._at(path)
        temporary = target.with_name(f".{target.name}.new")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, encoding="utf-8")
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as err:
            raise AssistantError(f"cannot write {target}: {err.strerror}") from err
        self.say(f"wrote {target}{note}")

    def _create_user(self, spec: ServiceSpec) -> None:
        conf = self._at(SYSUSERS_PATH)
        root = ["--root", str(self.root)] if self.root else []
        if self.which("systemd-sysusers"):
            command = ["systemd-sysusers", *root, str(conf)]
        elif account_of(spec.user, self.base).uid is not None:
            command = ["usermod", *root, "--append", "--groups", "audio", spec.user]
        else:
            command = [
                "useradd",
                *root,
                "--system",
                "--user-group",
                "--groups",
                "audio",
                "--home-dir",
                str(spec.home),
                "--no-create-home",
                "--shell",
                NOLOGIN,
                "--comment",
                "XiaoAn voice assistant",
                spec.user,
            ]
        self._command("create the user", command)
        if account_of(spec.user, self.base).uid is None:
            raise AssistantError(
                f"`{shlex.join(command)}` did not create the user {spec.user}: "
                f"look at {self._at(PurePosixPath('/etc/passwd'))}"
            )
        self.say(f"user {spec.user}: system user, no login, member of audio ({command[0]})")

    def _make_home(self, spec: ServiceSpec) -> None:
        home = self._at(spec.home)
        uid, gid = self._ids(spec.user)
        try:
            home.mkdir(parents=True, exist_ok=True)
            os.chown(home, uid, gid)
            os.chmod(home, 0o700)
        except OSError as err:
            raise AssistantError(f"cannot prepare the home folder {home}: {err.strerror}") from err
        self.say(f"home {home}: owner {spec.user}, mode 0700")

    def _ids(self, user: str) -> tuple[int, int]:
        for line in _lines(self._at(PurePosixPath("/etc/passwd"))):
            row = line.split(":")
            if len(row) > 3 and row[0] == user:
                return int(row[2]), int(row[3])
        raise AssistantError(f"the user {user} is missing from /etc/passwd: run this again")

    def _installed(self) -> tuple[str, PurePosixPath] | None:
        """The user and home of the installed service: from the unit, else sysusers.d."""
        values = dict(line.split("=", 1) for line in _lines(self._at(UNIT_PATH)) if "=" in line)
        if "User" in values and "WorkingDirectory" in values:
            return values["User"], PurePosixPath(values["WorkingDirectory"])
        for line in _lines(self._at(SYSUSERS_PATH)):
            words = shlex.split(line, comments=True)
            if len(words) > 4 and words[0] == "u":
                return words[1], PurePosixPath(words[4])
        return None

    def _remove(self, path: PurePosixPath) -> None:
        target = self._at(path)
        if path == WRAPPER_PATH and target.exists() and not self._is_ours(target):
            self.say(f"kept {target}: it is not XiaoAn's wrapper")
            return
        try:
            target.unlink()
        except FileNotFoundError:
            self.say(f"{target} is not there")
            return
        except OSError as err:
            raise AssistantError(f"cannot remove {target}: {err.strerror}") from err
        self.say(f"removed {target}")

    def _purge(self, home: PurePosixPath) -> None:
        check_home(home)
        folder = self._at(home)
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            self.say(f"{folder} is not there: nothing to delete")
            return
        except OSError as err:
            raise AssistantError(f"cannot delete {folder}: {err.strerror}") from err
        self.say(f"deleted {folder} (--purge): the elder's settings and data, the outbox")

    def _systemctl(self, step: str, *args: str) -> None:
        root = ["--root", str(self.root)] if self.root else []
        self._command(step, ["systemctl", *root, *args])

    def _command(self, step: str, command: list[str]) -> None:
        try:
            done = self.run(command)
        except FileNotFoundError as err:
            raise AssistantError(
                f"cannot {step}: `{command[0]}` is not installed: "
                "sudo apt-get install systemd passwd"
            ) from err
        except subprocess.TimeoutExpired as err:
            raise AssistantError(f"cannot {step}: `{shlex.join(command)}` did not end") from err
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
            raise AssistantError(f"cannot {step}: `{shlex.join(command)}` said: {said}")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _lines(file: Path) -> list[str]:
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _root(root: Path | None) -> Path | None:
    if root is not None and not root.is_dir():
        raise ConfigError(f"--root {root} is not a folder: create it, or give an existing one")
    return None if root is None else root.resolve()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
