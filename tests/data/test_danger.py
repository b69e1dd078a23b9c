"""Danger read from meaning: every case of ``tests/data/danger/<lang>.yaml`` reads as it
says, the parser turns a sure danger into an emergency and a doubtful one into a concern,
and a broken concepts file is refused naming the file and the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from assistant.errors import IntentDataError
from intents import IntentParser
from intents.danger import DangerReader
from tests.support.paths import DATA

LANGS = ("zh", "en")


def _cases(lang: str) -> list[dict[str, Any]]:
    content: Any = YAML(typ="safe", pure=True).load((DATA / "danger" / f"{lang}.yaml").read_text())
    return list(content["cases"])


@pytest.fixture(scope="module", params=LANGS)
def engine(request: pytest.FixtureRequest) -> tuple[str, DangerReader, IntentParser]:
    lang = str(request.param)
    return lang, DangerReader.load(lang), IntentParser.load(lang, ZoneInfo("Asia/Shanghai"))


def test_every_case_reads_as_written(engine: tuple[str, DangerReader, IntentParser]) -> None:
    lang, reader, parser = engine
    wrong = []
    for case in _cases(lang):
        got = reader.read(parser.clean(case["text"]))
        expected = (
            case["level"],
            case.get("kind", got.kind),
            case.get("cancelled_by", got.cancelled_by),
        )
        if (got.level, got.kind, got.cancelled_by) != expected:
            wrong.append(f"{case['text']!r}: expected {expected}, read {got}")
    assert not wrong, "\n".join(wrong)


def test_the_parser_calls_for_help_on_sure_danger_and_never_ignores_doubt(
    engine: tuple[str, DangerReader, IntentParser],
) -> None:
    lang, _, parser = engine
    for case in _cases(lang):
        result = parser.parse(case["text"])
        if case["level"] == "sure":
            assert result.intent == "emergency", case["text"]
            assert result.slots.get("kind") == case["kind"], case["text"]
        elif case["level"] == "maybe":  # a rule's emergency phrase, or else the question
            assert result.intent == "emergency" or result.concern == case["kind"], case["text"]
        else:
            assert result.intent != "emergency", case["text"]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("language: zh\nconcepts:\n  fall_x: {kind: tumble, patterns: ['摔']}\n", "fall_x"),
        ("language: zh\nconcepts:\n  bad: {kind: fall, patterns: ['(摔']}\n", "bad"),
        ("language: zh\nconcepts:\n  odd: {kind: fall, level: often, patterns: ['x']}\n", "odd"),
        ("language: zh\ncontext:\n  tv: {effect: ignore, patterns: ['电视']}\n", "tv"),
        ("language: zh\nconcepts:\n  empty: {kind: fall}\n", "empty"),
        ("language: en\n", "language: zh"),
        ("language: zh\nconcepts: [\n", "cannot read"),
    ],
)
def test_a_broken_concepts_file_is_refused_with_its_name(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "zh.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IntentDataError) as caught:
        DangerReader.load("zh", path)
    assert str(path) in str(caught.value)
    assert named in str(caught.value)
