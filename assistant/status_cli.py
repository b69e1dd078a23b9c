"""``assistant status`` and ``assistant logs [--follow]``.

``status``: whether the assistant runs (from ``data/runtime.json``: its process alive and
the file fresh), its loop's phase, uptime, language, model, what keeps it from working
fully, the last heartbeat, the outbox's counts and the next three reminders. Exit 0 when it
runs, 1 when it does not. ``logs``: the assistant's own log (``$XIAOAN_HOME/logs``), the
last lines, and with ``--follow`` what comes, across rotations, until Ctrl-C.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.config import load_settings
from assistant.logs import BACKUPS, log_file
from assistant.outbox import Outbox
from assistant.reminders_cli import open_reminders, what_words, when_words
from assistant.runtime import RuntimeStatus
from assistant.spans import span
from assistant.storage import Database
from assistant.supervisor import runtime_file

FOLLOW_POLL_S = 0.5


def register(app: typer.Typer) -> None:
    """Add ``status`` and ``logs`` to the ``assistant`` command."""
    app.command()(status)
    app.command()(logs)


def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Is XiaoAn running, and how: loop, uptime, heartbeat, outbox, next reminders."""
    settings, paths = load_settings()
    now = time.time()
    runtime = runtime_file(paths).read()
    running = runtime is not None and runtime.running(now)
    db = Database(paths.data_dir / "xiaoan.db").create()
    counts = Outbox(db).counts()
    reminders = open_reminders(settings, paths, None)
    coming = reminders.planned(datetime.now(settings.tz), 7 * 86400.0)[:3]
    report: dict[str, Any] = {
        "running": running, "runtime": runtime.to_json() if runtime else None,
        "outbox": counts,
        "next_reminders": [{"due": o.due.isoformat(), "what": what_words(o, settings.lang)}
                           for o in coming],
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for line in _lines(runtime, running, now):
            typer.echo(line)
        typer.echo(
            f"outbox: {counts['pending']} waiting, {counts['parked']} parked (refused), "
            f"{counts['delivered']} delivered, {counts['dropped']} dropped"
        )
        typer.echo("next reminders:" if coming else "next reminders: none in the next 7 days")
        for o in coming:
            typer.echo(f"  {when_words(o.due, settings.lang)}  {what_words(o, settings.lang)}")
    raise typer.Exit(0 if running else 1)


def _lines(runtime: RuntimeStatus | None, running: bool, now: float) -> list[str]:
    if runtime is None:
        return ["XiaoAn: not running (it never ran here; start it: `sudo systemctl start "
                "xiaoan` or `assistant run`)"]  # fmt: skip
    if not running:
        since = span(now - runtime.updated_at)
        why = "stopped" if runtime.stopped_at else "not running (it did not stop cleanly)"
        return [f"XiaoAn: {why}, last seen {since} ago (`assistant logs` says why)"]
    lines = [
        f"XiaoAn: running ({runtime.mode}), {runtime.phase}, up {span(now - runtime.started_at)}, "
        f"pid {runtime.pid}, version {runtime.version}",
        f"language: {runtime.lang}; model: {runtime.model or 'none'}",
    ]
    lines += [f"problem: {problem}" for problem in runtime.problems]
    beat = runtime.heartbeat
    if beat is None:
        lines.append("heartbeat: none sent (not paired: `assistant register`)")
    else:
        outcome = "accepted" if beat.ok else f"not accepted: {beat.error}"
        lines.append(f"heartbeat: {span(now - beat.at)} ago, {outcome}")
    if runtime.last_error and runtime.last_error_at is not None:
        lines.append(f"last warning: {span(now - runtime.last_error_at)} ago: "
                     f"{runtime.last_error}")  # fmt: skip
    return lines


def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="How many last lines.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
) -> None:
    """The assistant's log: the last lines, and with --follow the new ones as they come."""
    _, paths = load_settings()
    current = log_file(paths.logs_dir)
    if not current.exists() and not follow:
        typer.echo(f"{current}: no log yet (the assistant has not run here; under systemd, "
                   "`journalctl -u xiaoan` shows its start)")  # fmt: skip
        return
    info = current.stat() if current.exists() else None
    size = info.st_size if info else 0
    for line in _last_lines(current, lines, size):
        sys.stdout.write(line)
    sys.stdout.flush()
    if follow:
        _follow(current, size, info.st_ino if info else None)


def _last_lines(current: Path, count: int, size: int) -> list[str]:
    """The last ``count`` lines across the rotated files and the first ``size`` bytes of
    the current one (what follows is ``--follow``'s)."""
    files = [current.with_name(f"{current.name}.{i}") for i in range(BACKUPS, 0, -1)]
    out: list[str] = []
    for path in [*files, current]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        data = data[:size] if path == current else data
        out.extend(data.decode("utf-8", errors="replace").splitlines(keepends=True))
        out = out[-count:] if count else []
    return out


def _follow(current: Path, position: int, inode: int | None) -> None:
    """Print what is appended after ``position``; start over when the file was rotated."""
    while True:
        try:
            info = current.stat()
        except FileNotFoundError:
            time.sleep(FOLLOW_POLL_S)
            continue
        if info.st_ino != inode or info.st_size < position:
            inode, position = info.st_ino, 0  # rotated: the new file from its start
        if info.st_size > position:
            with current.open("rb") as stream:
                stream.seek(position)
                data = stream.read()
            position += len(data)
            sys.stdout.write(data.decode("utf-8", errors="replace"))
            sys.stdout.flush()
        time.sleep(FOLLOW_POLL_S)
