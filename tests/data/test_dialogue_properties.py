"""Any conversation, however odd: every utterance gets an answer, nothing raises, and an
emergency is relayed from whatever state the dialogue is in (hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents.evaluation import load_cases
from tests.support.dialogue_harness import Harness, harness
from tests.support.paths import INTENT_CASES

CASES = INTENT_CASES / "zh"
POOL = sorted(
    {case.text for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)}
    | {"对", "不对", "算了", "嗯", "", "明天上午", "两份", "保洁", "五颗星", "\x00\ufffd"}
)
EMERGENCIES = sorted(
    {c.text for c in load_cases(CASES / "emergency.yaml") if c.intent == "emergency"}
)


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with harness(tmp_path_factory.mktemp("prop"), "zh", "2026-11-22T10:00:00+08:00", "none") as h:
        yield h


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    turns=st.lists(
        st.one_of(st.sampled_from(POOL), st.text(max_size=600), st.floats(0, 40)), max_size=8
    ),
    emergency=st.sampled_from(EMERGENCIES),
)
def test_every_turn_is_answered_and_an_emergency_always_goes_out(
    talk: Harness, turns: list[str | float], emergency: str
) -> None:
    for turn in turns:
        if isinstance(turn, float):
            talk.wait(turn)
            continue
        says = talk.say(turn)
        assert says, f"no answer to {turn!r}"
        assert all(s.text for s in says)
    before = talk.assistant.outbox.counts()["pending"]
    says = talk.say(emergency)
    assert says[0].key.startswith("emergency.recorded"), (emergency, says)
    assert talk.assistant.outbox.counts()["pending"] == before + 1
    assert talk.assistant.dialogue.state.value == "idle"
