"""``assistant reminders …``: the family's schedule checked, installed, listed, and what
became of each reminder.

Verbs: ``validate FILE`` (every mistake at once, with its line), ``install FILE`` (only a
good file replaces ``$XIAOAN_HOME/schedule.yaml``), ``example``, ``list`` (the coming
reminders), ``history`` (taken, late, missed), ``remove ID`` (a voice reminder).
``--json`` prints one JSON object per line.

Families write and read these, so the lines and the schedule's mistakes (file, line, what
is wrong, the fix) are in the device's language (``lang``, zh by default), from
``assistant/data/messages.yaml``; ``--json`` keys and values are the same in both. A list
with nothing in it says so in one line (``list``: nothing coming; ``history``: nothing
recorded); with ``--json`` it is an empty stream (no line at all).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.shared import JsonOption, emit

if TYPE_CHECKING:
    from assistant.config import Settings

app = typer.Typer(
    help="The reminder schedule: validate, install, example, list, history, remove.",
    no_args_is_help=True,
)
FileArg = Annotated[Path, typer.Argument(help="A schedule file (YAML).")]
DaysOption = Annotated[int, typer.Option("--days", min=1, max=366, help="How many days.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Count the days from this ISO 8601 time, not now.")
]


@app.command()
def validate(file: FileArg, as_json: JsonOption = False) -> None:
    """Check a schedule file: every mistake, each with its line and the fix."""
    from assistant.reminders import words
    from assistant.reminders.schedule_file import load_schedule_file
    from assistant.values.messages import say

    lang = _device_lang()
    schedule = load_schedule_file(file, lang)
    if as_json:
        emit({"file": str(file), "ok": True, "medicines": len(schedule.medicines)})
        return
    emit(say(lang, "reminders.good", file=file, summary=words.describe(schedule, lang)))


@app.command()
def install(file: FileArg) -> None:
    """Check a schedule file and, only if it is good, make it the one in force."""
    from assistant.config import load_settings
    from assistant.reminders import words
    from assistant.reminders.device import install_schedule
    from assistant.values.messages import say

    settings, paths = load_settings()
    schedule = install_schedule(settings, paths, file)
    summary = words.describe(schedule, settings.lang)
    emit(say(settings.lang, "reminders.installed", file=paths.schedule_file, summary=summary))


@app.command()
def example(
    lang: Annotated[
        str | None, typer.Option("--lang", help="zh or en (default: the device's language).")
    ] = None,
) -> None:
    """Print a fully commented example schedule (redirect it into a file to start from)."""
    from assistant.errors import ConfigError
    from assistant.values.messages import say

    device = _device_lang()
    if lang is not None and lang not in ("zh", "en"):
        raise ConfigError(say(device, "reminders.bad_lang", lang=lang))
    name = f"data/schedule.example.{lang or device}.yaml"
    try:
        text = resources.files("assistant").joinpath(name).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(say(device, "reminders.example_missing", name=name)) from err
    sys.stdout.write(text)


@app.command("list")
def list_(
    days: DaysOption = 7,
    file: Annotated[
        Path | None, typer.Option("--file", help="List this file's reminders instead.")
    ] = None,
    as_json: JsonOption = False,
    now_text: NowOption = None,
) -> None:
    """The coming reminders, in plain words."""
    from assistant.config import load_settings
    from assistant.reminders import words
    from assistant.reminders.device import open_reminders
    from assistant.reminders.schedule_file import load_schedule_file
    from assistant.values import phrasing
    from assistant.values.messages import say
    from assistant.values.slots import in_past

    settings, paths = load_settings()
    schedule = load_schedule_file(file, settings.lang) if file else None
    reminders = open_reminders(settings, paths, schedule)
    now = _moment(now_text, settings)
    planned = reminders.planned(now, days * 86400.0)
    said = len(planned)
    for occurrence in planned:
        if as_json:
            emit({"due": occurrence.due.isoformat(), "kind": occurrence.kind,
                    **occurrence.data})  # fmt: skip
        else:
            when = words.when_words(occurrence.due, settings.lang)
            emit(f"{when}  {words.what_words(occurrence, settings.lang)}")
    if not file:
        for voice in reminders.voice_reminders():
            if in_past(voice.spec, now):
                continue
            said += 1
            when = phrasing.when(voice.spec, now, settings.lang, absolute=True)
            emit({"voice_id": voice.id, "when": voice.spec, "what": voice.what} if as_json
                   else f"#{voice.id}  {when}  {voice.what}")  # fmt: skip
    if not said and not as_json:
        emit(say(settings.lang, "reminders.nothing_coming", days=days))


@app.command()
def history(days: DaysOption = 7, as_json: JsonOption = False, now_text: NowOption = None) -> None:
    """What became of each reminder: taken (and how late), missed, answered."""
    from assistant.config import load_settings
    from assistant.reminders import words
    from assistant.reminders.device import open_reminders
    from assistant.values.messages import messages, say, word

    settings, paths = load_settings()
    lang = settings.lang
    reminders = open_reminders(settings, paths, None)
    since = _moment(now_text, settings).timestamp() - days * 86400.0
    entries = reminders.history(since)
    if not entries and not as_json:
        emit(say(lang, "reminders.no_history", days=days))
    for entry in entries:
        if as_json:
            emit(entry)
            continue
        due = datetime.fromisoformat(entry["due"])
        outcome = word(lang, "reminders.outcome", entry["outcome"])
        late = entry.get("late_s")
        if late is not None and late >= 60:
            outcome += say(lang, "reminders.late", minutes=int(late // 60))
        if f"reminders.why_word.{entry.get('why')}" in messages():
            outcome += say(
                lang, "reminders.why", why=word(lang, "reminders.why_word", entry["why"])
            )
        kind = word(lang, "reminders.kind", entry["kind"])
        when = words.when_words(due, lang)
        emit(f"{when}  {kind} {entry['name']}  {outcome}".rstrip())


@app.command()
def remove(
    voice_id: Annotated[int, typer.Argument(help="The #id `list` shows.", min=1, max=2**63 - 1)],
) -> None:
    """Remove a reminder that was set by voice."""
    from assistant.config import load_settings
    from assistant.errors import ConfigError
    from assistant.reminders.device import open_reminders
    from assistant.values.messages import say

    settings, paths = load_settings()
    reminders = open_reminders(settings, paths, None)
    if not reminders.remove_voice(voice_id):
        raise ConfigError(say(settings.lang, "reminders.no_voice", id=voice_id))
    emit(say(settings.lang, "reminders.removed", id=voice_id))


def _device_lang() -> str:
    """The device's language (for the commands that need no other setting): a broken
    config.yaml does not keep a family from checking a schedule file."""
    from assistant.config import LANGUAGES, Settings, load_settings
    from assistant.errors import ConfigError

    try:
        return load_settings()[0].lang
    except ConfigError:
        lang = os.environ.get("XIAOAN_LANG", "")
        return lang if lang in LANGUAGES else Settings().lang


def _moment(text: str | None, settings: Settings) -> datetime:
    from assistant.config import parse_moment

    return datetime.now(settings.tz) if text is None else parse_moment(text, settings.tz)
