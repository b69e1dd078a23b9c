"""Case files and scoring: what the tests and ``bench/intents.py`` share.

Receives case files (``tests/data/intents/<lang>/<intent>.yaml``, format in
``tests/data/intents/README.md``, or a flat ``cases:`` list as in ``bench/data/``);
emits ``Case`` values and, given a parser's results, the checks of one case.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from intents.results import ParseResult, SlotValue

DEFAULT_NOW = "2026-11-22T10:00:00+08:00"
_DEFAULT_MOMENT = datetime.fromisoformat(DEFAULT_NOW)


@dataclass(frozen=True)
class Case:
    """One utterance with the intent and slots it must produce."""

    lang: str
    text: str
    intent: str
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    now: datetime = _DEFAULT_MOMENT
    source: str = ""

    def slot_errors(self, result: ParseResult) -> list[str]:
        """Expected slots that came out wrong or not at all."""
        return [
            f"{name}: expected {value!r}, got {result.slots.get(name)!r}"
            for name, value in self.slots.items()
            if result.slots.get(name) != value
        ]


def load_cases(path: Path) -> Iterator[Case]:
    """Cases of one file (per-intent ``tests:`` or flat ``cases:``)."""
    content: Any = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    lang = str(content["language"])
    now = datetime.fromisoformat(str(content.get("now", DEFAULT_NOW)))
    default_intent = str(content.get("intent", ""))
    for entry in content.get("tests", []):
        for sentence in entry["sentences"]:
            yield Case(
                lang,
                str(sentence),
                str(entry.get("intent", default_intent)),
                _slots(entry.get("slots")),
                datetime.fromisoformat(str(entry["now"])) if "now" in entry else now,
                path.name,
            )
    for entry in content.get("cases", []):
        yield Case(
            lang,
            str(entry["text"]),
            str(entry["intent"]),
            _slots(entry.get("slots")),
            datetime.fromisoformat(str(entry["now"])) if "now" in entry else now,
            path.name,
        )


def _slots(raw: Mapping[str, Any] | None) -> dict[str, SlotValue]:
    if not raw:
        return {}
    return {str(k): v if isinstance(v, int) else str(v) for k, v in raw.items()}
