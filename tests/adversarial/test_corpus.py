"""The adversarial corpus (issue 15): every hostile input gets its answer, with the exit
code and words each case names, never a traceback, never a hang (10 s per case)."""

from __future__ import annotations

import os
from functools import cache

import pytest

from tests.adversarial.runner import Case, Outcome, judge, load_cases, run_in_server

CASES = load_cases()
WATCHED = ("/dev/null", "/dev/zero", "/dev/urandom", "/etc/passwd", "/etc/hostname")
"""What cases link to: running them must leave these as they were (as root, a chmod through
a link once made /dev/null private and broke apt)."""


def _modes() -> dict[str, tuple[int, int]]:
    return {p: (os.stat(p).st_mode, os.stat(p).st_size) for p in WATCHED if os.path.exists(p)}


@cache
def _run() -> tuple[dict[str, Outcome], dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    before = _modes()
    results = run_in_server(CASES)
    return results, before, _modes()


def outcomes() -> dict[str, Outcome]:
    """Every case run once (in one server process), on first use."""
    return _run()[0]


def test_nothing_outside_the_cases_changes() -> None:
    _, before, after = _run()
    assert after == before


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 600


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    problem = judge(case, outcomes()[case.name])
    assert not problem, f"{case.source}: {case.name}: {problem}"
