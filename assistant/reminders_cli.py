"""``assistant reminders …``: the family's schedule checked, installed, listed, and what
became of each reminder.

Verbs: ``validate FILE`` (every mistake at once, with its line), ``install FILE`` (only a
good file replaces ``$XIAOAN_HOME/schedule.yaml``), ``example``, ``list`` (the coming
reminders), ``history`` (taken, late, missed), ``remove ID`` (a voice reminder).
``--json`` prints one JSON object per line.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant import phrasing
from assistant.config import Paths, Settings, load_settings, parse_moment
from assistant.errors import ConfigError
from assistant.files import write_private
from assistant.occurrences import Occurrence
from assistant.reminders import Reminders
from assistant.schedule import Schedule
from assistant.schedule_file import load_schedule_file
from assistant.schedule_store import ScheduleStore
from assistant.storage import Database
from skills.base import in_past

app = typer.Typer(
    help="The reminder schedule: check, install, list, history.", no_args_is_help=True
)
FileArg = Annotated[Path, typer.Argument(help="A schedule file (YAML).")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
DaysOption = Annotated[int, typer.Option("--days", min=1, max=366, help="How many days.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Count the days from this ISO 8601 time, not now.")
]

_OUTCOMES = {
    "zh": {"medicine_taken": "吃了", "medicine_missed": "漏服", "checkin_answered": "回答了",
           "checkin_missed": "没有回答", "reminder_heard": "听到了", "reminder_missed": "没有回答",
           "inactivity_alert": "已报告无活动", "active": "有活动", "removed": "已取消",
           "missed": "漏服（正在报告）", "sounding": "正在提醒", "due": "等待提醒",
           "planned": "未记录"},
    "en": {"medicine_taken": "taken", "medicine_missed": "missed", "checkin_answered": "answered",
           "checkin_missed": "not answered", "reminder_heard": "heard",
           "reminder_missed": "not answered", "inactivity_alert": "inactivity reported",
           "active": "active", "removed": "removed", "missed": "missed (reporting)",
           "sounding": "sounding", "due": "waiting", "planned": "not recorded"},
}  # fmt: skip
_WHY = {
    "zh": {"no_answer": "提醒后无人回应", "device_off": "设备当时关机", "inactive": "无活动"},
    "en": {"no_answer": "no answer to the reminders", "device_off": "the device was off",
           "inactive": "no activity"},
}  # fmt: skip
_KINDS = {
    "zh": {"medicine": "吃药", "checkin": "每日问候", "inactivity": "无活动检查", "voice": "提醒"},
    "en": {"medicine": "medicine", "checkin": "check-in", "inactivity": "inactivity check",
           "voice": "reminder"},
}  # fmt: skip


@app.command()
def validate(file: FileArg, as_json: JsonOption = False) -> None:
    """Check a schedule file: every mistake, each with its line and the fix."""
    schedule = load_schedule_file(file)
    if as_json:
        _print({"file": str(file), "ok": True, "medicines": len(schedule.medicines)})
        return
    _print(f"{file}: good: {_describe(schedule)}")


@app.command()
def install(file: FileArg) -> None:
    """Check a schedule file and, only if it is good, make it the one in force."""
    settings, paths = load_settings()
    schedule = load_schedule_file(file)
    target = paths.schedule_file
    if settings.schedule_source != "file":
        raise ConfigError(
            f"schedule_source is `{settings.schedule_source}`: the platform's schedule is in "
            "force; set schedule_source: file in config.yaml to use a file"
        )
    write_private(target, file.read_bytes())
    store = ScheduleStore(Database(paths.data_dir / "xiaoan.db").create(), target)
    store.refresh_file(time.time())
    _print(f"{target}: installed: {_describe(schedule)}")


@app.command()
def example(
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
) -> None:
    """Print a fully commented example schedule (redirect it into a file to start from)."""
    if lang not in ("zh", "en"):
        raise ConfigError(f"--lang `{lang}` is not supported: write zh or en")
    name = f"data/schedule.example.{lang}.yaml"
    try:
        text = resources.files("assistant").joinpath(name).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"assistant/{name}: missing from the package: reinstall XiaoAn") from err
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
    settings, paths = load_settings()
    schedule = load_schedule_file(file) if file else None
    reminders = open_reminders(settings, paths, schedule)
    now = _moment(now_text, settings)
    for occurrence in reminders.planned(now, days * 86400.0):
        if as_json:
            _print({"due": occurrence.due.isoformat(), "kind": occurrence.kind,
                    **occurrence.data})  # fmt: skip
        else:
            when = when_words(occurrence.due, settings.lang)
            _print(f"{when}  {what_words(occurrence, settings.lang)}")
    if not file:
        for voice in reminders.voice_reminders():
            if in_past(voice.spec, now):
                continue
            words = phrasing.when(voice.spec, now, settings.lang, absolute=True)
            _print({"voice_id": voice.id, "when": voice.spec, "what": voice.what} if as_json
                   else f"#{voice.id}  {words}  {voice.what}")  # fmt: skip


@app.command()
def history(days: DaysOption = 7, as_json: JsonOption = False, now_text: NowOption = None) -> None:
    """What became of each reminder: taken (and how late), missed, answered."""
    settings, paths = load_settings()
    reminders = open_reminders(settings, paths, None)
    since = _moment(now_text, settings).timestamp() - days * 86400.0
    words = _OUTCOMES[settings.lang]
    for entry in reminders.history(since):
        if as_json:
            _print(entry)
            continue
        due = datetime.fromisoformat(entry["due"])
        outcome = words.get(entry["outcome"], entry["outcome"])
        late = entry.get("late_s")
        if late is not None and late >= 60:
            outcome += f"（晚{int(late // 60)}分钟）" if settings.lang == "zh" \
                else f" ({int(late // 60)} min late)"  # fmt: skip
        if entry.get("why") in _WHY[settings.lang]:
            outcome += f"（{_WHY[settings.lang][entry['why']]}）" if settings.lang == "zh" \
                else f" ({_WHY[settings.lang][entry['why']]})"  # fmt: skip
        kind = _KINDS[settings.lang].get(entry["kind"], entry["kind"])
        _print(f"{when_words(due, settings.lang)}  {kind} {entry['name']}  {outcome}".rstrip())


@app.command()
def remove(voice_id: Annotated[int, typer.Argument(help="The #id `list` shows.")]) -> None:
    """Remove a reminder that was set by voice."""
    settings, paths = load_settings()
    reminders = open_reminders(settings, paths, None)
    if not reminders.remove_voice(voice_id):
        raise ConfigError(
            f"there is no voice reminder #{voice_id}: `assistant reminders list` shows them"
        )
    _print(f"voice reminder #{voice_id} removed")


def open_reminders(settings: Settings, paths: Paths, schedule: Schedule | None) -> Reminders:
    """The device's reminders (read side), on its schedule or on ``schedule``."""
    db = Database(paths.data_dir / "xiaoan.db").create()
    if schedule is None:
        store = ScheduleStore(db, paths.schedule_file, settings.schedule_source)
        store.refresh_file(time.time())
        return Reminders(db, time.time, settings.tz, store.current, resay=False)
    return Reminders(db, time.time, settings.tz, lambda: schedule, resay=False)


def _moment(text: str | None, settings: Settings) -> datetime:
    return datetime.now(settings.tz) if text is None else parse_moment(text, settings.tz)


def _describe(schedule: Schedule) -> str:
    parts = [f"{len(schedule.medicines)} medicine(s)"]
    if schedule.checkin:
        parts.append(f"check-in {schedule.checkin.time:%H:%M}")
    if schedule.inactivity:
        parts.append(f"inactivity alert by {schedule.inactivity.by:%H:%M}")
    if schedule.quiet_hours:
        quiet = schedule.quiet_hours
        parts.append(f"quiet {quiet.start:%H:%M}–{quiet.end:%H:%M}")
    parts.append(f"{len(schedule.notify)} contact(s) to notify")
    return ", ".join(parts)


def when_words(moment: datetime, lang: str) -> str:
    """A reminder's time in plain words."""
    if lang == "zh":
        return phrasing.zh_day(moment.date(), moment.date() - timedelta(days=9), True) + " " \
            + phrasing.zh_clock(moment, True)  # fmt: skip
    return f"{moment:%a %d %b} {moment:%H:%M}"


_MEALS = {
    "zh": {"before": "饭前", "after": "饭后", "with": "随餐"},
    "en": {"before": "before a meal", "after": "after a meal", "with": "with a meal"},
}


def what_words(occurrence: Occurrence, lang: str) -> str:
    """What a reminder is about, in plain words."""
    kind = _KINDS[lang].get(occurrence.kind, occurrence.kind)
    meal = _MEALS[lang].get(occurrence.meal, "")
    extra = [x for x in (occurrence.name, occurrence.dose, meal, occurrence.note) if x]
    return f"{kind} {' '.join(extra)}".rstrip()


def _print(value: str | dict[str, Any]) -> None:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
