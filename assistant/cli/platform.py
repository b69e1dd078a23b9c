"""``assistant platform-server``: the reference care-platform server
(``assistant.refplatform``), for development, tests and demos."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``platform-server`` to the command line."""
    app.command(
        "platform-server",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                          "help_option_names": []},
    )(platform_server)  # fmt: skip


def platform_server(ctx: typer.Context) -> None:
    """Run the reference care-platform server (for development, tests and demos).

    Options: --host, --port, --db FILE, --admin-token TOKEN, --device ID=SECRET_HEX
    (repeatable); --help lists them.
    """
    from assistant.refplatform import server

    raise typer.Exit(server.main(list(ctx.args), prog="assistant platform-server"))
