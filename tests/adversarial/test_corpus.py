"""The adversarial corpus (issue 15): every hostile input gets its answer, with the exit
code and words each case names, never a traceback, never a hang (10 s per case)."""

from __future__ import annotations

import os
from functools import cache

import pytest

from tests.adversarial.runner import Case, Outcome, judge, load_cases, run_in_server

CASES = load_cases()
pytestmark = pytest.mark.timeout(1200)  # the first test runs the whole corpus (2-4 min)
WATCHED = ("/dev/null", "/dev/zero", "/dev/urandom", "/etc/passwd", "/etc/hostname")
"""What cases link to: running them must leave these as they were (as root, a chmod through
a link once made /dev/null private and broke apt)."""


def _modes() -> dict[str, tuple[int, int]]:
    return {p: (os.stat(p).st_mode, os.stat(p).st_size) for p in WATCHED if os.path.exists(p)}


Run = tuple[dict[str, Outcome], dict[str, tuple[int, int]], dict[str, tuple[int, int]]]


@cache
def _run_once() -> Run | str:
    """The whole corpus, once; a failure of the server itself is kept (as its message), so
    that each case reports it at once instead of running the corpus again."""
    before = _modes()
    try:
        results = run_in_server(CASES)
    except (RuntimeError, OSError) as err:
        return str(err)
    return results, before, _modes()


def _run() -> Run:
    done = _run_once()
    if isinstance(done, str):
        pytest.fail(done)
    return done


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
