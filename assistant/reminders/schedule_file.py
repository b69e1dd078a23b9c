"""Read and check a family's reminder schedule (YAML), or the platform's copy (JSON values).

Pydantic checks the structure (``extra="forbid"`` models); our validators check the values
(times, dates, day rules, meals, phone numbers) and the rules between them: no time in quiet
hours, no medicine or time twice, ``every N days`` counted from a start date. Each validator
sees only the values it needs, so one mistake hides no other: all of them are raised at once
in one ``ScheduleError``, each ``FILE, line N: what is wrong: the fix`` (without line
numbers, ``SOURCE, medicines[0].times[1]: …``), always in our words, never pydantic's: the
``schedule.*`` messages of ``assistant/data/messages.yaml``, in the language asked for
(``lang``: the device's for the family's commands, English for the log and the platform).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from datetime import date, time
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    PlainValidator,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from assistant.errors import ScheduleError
from assistant.reminders.schedule_values import (
    bad,
    closest,
    parse_date,
    parse_days,
    parse_meal,
    parse_phone,
    parse_time,
    parse_weekday,
    show,
)
from assistant.storage import files
from assistant.storage.yaml_limits import MAX_DEPTH, SCHEDULE_BYTES, over_limits
from assistant.values.messages import say
from assistant.values.schedule import (
    CheckIn,
    Contact,
    Days,
    Inactivity,
    Meal,
    Medicine,
    QuietHours,
    Reminding,
    Schedule,
)

Loc = tuple[str | int, ...]
Lines = Callable[[Loc], int]


def _awake(moment: time, info: ValidationInfo) -> time:
    quiet: QuietHours | None = (info.context or {}).get("quiet")
    if quiet and quiet.contains(moment):
        span = f"{quiet.start:%H:%M}–{quiet.end:%H:%M}"
        raise bad("in_quiet_hours", time=f"{moment:%H:%M}", span=span)
    return moment


def _once(times: list[time]) -> list[time]:
    twice = sorted({t for t in times if times.count(t) > 1})
    if twice:
        raise bad("time_twice", time=f"{twice[0]:%H:%M}")
    return sorted(times)


def _unique(name: str, info: ValidationInfo) -> str:
    names: set[str] = (info.context or {}).setdefault("names", set())
    if name in names:
        raise bad("name_twice", name=name)
    names.add(name)
    return name


def _after_start(end: date | None, info: ValidationInfo) -> date | None:
    start = info.data.get("start")
    if start and end and end < start:
        raise bad("end_before_start", end=str(end), start=str(start))
    return end


def _from_start(days: Days | None, info: ValidationInfo) -> Days | None:
    if days and days.rule == "every" and "start" in info.data and info.data["start"] is None:
        raise bad("every_needs_start", every=days.every_n)
    return days


def _not_every(days: Days | None) -> Days | None:
    if days and days.rule == "every":
        raise bad("checkin_every")
    return days


def _not_start(end: time, info: ValidationInfo) -> time:
    if info.data.get("start") == end:
        raise bad("quiet_same", time=f"{end:%H:%M}")
    return end


def _as_list(value: object) -> object:
    return [] if value is None else value if isinstance(value, list) else [value]


def _blank(value: object) -> object:
    return "" if value is None else value


_Time = Annotated[time, PlainValidator(parse_time)]
_DueTime = Annotated[_Time, AfterValidator(_awake)]
_Date = Annotated[date, PlainValidator(parse_date)]
_Weekdays = list[Annotated[int, PlainValidator(parse_weekday)]]


def _days_schema(_: object, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """Days: a rule written as text, or a list of weekdays, each checked at its own place."""
    weekdays = handler.generate_schema(_Weekdays)
    return core_schema.no_info_wrap_validator_function(parse_days, weekdays)


_DaysIn = Annotated[Days, GetPydanticSchema(_days_schema)]
_Name = Annotated[str, Field(min_length=1, max_length=40)]
_Text40 = Annotated[str, BeforeValidator(_blank), Field(max_length=40)]
_Text100 = Annotated[str, BeforeValidator(_blank), Field(max_length=100)]


class _In(BaseModel):
    """A part of the schedule as written; an unknown key is a mistake."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


MAX_MEDICINES = 50
"""More medicines than anyone takes: a longer list is a mistake (or an attack)."""
MAX_CONTACTS = 10


class _MedicineIn(_In):
    """One entry of ``medicines``."""

    name: Annotated[_Name, AfterValidator(_unique)]
    times: Annotated[
        list[_DueTime],
        BeforeValidator(_as_list),
        Field(min_length=1, max_length=24),
        AfterValidator(_once),
    ]
    dose: _Text40 = ""
    start: _Date | None = None
    end: Annotated[_Date | None, AfterValidator(_after_start)] = None
    days: Annotated[_DaysIn | None, AfterValidator(_from_start)] = None
    meal: Annotated[Meal, PlainValidator(parse_meal)] = ""
    note: _Text100 = ""


class _CheckInIn(_In):
    """The ``checkin`` section."""

    time: _DueTime
    days: Annotated[_DaysIn | None, AfterValidator(_not_every)] = None


class _InactivityIn(_In):
    """The ``inactivity`` section."""

    by: _DueTime


class _QuietHoursIn(_In):
    """The ``quiet_hours`` section (``from`` and ``to``)."""

    start: _Time = Field(alias="from")
    end: Annotated[_Time, AfterValidator(_not_start)] = Field(alias="to")


class _ContactIn(_In):
    """One entry of ``notify``."""

    name: _Name
    relation: _Text40 = ""
    phone: Annotated[_Text40, AfterValidator(parse_phone)] = ""


class _RemindingIn(_In):
    """The ``reminding`` section; the ranges are ``Reminding``'s."""

    repeats: Annotated[int, Field(strict=True, ge=0, le=10)] = 3
    repeat_every_min: Annotated[float, Field(strict=True, ge=1, le=60)] = 5.0
    snooze_min: Annotated[int, Field(strict=True, ge=1, le=120)] = 10
    late_fire_min: Annotated[float, Field(strict=True, ge=0, le=240)] = 30.0
    early_taken_min: Annotated[float, Field(strict=True, ge=0, le=180)] = 60.0


class _ScheduleIn(_In):
    """The whole file: every section is optional."""

    address_form: _Text40 = ""
    medicines: Annotated[list[_MedicineIn], Field(max_length=MAX_MEDICINES)] | None = None
    checkin: _CheckInIn | None = None
    inactivity: _InactivityIn | None = None
    quiet_hours: _QuietHoursIn | None = None
    notify: Annotated[list[_ContactIn], Field(max_length=MAX_CONTACTS)] | None = None
    reminding: _RemindingIn | None = None


_SECTIONS: dict[str, type[BaseModel]] = {"medicines": _MedicineIn, "checkin": _CheckInIn,
    "inactivity": _InactivityIn, "quiet_hours": _QuietHoursIn, "notify": _ContactIn,
    "reminding": _RemindingIn}  # fmt: skip
_EXAMPLES = {"address_form": "王奶奶", "name": "降压药", "times": '["08:00", "20:00"]',
    "dose": "一片", "note": "多喝水", "time": '"09:00"', "by": '"11:00"', "from": '"22:00"',
    "to": '"07:00"', "relation": "儿子", "phone": '"13800000000"', "repeats": "3",
    "repeat_every_min": "5", "snooze_min": "10", "late_fire_min": "30",
    "early_taken_min": "60", "notify.name": "王小明"}  # fmt: skip
_SAYS = frozenset({"missing", "empty", "empty_item", "string_type", "string_too_short",
    "too_long", "int_type", "float_type", "greater_than_equal", "less_than_equal", "list_type",
    "too_short", "model_type"})  # fmt: skip
"""Pydantic's error types that have a ``schedule.<type>`` message; others: ``not_valid``."""


def _known(section: Loc) -> list[str]:
    """The keys allowed at a place (``()``: the top level; ``("medicines", 0)``: a medicine)."""
    names = [step for step in section if isinstance(step, str)]
    model = _SECTIONS.get(names[0], _In) if names else _ScheduleIn
    return [field.alias or name for name, field in model.model_fields.items()]


def _name(loc: Loc, lang: str) -> str:
    if not loc:
        return say(lang, "schedule.name.schedule")
    if isinstance(loc[-1], str):
        return f"`{loc[-1]}`"
    which = {"medicines": "medicine", "notify": "contact"}.get(str(loc[0]), "other")
    return say(lang, f"schedule.name.{which}")


def _kind(value: object, lang: str) -> str:
    kinds = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (list, "list"),
        (dict, "dict"), (date, "date"))  # fmt: skip
    kind = next((name for kind, name in kinds if isinstance(value, kind)), "none")
    return say(lang, f"schedule.kind.{kind}")


def _describe(error: ErrorDetails, lang: str) -> str:
    """Our own words for one of pydantic's errors (never its English text)."""
    kind, loc, value, ctx = error["type"], error["loc"], error["input"], error.get("ctx", {})
    key = next((str(step) for step in reversed(loc) if isinstance(step, str)), "")
    if kind == "schedule":
        fields = {name: text for name, text in ctx.items() if name != "say"}
        return say(lang, f"schedule.{ctx['say']}", **fields)
    if kind in ("extra_forbidden", "invalid_key"):
        key, known = str(loc[-1]), _known(loc[:-1])
        close = closest(key, known)
        which = "schedule.unknown_key_close" if close else "schedule.unknown_key"
        return say(lang, which, key=key, close=close, keys=", ".join(known))
    if kind in ("dict_type", "model_type") or not loc:
        kind = "model_type" if value is not None or not loc else "empty_item"
    elif value is None and kind.endswith("_type"):
        kind = "empty"
    example = _EXAMPLES.get(f"{loc[0]}.{key}" if loc else key) or _EXAMPLES.get(key, "…")
    fields = {"key": key, "name": _name(loc, lang), "owner": _name(loc[:-1], lang),
        "kind": _kind(value, lang), "example": example, "shown": show(value),
        "keys": ", ".join(_known(loc)), "length": len(value) if isinstance(value, str) else 0,
        **ctx}  # fmt: skip
    return say(lang, f"schedule.{kind if kind in _SAYS else 'not_valid'}", **fields)


def _quiet_hours(data: Any) -> QuietHours | None:
    """The quiet hours when both times are good (the other times are checked against them)."""
    with suppress(PydanticCustomError, LookupError, TypeError):
        start, end = parse_time(data["quiet_hours"]["from"]), parse_time(data["quiet_hours"]["to"])
        return QuietHours(start, end) if start != end else None
    return None


def _medicine(m: _MedicineIn, line: int) -> Medicine:
    return Medicine(m.name, tuple(m.times), m.dose, m.days or Days(), m.start, m.end, m.meal,
                    m.note, line)  # fmt: skip


def _build(m: _ScheduleIn, lines: Lines | None) -> Schedule:
    medicines = enumerate(m.medicines or [])
    return Schedule(
        medicines=tuple(
            _medicine(x, lines(("medicines", i)) if lines else 0) for i, x in medicines
        ),
        checkin=CheckIn(m.checkin.time, m.checkin.days or Days()) if m.checkin else None,
        inactivity=Inactivity(m.inactivity.by) if m.inactivity else None,
        quiet_hours=QuietHours(m.quiet_hours.start, m.quiet_hours.end) if m.quiet_hours else None,
        notify=tuple(Contact(c.name, c.relation, c.phone) for c in m.notify or []),
        reminding=Reminding(**m.reminding.model_dump()) if m.reminding else Reminding(),
        address_form=m.address_form,
    )


def _dotted(loc: Loc) -> str:
    return "".join(
        f"[{step}]" if isinstance(step, int) else f".{step}" for step in loc
    ).removeprefix(".")


def _report(errors: list[ErrorDetails], source: str, lines: Lines | None, lang: str) -> list[str]:
    found = [(error["loc"], _describe(error, lang)) for error in errors]
    if lines is None:
        return [_at(lang, source, text, place=_dotted(loc)) for loc, text in found]
    rows = sorted(((lines(loc), text) for loc, text in found), key=lambda row: row[0])
    return [_at(lang, source, text, line=line) for line, text in rows]


def _at(lang: str, source: str, text: str, line: int = 0, place: str = "") -> str:
    """A problem where it is: ``FILE, line N: …``, ``SOURCE, medicines[0]: …`` or ``FILE: …``."""
    if line:
        return say(lang, "schedule.at_line", source=source, line=line, text=text)
    if place:
        return say(lang, "schedule.at_place", source=source, place=place, text=text)
    return say(lang, "schedule.at_file", source=source, text=text)


def parse_schedule(
    data: object, source: str, lines: Lines | None = None, lang: str = "en"
) -> Schedule:
    """Check an already-read schedule (the file's YAML or the platform's JSON) in full.

    ``lines`` gives the line of a place such as ``("medicines", 0, "times")`` in the file;
    without it a problem names the place, ``medicines[0].times``. Raises ``ScheduleError``
    with every problem found, in ``lang`` (zh or en)."""
    context: dict[str, object] = {"quiet": _quiet_hours(data), "names": set()}
    try:
        model = _ScheduleIn.model_validate(data, context=context)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        raise ScheduleError(_report(errors, source, lines, lang)) from None
    return _build(model, lines)


def _line_of(root: Any, loc: Loc) -> int:
    """The line (from 1) of a place in ruamel's data, else of the closest place above it
    (for a missing key: the line of the mapping that lacks it)."""
    node, row = root, getattr(getattr(root, "lc", None), "line", 0)
    for step in loc:
        known = isinstance(node, CommentedMap | CommentedSeq) and node.lc.data is not None
        position = node.lc.data.get(step) if known else None
        if position is None:
            break
        row, node = position[0], node[step]
    return int(row) + 1


class _Constructor(RoundTripConstructor):
    """Round-trip data, with an impossible date (2026-02-30) left as text, to be reported."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _read(path: Path, lang: str) -> Any:
    """The file's YAML as ruamel's round-trip data; each way it cannot be read is a problem."""
    line, why = 0, ""
    try:
        raw, yaml = files.read_small(path, SCHEDULE_BYTES), YAML(typ="rt")
        text = raw.decode("utf-8-sig")
        over = over_limits(text, SCHEDULE_BYTES)
        if over is None:
            yaml.Constructor = _Constructor
            return yaml.load(text)
        problem, line, why = f"yaml_{over.kind}", over.line, str(over.limit)
    except FileNotFoundError:
        problem = "no_file"
    except files.NotAFile:
        problem = "not_a_file"
    except OSError as err:
        problem, why = "cannot_read", str(err.strerror)
    except RecursionError:
        problem, why = "yaml_too_deep", str(MAX_DEPTH)
    except UnicodeDecodeError as err:
        problem, line = "not_utf8", raw.count(b"\n", 0, err.start) + 1
    except DuplicateKeyError as err:
        key = re.search(r'duplicate key "(.*?)"', str(err.problem))
        problem, line, why = "key_twice", err.problem_mark.line + 1, key[1] if key else "?"
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem, line, why = "not_yaml", mark.line + 1 if mark else 0, str(err.problem)
    except (YAMLError, ValueError) as err:
        problem, why = "not_yaml_syntax", str(err)
    text = say(lang, f"schedule.{problem}", why=why, key=why)
    raise ScheduleError([_at(lang, str(path), text, line=line)])


def load_schedule_file(path: Path, lang: str = "en") -> Schedule:
    """Read and check a family's schedule file; ``ScheduleError`` lists every mistake, in
    ``lang`` (zh or en: the device's language for the family's commands)."""
    data = _read(path, lang)
    if data is None:
        raise ScheduleError([_at(lang, str(path), say(lang, "schedule.empty_file"))])
    return parse_schedule(data, str(path), partial(_line_of, data), lang)
