"""``assistant status`` and ``assistant logs [--follow]``.

``status``: whether the assistant runs (from ``data/runtime.json``: its process alive and
the file fresh), its loop's phase, uptime, language, model, what keeps it from working
fully, the last heartbeat, the outbox's counts and the next three reminders. Exit 0 when it
runs, 1 when it does not. ``logs``: the assistant's own log (``$XIAOAN_HOME/logs``), the
last lines, and with ``--follow`` what comes, across rotations, until Ctrl-C; no log, or
an empty one, is one line saying so.

Families run ``status`` too: both speak the device's language (``lang``, zh by default;
``assistant/data/messages.yaml``); ``status --json`` keys and values stay English.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.service.runtime import RuntimeStatus

COMING_DAYS = 7


def register(app: typer.Typer) -> None:
    """Add ``status`` and ``logs`` to the ``assistant`` command."""
    app.command()(status)
    app.command()(logs)


def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Is XiaoAn running, and how: loop, uptime, heartbeat, outbox, next reminders."""
    from assistant.config import load_settings
    from assistant.relay.outbox import Outbox
    from assistant.reminders.device import open_reminders
    from assistant.reminders.words import what_words, when_words
    from assistant.service.runtime import runtime_file
    from assistant.storage.database import Database
    from assistant.values.messages import say

    settings, paths = load_settings()
    lang = settings.lang
    now = time.time()
    runtime = runtime_file(paths).read()
    running = runtime is not None and runtime.running(now)
    db = Database(paths.database).create()
    counts = Outbox(db).counts()
    disk = db.space.report()
    reminders = open_reminders(settings, paths, None)
    coming = reminders.planned(datetime.now(settings.tz), COMING_DAYS * 86400.0)[:3]
    report: dict[str, Any] = {
        "running": running, "runtime": runtime.to_json() if runtime else None,
        "outbox": counts,
        "disk": {"free_mb": disk.free_mb, "reserve": disk.reserve, "full": disk.full},
        "next_reminders": [{"due": o.due.isoformat(), "what": what_words(o, lang)}
                           for o in coming],
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for line in _lines(lang, runtime, running, now):
            typer.echo(line)
        typer.echo(say(lang, "status.outbox", **counts))
        if disk.full and not (runtime and running and any("disk" in p for p in runtime.problems)):
            typer.echo(say(lang, "status.disk_full"))
        typer.echo(
            say(lang, "status.next_reminders")
            if coming
            else say(lang, "status.no_reminders", days=COMING_DAYS)
        )
        for o in coming:
            typer.echo(f"  {when_words(o.due, lang)}  {what_words(o, lang)}")
    raise typer.Exit(0 if running else 1)


def _lines(lang: str, runtime: RuntimeStatus | None, running: bool, now: float) -> list[str]:
    from assistant.values.messages import say, word
    from assistant.values.spans import span

    if runtime is None:
        return [say(lang, "status.never_ran")]
    if not running:
        why = "status.stopped" if runtime.stopped_at else "status.died"
        return [say(lang, why, since=span(now - runtime.updated_at, lang))]
    lines = [
        say(lang, "status.running", mode=word(lang, "status.mode", runtime.mode),
            phase=word(lang, "status.phase", runtime.phase),
            uptime=span(now - runtime.started_at, lang), pid=runtime.pid,
            version=runtime.version),
        say(lang, "status.language", lang=word(lang, "status.lang", runtime.lang),
            model=runtime.model or say(lang, "status.no_model")),
    ]  # fmt: skip
    lines += [say(lang, "status.problem", problem=problem) for problem in runtime.problems]
    beat = runtime.heartbeat
    if beat is None:
        lines.append(say(lang, "status.no_heartbeat"))
    else:
        outcome = (
            say(lang, "status.heartbeat_ok")
            if beat.ok
            else say(lang, "status.heartbeat_refused", error=beat.error)
        )
        lines.append(say(lang, "status.heartbeat", since=span(now - beat.at, lang),
                         outcome=outcome))  # fmt: skip
    if runtime.last_error and runtime.last_error_at is not None:
        lines.append(say(lang, "status.last_warning", warning=runtime.last_error,
                         since=span(now - runtime.last_error_at, lang)))  # fmt: skip
    return lines


def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="How many last lines.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
) -> None:
    """The assistant's log: the last lines, and with --follow the new ones as they come."""
    from assistant.config import load_settings
    from assistant.errors import AssistantError
    from assistant.service.logs import follow as follow_log
    from assistant.service.logs import last_lines, log_file
    from assistant.values.messages import say

    settings, paths = load_settings()
    current = log_file(paths.logs_dir)
    if not current.exists() and not follow:
        typer.echo(say(settings.lang, "logs.none_yet", file=current))
        return
    info = current.stat() if current.exists() else None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise AssistantError(f"{current}: is not a log file (a folder or a pipe): remove it; "
                             "XiaoAn makes its log again when it runs")  # fmt: skip
    size = info.st_size if info else 0
    last = last_lines(current, lines, size)
    if lines and not last:
        typer.echo(say(settings.lang, "logs.empty", file=current))
    for line in last:
        sys.stdout.write(line)
    sys.stdout.flush()
    if follow:
        follow_log(current, size, info.st_ino if info else None, sys.stdout)
