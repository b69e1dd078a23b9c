"""``assistant run --now ISO``: text mode on a clock that starts at that moment (to try a
schedule); with the service or a recording it is refused as a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.commands import assistant, assistant_env


@pytest.mark.parametrize("extra", [("--service",), ("--audio", "x.wav")])
def test_now_goes_with_text_mode_only(tmp_path: Path, extra: tuple[str, ...]) -> None:
    done = assistant(assistant_env(tmp_path), "run", "--now", "2026-11-22T08:00:00+08:00",
                     *extra)  # fmt: skip
    assert done.returncode == 2
    assert "--now goes with text mode" in done.stderr
    assert "Traceback" not in done.stderr


def test_now_sets_the_time_the_elder_hears(tmp_path: Path) -> None:
    env = assistant_env(tmp_path, XIAOAN_LANG="en")
    done = assistant(env, "run", "--now", "2026-11-22T21:30:00+08:00", stdin="what time is it\n")
    assert done.returncode == 0, done.stderr
    assert "9:30" in done.stdout
