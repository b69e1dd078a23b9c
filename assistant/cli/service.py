"""``assistant service …``: XiaoAn as a supervised systemd service.

Verbs: ``unit`` (print the unit file), ``install`` (the unit, the system user, the
technician's ``/usr/local/bin/assistant`` wrapper, the home folder; enable and start) and
``uninstall`` (the same, undone; the home folder stays unless ``--purge``). Both of the
last two need root. With ``--root DIR`` everything happens below DIR (an image, a test) and
no running systemd is needed. Every step prints one line; a failing step stops with the
command's own words. The files' text comes from ``assistant.service.unit``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

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
        help="The `assistant` script to run (default: "
        f"{Path(sys.executable).parent / 'assistant'}, this environment's).",
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


@app.command()
def unit(
    user: UserOption = "xiaoan",
    home: HomeOption = Path("/var/lib/xiaoan"),
    executable: ExecOption = None,
) -> None:
    """Print the unit file `install` writes, for inspection."""
    from assistant.service.unit import ServiceSpec, check_spec, default_executable, render_unit

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
    from assistant.service.install import Installer
    from assistant.service.unit import ServiceSpec, default_executable, require_root

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
    from assistant.service.install import Installer
    from assistant.service.unit import default_executable, require_root

    require_root(os.geteuid(), [str(default_executable()), *sys.argv[1:]])
    Installer(_root(root), _say).uninstall(purge)


def _root(root: Path | None) -> Path | None:
    from assistant.errors import ConfigError

    if root is not None and not root.is_dir():
        raise ConfigError(f"--root {root} is not a folder: create it, or give an existing one")
    return None if root is None else root.resolve()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
