"""The ``assistant`` command line: one entry point, verb subcommands that compose in pipes.

Each verb reads arguments or stdin lines and prints one JSON object per line with
``--json``, human text otherwise. ``AssistantError`` subclasses map to exit codes
(1 general, 2 configuration or usage, 3 packaged data, 4 storage, 5 model, 6 audio
device); nothing ends in a traceback.

With ``--json`` the failure is JSON too: one line ``{"error": "<message>", "exit": N}`` on
stderr (stdout holds only the command's data, so a pipe never reads an error as a row),
for an ``AssistantError`` and for a usage error alike; the exit code is the same as
without ``--json``. A command with nothing to list prints nothing with ``--json`` (an
empty stream), and one line saying so without it.

Commands import lazily: a module here imports only typer and the standard library at
its top, and what a command needs inside its function, so ``assistant outbox list``
never loads the dialogue, the intent parser or Vosk. One module per command group.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated

import typer

from assistant import __version__
from assistant.cli import (
    audio,
    config,
    doctor,
    hardware,
    models,
    outbox,
    parse,
    platform,
    register,
    reminders,
    run,
    say,
    service,
    status,
)

app = typer.Typer(
    name="assistant",
    help="XiaoAn (小安): an offline voice assistant for elders. Technician commands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(reminders.app, name="reminders")
app.add_typer(models.app, name="models")
app.add_typer(config.app, name="config")
app.add_typer(outbox.app, name="outbox")
app.add_typer(service.app, name="service")
for commands in (parse, run, audio, platform, doctor, status, register, hardware, say):
    commands.register(app)


def version_callback(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo(f"xiaoan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """XiaoAn (小安): an offline voice assistant for elders. Technician commands."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``assistant`` script; returns the exit code."""
    from assistant.errors import AssistantError

    args = sys.argv[1:] if argv is None else list(argv)
    as_json = wants_json(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if not as_json:
            app(args=args, prog_name="assistant")
            return 0
        done = app(args=args, prog_name="assistant", standalone_mode=False)
        return done if isinstance(done, int) else 0
    except AssistantError as err:
        _fail(str(err), err.exit_code, as_json)
        return err.exit_code
    except typer.TyperException as err:  # a usage error, raised only with --json
        _fail(err.format_message(), err.exit_code, as_json)
        return err.exit_code
    except typer.Abort:
        return 1
    except SystemExit as done:  # typer ends every run, and usage errors, this way
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def wants_json(args: list[str]) -> bool:
    """Whether the command was given ``--json`` (before a ``--`` that ends the options)."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def _fail(message: str, code: int, as_json: bool) -> None:
    """Say why the command failed on stderr: plain, or one JSON object with ``--json``."""
    if as_json:
        line = json.dumps({"error": message, "exit": code}, ensure_ascii=False)
    else:
        line = f"assistant: {message}"
    sys.stderr.write(line + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
