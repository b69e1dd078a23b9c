"""Installing XiaoAn as a systemd service, and removing it: the unit, the system user
(a sysusers.d file), the technician's ``/usr/local/bin/assistant`` wrapper and the home
folder, below one root folder (None: this machine). Every step says one line; a failing
step stops with the command's own words (``AssistantError``). The files' text comes from
``assistant.service.unit``; ``assistant service install | uninstall`` runs it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from assistant.errors import AssistantError, ConfigError
from assistant.service.unit import (
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
    render_sysusers,
    render_unit,
    render_wrapper,
)
from assistant.service.unit import systemd_running as booted_with_systemd

Run = Callable[[list[str]], subprocess.CompletedProcess[str]]
"""Runs one command, capturing its output (``subprocess.run``; tests pass a fake)."""


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
