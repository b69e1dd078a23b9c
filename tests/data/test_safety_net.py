"""The safety net over every danger case: an utterance the parser does not call an
emergency but finds danger or strong pain in gets the question, and silence after it
calls for help (``assistant/dialogue/safety.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from intents import IntentParser
from tests.support.dialogue_harness import harness
from tests.support.paths import DATA

NOW = "2026-11-22T10:00:00+08:00"


def _concerns(lang: str) -> list[str]:
    """The danger cases the parser leaves to the question."""
    content: Any = YAML(typ="safe", pure=True).load((DATA / "danger" / f"{lang}.yaml").read_text())
    parser = IntentParser.load(lang, ZoneInfo("Asia/Shanghai"))
    texts = [str(c["text"]) for c in content["cases"] if c["level"] != "none"]
    return [t for t in texts if parser.parse(t).intent != "emergency" and parser.parse(t).concern]


CASES = [(lang, text) for lang in ("zh", "en") for text in _concerns(lang)]


def test_there_are_cases_for_the_question() -> None:
    assert {lang for lang, _ in CASES} == {"zh", "en"}


@pytest.mark.parametrize(("lang", "text"), CASES, ids=[t for _, t in CASES])
def test_danger_not_called_an_emergency_is_asked_and_silence_calls(
    lang: str, text: str, tmp_path: Path
) -> None:
    with harness(tmp_path, lang, NOW, "up", None, "") as h:
        assert [s.key for s in h.say(text)] == ["safety.ask"]
        assert h.assistant.outbox.counts()["pending"] == 0
        assert [s.key for s in h.wait(11)] == ["safety.unanswered"]
        assert h.assistant.outbox.counts()["pending"] == 1
