"""Safety guard over every utterance we have (test cases and held-out sets).

A missed emergency is the worst error the product can make and a false one the second
worst; a new veto or cue can cause either far from where it was written (哪家 once hid
"好像哪家着火了"). The held-out sets are otherwise figures, not tests, but for this one
property every utterance in them is checked.
"""

from __future__ import annotations

import pytest

from intents.evaluation import Case, load_cases
from tests.conftest import Parsers
from tests.support.paths import INTENT_CASES, ROOT

FILES = sorted(INTENT_CASES.glob("*/*.yaml")) + sorted((ROOT / "bench" / "data").glob("*.yaml"))
CASES = [c for path in FILES for c in load_cases(path)]


def _ids(cases: list[Case]) -> list[str]:
    return [f"{c.lang}/{c.source}:{c.text}" for c in cases]


EMERGENCIES = [c for c in CASES if c.intent == "emergency"]
OTHERS = [c for c in CASES if c.intent != "emergency"]


@pytest.mark.parametrize("case", EMERGENCIES, ids=_ids(EMERGENCIES))
def test_every_emergency_is_recognised(case: Case, parsers: Parsers) -> None:
    assert parsers[case.lang].parse(case.text, case.now).intent == "emergency"


def test_nothing_else_is_an_emergency(parsers: Parsers) -> None:
    false_alarms = [
        f"{c.source}: {c.text}"
        for c in OTHERS
        if parsers[c.lang].parse(c.text, c.now).intent == "emergency"
    ]
    assert false_alarms == []
