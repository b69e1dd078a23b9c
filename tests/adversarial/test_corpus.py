"""The adversarial corpus (issue 15): every hostile input gets its answer, with the exit
code and words each case names, never a traceback, never a hang (10 s per case)."""

from __future__ import annotations

from functools import cache

import pytest

from tests.adversarial.runner import Case, Outcome, judge, load_cases, run_in_server

CASES = load_cases()


@cache
def outcomes() -> dict[str, Outcome]:
    """Every case run once (in one server process), on first use."""
    return run_in_server(CASES)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 600


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    problem = judge(case, outcomes()[case.name])
    assert not problem, f"{case.source}: {case.name}: {problem}"
