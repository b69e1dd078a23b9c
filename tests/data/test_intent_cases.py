"""Runs every case of ``tests/data/intents/<lang>/<intent>.yaml`` (format: its README.md).

A case listed in ``tests/data/intents/known_failures.yaml`` is expected to fail; the test fails
when it starts passing, so that list stays true.
"""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from intents.evaluation import Case, load_cases
from tests.conftest import Parsers
from tests.support.paths import INTENT_CASES

HERE = INTENT_CASES


def _known_failures() -> set[tuple[str, str]]:
    path = HERE / "known_failures.yaml"
    content = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    return {(str(e["language"]), str(e["text"])) for e in content.get("failures") or []}


def _cases() -> list[object]:
    known = _known_failures()
    params: list[object] = []
    for path in sorted(HERE.glob("*/*.yaml")):
        for case in load_cases(path):
            marks = [pytest.mark.xfail(strict=True)] if (case.lang, case.text) in known else []
            ident = f"{case.lang}/{path.stem}:{case.text}"
            params.append(pytest.param(case, id=ident, marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_case(case: Case, parsers: Parsers) -> None:
    result = parsers[case.lang].parse(case.text, case.now)
    assert result.intent == case.intent, f"{case.source}: {case.text!r} → {result}"
    assert case.slot_errors(result) == [], f"{case.source}: {case.text!r} → {result.slots}"


def test_known_failures_name_real_cases() -> None:
    every = {(p.parent.name, c.text) for p in HERE.glob("*/*.yaml") for c in load_cases(p)}
    assert _known_failures() <= every
