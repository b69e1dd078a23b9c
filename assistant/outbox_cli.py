"""``assistant outbox list | retry ID | drop ID --reason TEXT``: requests for the platform.

``list`` shows what waits (pending), what the platform refused (parked) and, with
``--all``, what was delivered or dropped: number, kind, state, attempts, age, the last
error; never a request's content (it may hold health data or an address). ``retry`` sends
a parked request again, or a waiting one now. ``drop`` gives a request up with a reason
that is kept with it and in the local history; an emergency is never dropped. A running
assistant picks the change up within a minute.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Annotated, Any

import typer

from assistant.config import load_settings
from assistant.errors import AssistantError, ConfigError
from assistant.outbox import (
    DELIVERED,
    DROPPED,
    EMERGENCY_PRIORITY,
    PARKED,
    PENDING,
    Outbox,
    OutboxRow,
)
from assistant.spans import span
from assistant.storage import Database

_LOGGER = logging.getLogger(__name__)
app = typer.Typer(
    help="Requests for the platform: list, retry ID, drop ID --reason TEXT.",
    no_args_is_help=True,
)
IdArg = Annotated[int, typer.Argument(help="The request's number (`assistant outbox list`).")]


def open_outbox() -> Outbox:
    """The device's outbox (the database is created if there is none yet)."""
    _, paths = load_settings()
    return Outbox(Database(paths.data_dir / "xiaoan.db").create())


def describe(row: OutboxRow, now: float) -> dict[str, Any]:
    """What a technician may see of a request: no content."""
    return {
        "id": row.id, "kind": row.kind, "state": row.state, "priority": row.priority,
        "attempts": row.attempts, "created_at": _iso(row.created_at),
        "age_s": round(now - row.created_at), "last_error": row.last_error,
        "next_attempt_in_s": round(max(0.0, row.next_at - now)) if row.state == PENDING else None,
        "platform_id": row.platform_id or None,
    }  # fmt: skip


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds")


@app.command("list")
def list_(
    show_all: Annotated[
        bool, typer.Option("--all", help="Also delivered and dropped requests.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Requests waiting for the platform or refused by it (oldest first)."""
    states = [PENDING, PARKED] + ([DELIVERED, DROPPED] if show_all else [])
    outbox = open_outbox()
    now = time.time()
    rows = [describe(row, now) for row in outbox.rows(states, limit=1000)]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    counts = outbox.counts()
    typer.echo(
        f"{counts[PENDING]} pending, {counts[PARKED]} parked, {counts[DELIVERED]} delivered, "
        f"{counts[DROPPED]} dropped"
    )
    for row in rows:
        typer.echo(_line(row))
    if counts[PARKED]:
        typer.echo("parked: the platform refused them; fix the cause, then "
                   "`assistant outbox retry ID` (or `drop ID --reason ...`)")  # fmt: skip


def _line(row: dict[str, Any]) -> str:
    when = f"next try in {row['next_attempt_in_s']} s" if row["state"] == PENDING else ""
    error = f"  last error: {row['last_error']}" if row["last_error"] else ""
    head = f"#{row['id']:<5} {row['kind']:<22} {row['state']:<9} {row['attempts']:>3} tries"
    return f"{head}  {span(row['age_s'])} old  {when}{error}".rstrip()


@app.command()
def retry(row_id: IdArg) -> None:
    """Send a parked request again (or a waiting one now)."""
    outbox = open_outbox()
    row = _row(outbox, row_id)
    if not outbox.requeue(row.key, time.time()):
        raise AssistantError(f"request #{row_id} is {row.state}: only pending or parked "
                             "requests can be retried")  # fmt: skip
    typer.echo(f"request #{row_id} ({row.kind}) will be sent again within a minute")


@app.command()
def drop(
    row_id: IdArg,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why it is given up (required; kept with the request)."),
    ],
) -> None:
    """Give a request up, for a reason that stays on record."""
    if not reason.strip():
        raise ConfigError("say why with --reason TEXT: a dropped request is never silent")
    outbox = open_outbox()
    row = _row(outbox, row_id)
    if row.priority == EMERGENCY_PRIORITY and row.state == PENDING:
        raise AssistantError(
            f"request #{row_id} is an emergency ({row.kind}): it is never dropped; it is "
            "retried until the platform takes it (check `assistant doctor`)"
        )
    if not outbox.drop(row.key, reason.strip(), time.time()):
        raise AssistantError(f"request #{row_id} is {row.state}: only pending or parked "
                             "requests can be dropped")  # fmt: skip
    _LOGGER.warning("request #%d (%s) dropped by a technician", row_id, row.kind)
    typer.echo(f"request #{row_id} ({row.kind}) dropped; the reason is kept with it")


def _row(outbox: Outbox, row_id: int) -> OutboxRow:
    row = outbox.by_id(row_id)
    if row is None:
        raise AssistantError(f"there is no request #{row_id}: `assistant outbox list --all`")
    return row
