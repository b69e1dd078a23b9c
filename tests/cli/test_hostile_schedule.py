"""A schedule file, however large or hostile, never holds up a call for help (issue 15):
it is read and checked in a thread of its own, within limits (64 KiB, 16 levels, no
aliases), and a bad one is refused with the file named; the last good copy stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.commands import assistant, assistant_env
from tests.support.speaking import Speaker

LARGEST = (
    "medicines:\n"
    + "".join(f"  - {{name: 药{i}, times: ['08:00', '20:00'], dose: 一片}}\n" for i in range(50))
    + "# "
    + "注释" * 9000
    + "\n"
)
"""Just within 64 KiB: the slowest file that is still read in full."""
HOSTILE = {
    "largest": LARGEST,
    "too large": "# " + "x" * 70_000 + "\n",
    "deep": "medicines: " + "[" * 5000 + "]" * 5000 + "\n",
    "laughs": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "many medicines": "medicines:\n"
    + "".join(f"  - {{name: 药{i}, times: ['08:00']}}\n" for i in range(1800)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_call_for_help_is_answered_at_once_while_it_loads(tmp_path: Path, name: str) -> None:
    env = assistant_env(tmp_path / "home")
    speaker = Speaker(env)
    assert speaker.say("几点了")  # up and answering
    (tmp_path / "home" / "schedule.yaml").write_text(HOSTILE[name], encoding="utf-8")
    for _ in range(5):  # while the file watch reads it (once a second)
        assert speaker.say("救命")[0].startswith("emergency.")
        assert speaker.answered_in <= 1.0
    errors = speaker.stop()
    assert "Traceback" not in errors


@pytest.mark.parametrize("name", sorted(set(HOSTILE) - {"largest"}))
def test_validate_refuses_it_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(HOSTILE[name], encoding="utf-8")
    done = assistant(assistant_env(tmp_path / "home"), "reminders", "validate", str(path),
                     timeout_s=20)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr
    assert "Traceback" not in done.stderr
