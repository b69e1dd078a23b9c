"""``assistant outbox list | retry ID | drop ID --reason TEXT``: requests for the platform.

``list`` shows what waits (pending), what the platform refused (parked) and, with
``--all``, what was delivered or dropped: number, kind, state, attempts, age, the last
error; never a request's content (it may hold health data or an address); nothing to list
is one line saying so (with ``--json``: no line at all). ``retry`` sends
a parked request again, or a waiting one now. ``drop`` gives a request up with a reason
that is kept with it and in the local history; an emergency is never dropped. A running
assistant picks the change up within a minute.

The lines, and the mistakes, are in the device's language (``lang``, zh by default;
``assistant/data/messages.yaml``): families may read them. Kinds, error texts from the
platform and commands stay as they are; ``--json`` keys and values stay English.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.relay.outbox import Outbox, OutboxRow

_LOGGER = logging.getLogger(__name__)
app = typer.Typer(
    help="Requests for the platform: list, retry ID, drop ID --reason TEXT.",
    no_args_is_help=True,
)
MAX_ID = 2**63 - 1
"""The largest number SQLite can hold: a larger one is refused as a usage error."""
IdArg = Annotated[
    int,
    typer.Argument(help="The request's number (`assistant outbox list`).", min=1, max=MAX_ID),
]


def _device() -> tuple[Outbox, str]:
    """The device's outbox (the database is created if there is none yet) and language."""
    from assistant.config import load_settings
    from assistant.relay.outbox import Outbox
    from assistant.storage.database import Database

    settings, paths = load_settings()
    return Outbox(Database(paths.database).create()), settings.lang


def describe(row: OutboxRow, now: float) -> dict[str, Any]:
    """What a technician may see of a request: no content."""
    from assistant.relay.outbox import PENDING

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
    from assistant.relay.outbox import DELIVERED, DROPPED, PARKED, PENDING
    from assistant.values.messages import say

    states = [PENDING, PARKED] + ([DELIVERED, DROPPED] if show_all else [])
    outbox, lang = _device()
    now = time.time()
    rows = [describe(row, now) for row in outbox.rows(states, limit=1000)]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    counts = outbox.counts()
    if not rows:
        typer.echo(_nothing(lang, counts, show_all))
        return
    typer.echo(say(lang, "outbox.counts", **counts))
    width = max(_columns(_state(lang, s)) for s in (PENDING, PARKED, DELIVERED, DROPPED))
    for row in rows:
        typer.echo(_line(lang, row, width))
    if counts[PARKED]:
        typer.echo(say(lang, "outbox.parked_hint"))


def _nothing(lang: str, counts: dict[str, int], show_all: bool) -> str:
    """The one line of an empty list."""
    from assistant.relay.outbox import DELIVERED, DROPPED
    from assistant.values.messages import say

    if show_all or not counts[DELIVERED] + counts[DROPPED]:
        return say(lang, "outbox.empty")
    return say(lang, "outbox.nothing_waiting", **counts)


def _line(lang: str, row: dict[str, Any], width: int) -> str:
    """One request's row; its state padded to ``width`` columns, so the rows line up."""
    from assistant.relay.outbox import PENDING
    from assistant.values.messages import say
    from assistant.values.spans import span

    when = (
        say(lang, "outbox.next_try", seconds=row["next_attempt_in_s"])
        if row["state"] == PENDING
        else ""
    )
    error = say(lang, "outbox.last_error", error=row["last_error"]) if row["last_error"] else ""
    head = say(lang, "outbox.row", id=row["id"], kind=row["kind"],
               state=_padded(_state(lang, row["state"]), width), attempts=row["attempts"],
               age=span(row["age_s"], lang))  # fmt: skip
    return f"{head}  {when}{error}".rstrip()


def _state(lang: str, state: str) -> str:
    """A request's state in ``lang``'s words."""
    from assistant.values.messages import word

    return word(lang, "outbox.state", state)


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _padded(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))


@app.command()
def retry(row_id: IdArg) -> None:
    """Send a parked request again (or a waiting one now)."""
    from assistant.errors import AssistantError
    from assistant.values.messages import say

    outbox, lang = _device()
    row = _row(outbox, lang, row_id)
    if not outbox.requeue(row.key, time.time()):
        raise AssistantError(
            say(lang, "outbox.not_retryable", id=row_id, state=_state(lang, row.state))
        )
    typer.echo(say(lang, "outbox.retry", id=row_id, kind=row.kind))


@app.command()
def drop(
    row_id: IdArg,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why it is given up (required; kept with the request)."),
    ],
) -> None:
    """Give a request up, for a reason that stays on record."""
    from assistant.errors import AssistantError, ConfigError
    from assistant.relay.outbox import EMERGENCY_PRIORITY, PENDING
    from assistant.values.messages import say

    outbox, lang = _device()
    if not reason.strip():
        raise ConfigError(say(lang, "outbox.no_reason"))
    row = _row(outbox, lang, row_id)
    if row.priority == EMERGENCY_PRIORITY and row.state == PENDING:
        raise AssistantError(say(lang, "outbox.emergency", id=row_id, kind=row.kind))
    if not outbox.drop(row.key, reason.strip(), time.time()):
        raise AssistantError(
            say(lang, "outbox.not_droppable", id=row_id, state=_state(lang, row.state))
        )
    _LOGGER.warning("request #%d (%s) dropped by a technician", row_id, row.kind)
    typer.echo(say(lang, "outbox.dropped", id=row_id, kind=row.kind))


def _row(outbox: Outbox, lang: str, row_id: int) -> OutboxRow:
    from assistant.errors import AssistantError
    from assistant.values.messages import say

    row = outbox.by_id(row_id)
    if row is None:
        raise AssistantError(say(lang, "outbox.no_request", id=row_id))
    return row
