"""Load one language's sentence data and compile it for matching.

Receives the YAML files under ``intents/<lang>/`` (hassil's format: ``intents``,
``lists``, ``expansion_rules``, ``skip_words``; plus ``wake_words``, ``leading_fillers``
and ``homophone_guard`` in ``_common.yaml``) and ``intents/slots.yaml``; emits
``LanguageData``: hassil's ``Intents`` plus one compiled ``Block`` per data block.

A data block's ``metadata`` says how it matches:

- ``match: whole`` (default): the template must cover the whole utterance;
- ``match: contains``: a cue phrase found anywhere, worth ``weight`` (default 0.9);
- ``match: veto``: when found, the intent's cues do not count (mentions, negations).

Files are read with ruamel.yaml (YAML 1.2) so that ``no`` stays a word, not ``False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hassil.expression import Sentence
from hassil.intents import Intents, TextSlotList
from hassil.util import merge_dict
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import IntentDataError
from intents import yamlcache
from intents.templates import (
    Capture,
    Compiler,
    expand,
    normalize_key,
    phonetic_key,
    surface_values,
)

MATCH_MODES = ("whole", "contains", "veto")
DEFAULT_WEIGHT = 0.9


@dataclass(frozen=True)
class Block:
    """One data block of one intent, compiled to a single regular expression."""

    intent: str
    mode: str
    weight: float
    pattern: re.Pattern[str]
    captures: tuple[Capture, ...]
    slots: dict[str, str]
    """Fixed slot values the block sets (``kind: fall``)."""
    source: str
    """File and templates, for messages."""
    uses_time: bool = False
    """Whole templates of intents with a time slot also match with time words taken out."""
    chars: frozenset[str] = frozenset()
    """Characters the block's templates and lists use (checks matches on sound alone)."""


@dataclass(frozen=True)
class LanguageData:
    """Everything the parser needs for one language."""

    lang: str
    hassil: Intents
    blocks: tuple[Block, ...]
    slot_names: dict[str, tuple[str, ...]]
    """Intent → the slots it may fill (``intents/slots.yaml``), in priority order."""
    list_tables: dict[str, dict[str, str]]
    """List name → surface → value, for slots found anywhere in the utterance."""
    common: dict[str, Any] = field(default_factory=dict)
    samples: tuple[tuple[str, str], ...] = ()
    """(intent, sentence) pairs expanded from whole templates, for fuzzy matching."""
    origin: dict[str, Path] = field(default_factory=dict)
    """Intent → the file that defines it."""

    @property
    def spaced(self) -> bool:
        """Words are separated by spaces."""
        return self.lang != "zh"

    def vocabulary(self) -> set[str]:
        """Words homophone correction may write: key terms and the listed lists' words.

        Deliberately not every template word: short common words (是一, 时候, 二哥)
        would rewrite correct speech. ``_common.yaml`` names the lists
        (``homophone_lists``) and the extra key terms (``homophone_vocabulary``).
        """
        words: set[str] = set(self.common.get("homophone_vocabulary", []))
        for name in self.common.get("homophone_lists", []):
            words.update(self.list_tables.get(name, {}))
        words.update(self.common.get("wake_words", []))
        return words


def data_dir() -> Path:
    """The folder holding ``zh/``, ``en/`` and ``slots.yaml``."""
    return Path(str(resources.files("intents")))


def load_language(lang: str, root: Path | None = None) -> LanguageData:
    """Read and compile ``<root>/<lang>/*.yaml``."""
    root = root or data_dir()
    folder = root / lang
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise IntentDataError(f"{folder}: no sentence data for language `{lang}`")
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in files:
        content = _read_yaml(path)
        for intent in content.get("intents", {}):
            origin[intent] = path
        merge_dict(merged, content)
    slot_names = _read_slot_names(root / "slots.yaml")
    try:
        intents = Intents.from_dict(merged)
    except Exception as err:  # hassil raises plain exceptions for syntax errors
        raise IntentDataError(f"{folder}: a template cannot be parsed: {err}") from err
    _check_intents(intents, slot_names, origin)
    parsed = _parse_all(intents)
    tables = {
        name: surface_values(lst, lang != "zh")
        for name, lst in intents.slot_lists.items()
        if isinstance(lst, TextSlotList)
    }
    blocks = tuple(_compile_blocks(intents, slot_names, origin, lang != "zh", tables, parsed))
    samples = tuple(_samples(intents, parsed))
    return LanguageData(lang, intents, blocks, slot_names, tables, merged, samples, origin)


def phonetic_blocks(data: LanguageData) -> tuple[Block, ...]:
    """The same blocks compiled over toneless pinyin (Mandarin's phonetic stage)."""
    blocks = _compile_blocks(
        data.hassil, data.slot_names, data.origin, False, data.list_tables, phonetic=True
    )
    return tuple(blocks)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yamlcache.read(path, YAML(typ="safe", pure=True).load)
    except (OSError, UnicodeDecodeError, YAMLError) as err:
        raise IntentDataError(f"{path}: cannot be read as YAML: {err}") from err
    if not isinstance(content, dict):
        raise IntentDataError(f"{path}: must be a mapping with `language` and `intents`")
    return content


def _read_slot_names(path: Path) -> dict[str, tuple[str, ...]]:
    content = _read_yaml(path)
    return {str(k): tuple(v or ()) for k, v in content.get("intents", {}).items()}


def _check_intents(
    intents: Intents, slot_names: dict[str, tuple[str, ...]], origin: dict[str, Path]
) -> None:
    for name, intent in intents.intents.items():
        if name not in slot_names:
            raise IntentDataError(f"{origin[name]}: intent `{name}` is not in intents/slots.yaml")
        for data in intent.data:
            for text in data.sentence_texts:
                wrong = sorted(set(text) & set("?？*+"))
                if wrong:
                    raise IntentDataError(
                        f"{origin[name]}: intent `{name}`: template `{text}` contains "
                        f"`{''.join(wrong)}`: hassil templates have no repetition or `?`; "
                        "write an optional part as [words] and alternatives as (a|b)"
                    )
            mode = (data.metadata or {}).get("match", "whole")
            if mode not in MATCH_MODES:
                raise IntentDataError(
                    f"{origin[name]}: intent `{name}`: match `{mode}` is not one of {MATCH_MODES}"
                )


def _compile_blocks(
    intents: Intents,
    slot_names: dict[str, tuple[str, ...]],
    origin: dict[str, Path],
    spaced: bool,
    surfaces: dict[str, dict[str, str]],
    parsed: dict[int, list[Sentence]] | None = None,
    phonetic: bool = False,
) -> list[Block]:
    """One Block per data block; ``surfaces`` are the language's list tables (surface →
    value), shared by every compiler (keyed by pinyin when ``phonetic``)."""
    parsed = parsed or _parse_all(intents)
    order = list(slot_names)
    blocks: list[Block] = []
    tables = (
        {n: {phonetic_key(k): v for k, v in t.items()} for n, t in surfaces.items()}
        if phonetic
        else dict(surfaces)
    )
    for name in sorted(intents.intents, key=order.index):
        for data in intents.intents[name].data:
            meta = data.metadata or {}
            rules = {**intents.expansion_rules, **data.expansion_rules}
            lists = {**intents.slot_lists, **data.slot_lists}
            compiler = Compiler(
                lists,
                rules,
                spaced,
                tables=tables if not data.slot_lists else {},
                phonetic=phonetic,
            )
            mode = meta.get("match", "whole")
            try:
                source = "|".join(f"(?:{compiler.compile(s.expression)})" for s in parsed[id(data)])
                if mode != "whole" and spaced:  # cues stand on word boundaries
                    source = rf"(?<![\w'])(?:{source})(?![\w'])"
                pattern = re.compile(source, re.IGNORECASE)
            except (re.error, IntentDataError) as err:
                raise IntentDataError(f"{origin[name]}: intent `{name}`: {err}") from err
            blocks.append(
                Block(
                    intent=name,
                    mode=mode,
                    weight=float(meta.get("weight", 1.0 if mode == "whole" else DEFAULT_WEIGHT)),
                    pattern=pattern,
                    captures=tuple(compiler.captures),
                    slots={k: str(v) for k, v in (data.slots or {}).items()},
                    source=f"{origin[name].name}: {data.sentence_texts[0]}",
                    uses_time=bool({"when", "date", "minutes"} & set(slot_names[name])),
                    chars=_chars(data.sentence_texts, surfaces) if phonetic else frozenset(),
                )
            )
    return blocks


def _parse_all(intents: Intents) -> dict[int, list[Sentence]]:
    """Every block's templates, parsed once (hassil's ``sentences`` parses on each access)."""
    return {id(d): d.sentences for intent in intents.intents.values() for d in intent.data}


def _chars(texts: list[str], surfaces: dict[str, dict[str, str]]) -> frozenset[str]:
    """Characters of the templates and of the lists they refer to."""
    chars = set("".join(texts))
    for name in re.findall(r"\{(\w+)", " ".join(texts)):
        chars.update("".join(surfaces.get(name, {})))
    return frozenset(chars)


def _samples(intents: Intents, parsed: dict[int, list[Sentence]]) -> list[tuple[str, str]]:
    samples: list[tuple[str, str]] = []
    for name, intent in intents.intents.items():
        for data in intent.data:
            if (data.metadata or {}).get("match", "whole") == "veto":
                continue
            lists = {**intents.slot_lists, **data.slot_lists}
            rules = {**intents.expansion_rules, **data.expansion_rules}
            for sentence in parsed[id(data)]:
                for text in expand(sentence.expression, rules, limit=12, lists=lists):
                    key = normalize_key(text, spaced=intents.language != "zh")
                    if key:
                        samples.append((name, key))
    return list(dict.fromkeys(samples))
