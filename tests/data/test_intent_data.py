"""Structural tests of the sentence data: complete, consistent, loadable by hassil."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hassil import Intents, recognize
from ruamel.yaml import YAML

from assistant.errors import IntentDataError
from intents import IntentParser
from intents.data import data_dir, load_language
from intents.evaluation import load_cases
from tests.support.paths import INTENT_CASES, ROOT

SPEC = ROOT.parent / "shared" / "spec" / "intents.md"
LANGS = ("zh", "en")
DOCS = ROOT / "docs" / "intents.md"
ADDED = "## Intents this project adds to the contract"
"""The docs section whose table extends the contract's (as the contract allows)."""


def _table_intents(text: str) -> list[str]:
    """Intent names of the rows of a `| intent | meaning | slots | examples |` table."""
    rows = re.findall(r"^\| (\w+) \|", text, re.M)
    return [r for r in rows if r != "intent"]


def added_intents() -> list[str]:
    """Intent names of the table in docs/intents.md's section ``ADDED``."""
    text = DOCS.read_text(encoding="utf-8")
    if ADDED not in text:
        return []
    section = text.split(ADDED, 1)[1].split("\n## ", 1)[0]
    return _table_intents(section)


def spec_intents() -> list[str]:
    """Intent names of the contract table plus the project's added ones (falls back to
    slots.yaml without shared/)."""
    if SPEC.exists():
        return [*_table_intents(SPEC.read_text(encoding="utf-8")), *added_intents()]
    return [*load_language("zh").slot_names, "unknown"]


def test_every_spec_intent_is_declared_with_slots() -> None:
    declared = load_language("zh").slot_names
    assert set(spec_intents()) - {"unknown"} == set(declared)


@pytest.mark.skipif(not SPEC.exists(), reason="no shared/ checkout")
def test_added_intents_are_new_names() -> None:
    """The project only adds intents: none repeats (or shadows) one of the contract."""
    added = added_intents()
    assert added, f"{DOCS}: no table under {ADDED!r}"
    assert not set(added) & set(_table_intents(SPEC.read_text(encoding="utf-8")))
    assert len(added) == len(set(added))


@pytest.mark.parametrize("lang", LANGS)
def test_every_intent_has_sentences(lang: str) -> None:
    data = load_language(lang)
    assert set(data.hassil.intents) == set(data.slot_names)


@pytest.mark.parametrize("lang", LANGS)
def test_every_intent_has_enough_test_cases(lang: str) -> None:
    minimum = 15 if lang == "zh" else 8
    for intent in spec_intents():
        path = INTENT_CASES / lang / f"{intent}.yaml"
        positives = [c for c in load_cases(path) if c.intent == intent]
        assert len(positives) >= minimum, f"{path}: {len(positives)} cases"


@pytest.mark.parametrize("lang", LANGS)
def test_no_sentence_expects_two_things(lang: str) -> None:
    seen: dict[str, tuple[str, object]] = {}
    for path in sorted((INTENT_CASES / lang).glob("*.yaml")):
        for case in load_cases(path):
            expected = (case.intent, dict(case.slots))
            assert seen.setdefault(case.text, expected)[0] == case.intent, case.text


@pytest.mark.parametrize("lang", LANGS)
def test_template_slots_are_declared(lang: str) -> None:
    data = load_language(lang)
    ignored = {"gap", "number"}  # built-ins that only match, see docs/intents.md
    for block in data.blocks:
        slots = {c.slot for c in block.captures} | set(block.slots)
        assert slots - ignored <= set(data.slot_names[block.intent]), block.source


@pytest.mark.parametrize("lang", LANGS)
def test_hassil_loads_the_data_and_agrees_on_whole_templates(lang: str) -> None:
    """The files are hassil's format: hassil itself matches our whole-template samples."""
    yaml = YAML(typ="safe", pure=True)
    merged: dict[str, Any] = {}
    for path in sorted((data_dir() / lang).glob("*.yaml")):
        content = yaml.load(path.read_text(encoding="utf-8"))
        for key, value in content.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    hassil_intents = Intents.from_dict(merged)
    data = load_language(lang)
    parser = IntentParser(data, __import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    checked = 0
    for block in (b for b in data.blocks if b.mode == "whole"):
        for sentence in hassil_intents.intents[block.intent].data[0].sentence_texts[:3]:
            if "{" in sentence or "<" in sentence:
                continue
            text = re.sub(r"[\[\]()|]", "", sentence.split("|")[0])
            found = recognize(text, hassil_intents)
            ours = parser.parse(text)
            if found is not None and ours.stage == "template":
                assert found.intent.name == ours.intent, text
                checked += 1
    assert checked > 0


def _language(root: Path, file: str, content: str, slots: str) -> Path:
    """A one-file Mandarin data folder with its slots.yaml, for loader error tests."""
    (root / "zh").mkdir()
    (root / "zh" / file).write_text(content, encoding="utf-8")
    (root / "slots.yaml").write_text(slots, encoding="utf-8")
    return root


ONE_INTENT = 'language: zh\nintents:\n  {name}:\n    data:\n      - sentences: ["{text}"]\n'


def test_question_mark_in_a_template_is_refused(tmp_path: Path) -> None:
    content = ONE_INTENT.format(name="ask_time", text="几点(了)?")
    root = _language(tmp_path, "ask_time.yaml", content, "intents:\n  ask_time: []\n")
    with pytest.raises(IntentDataError, match=r"ask_time\.yaml.*\[words\]"):
        load_language("zh", root)


def test_unknown_intent_in_data_is_refused(tmp_path: Path) -> None:
    content = ONE_INTENT.format(name="tell_joke", text="讲个笑话")
    root = _language(tmp_path, "x.yaml", content, "intents:\n  ask_time: []\n")
    with pytest.raises(IntentDataError, match=r"tell_joke.*slots\.yaml"):
        load_language("zh", root)


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    root = _language(tmp_path, "x.yaml", "language: zh\nintents: [unclosed\n", "intents: {}\n")
    with pytest.raises(IntentDataError, match=r"x\.yaml"):
        load_language("zh", root)
