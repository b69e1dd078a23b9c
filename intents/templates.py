"""Compile hassil sentence templates into regular expressions.

Receives hassil's parsed expression trees (``Sequence``, ``Alternative``, ``Permutation``,
``ListReference``, ``RuleReference``, ``TextChunk``) with the language's lists and rules;
emits one ``re.Pattern`` per block of templates plus the named groups that carry slots.

Why compile instead of calling ``hassil.recognize``: the engine needs *search* semantics
for cue phrases (a template found anywhere in a long, rambling utterance), and one
regular expression per block keeps a parse far below a millisecond. The syntax, the file
format and the parser stay hassil's, so the data remains loadable by hassil itself
(``tests/data/test_intent_data.py`` checks that hassil agrees on whole-sentence matches).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from hassil.expression import (
    Alternative,
    Expression,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    Sequence,
    TextChunk,
)
from hassil.intents import SlotList, TextSlotList, WildcardSlotList

from assistant.errors import IntentDataError
from intents.homophones import syllable

_MAX_DEPTH = 16

BUILTIN_LISTS: Mapping[str, str] = {
    # Lists whose values are a pattern, not an enumeration (declared `wildcard: true`
    # in the data so hassil accepts them too).
    "number": r"[零〇一二两三四五六七八九十百几\d.]+",
    "gap": r".{0,8}?",  # a few words between two parts of a cue; fills no slot
    # a name: up to three characters and a title (张阿姨, 刘主任), two or three characters,
    # or capitalised English words; never 一下/一个 (拨一下她的电话)
    "name": r"(?!一下|一个|个)(?:[\u4e00-\u9fff]{1,3}?"
    r"(?:阿姨|叔叔|大爷|大妈|奶奶|爷爷|医生|大夫|老师|师傅|主任|书记|姐|哥)|[\u4e00-\u9fff]{2,3})"
    r"|[A-Za-z][A-Za-z'-]*(?: [A-Z][A-Za-z'-]*)?",
}


PHONETIC_BUILTINS: Mapping[str, str] = {
    # The same lists over toneless pinyin ("yi bai si shi "): one syllable and a space a
    # character.
    "number": r"(?:(?:ling|yi|er|liang|san|si|wu|liu|qi|ba|jiu|shi|bai|qian|ji|dian|[\d.]) )+",
    "gap": r"(?:\S+ ){0,8}?",
    "name": r"(?:\S+ ){1,4}?",
}


def phonetic_key(text: str) -> str:
    """Toneless pinyin of Mandarin text, a space after every syllable (the matching form)."""
    return "".join(syllable(c) + " " for c in text if not c.isspace())


@dataclass(frozen=True)
class Capture:
    """A named regex group that fills a slot."""

    group: str
    slot: str
    values: Mapping[str, str] | None
    """Surface text → canonical value; ``None`` for wildcards (the text itself)."""


@dataclass
class Compiler:
    """Turns hassil expressions of one language into regex source."""

    lists: Mapping[str, SlotList]
    rules: Mapping[str, Sentence]
    spaced: bool
    """True for languages written with spaces between words (en)."""
    captures: list[Capture] = field(default_factory=list)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    """Surface → value tables of the lists used so far (shared between compilers)."""
    phonetic: bool = False
    """Compile over toneless pinyin (``phonetic_key``) instead of characters (Mandarin)."""

    def compile(self, expression: Expression) -> str:
        """Regex source for one template; captures are appended to ``self.captures``."""
        return self._expr(expression, 0)

    def _expr(self, expr: Expression, depth: int) -> str:
        if depth > _MAX_DEPTH:
            raise IntentDataError("template rules nest too deeply (a rule refers to itself?)")
        if isinstance(expr, TextChunk):
            return self._text(expr.text)
        if isinstance(expr, Permutation):
            orders = itertools.permutations(expr.items)
            return self._alternation(Sequence(items=list(o)) for o in orders)
        if isinstance(expr, Alternative):
            source = "(?:" + "|".join(self._expr(i, depth + 1) for i in expr.items) + ")"
            return source + "?" if expr.is_optional else source
        if isinstance(expr, Sequence):
            return "".join(self._expr(i, depth + 1) for i in expr.items)
        if isinstance(expr, RuleReference):
            return self._rule(expr.rule_name, depth)
        if isinstance(expr, ListReference):
            return self._list(expr)
        raise IntentDataError(f"unsupported template element {type(expr).__name__}")

    def _alternation(self, items: Iterator[Expression]) -> str:
        return "(?:" + "|".join(self._expr(i, 1) for i in items) + ")"

    def _text(self, text: str) -> str:
        if self.phonetic:
            return re.escape(phonetic_key(text))
        if not self.spaced:
            return re.escape("".join(text.split()))
        parts = re.split(r"(\s+)", text)
        return "".join(r"[\s-]*" if p.isspace() else re.escape(p) for p in parts if p)

    def _rule(self, name: str, depth: int) -> str:
        if name not in self.rules:
            raise IntentDataError(f"template refers to the unknown rule <{name}>")
        return "(?:" + self._expr(self.rules[name].expression, depth + 1) + ")"

    def _list(self, ref: ListReference) -> str:
        group = f"g{len(self.captures)}"
        builtins = PHONETIC_BUILTINS if self.phonetic else BUILTIN_LISTS
        if ref.list_name in builtins:
            self.captures.append(Capture(group, ref.slot_name, None))
            return f"(?P<{group}>{builtins[ref.list_name]})"
        slot_list = self.lists.get(ref.list_name)
        if isinstance(slot_list, WildcardSlotList):
            self.captures.append(Capture(group, ref.slot_name, None))
            return f"(?P<{group}>(?:\\S+ )+?)" if self.phonetic else f"(?P<{group}>.+?)"
        if not isinstance(slot_list, TextSlotList):
            raise IntentDataError(f"template refers to the unknown list {{{ref.list_name}}}")
        values = self._values(ref.list_name, slot_list)
        self.captures.append(Capture(group, ref.slot_name, values))
        return f"(?P<{group}>{list_source(slot_list, self)})"

    def _values(self, name: str, slot_list: TextSlotList) -> dict[str, str]:
        if name not in self.tables:
            table = surface_values(slot_list, self.spaced)
            if self.phonetic:
                table = {phonetic_key(k): v for k, v in table.items()}
            self.tables[name] = table
        return self.tables[name]


def list_source(slot_list: TextSlotList, compiler: Compiler) -> str:
    """Regex source matching any value of a list (built from the values' templates)."""
    return "|".join(compiler.compile(value.text_in) for value in slot_list.values)


def surface_values(slot_list: TextSlotList, spaced: bool) -> dict[str, str]:
    """Every way a list value can be said → its canonical value."""
    table: dict[str, str] = {}
    for value in slot_list.values:
        for surface in expand(value.text_in, {}, limit=20000):
            key = normalize_key(surface, spaced)
            if key:
                table.setdefault(key, str(value.value_out))
    return table


def normalize_key(text: str, spaced: bool) -> str:
    """How a captured surface is looked up: no spaces (zh) or single spaces, lower case."""
    if not spaced:
        return "".join(text.split())
    return " ".join(text.lower().split())


def expand(
    expr: Expression,
    rules: Mapping[str, Sentence],
    limit: int = 200,
    lists: Mapping[str, SlotList] | None = None,
) -> list[str]:
    """Sentences a template can produce (at most ``limit``), for vocabulary and samples.

    A list reference contributes its first few values (or nothing for wildcards), so the
    result stays small; it is a sample, not the full language.
    """
    return list(itertools.islice(_expand(expr, rules, lists or {}, 0), limit))


def _expand(
    expr: Expression, rules: Mapping[str, Sentence], lists: Mapping[str, SlotList], depth: int
) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(expr, TextChunk):
        yield expr.text
    elif isinstance(expr, Alternative):
        for item in expr.items:
            yield from _expand(item, rules, lists, depth + 1)
    elif isinstance(expr, Sequence):  # includes Permutation: one order is enough here
        yield from _product(expr.items, rules, lists, depth)
    elif isinstance(expr, RuleReference) and expr.rule_name in rules:
        yield from _expand(rules[expr.rule_name].expression, rules, lists, depth + 1)
    elif isinstance(expr, ListReference):
        slot_list = lists.get(expr.list_name)
        if isinstance(slot_list, TextSlotList):
            for value in slot_list.values[:3]:
                yield from itertools.islice(_expand(value.text_in, rules, lists, depth + 1), 1)
        else:
            yield ""


def _product(
    items: list[Expression],
    rules: Mapping[str, Sentence],
    lists: Mapping[str, SlotList],
    depth: int,
) -> Iterator[str]:
    if not items:
        yield ""
        return
    heads = list(itertools.islice(_expand(items[0], rules, lists, depth + 1), 50))
    for tail in _product(items[1:], rules, lists, depth):
        for head in heads:
            yield head + tail
