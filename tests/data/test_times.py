"""Time expressions resolve to the values of docs/slots.md (cases: tests/data/times.yaml)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from intents import time_en, time_zh
from intents.timefacts import resolve
from tests.support.paths import DATA

NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")
CASES: dict[str, Any] = YAML(typ="safe", pure=True).load(
    (DATA / "times.yaml").read_text(encoding="utf-8")
)
EXTRACT = {"zh": time_zh.extract, "en": time_en.extract}


@pytest.mark.parametrize(
    ("lang", "said", "expected"),
    [(lang, said, exp) for lang, table in CASES.items() for said, exp in table.items()],
)
def test_time_expression(lang: str, said: str, expected: dict[str, Any]) -> None:
    value = resolve(EXTRACT[lang](said), NOW)
    got = {"when": value.when, "date": value.date, "minutes": value.minutes}
    if not expected:
        assert value.when is None
        assert value.minutes is None
    for key, want in expected.items():
        assert got[key] == want, f"{said}: {key}"


def test_clock_time_already_past_moves_to_tomorrow() -> None:
    evening = datetime.fromisoformat("2026-11-22T22:00:00+08:00")
    assert resolve(time_zh.extract("九点"), evening).when == "2026-11-23T09:00:00+08:00"


@given(st.text(max_size=40))
def test_extractors_never_fail(text: str) -> None:
    for extract in EXTRACT.values():
        resolve(extract(text), NOW)
