"""Absurd numbers get an answer, never a traceback (issue 15): row ids beyond what SQLite
holds are usage errors, and a clock at the end of the calendar still parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.commands import assistant, assistant_env

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "args",
    [("outbox", "retry", HUGE), ("outbox", "drop", HUGE), ("reminders", "remove", HUGE),
     ("outbox", "retry", "0"), ("reminders", "remove", "-1")],
)  # fmt: skip
def test_an_id_out_of_range_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = assistant(assistant_env(tmp_path), *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "Invalid value" in done.stderr or "No such option" in done.stderr


def test_a_clock_at_the_end_of_the_calendar_still_parses(tmp_path: Path) -> None:
    env = assistant_env(tmp_path)
    done = assistant(
        env, "parse", "--lang", "zh", "--now", "9999-12-31T23:59:59+08:00", "明天中午订饭"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("order_meal"), done.stdout
