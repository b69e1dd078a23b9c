"""The ``assistant`` command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-11-22T10:00:00+08:00"


def run(*args: str, stdin: bytes | None = None, home: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "XIAOAN_HOME": str(home)}
    env.pop("XIAOAN_LANG", None)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_parse_json_is_the_contract(tmp_path: Path) -> None:
    done = run("parse", "--json", "--now", NOW, "明天中午给我送份饭", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "text": "明天中午给我送份饭",
        "lang": "zh",
        "intent": "order_meal",
        "confidence": json.loads(done.stdout)["confidence"],
        "slots": {"meal": "lunch", "count": 1, "date": "2026-11-23"},
    }


def test_parse_several_arguments_one_line_each(tmp_path: Path) -> None:
    done = run("parse", "救命", "几点了", "今天天气真好", home=tmp_path)
    lines = done.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines] == ["emergency", "ask_time", "unknown"]


def test_parse_english(tmp_path: Path) -> None:
    done = run("parse", "--lang", "en", "--json", "help", home=tmp_path)
    assert json.loads(done.stdout)["intent"] == "emergency"


def test_parse_streams_stdin_line_by_line(tmp_path: Path) -> None:
    env = {**os.environ, "XIAOAN_HOME": str(tmp_path)}
    with subprocess.Popen(
        [sys.executable, "-m", "assistant", "parse", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("我 摔倒 了\n".encode())
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())  # answered before stdin is closed
        assert first["intent"] == "emergency"
        assert first["slots"] == {"kind": "fall"}
        proc.stdin.write("再说一遍\n".encode())
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["intent"] == "repeat"
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "junk",
    [b"\n", b"\x00\xff\xfe\x80garbage\n", ("救" * 10_000 + "\n").encode(), b"\xe6\x95\n"],
)
def test_bad_input_gets_an_answer_not_a_traceback(tmp_path: Path, junk: bytes) -> None:
    done = run("parse", "--json", stdin=junk, home=tmp_path)
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    assert json.loads(done.stdout)["intent"] in {"unknown", "emergency"}


def test_bad_now_is_a_clear_error(tmp_path: Path) -> None:
    done = run("parse", "--now", "tomorrow", "x", home=tmp_path)
    assert done.returncode == 2
    assert b"ISO 8601" in done.stderr
    assert b"Traceback" not in done.stderr


def test_bad_config_file_names_file_line_and_fix(tmp_path: Path) -> None:
    """A mistake never stops a command (issue 15): it is named, with its line and fix, and
    that setting keeps its default; `config validate` refuses the file."""
    (tmp_path / "config.yaml").write_text("lang: zh\ntimezon: x\nlog_level: LOUD\n")
    done = run("parse", "x", home=tmp_path)
    assert done.returncode == 0
    message = done.stderr.decode()
    assert "config.yaml, line 2" in message
    refused = run("config", "validate", home=tmp_path)
    assert refused.returncode == 2
    message = refused.stderr.decode()
    assert "config.yaml, line 2" in message
    assert "did you mean `timezone`" in message
    assert "config.yaml, line 3" in message
    assert "DEBUG, INFO" in message


def test_language_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, "XIAOAN_HOME": str(tmp_path), "XIAOAN_LANG": "en"}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "parse", "--json", "what time is it"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert json.loads(done.stdout)["lang"] == "en"


def test_run_text_mode_answers_each_line(tmp_path: Path) -> None:
    done = run("run", stdin="几点了\n我有点头晕\n".encode(), home=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("小安：现在是")
    assert lines[1].startswith("小安：记下了，头晕。要不要帮您联系社区医生？")


def test_help_and_version(tmp_path: Path) -> None:
    assert b"parse" in run("--help", home=tmp_path).stdout
    assert run("--version", home=tmp_path).stdout.startswith(b"xiaoan ")
