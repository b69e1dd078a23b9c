"""When reminders come due: the planner (APScheduler's triggers) against plain date
arithmetic on random schedules, daylight-saving days, voice reminder recurrences; and the
engine's catch-up bound after a long stop."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.reminders.firing import MAX_CATCH_UP_S, Reminders
from assistant.reminders.planner import Planner
from assistant.storage.database import Database
from assistant.values.occurrences import VoiceReminder
from assistant.values.schedule import Days, Medicine, Schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 12, 1)

days_rules = st.one_of(
    st.just(Days()),
    st.just(Days("weekdays")),
    st.just(Days("weekends")),
    st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(
        lambda d: Days("weekly", tuple(sorted(d)))
    ),
    st.integers(2, 9).map(lambda n: Days("every", every_n=n)),
)


@st.composite
def medicines(draw: st.DrawFn) -> Medicine:
    days = draw(days_rules)
    start = draw(
        st.one_of(st.none(), st.dates(FIRST - timedelta(days=20), FIRST + timedelta(days=10)))
    )
    if days.rule == "every" and start is None:
        start = FIRST - timedelta(days=draw(st.integers(0, 15)))
    end = draw(st.one_of(st.none(), st.dates(FIRST, FIRST + timedelta(days=30))))
    if start and end and end < start:
        start, end = end, start
    minutes = draw(st.lists(st.integers(0, 1439), min_size=1, max_size=4, unique=True))
    times = tuple(sorted(time(m // 60, m % 60) for m in minutes))
    return Medicine("药", times, days=days, start=start, end=end)


@settings(max_examples=150, deadline=None)
@given(medicines())
def test_planner_agrees_with_date_arithmetic(medicine: Medicine) -> None:
    planner = Planner(Schedule(medicines=(medicine,)), (), SHANGHAI)
    for offset in range(21):
        day = FIRST + timedelta(days=offset)
        found = [o.due.time() for o in planner.on_day(day)]
        expected = list(medicine.times) if medicine.is_due(day) else []
        assert found == expected, (day, medicine)


def test_daylight_saving_days_keep_the_wall_clock_time() -> None:
    york = ZoneInfo("America/New_York")
    planner = Planner(Schedule(medicines=(Medicine("pill", (time(8, 0),)),)), (), york)
    for day in (date(2027, 3, 13), date(2027, 3, 14), date(2027, 11, 7)):
        (dose,) = planner.on_day(day)
        assert (dose.due.hour, dose.due.minute) == (8, 0)


def test_voice_recurrences() -> None:
    voice = (
        VoiceReminder(1, "R/2026-12-01T21:00:00+08:00/P1D", "泡脚"),
        VoiceReminder(2, "R/2026-12-02T08:00:00+08:00/P1W", "买菜"),
        VoiceReminder(3, "2026-12-03T15:00:00+08:00", "量血压"),
        VoiceReminder(4, "not a time", "?"),
    )
    planner = Planner(Schedule(), voice, SHANGHAI)
    start = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    found = sorted((o.due, o.name) for o in planner.between(start, start + timedelta(days=10)))
    assert [name for _, name in found].count("泡脚") == 10
    assert [d.day for d, name in found if name == "买菜"] == [2, 9]
    assert [d.hour for d, name in found if name == "量血压"] == [15]


def test_a_long_stop_reports_at_most_three_days(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.db").create()
    now = [datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI).timestamp()]
    schedule = Schedule(medicines=(Medicine("降压药", (time(8, 0),)),))
    Reminders(db, lambda: now[0], SHANGHAI, lambda: schedule).tick(lambda: True)
    now[0] += 30 * 86400.0  # a month off (or a clock set a month ahead)
    events = Reminders(db, lambda: now[0], SHANGHAI, lambda: schedule).tick(lambda: True)
    assert len(events) == MAX_CATCH_UP_S // 86400
