"""Danger read from meaning: concepts with their context, kept as data.

Receives one cleaned utterance (``intents.normalize``); emits a ``Danger``: whether it
tells of a present danger (``sure``: an emergency by itself; ``maybe``: ask the elder
first), of which emergency ``kind``, and what, if anything, cancelled it.

The data, ``intents/concepts/<lang>.yaml``, has four parts (regular expressions, matched
case-insensitively on the cleaned text):

- ``idioms``: phrases that look like danger and are not (急死我了, scared me to death);
  they are blanked out before anything else is read, so 急死我了，老伴叫不醒了 still
  finds 叫不醒;
- ``concepts``: what danger sounds like (FAST stroke signs, cardiac pain, breathing,
  bleeding, unresponsive, on the floor, fire, smoke, gas, an intruder, 不行了, calls for
  help), each with its ``kind`` and ``level``; a concept counts for the elder and for
  someone with them alike;
- ``negation``: words that, directly before a concept, deny it (没, 不是; not, never);
- ``context``: what changes the whole utterance, each group with its ``effect``:
  ``cancel`` (a dream, a game, the meaning of a word, recovered: not an emergency, and
  not asked about) or ``doubt`` (TV and stories, a question about signs or first aid, a
  hypothetical, someone already in hospital, a notice, the past: asked first, so a real
  danger told with such words is still never ignored). ``present`` words (现在, 还, 突然,
  right now) undo a ``doubt``, never a ``cancel``.

The strongest uncancelled concept decides: ``sure`` before ``maybe``; a ``doubt`` turns
``sure`` into ``maybe``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import IntentDataError
from intents import yamlcache

SURE = "sure"
MAYBE = "maybe"
NONE = "none"
_LEVELS = (SURE, MAYBE)
_EFFECTS = ("cancel", "doubt")
_KINDS = ("fall", "medical", "fire", "intruder", "general")
_KIND_ORDER = {"fire": 0, "intruder": 1, "medical": 2, "fall": 3, "general": 4}
"""When several concepts are found, the most specific kind is reported first."""


@dataclass(frozen=True)
class Danger:
    """What one utterance says about danger."""

    level: str = NONE
    """``sure`` (an emergency), ``maybe`` (ask first) or ``none``."""
    kind: str = ""
    """The emergency kind of the strongest concept (``docs/slots.md``); "" for none."""
    concepts: tuple[str, ...] = ()
    """Names of the concepts found and not cancelled."""
    cancelled_by: str = ""
    """The context group (or ``negation``) that cancelled the danger: not an emergency."""
    doubted_by: str = ""
    """The context group that put the danger in doubt: asked first, never ignored."""

    @property
    def sure(self) -> bool:
        """An emergency by itself."""
        return self.level == SURE

    @property
    def maybe(self) -> bool:
        """Danger or pain that is not sure: ask the elder first."""
        return self.level == MAYBE


@dataclass(frozen=True)
class _Concept:
    name: str
    kind: str
    level: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Context:
    name: str
    effect: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class DangerReader:
    """Reads danger in utterances of one language; build with ``DangerReader.load``."""

    lang: str
    idioms: re.Pattern[str] | None
    concepts: tuple[_Concept, ...]
    negation: re.Pattern[str] | None
    context: tuple[_Context, ...]
    present: re.Pattern[str] | None
    fine: re.Pattern[str] | None = None
    """Answers that say "I am all right" (我很好, 没事, I'm fine): no to the safety question."""

    @classmethod
    def load(cls, lang: str, path: Path | None = None) -> DangerReader:
        """Read ``intents/concepts/<lang>.yaml`` (or ``path``); errors name file and entry."""
        path = path or Path(str(resources.files("intents"))) / "concepts" / f"{lang}.yaml"
        return _load(path, lang)

    def without_idioms(self, text: str) -> str:
        """``text`` with its idioms taken out (急死我了 is not danger)."""
        if self.idioms is None:
            return text
        if self.lang == "zh":
            return self.idioms.sub("", text)
        return " ".join(self.idioms.sub(" ", text).split())

    def says_fine(self, text: str) -> bool:
        """Whether ``text`` says the speaker is all right (or starts with a no)."""
        return self.fine is not None and self.fine.search(text) is not None

    def read(self, text: str) -> Danger:
        """The danger ``text`` tells of, with what cancelled it."""
        if self.idioms is not None:
            text = self.idioms.sub(lambda m: " " * len(m.group()), text)
        found: list[_Concept] = []
        negated = False
        for concept in self.concepts:
            for m in concept.pattern.finditer(text):
                if self._negated(text, m.start()):
                    negated = True
                    continue
                found.append(concept)
                break
        effects = [c for c in self.context if c.pattern.search(text)]
        cancel = next((c for c in effects if c.effect == "cancel"), None)
        if cancel is not None:  # also said of a rule's emergency phrase without a concept
            return Danger(cancelled_by=cancel.name)
        doubt = next((c for c in effects if c.effect == "doubt"), None)
        if doubt is not None and self.present is not None and self.present.search(text):
            doubt = None  # 昨晚摔的，到现在还起不来: said of now
        doubted = doubt.name if doubt is not None else ""
        if not found:
            return Danger(cancelled_by="negation" if negated else "", doubted_by=doubted)
        names = tuple(dict.fromkeys(c.name for c in found))
        best = min(found, key=lambda c: (_LEVELS.index(c.level), _KIND_ORDER[c.kind]))
        kinds = [c for c in found if c.level == best.level]
        kind = min(kinds, key=lambda c: _KIND_ORDER[c.kind]).kind
        return Danger(MAYBE if doubt else best.level, kind, names, "", doubted)

    def _negated(self, text: str, start: int) -> bool:
        if self.negation is None:
            return False
        return self.negation.search(text[max(0, start - 16) : start]) is not None


@cache
def _load(path: Path, lang: str) -> DangerReader:
    try:
        raw: Any = yamlcache.read(path, YAML(typ="safe", pure=True).load)
    except (OSError, UnicodeDecodeError, YAMLError) as err:
        raise IntentDataError(f"{path}: cannot read the danger concepts: {err}") from err
    if not isinstance(raw, Mapping) or raw.get("language") != lang:
        raise IntentDataError(f"{path}: expected a mapping with `language: {lang}`")
    concepts = []
    for name, entry in (raw.get("concepts") or {}).items():
        where = f"{path}: concept `{name}`"
        if not isinstance(entry, Mapping):
            raise IntentDataError(f"{where}: expected kind, level and patterns")
        kind, level = entry.get("kind"), entry.get("level", SURE)
        if kind not in _KINDS:
            raise IntentDataError(f"{where}: kind must be one of {', '.join(_KINDS)}")
        if level not in _LEVELS:
            raise IntentDataError(f"{where}: level must be `sure` or `maybe`")
        concepts.append(_Concept(str(name), kind, level, _compile(where, entry.get("patterns"))))
    context = []
    for name, entry in (raw.get("context") or {}).items():
        where = f"{path}: context `{name}`"
        effect = entry.get("effect") if isinstance(entry, Mapping) else None
        if effect not in _EFFECTS:
            raise IntentDataError(f"{where}: effect must be `cancel` or `doubt`")
        context.append(_Context(str(name), effect, _compile(where, entry.get("patterns"))))
    context.sort(key=lambda c: _EFFECTS.index(c.effect))
    return DangerReader(
        lang,
        _compile(f"{path}: idioms", raw.get("idioms"), optional=True),
        tuple(concepts),
        _compile(f"{path}: negation", raw.get("negation"), optional=True, at_end=True),
        tuple(context),
        _compile(f"{path}: present", raw.get("present"), optional=True),
        _compile(f"{path}: fine", raw.get("fine"), optional=True),
    )


def _compile(where: str, patterns: Any, optional: bool = False, at_end: bool = False) -> Any:
    """One case-insensitive pattern of the alternatives; ``at_end``: matching only at the
    end of the text searched (the words directly before a concept)."""
    if not patterns:
        if optional:
            return None
        raise IntentDataError(f"{where}: no patterns")
    if isinstance(patterns, str) or not isinstance(patterns, Sequence):
        raise IntentDataError(f"{where}: patterns must be a list of regular expressions")
    for pattern in patterns:
        try:
            re.compile(str(pattern))
        except re.error as err:
            raise IntentDataError(f"{where}: bad pattern {pattern!r}: {err}") from err
    joined = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(f"(?:{joined})\\s*$" if at_end else joined, re.IGNORECASE)
