"""The copy in force is checked again when it is read (issue 15): a copy stored by an
older release that today's checks refuse, or a damaged one, is set aside (no reminders),
and the store says why, for doctor, status and the heartbeat; never a crash at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.reminders.schedule_store import GOOD_COPY, ScheduleStore
from assistant.storage.database import Database, dumps, put_value, transaction
from assistant.values.schedule import EMPTY


def _stored(tmp_path: Path, raw: str) -> ScheduleStore:
    db = Database(tmp_path / "xiaoan.db").create()
    with db.connect() as conn, transaction(conn):
        put_value(conn, GOOD_COPY, raw)
    return ScheduleStore(db, tmp_path / "schedule.yaml")


OLD = {"origin": "file", "version": 1, "installed_at": 0.0, "where": "schedule.yaml"}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (dumps({**OLD, "data": {"medicines": [{"name": "降压药", "times": ["08:00"],
                                                "start": "0001-01-01"}]}}), "mistake"),
        (dumps({**OLD, "data": {"medicines": [{"name": "降压药", "times": ["08:00"],
                                                "days": "every 99999999999999999999 days"}]}}),
         "mistake"),
        ("{not json", "damaged"),
        (dumps({"origin": "file"}), "damaged"),
        (dumps([1, 2]), "damaged"),
        ("[" * 100_000 + "]" * 100_000, "damaged"),
    ],
)  # fmt: skip
def test_a_copy_that_cannot_be_used_is_set_aside(tmp_path: Path, raw: str, why: str) -> None:
    store = _stored(tmp_path, raw)
    assert store.current() == EMPTY
    assert why in store.problem
    assert "assistant reminders install" in store.problem
    assert store.installed() is None or why == "mistake"


def test_a_good_copy_has_no_problem(tmp_path: Path) -> None:
    good = {**OLD, "data": {"medicines": [{"name": "降压药", "times": ["08:00"]}]}}
    store = _stored(tmp_path, dumps(good))
    assert [m.name for m in store.current().medicines] == ["降压药"]
    assert store.problem == ""
