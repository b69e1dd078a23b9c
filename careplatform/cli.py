"""``xiaoan-platform``: run the care centre's service and look after it.

    xiaoan-platform serve [--host H] [--port N] [--db URL]
    xiaoan-platform migrate [--db URL]
    xiaoan-platform user add NAME --role operator|provider|family|admin [--provider P]
                             [--device ID ...] [--db URL]   (password from stdin or asked)
    xiaoan-platform device set ID --elder NAME [--address TEXT] [--db URL]
    xiaoan-platform device contact ID NAME (--email ADDRESS | --webhook URL) [--db URL]

``--db`` is a database URL (``sqlite:////path/platform.db``, ``postgresql+psycopg://…``)
or a file path; else ``$XIAOAN_PLATFORM_DB``; else ``platform.db`` here. Exit status: 0
done, 1 cannot start or a store error, 2 a wrong argument or value.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import uvicorn

    from careplatform.runtime import Platform
    from careplatform.settings import PlatformSettings

app = typer.Typer(help=__doc__.split("\n\n")[0], no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Console accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
device_app = typer.Typer(
    help="The elders' devices and who in the family is told.", no_args_is_help=True
)
app.add_typer(device_app, name="device")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL or SQLite file (default: $XIAOAN_PLATFORM_DB, else platform.db)."
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"xiaoan-platform: error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8787,
    db: DbOption = None,
) -> None:
    """Serve the device API and the console until SIGTERM or Ctrl-C (migrating first)."""
    import uvicorn

    from careplatform.settings import settings_from
    from careplatform.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = settings_from(db, host, port)
    with _opened(settings) as platform:
        try:
            listener = _listen(settings.host, settings.port)
        except OSError as err:
            raise _fail(
                f"cannot listen on {settings.host}:{settings.port}: {err.strerror}"
            ) from err
        bound = listener.getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        print(f"listening on http://{shown}:{bound[1]}", flush=True)
        config = uvicorn.Config(
            create_app(platform), log_config=None, access_log=False, timeout_graceful_shutdown=10
        )
        _stopped_cleanly(uvicorn.Server(config)).run(sockets=[listener])


def _stopped_cleanly(server: uvicorn.Server) -> uvicorn.Server:
    """uvicorn's server, ending with status 0 on SIGTERM or Ctrl-C (a stop asked for is no
    failure: systemd and the tests see a clean exit; uvicorn would raise the signal again)."""

    @contextlib.contextmanager
    def capture_signals() -> Iterator[None]:
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, server.handle_exit) for s in signals}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    server.capture_signals = capture_signals  # type: ignore[method-assign]
    return server


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@app.command()
def migrate(db: DbOption = None) -> None:
    """Bring the database to the newest tables (serve does it too)."""
    from careplatform.db.engine import DatabaseUrlError, open_database
    from careplatform.db.migrate import upgrade
    from careplatform.settings import settings_from

    settings = settings_from(db)
    try:
        database = open_database(settings.db)
        before, now = upgrade(database)
    except (DatabaseUrlError, OSError) as err:
        raise _fail(f"cannot open the database: {err}") from err
    database.dispose()
    typer.echo(f"database at {now}" + ("" if before == now else f" (was {before or 'empty'})"))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The account's name (to log in with).")],
    role: Annotated[str, typer.Option(help="operator, provider, family or admin.")],
    provider: Annotated[str | None, typer.Option(help="A provider account's provider.")] = None,
    device: Annotated[
        list[str] | None,
        typer.Option(help="A family account's elder (device id); repeat for several."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Make a console account; the password is read from stdin (or asked twice)."""
    from careplatform.settings import settings_from
    from careplatform.store.accounts import AccountError, AccountStore

    password = _password()
    with _opened(settings_from(db), AccountError) as platform:
        account = AccountStore(platform.db).add(
            name, role, password, provider=provider, devices=tuple(device or ())
        )
    typer.echo(f"account {account.name} ({account.role}) made")


@device_app.command("set")
def device_set(
    device_id: Annotated[str, typer.Argument(help="The device's id (as paired).")],
    elder: Annotated[str, typer.Option(help="The elder it serves, as the console shows.")],
    address: Annotated[str, typer.Option(help="Where (operators only see it).")] = "",
    db: DbOption = None,
) -> None:
    """Name the elder a device serves (the device must have paired or been registered)."""
    from careplatform.settings import settings_from
    from careplatform.store.care import CareError

    with _opened(settings_from(db), CareError) as platform:
        platform.care.set_device(device_id, "cli", elder, address)
    typer.echo(f"device {device_id}: {elder}")


@device_app.command("contact")
def device_contact(
    device_id: Annotated[str, typer.Argument(help="The elder's device.")],
    name: Annotated[str, typer.Argument(help="Who (女儿, 张阿姨).")],
    email: Annotated[str | None, typer.Option(help="Tell by e-mail.")] = None,
    webhook: Annotated[str | None, typer.Option(help="Tell by a webhook (http/https URL).")] = None,
    db: DbOption = None,
) -> None:
    """Tell this person of the elder's missed doses and unanswered alarms."""
    from careplatform.notify.mail import is_email_address
    from careplatform.settings import settings_from
    from careplatform.store.notices import ContactError

    if (email is None) == (webhook is None):
        raise _fail("give --email or --webhook (one)", 2)
    if email is not None and not is_email_address(email):
        raise _fail(f"{email!r} is not an e-mail address", 2)
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise _fail("a webhook is an http:// or https:// URL", 2)
    channel, address = ("email", email) if email is not None else ("webhook", webhook)
    assert address is not None
    with _opened(settings_from(db), ContactError) as platform:
        platform.notices.add_contact(device_id, name, channel, address)
    typer.echo(f"{name} is told by {channel}")


@contextlib.contextmanager
def _opened(settings: PlatformSettings, *refused: type[Exception]) -> Iterator[Platform]:
    """The platform for the block, closed after it; an error of the ``refused`` kinds is a
    wrong value (exit 2), one opening the database exit 1."""
    from careplatform.db.engine import DatabaseUrlError
    from careplatform.runtime import open_platform

    try:
        platform = open_platform(settings)
    except (DatabaseUrlError, OSError, ValueError) as err:
        raise _fail(f"cannot open the database: {err}") from err
    try:
        yield platform
    except refused as err:
        raise _fail(str(err), 2) from err
    finally:
        platform.close()


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise _fail("the two passwords differ", 2)
    return first


def main() -> None:
    """The console script's entry point."""
    app(prog_name="xiaoan-platform")


if __name__ == "__main__":
    main()
