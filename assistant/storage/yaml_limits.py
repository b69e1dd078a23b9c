"""YAML written by people, within limits, checked before it is loaded.

A settings file or a family's schedule is a few kilobytes. Loading YAML is slow (about
0.1 s per 10 KiB on this machine, several times more on a Pi), its loader recurses into
nested collections (10,000 ``[`` end in a ``RecursionError``), and aliases let a small
file stand for a huge one (a "billion laughs" file). So, before loading, a file is refused
when it is larger than its limit, nested deeper than ``MAX_DEPTH``, or uses an alias
(``*name``: no file of ours needs one). The check reads the event stream, which does not
recurse. Receives text; emits the first limit passed, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

MAX_DEPTH = 16
"""Collections inside collections: a schedule needs 4."""
SETTINGS_BYTES = 16 * 1024
SCHEDULE_BYTES = 64 * 1024


@dataclass(frozen=True)
class OverLimit:
    """What limit a text passed, and where."""

    kind: str
    """``too_large``, ``too_deep`` or ``alias``."""
    line: int
    """From 1; 0 for the whole file."""
    limit: int

    def words(self) -> str:
        """The problem and its fix, in a technician's English."""
        if self.kind == "too_large":
            return f"the file is larger than {self.limit // 1024} KiB: it cannot be this big"
        if self.kind == "too_deep":
            return f"lists or mappings nested more than {self.limit} deep: write it flat"
        return "an alias (*name) is used: write the value out instead"


def over_limits(text: str, max_bytes: int, max_depth: int = MAX_DEPTH) -> OverLimit | None:
    """The first limit ``text`` passes (None: within every limit, or not YAML at all,
    which the loader then reports with its line)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return OverLimit("too_large", 0, max_bytes)
    depth = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            line = event.start_mark.line + 1 if event.start_mark else 0
            if isinstance(event, AliasEvent):
                return OverLimit("alias", line, 0)
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                depth += 1
                if depth > max_depth:
                    return OverLimit("too_deep", line, max_depth)
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                depth -= 1
    except YAMLError:
        return None
    except RecursionError:
        return OverLimit("too_deep", 0, max_depth)
    return None
