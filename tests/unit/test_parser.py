"""Behaviour of the engine around the cases: normalisation, safety, robustness."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents import IntentMatch, NotRecognized
from intents.measures import zh_measurement
from tests.conftest import Parsers

NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("救命", "emergency"),
        ("就命", "emergency"),  # homophone
        ("我 摔倒 了", "emergency"),  # spaces from the recogniser
        ("摔到了", "emergency"),
        ("小安，救命啊！", "emergency"),  # wake word and full-width punctuation
        ("嗯，那个，帮我订一份午饭", "order_meal"),  # fillers
        ("保结什么时候来", "service_status"),
        ("电视里有人摔倒了", "unknown"),
        ("救命稻草是什么意思", "unknown"),
        ("我孙子去留学了", "unknown"),  # sounds like 流血, must not be corrected
        ("联系一下我女婿", "call_family"),  # 系一 sounds like 洗衣: correction must not win
    ],
)
def test_mandarin_normalisation_and_safety(parsers: Parsers, said: str, intent: str) -> None:
    assert parsers["zh"].parse(said, NOW).intent == intent


def test_result_values(parsers: Parsers) -> None:
    result = parsers["zh"].parse("血压一百四十九十", NOW)
    assert isinstance(result, IntentMatch)
    assert result.slots == {"measure": "blood_pressure", "value": "140/90"}
    assert result.to_json()["intent"] == "health_report"
    nothing = parsers["zh"].parse("   ", NOW)
    assert isinstance(nothing, NotRecognized)
    assert nothing.reason == "empty"
    assert nothing.to_json()["slots"] == {}


@pytest.mark.parametrize(
    ("said", "value"),
    [("血压一百四十九十", "140/90"), ("高压一百三低压八十五", "130/85"),
     ("低压八十高压一百二", "120/80"), ("血压140/90", "140/90"), ("血糖七点八", "7.8"),
     ("三十七度八", "37.8"), ("体温37度5", "37.5"), ("心跳八十八", "88"),
     ("体重一百二十斤", "120斤")],
)  # fmt: skip
def test_measurements(said: str, value: str) -> None:
    found = zh_measurement(said)
    assert found is not None
    assert found.value == value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gets_an_answer(text: str) -> None:
    from tests.conftest import parser_for

    for lang in ("zh", "en"):
        result = parser_for(lang).parse(text, NOW)
        assert result.intent
        assert 0.0 <= result.confidence <= 1.0
