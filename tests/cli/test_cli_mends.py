"""The command line as a family or a script meets it: the reminder commands and the schedule's
mistakes in the device's language, JSON errors with ``--json``, an empty answer that says
so, a language without a model as a usage error, and an offline download that names the
USB stick and leaves no empty ``.part`` file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from assistant.config import Paths
from assistant.errors import ScheduleError
from assistant.reminders.firing import Reminders
from assistant.reminders.schedule_file import load_schedule_file
from assistant.storage.database import Database
from assistant.values.messages import messages, placeholders, say
from assistant.values.schedule import EMPTY
from tests.support.commands import assistant, assistant_env
from tests.support.paths import DATA

BAD = 'medicines:\n  - name: 降压药\n    tims: ["08:00"]\ncheckin: {time: "9点"}\n'
GOOD = 'medicines:\n  - {name: 降压药, dose: 一片, times: ["08:00", "20:00"]}\n'
NOW = "2026-12-01T10:00:00+08:00"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    return bad, good


def _flat(text: str) -> str:
    """Text with rich's error box and its line breaks taken out."""
    return " ".join(text.replace("│", " ").split())


def _error(stderr: str) -> dict[str, object]:
    """The JSON error line of a failed ``--json`` command (the last line of stderr)."""
    record = json.loads(stderr.strip().splitlines()[-1])
    assert isinstance(record, dict)
    return record


# --- 1. the reminder commands in the device's language --------------------------------------


def test_schedule_mistakes_are_in_the_device_language(tmp_path: Path) -> None:
    bad, _ = _files(tmp_path)
    home = tmp_path / "home"
    chinese = assistant(assistant_env(home), "reminders", "validate", str(bad))  # zh: default
    assert chinese.returncode == 2
    assert f"{bad}，第 2 行：这种药 缺少 `times`：请加上 `times: " in chinese.stderr
    assert f"{bad}，第 3 行：不认识 `tims` 这一项：是不是想写 `times`？" in chinese.stderr
    assert f"{bad}，第 4 行：`9点` 不是时间：请按“时:分”写，例如 08:30" in chinese.stderr
    english = assistant(assistant_env(home, XIAOAN_LANG="en"), "reminders", "validate", str(bad))
    assert english.returncode == 2
    assert f"{bad}, line 3: unknown key `tims`: did you mean `times`?" in english.stderr
    assert f"{bad}, line 4: `9点` is not a time: write HH:MM like 08:30" in english.stderr
    home.mkdir()
    (home / "config.yaml").write_text("lang: en\n", encoding="utf-8")
    configured = assistant(assistant_env(home), "reminders", "install", str(bad))
    assert configured.returncode == 2
    assert configured.stderr == english.stderr
    assert not (home / "schedule.yaml").exists()
    missing = assistant(assistant_env(home, XIAOAN_LANG="zh"), "reminders", "validate", "nope.yaml")
    assert missing.returncode == 2
    assert "nope.yaml：没有这个文件：请检查路径" in missing.stderr


def test_the_success_lines_are_in_the_device_language(tmp_path: Path) -> None:
    _, good = _files(tmp_path)
    zh, en = assistant_env(tmp_path / "home"), assistant_env(tmp_path / "home", XIAOAN_LANG="en")
    assert assistant(zh, "reminders", "validate", str(good)).stdout == (
        f"{good}：没有错误：1 种药，通知 0 位联系人\n"
    )
    assert assistant(en, "reminders", "validate", str(good)).stdout == (
        f"{good}: good: 1 medicine(s), 0 contact(s) to notify\n"
    )
    installed = assistant(zh, "reminders", "install", str(good))
    target = tmp_path / "home" / "schedule.yaml"
    assert installed.stdout == f"{target}：已启用：1 种药，通知 0 位联系人\n"
    listed = assistant(zh, "reminders", "list", "--days", "1", "--now", NOW)
    assert listed.stdout.splitlines()[0].endswith("吃药 降压药 一片"), listed.stdout
    listed = assistant(en, "reminders", "list", "--days", "1", "--now", NOW)
    assert listed.stdout.splitlines()[0] == "Tue 01 Dec 20:00  medicine 降压药 一片"
    assert assistant(en, "reminders", "example").stdout.startswith("# XiaoAn's reminder")
    assert assistant(zh, "reminders", "example").stdout.startswith("# 小安的提醒安排")
    bad_lang = assistant(zh, "reminders", "example", "--lang", "fr")
    assert bad_lang.returncode == 2
    assert "不支持 --lang `fr`：请写 zh 或 en" in bad_lang.stderr


def test_removing_a_voice_reminder_is_said_in_the_device_language(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = Database(Paths(home).database).create()
    reminders = Reminders(db, lambda: 0.0, ZoneInfo("Asia/Shanghai"), lambda: EMPTY)
    reminders.add_voice("R/2026-11-22T21:00:00+08:00/P1D", "泡脚")
    reminders.add_voice("R/2026-11-22T21:30:00+08:00/P1D", "吃水果")
    zh, en = assistant_env(home), assistant_env(home, XIAOAN_LANG="en")
    assert assistant(zh, "reminders", "remove", "1").stdout == "语音提醒 #1 已删除\n"
    assert assistant(en, "reminders", "remove", "2").stdout == "voice reminder #2 removed\n"
    again = assistant(zh, "reminders", "remove", "1")
    assert again.returncode == 2
    assert "没有 #1 这条语音提醒：`assistant reminders list` 会列出所有提醒" in again.stderr
    again = assistant(en, "reminders", "remove", "1")
    assert "there is no voice reminder #1: `assistant reminders list` shows them" in again.stderr


CASES = YAML(typ="safe", pure=True).load((DATA / "schedule_mistakes.yaml").read_text("utf-8"))


def _problems(path: Path, lang: str) -> list[str]:
    try:
        load_schedule_file(path, lang)
    except ScheduleError as err:
        return err.problems
    return []


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n].get("problems")])
def test_each_mistake_is_at_the_same_line_in_both_languages(name: str, tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(CASES[name]["schedule"], encoding="utf-8")
    english, chinese = _problems(path, "en"), _problems(path, "zh")
    assert len(chinese) == len(english) > 0
    for en, zh in zip(english, chinese, strict=True):
        where = en.removeprefix(f"{path}, line ").partition(":")[0]
        if en.startswith(f"{path}, line "):
            assert zh.startswith(f"{path}，第 {where} 行："), (en, zh)
        else:
            assert zh.startswith(f"{path}："), (en, zh)
        assert any("\u4e00" <= c <= "\u9fff" for c in zh.removeprefix(str(path))), zh
        for word in ("did you mean", "is not", "must be", "write "):  # English left in zh
            assert word not in zh, zh


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    table = messages()
    assert "schedule.at_line" in table
    for key, texts in table.items():
        assert set(texts) == {"zh", "en"}, key
        fields = {name: 1 for name in placeholders(texts["en"]) if name not in table}
        for lang in ("zh", "en"):
            assert say(lang, key, **fields), key


# --- 2. with --json, errors are JSON (on stderr) -------------------------------------------


def test_with_json_an_error_is_one_json_line_on_stderr(tmp_path: Path) -> None:
    bad, _ = _files(tmp_path)
    env = assistant_env(tmp_path / "home", XIAOAN_LANG="en")
    done = assistant(env, "reminders", "validate", "--json", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    error = _error(done.stderr)
    assert error["exit"] == 2
    assert f"{bad}, line 3: unknown key `tims`" in str(error["error"])
    usage = assistant(env, "reminders", "list", "--days", "0", "--json")
    assert usage.returncode == 2
    assert _error(usage.stderr)["exit"] == 2
    assert "--days" in str(_error(usage.stderr)["error"])
    unknown = assistant(env, "status", "--jsn", "--json")
    assert unknown.returncode == 2
    assert "--jsn" in str(_error(unknown.stderr)["error"])
    plain = assistant(env, "reminders", "validate", str(bad))
    assert plain.stderr.startswith(f"assistant: {bad}, line 2:")
    assert "{" not in plain.stderr.splitlines()[0][:12]


# --- 3. an empty answer says so; with --json it is an empty stream -------------------------


def test_an_empty_answer_says_so_and_is_empty_with_json(tmp_path: Path) -> None:
    zh, en = assistant_env(tmp_path), assistant_env(tmp_path, XIAOAN_LANG="en")
    history = ("reminders", "history", "--days", "3", "--now", NOW)
    assert assistant(zh, *history).stdout == "最近 3 天没有提醒记录\n"
    assert assistant(en, *history).stdout == "no reminders in the last 3 day(s)\n"
    assert assistant(zh, "reminders", "list", "--days", "2").stdout == "接下来 2 天没有提醒\n"
    assert assistant(en, "reminders", "list").stdout == "no reminders in the next 7 day(s)\n"
    for args in (history, ("reminders", "list"), ("outbox", "list"), ("outbox", "list", "--all")):
        done = assistant(en, *args, "--json")
        assert (done.returncode, done.stdout) == (0, ""), (args, done.stderr)
    outbox = assistant(en, "outbox", "list")
    assert outbox.stdout == "nothing to list: the outbox is empty\n"
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "xiaoan.log").write_text("", encoding="utf-8")
    logs = assistant(zh, "logs")
    assert logs.stdout == f"{tmp_path / 'logs' / 'xiaoan.log'}：日志是空的（还没有记下任何内容）\n"
    assert "the log is empty" in assistant(en, "logs").stdout


# --- 4. a language without a model is a usage error -----------------------------------------


def test_a_language_the_manifest_lacks_is_a_usage_error(tmp_path: Path) -> None:
    env = assistant_env(tmp_path)
    for args in (("install", "fr"), ("install", "fr", "--from", str(tmp_path)),
                 ("verify", "fr"), ("remove", "fr")):  # fmt: skip
        done = assistant(env, "models", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "known: zh, en" in _flat(done.stderr), done.stderr
        assert "Traceback" not in done.stderr
    as_json = assistant(env, "models", "install", "fr", "--json")
    assert _error(as_json.stderr)["exit"] == 2
    assert "known: zh, en" in str(_error(as_json.stderr)["error"])
    (tmp_path / "models" / "fr" / "am").mkdir(parents=True)  # installed, not in the manifest
    removed = assistant(env, "models", "remove", "fr")
    assert removed.returncode == 0, removed.stderr
    assert not (tmp_path / "models" / "fr").exists()


# --- 5. an offline download names the USB stick, keeps no empty .part -----------------------


class _Cut(BaseHTTPRequestHandler):
    """Promises 1000 bytes, sends ``server.send`` of them, and hangs up."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * self.server.send)  # type: ignore[attr-defined]
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def _cut_server(send: int) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Cut)
    server.send = send  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/zh.zip"
    finally:
        server.shutdown()
        server.server_close()


def _parts(home: Path) -> list[Path]:
    return list((home / "models").rglob("*.part"))


def test_an_offline_download_names_the_usb_stick_and_keeps_no_empty_part(tmp_path: Path) -> None:
    env = assistant_env(tmp_path)
    done = assistant(env, "models", "install", "zh", "--url", "http://127.0.0.1:9/zh.zip")
    assert done.returncode == 5
    assert "`assistant models install zh --from FILE.zip`" in done.stderr
    assert "nothing was downloaded" in done.stderr
    assert _parts(tmp_path) == []
    with _cut_server(0) as url:  # answered, then nothing came
        done = assistant(env, "models", "install", "zh", "--url", url)
    assert done.returncode == 5
    assert "nothing was downloaded" in done.stderr
    assert "--from FILE.zip" in done.stderr
    assert _parts(tmp_path) == []
    with _cut_server(10) as url:  # some bytes came: kept for the next run
        done = assistant(env, "models", "install", "zh", "--url", url)
    assert done.returncode == 5
    (part,) = _parts(tmp_path)
    assert part.stat().st_size == 10
    assert f"10 bytes are kept in {part}" in done.stderr
