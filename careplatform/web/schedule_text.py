"""A family's reminder schedule as an operator types it (YAML, the same as the device's
``schedule.yaml``), checked before it is stored: at most 64 KiB, no aliases (a few lines
of them can expand to gigabytes), at most 16 levels deep, a mapping at the top. What the
schedule means is checked by the device when it takes it up; a device that cannot use
it says so in its heartbeat (the devices page)."""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

MAX_BYTES = 64 * 1024
MAX_DEPTH = 16


class ScheduleTextError(ValueError):
    """The text cannot be a schedule; the message says where and why."""


def parse_schedule(text: str) -> dict[str, Any]:
    """The schedule in ``text``, checked (``ScheduleTextError`` naming the problem)."""
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ScheduleTextError("the text holds a character that is no text (NUL)")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScheduleTextError(f"a schedule is at most {MAX_BYTES // 1024} KiB")
    yaml = YAML(typ="safe")
    try:
        depth = 0
        for event in yaml.parse(io.StringIO(text)):
            if isinstance(event, AliasEvent):
                raise ScheduleTextError("aliases (*name) are not allowed: write the value out")
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScheduleTextError(f"nested more than {MAX_DEPTH} deep")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
        data = yaml.load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ScheduleTextError(f"{where}{getattr(err, 'problem', None) or err}") from err
    if not isinstance(data, dict):
        raise ScheduleTextError("a schedule is a mapping: medicines:, checkin:, …")
    return dict(_as_json(data))


def _as_json(value: Any) -> Any:
    """The value in JSON's own types; dates and times as the ISO text the device reads
    back. Anything else (binary, sets, NaN, infinities) is refused."""
    if isinstance(value, dict):
        return {_key(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise ScheduleTextError(f"{value} is not a number a schedule can hold")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ScheduleTextError(
        f"a schedule holds text, numbers, lists and mappings, not {type(value).__name__}"
    )


def _key(key: Any) -> str:
    if not isinstance(key, str | int | bool | float) or key is None:
        raise ScheduleTextError(f"a mapping's key must be text, not {type(key).__name__}")
    return str(key)
