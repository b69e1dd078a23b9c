"""Chaos: kill -9 the assistant while it sends, with the platform failing a third of the
calls; nothing acknowledged is lost and nothing is stored twice (``bench/chaos.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import run_chaos


@pytest.mark.timeout(300)
def test_kill_minus_nine_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    result = run_chaos(tmp_path, count=40, fail_share=0.3, kills=4, seed=3)
    assert result.sent >= 36  # at most one reading per kill goes unanswered
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.received == result.sent + result.unacknowledged
