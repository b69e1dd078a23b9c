"""Reminder schedules: every mistake at its line, in our words (cases: tests/data/
schedule_mistakes.yaml); the examples and the platform's JSON copy read cleanly."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from assistant.errors import ScheduleError
from assistant.reminders.schedule_file import load_schedule_file, parse_schedule
from assistant.values.schedule import CheckIn, Days, Medicine, Schedule
from tests.support.paths import DATA, ROOT

EXAMPLES = sorted((ROOT / "assistant" / "data").glob("schedule.example.*.yaml"))
CASES: dict[str, Any] = YAML(typ="safe", pure=True).load(
    (DATA / "schedule_mistakes.yaml").read_text(encoding="utf-8")
)
PYDANTIC_WORDS = ("Input should", "Field required", "Extra inputs", "validation error",
                  "String should", "Value should", "pydantic", "_MedicineIn", "_In")  # fmt: skip
PLATFORM: dict[str, Any] = {
    "address_form": "王奶奶",
    "medicines": [
        {"name": "降压药", "times": ["20:00", "08:00"], "start": "2026-12-01", "meal": "饭后"},
        {"name": "钙片", "times": "12:30", "days": ["mon", "周五"], "dose": "两粒"},
    ],
    "checkin": {"time": "09:00", "days": "weekdays"},
    "quiet_hours": {"from": "22:00", "to": "07:00"},
    "notify": [{"name": "王小明", "phone": "138 0000 0000"}],
    "reminding": {"repeats": 2, "repeat_every_min": 2.5},
}


def _problems(text: str, tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_schedule_file(path)
    except ScheduleError as err:
        return path, err.problems
    return path, []


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_case(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    path, problems = _problems(case["schedule"], tmp_path)
    expected = case.get("problems") or []
    for line, text in expected:
        prefix = f"{path}: " if line is None else f"{path}, line {line}: "
        assert any(p.startswith(prefix) and text in p for p in problems), (line, text, problems)
    assert len(problems) == len(expected), problems


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n].get("problems")])
def test_problems_are_sorted_and_in_our_words(name: str, tmp_path: Path) -> None:
    path, problems = _problems(CASES[name]["schedule"], tmp_path)
    lines = [int(p.split(", line ")[1].split(":")[0]) for p in problems if ", line " in p]
    assert lines == sorted(lines)
    for problem in problems:
        assert problem.startswith(str(path))
        assert not any(word in problem for word in PYDANTIC_WORDS), problem


def test_the_message_is_every_problem_one_a_line(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(CASES["many mistakes in one file are reported together"]["schedule"])
    with pytest.raises(ScheduleError) as caught:
        load_schedule_file(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 10


def test_the_cases_cover_many_mistakes() -> None:
    assert len(CASES) >= 30
    assert max(len(case.get("problems") or []) for case in CASES.values()) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load_cleanly(path: Path) -> None:
    schedule = load_schedule_file(path)
    first = schedule.medicines[0]
    assert len(schedule.medicines) == 3
    assert first.times == (time(8), time(20))
    assert (first.start, first.end, first.meal) == (date(2026, 12, 1), date(2027, 3, 1), "after")
    written = path.read_text(encoding="utf-8").splitlines()[first.line - 1]
    assert written.lstrip().startswith("- name:")
    assert schedule.medicines[1].days == Days("weekly", (0, 2, 4))
    assert schedule.medicines[2].days == Days("every", every_n=2)
    assert schedule.checkin is not None
    assert schedule.inactivity is not None
    assert schedule.quiet_hours is not None
    assert len(schedule.notify) == 2
    assert schedule.reminding.repeats == 3


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_json_copy_of_a_file_reads_the_same(path: Path) -> None:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    copy = json.loads(json.dumps(data, default=lambda value: value.isoformat()))
    from_file = load_schedule_file(path)
    unlined = tuple(Medicine(**{**vars(m), "line": 0}) for m in from_file.medicines)
    assert parse_schedule(copy, "platform") == Schedule(**{**vars(from_file), "medicines": unlined})


def test_platform_dict() -> None:
    schedule = parse_schedule(PLATFORM, "the platform's schedule")
    pressure, calcium = schedule.medicines
    assert pressure == Medicine(
        "降压药", (time(8), time(20)), start=date(2026, 12, 1), meal="after"
    )
    assert calcium == Medicine("钙片", (time(12, 30),), "两粒", Days("weekly", (0, 4)))
    assert schedule.checkin == CheckIn(time(9), Days("weekdays"))
    assert schedule.notify[0].phone == "138 0000 0000"
    assert (schedule.reminding.repeats, schedule.reminding.repeat_every_min) == (2, 2.5)
    assert schedule.reminding.snooze_min == 10
    assert schedule.address_form == "王奶奶"


def test_platform_dict_problems_name_dotted_paths() -> None:
    data = {
        **PLATFORM,
        "medicines": [{"name": "降压药", "times": "8:00"}, {"times": ["8:3O", "23:00"], "tims": 1}],
        "inactivity": {},
    }
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, "platform")
    assert caught.value.problems == [
        "platform, medicines[1].name: this medicine has no `name`: add `name: 降压药`",
        "platform, medicines[1].times[0]: `8:3O` is not a time: write HH:MM like 08:30",
        "platform, medicines[1].times[1]: 23:00 is inside the quiet hours 22:00–07:00: "
        "move the time or shorten the quiet hours",
        "platform, medicines[1].tims: unknown key `tims`: did you mean `times`?",
        'platform, inactivity.by: `inactivity` has no `by`: add `by: "11:00"`',
    ]


@pytest.mark.parametrize("data", [None, [], "medicines", 3])
def test_platform_data_that_is_not_a_mapping(data: object) -> None:
    with pytest.raises(ScheduleError, match=r"^platform: the schedule must be `key: value` lines"):
        parse_schedule(data, "platform")


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("daily", Days()), ("every day", Days()), ("每天", Days()), ("天天", Days()),
        ("weekdays", Days("weekdays")), ("工作日", Days("weekdays")),
        ("weekends", Days("weekends")), ("周末", Days("weekends")),
        ("every 3 days", Days("every", every_n=3)), ("Every  10 Days", Days("every", every_n=10)),
        ("每3天", Days("every", every_n=3)), ("每两天", Days("every", every_n=2)),
        ("隔天", Days("every", every_n=2)), ("every other day", Days("every", every_n=2)),
        ("mon, thu", Days("weekly", (0, 3))), ("周一、周四", Days("weekly", (0, 3))),
        ("星期天", Days("weekly", (6,))), ("fri", Days("weekly", (4,))),
        (["sun", "Monday", "周三", "星期四", "礼拜二", "mon"], Days("weekly", (0, 1, 2, 3, 6))),
    ],
)  # fmt: skip
def test_day_rules(written: object, days: Days) -> None:
    data = {"medicines": [{"name": "a", "times": "08:00", "days": written, "start": "2026-12-01"}]}
    assert parse_schedule(data, "test").medicines[0].days == days


@pytest.mark.parametrize(
    ("written", "meal"),
    [("before", "before"), ("After", "after"), ("with", "with"), ("饭前", "before"),
     ("饭后", "after"), ("随餐", "with"), ("餐前", "before"), ("餐后", "after"), (None, "")],
)  # fmt: skip
def test_meals(written: str | None, meal: str) -> None:
    data = {"medicines": [{"name": "a", "times": "08:00", "meal": written}]}
    assert parse_schedule(data, "test").medicines[0].meal == meal


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    with pytest.raises(ScheduleError) as caught:
        load_schedule_file(path)
    fix = "check the path, or start from `assistant reminders example`"
    assert caught.value.problems == [f"{path}: there is no such file: {fix}"]


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="not a file"):
        load_schedule_file(tmp_path)


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_bytes("medicines:\n  - name: 降压药\n".encode("gbk"))
    with pytest.raises(ScheduleError) as caught:
        load_schedule_file(path)
    assert caught.value.problems == [
        f"{path}, line 2: the text is not UTF-8: save the file as UTF-8"
    ]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text("\ufeffcheckin:\n  time: '09:00'\n", encoding="utf-8")
    assert load_schedule_file(path).checkin is not None
