"""``assistant service``: the unit, sysusers and wrapper texts, the checks, install/uninstall.

Install and uninstall run for real below ``--root DIR`` (``systemd-sysusers --root``,
``systemctl --root``: no running systemd); they need root, as on the Pi, and are skipped
otherwise. ``systemd-analyze verify`` checks the rendered unit when it is installed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from assistant.errors import AssistantError, ConfigError
from assistant.service.install import Installer
from assistant.service.unit import (
    Account,
    ServiceSpec,
    account_of,
    allows,
    blocked,
    check_spec,
    render_sysusers,
    render_unit,
    render_wrapper,
    require_root,
)
from tests.support.commands import assistant, assistant_env

EXEC = PurePosixPath("/opt/xiaoan/.venv/bin/assistant")
SPEC = ServiceSpec(Path(EXEC))
SERVICE_USER = Account(uid=998, gids=frozenset({29}))
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="install/uninstall run as root only")
needs_systemctl = pytest.mark.skipif(shutil.which("systemctl") is None, reason="no systemctl")
needs_user_tool = pytest.mark.skipif(
    shutil.which("systemd-sysusers") is None and shutil.which("useradd") is None,
    reason="neither systemd-sysusers nor useradd",
)

REQUIRED = """\
[Unit]
Description=XiaoAn offline voice assistant
Documentation=file://
After=network-online.target sound.target
Wants=network-online.target sound.target
StartLimitIntervalSec=0
[Service]
Type=notify
NotifyAccess=main
ExecStart=/opt/xiaoan/.venv/bin/assistant run --service
WatchdogSec=30
Restart=always
RestartSec=5
TimeoutStopSec=15
User=xiaoan
Group=xiaoan
SupplementaryGroups=audio
Environment=XIAOAN_HOME=/var/lib/xiaoan
Environment=PYTHONUNBUFFERED=1
WorkingDirectory=/var/lib/xiaoan
StateDirectory=xiaoan
StateDirectoryMode=0700
UMask=0077
StandardOutput=journal
StandardError=journal
SyslogIdentifier=xiaoan
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/xiaoan
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
[Install]
WantedBy=multi-user.target
""".splitlines()


@pytest.mark.parametrize("line", REQUIRED)
def test_unit_has_every_directive(line: str) -> None:
    lines = render_unit(SPEC).splitlines()
    assert any(rendered.startswith(line) for rendered in lines), line


def test_unit_sections_in_order_and_no_unsafe_options() -> None:
    text = render_unit(SPEC)
    assert text.index("[Unit]") < text.index("[Service]") < text.index("[Install]")
    keys = {line.split("=")[0] for line in text.splitlines() if not line.startswith("#")}
    assert "PrivateDevices" not in keys  # it would hide /dev/snd
    assert "DynamicUser" not in keys
    assert text.endswith("WantedBy=multi-user.target\n")


def test_unit_substitutes_the_values() -> None:
    spec = ServiceSpec(Path("/srv/care/bin/assistant"), "care", Path("/srv/care/home"), 45)
    lines = render_unit(spec).splitlines()
    for line in (
        "ExecStart=/srv/care/bin/assistant run --service",
        "WatchdogSec=45",
        "User=care",
        "Group=care",
        "Environment=XIAOAN_HOME=/srv/care/home",
        "WorkingDirectory=/srv/care/home",
        "ReadWritePaths=/srv/care/home",
    ):
        assert line in lines
    assert "xiaoan" not in "\n".join(lines[1:]).replace("SyslogIdentifier=xiaoan", "")


@pytest.mark.parametrize(
    ("home", "state"),
    [
        ("/var/lib/xiaoan", "xiaoan"),
        ("/var/lib/care/xiaoan", "care/xiaoan"),
        ("/srv/xiaoan", None),
        ("/var/local/xiaoan", None),
        ("/var/library/x", None),
    ],
)
def test_state_directory_only_under_var_lib(home: str, state: str | None) -> None:
    lines = render_unit(ServiceSpec(Path(EXEC), home=Path(home))).splitlines()
    states = [line for line in lines if line.startswith("StateDirectory")]
    expected = [f"StateDirectory={state}", "StateDirectoryMode=0700"] if state else []
    assert states == expected


def test_sysusers_declares_the_user_and_audio() -> None:
    lines = [line for line in render_sysusers(SPEC).splitlines() if not line.startswith("#")]
    assert lines == [
        'u xiaoan - "XiaoAn voice assistant" /var/lib/xiaoan /usr/sbin/nologin',
        "m xiaoan audio",
    ]


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("home", ["/var/lib/xiaoan", "/srv/xiaoan"])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, home: str) -> None:
    """verify checks that ExecStart exists: an existing executable stands in for the venv's.
    The user need not exist (systemd 252 does not look it up)."""
    unit = tmp_path / "xiaoan.service"
    unit.write_text(render_unit(ServiceSpec(Path(sys.executable), home=Path(home))))
    done = _verify(unit)
    ours = [line for line in done.stderr.splitlines() if "xiaoan" in line]
    assert done.returncode == 0, done.stderr
    assert ours == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify_would_tell(tmp_path: Path) -> None:
    """The test above is meaningful: a misspelt key or a missing executable is reported."""
    unit = tmp_path / "xiaoan.service"
    text = render_unit(ServiceSpec(tmp_path / "missing")).replace("UMask=", "UMsk=")
    unit.write_text(text)
    done = _verify(unit)
    assert "UMsk" in done.stderr
    assert "missing" in done.stderr
    assert done.returncode != 0


def test_wrapper_is_correct_sh(tmp_path: Path) -> None:
    wrapper = tmp_path / "assistant"
    wrapper.write_text(render_wrapper(SPEC))
    done = subprocess.run(["sh", "-n", str(wrapper)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return path


def _run_wrapper(tmp_path: Path, spec: ServiceSpec, *args: str) -> str:
    wrapper = tmp_path / "wrapper"
    wrapper.write_text(render_wrapper(spec))
    _script(tmp_path / "bin/sudo", 'echo "sudo $*"\n')  # a stand-in that shows what it got
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["sh", str(wrapper), *args], capture_output=True, text=True, env=env, check=True, timeout=30
    )
    return done.stdout.strip()


def test_wrapper_runs_the_real_one_as_the_service_user(tmp_path: Path) -> None:
    real = _script(tmp_path / "venv/assistant", 'echo "real $XIAOAN_HOME $*"\n')
    spec = ServiceSpec(real, "nosuchuser", Path("/var/lib/xiaoan"))
    out = _run_wrapper(tmp_path, spec, "doctor", "--json")
    assert out == f"sudo -u nosuchuser XIAOAN_HOME=/var/lib/xiaoan {real} doctor --json"


def test_wrapper_run_by_the_service_user_runs_it_directly(tmp_path: Path) -> None:
    real = _script(tmp_path / "venv/assistant", 'echo "real $XIAOAN_HOME $*"\n')
    me = pwd.getpwuid(os.getuid()).pw_name
    out = _run_wrapper(tmp_path, ServiceSpec(real, me, Path("/var/lib/xiaoan")), "a b", "c")
    assert out == "real /var/lib/xiaoan a b c"


@pytest.mark.parametrize(
    ("spec", "fix"),
    [
        (ServiceSpec(Path(EXEC), user="Xiao An"), "--user xiaoan"),
        (ServiceSpec(Path(EXEC), user="root"), "not root"),
        (ServiceSpec(Path(EXEC), home=Path("var/lib/xiaoan")), "absolute path"),
        (ServiceSpec(Path(EXEC), home=Path("/var/lib/x y")), "no spaces"),
        (ServiceSpec(Path(EXEC), home=Path("/tmp/xiaoan")), "lasting folder"),
        (ServiceSpec(Path(EXEC), home=Path("/var/lib")), "a folder of its own"),
        (ServiceSpec(Path(EXEC), home=Path("/home/pi")), "a folder of its own"),
        (ServiceSpec(Path(EXEC), home=Path("/etc/xiaoan")), "a folder of its own"),
        (ServiceSpec(Path("assistant")), "absolute path"),
    ],
)
def test_check_spec_refuses_with_the_fix(spec: ServiceSpec, fix: str) -> None:
    with pytest.raises(ConfigError, match=fix):
        check_spec(spec)


def test_not_root_is_refused_with_the_sudo_command() -> None:
    command = ["/opt/xiaoan/.venv/bin/assistant", "service", "install", "--no-start"]
    with pytest.raises(AssistantError) as refused:
        require_root(1000, command)
    assert "run it with sudo: sudo /opt/xiaoan/.venv/bin/assistant service install --no-start" in (
        str(refused.value)
    )
    require_root(0, command)  # root passes


def _nobody_can_run_python() -> bool:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return False
    account = Account(nobody.pw_uid, frozenset({nobody.pw_gid}))
    return IS_ROOT and blocked(PurePosixPath(sys.executable), account) is None


@pytest.mark.skipif(not _nobody_can_run_python(), reason="nobody cannot run this Python here")
def test_not_root_is_refused_for_real(tmp_path: Path) -> None:
    env = assistant_env(Path("/nonexistent"))
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "service", "install"],
        cwd="/",
        capture_output=True,
        text=True,
        env=env,
        user="nobody",
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "run it with sudo: sudo " in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("mode", "owner", "group", "account", "need", "allowed"),
    [
        (0o755, 0, 0, SERVICE_USER, 5, True),
        (0o700, 0, 0, SERVICE_USER, 1, False),
        (0o750, 0, 29, SERVICE_USER, 5, True),
        (0o700, 998, 0, SERVICE_USER, 5, True),
        (0o075, 998, 29, SERVICE_USER, 1, False),  # the owner's bits alone count for the owner
        (0o604, 0, 0, SERVICE_USER, 5, False),
        (0o711, 0, 0, Account(None, frozenset()), 1, True),
        (0o710, 998, 0, Account(None, frozenset()), 1, False),
    ],
)
def test_allows_reads_mode_bits_like_the_kernel(
    mode: int, owner: int, group: int, account: Account, need: int, allowed: bool
) -> None:
    assert allows(mode, owner, group, account, need) is allowed


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A root folder with a venv under /opt/xiaoan, as docs/raspberry-pi.md installs it."""
    root = tmp_path / "root"
    venv = root / "opt/xiaoan/.venv/bin"
    venv.mkdir(parents=True)
    for folder in (root, *venv.parents):
        if folder.is_relative_to(root):
            folder.chmod(0o755)
    (venv / "python3.11").write_bytes(b"\x7fELF")  # the interpreter, as far as modes go
    (venv / "python3.11").chmod(0o755)
    (venv / "python").symlink_to("python3.11")
    _script(venv / "assistant", "").write_text("#!/opt/xiaoan/.venv/bin/python\n")
    return root


def _private_venv(image: Path) -> PurePosixPath:
    """A venv under /home/pi, which Raspberry Pi OS makes mode 0700."""
    shutil.copytree(image / "opt/xiaoan/.venv", image / "home/pi/xiaoan/.venv", symlinks=True)
    (image / "home").chmod(0o755)
    (image / "home/pi").chmod(0o700)
    return PurePosixPath("/home/pi/xiaoan/.venv/bin/assistant")


def test_a_venv_under_opt_is_reachable(image: Path) -> None:
    assert blocked(EXEC, SERVICE_USER, image) is None


def test_a_venv_under_a_private_home_is_refused(image: Path) -> None:
    found = blocked(_private_venv(image), SERVICE_USER, image)
    assert found is not None
    assert (found.path, found.mode, found.interpreter) == (PurePosixPath("/home/pi"), 0o700, None)


def test_an_interpreter_in_a_private_folder_is_refused(image: Path) -> None:
    """A venv made from a pyenv Python under /root: its python links there."""
    pyenv = image / "root/.pyenv/bin"
    pyenv.mkdir(parents=True)
    (image / "root").chmod(0o700)
    (image / "opt/xiaoan/.venv/bin/python").unlink()
    (image / "opt/xiaoan/.venv/bin/python").symlink_to("/root/.pyenv/bin/python3.11")
    found = blocked(EXEC, SERVICE_USER, image)
    assert found is not None
    assert found.path == PurePosixPath("/root")
    assert found.interpreter == PurePosixPath("/opt/xiaoan/.venv/bin/python")


def test_a_group_readable_venv_is_reachable_by_the_group_only(image: Path) -> None:
    venv = image / "opt/xiaoan"
    venv.chmod(0o750)
    group = venv.stat().st_gid
    assert blocked(EXEC, Account(12345, frozenset({group})), image) is None
    found = blocked(EXEC, Account(12345, frozenset({group + 1})), image)
    assert found is not None
    assert found.path == PurePosixPath("/opt/xiaoan")


def test_a_missing_or_unrunnable_executable_is_refused(image: Path) -> None:
    missing = blocked(PurePosixPath("/opt/xiaoan/.venv/bin/nothing"), SERVICE_USER, image)
    assert missing is not None
    assert missing.reason == "missing"
    (image / EXEC.relative_to("/")).chmod(0o744)
    unrunnable = blocked(EXEC, SERVICE_USER, image)
    assert unrunnable is not None
    assert unrunnable.reason == "a file it cannot read and run"


def test_account_of_reads_the_roots_files(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nxiaoan:x:998:997::/:/x\n")
    (tmp_path / "etc/group").write_text("audio:x:29:\nxiaoan:x:997:\nvideo:x:44:pi,xiaoan\n")
    assert account_of("xiaoan", tmp_path) == Account(998, frozenset({997, 29, 44}))
    assert account_of("other", tmp_path) == Account(None, frozenset({29}))


Fake = Callable[[list[str]], subprocess.CompletedProcess[str]]


def _fake_run(root: Path, commands: list[list[str]], fail: str = "") -> Fake:
    """Records commands; a user tool adds the user to ROOT/etc/passwd; ``fail`` fails."""

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if fail and fail in command:
            return subprocess.CompletedProcess(command, 1, "", f"Failed to {fail}: boom\n")
        if command[0] in ("useradd", "systemd-sysusers"):
            line = f"xiaoan:x:{os.getuid()}:{os.getgid()}::/var/lib/xiaoan:/usr/sbin/nologin\n"
            (root / "etc").mkdir(exist_ok=True)
            with (root / "etc/passwd").open("a") as passwd:
                passwd.write(line)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_without_systemd_sysusers_useradd_creates_the_user(image: Path) -> None:
    commands: list[list[str]] = []
    lines: list[str] = []
    installer = Installer(image, lines.append, _fake_run(image, commands), lambda _: None)
    installer.install(SPEC, start=True)
    useradd = commands[0]
    assert useradd[:3] == ["useradd", "--root", str(image)]
    assert useradd[useradd.index("--shell") :][:2] == ["--shell", "/usr/sbin/nologin"]
    assert useradd[useradd.index("--groups") :][:2] == ["--groups", "audio"]
    assert useradd[-1] == "xiaoan"
    assert commands[1] == ["systemctl", "--root", str(image), "enable", "xiaoan.service"]
    assert len(commands) == 2  # below --root: no daemon-reload, no restart
    assert any(line.startswith("user xiaoan:") and "useradd" in line for line in lines)


def test_a_failing_step_names_itself_and_says_why(image: Path) -> None:
    commands: list[list[str]] = []
    run = _fake_run(image, commands, fail="enable")
    installer = Installer(image, lambda _: None, run, lambda _: "/usr/bin/systemd-sysusers")
    with pytest.raises(AssistantError, match=r"cannot enable the service: `systemctl .*boom"):
        installer.install(SPEC, start=False)


def test_without_a_running_systemd_starting_is_refused_before_anything(image: Path) -> None:
    installer = Installer(None, lambda _: None, systemd_running=False)
    spec = ServiceSpec(Path(sys.executable))  # exists on this machine
    with pytest.raises(AssistantError, match="add --no-start"):
        installer.preflight(spec, start=True)


def _install(image: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = assistant_env(image.parent / "technician")
    return assistant(env, "service", "install", "--root", str(image), "--exec", str(EXEC), *args)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@needs_root
@needs_systemctl
@needs_user_tool
def test_install_below_root(image: Path) -> None:
    done = _install(image)
    assert done.returncode == 0, done.stderr
    unit = image / "etc/systemd/system/xiaoan.service"
    assert unit.read_text() == render_unit(SPEC)
    assert _mode(unit) == 0o644
    assert (image / "etc/sysusers.d/xiaoan.conf").read_text() == render_sysusers(SPEC)
    wrapper = image / "usr/local/bin/assistant"
    assert _mode(wrapper) == 0o755
    assert wrapper.read_text() == render_wrapper(SPEC)
    assert subprocess.run(["sh", "-n", str(wrapper)], check=False).returncode == 0
    link = image / "etc/systemd/system/multi-user.target.wants/xiaoan.service"
    assert os.readlink(link) == "/etc/systemd/system/xiaoan.service"
    passwd = (image / "etc/passwd").read_text().splitlines()
    row = next(line.split(":") for line in passwd if line.startswith("xiaoan:"))
    assert row[5:] == ["/var/lib/xiaoan", "/usr/sbin/nologin"]
    audio = next(
        line for line in (image / "etc/group").read_text().splitlines() if line.startswith("audio:")
    )
    assert "xiaoan" in audio.split(":")[3].split(",")
    home = image / "var/lib/xiaoan"
    assert (_mode(home), home.stat().st_uid) == (0o700, int(row[2]))
    assert "not started (--root)" in done.stdout
    assert all(line.strip() for line in done.stdout.splitlines())
    again = _install(image)  # an upgrade runs it again
    assert again.returncode == 0, again.stderr


@needs_root
@needs_systemctl
@needs_user_tool
def test_uninstall_below_root_keeps_the_home(image: Path) -> None:
    assert _install(image).returncode == 0
    (image / "var/lib/xiaoan/outbox.db").write_text("the elder's requests")
    env = assistant_env(image.parent / "technician")
    done = assistant(env, "service", "uninstall", "--root", str(image))
    assert done.returncode == 0, done.stderr
    for gone in (
        "etc/systemd/system/xiaoan.service",
        "usr/local/bin/assistant",
        "etc/sysusers.d/xiaoan.conf",
        "etc/systemd/system/multi-user.target.wants/xiaoan.service",
    ):
        assert not (image / gone).exists(), gone
    assert (image / "var/lib/xiaoan/outbox.db").exists()
    assert "kept" in done.stdout
    assert "--purge" in done.stdout
    purged = assistant(env, "service", "uninstall", "--root", str(image), "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not (image / "var/lib/xiaoan").exists()


@needs_root
def test_install_refuses_a_private_venv(image: Path) -> None:
    done = _install(image, "--exec", str(_private_venv(image)))
    assert done.returncode == 2, done.stderr
    assert "/home/pi is a folder it cannot enter (mode 0700" in done.stderr
    assert "install XiaoAn under /opt/xiaoan (see docs/raspberry-pi.md)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (image / "etc").exists()  # refused before anything was written


@needs_root
def test_install_refuses_a_missing_executable(image: Path) -> None:
    done = _install(image, "--exec", "/opt/xiaoan/bin/nothing")
    assert done.returncode == 2
    assert "does not exist below --root" in done.stderr
    assert "--exec /opt/xiaoan/.venv/bin/assistant" in done.stderr


@needs_root
def test_install_keeps_someone_elses_assistant(image: Path) -> None:
    _script(image / "usr/local/bin/assistant", "echo another program\n")
    done = _install(image)
    assert done.returncode == 2
    assert "is not XiaoAn's wrapper: move it away" in done.stderr


def test_unit_command_prints_the_unit(tmp_path: Path) -> None:
    env = assistant_env(tmp_path)
    done = assistant(
        env,
        "service",
        "unit",
        "--user",
        "care",
        "--home",
        "/srv/care",
        "--exec",
        "/opt/care/bin/assistant",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == render_unit(
        ServiceSpec(Path("/opt/care/bin/assistant"), "care", Path("/srv/care"))
    )
    refused = assistant(env, "service", "unit", "--home", "/tmp/xiaoan")
    assert refused.returncode == 2
    assert "--home /var/lib/xiaoan" in refused.stderr
