"""Restarts inside reminder windows: XiaoAn is killed (``kill -9``) again and again during a
simulated day and kept off for seconds to hours; every reminder is then said once, taken,
or reported missed, and none is settled or first said twice (``bench/reminder_week.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reminder_week import run_week


@pytest.mark.timeout(300)
def test_kills_skip_nothing_and_double_nothing(tmp_path: Path) -> None:
    result = run_week(tmp_path, medicines=8, per_day=3, days=1, kills=6, seed=5)
    assert result.kills == 6
    assert result.skipped == 0, result.problems
    assert result.duplicated == 0, result.problems
    assert result.taken + result.reported_missed == result.reminders
    assert all(late <= 1.0 for late in result.running_lateness_s), result.problems
