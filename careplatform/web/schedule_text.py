"""A family's reminder schedule as an operator types it (YAML, the same as the device's
``schedule.yaml``), checked before it is stored: at most 64 KiB, no aliases (a few lines
of them can expand to gigabytes), at most 16 levels deep, a mapping at the top. What the
schedule means is checked by the device when it takes it up; a device that cannot use
it says so in its heartbeat (the devices page)."""

from __future__ import annotations

import io
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
    if len(text.encode("utf-8")) > MAX_BYTES:
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
    """Dates and times as the ISO text the device reads back (JSON has no dates)."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
