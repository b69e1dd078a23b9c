"""The outbox on a real full disk, without processes (issue 15, and the review of its
first design): emergencies kept in memory keep their order, a delivery the disk would not
let the sender mark holds nothing else up, and nothing is sent twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.relay.outbox import EMERGENCY_LANE, OTHER_LANE, EmergencyNotStored, Outbox
from assistant.relay.platform import Accepted
from assistant.relay.sender import Delivered, Relay
from assistant.storage.database import Database
from assistant.storage.space import MIB
from tests.support.small_disk import fill, small_disk

Full = tuple[Database, Outbox, Path]


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Full]:
    """An outbox whose emergency went into the reserve's room; then nothing is left."""
    with small_disk(tmp_path / "disk", 8) as disk:
        db = Database(disk / "data" / "xiaoan.db", MIB).create()
        keeper = db.hold()
        db.space.restore()
        yield db, Outbox(db), disk
        keeper.close()


class _Platform:
    """Accepts everything and counts what it was sent, by key."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def submit(self, key: str, body: object) -> Accepted:
        self.sent.append(key)
        return Accepted(f"r-{len(self.sent)}", replayed=False, status="received")


def test_an_escalation_in_memory_waits_for_its_alarm_on_disk(full: Full) -> None:
    _, outbox, disk = full
    fill(disk)
    alarm = outbox.add("emergency", 0, {"n": 1}, time.time())  # into the reserve's room
    assert alarm.stored
    fill(disk, "more")
    with pytest.raises(EmergencyNotStored) as kept:
        outbox.add("emergency_escalation", 0, {"n": 2}, time.time(), after=[alarm.key])
    first = outbox.next_due(time.time() + 1, EMERGENCY_LANE)
    assert first is not None
    assert first.key == alarm.key  # not the escalation kept in memory
    assert outbox.next_due(time.time() + 1, OTHER_LANE) is None  # emergencies first
    platform = _Platform()
    relay = Relay(outbox, platform, lane=EMERGENCY_LANE)  # type: ignore[arg-type]
    relay.send_due()  # the alarm's mark cannot be written: the escalation goes all the same
    assert platform.sent == [alarm.key, kept.value.row.key]


def test_a_delivery_not_marked_holds_nothing_up_and_is_not_sent_twice(full: Full) -> None:
    _, outbox, disk = full
    fill(disk)
    first = outbox.add("emergency", 0, {"n": 1}, time.time())
    fill(disk, "more")
    with pytest.raises(EmergencyNotStored) as kept:
        outbox.add("emergency", 0, {"n": 2}, time.time())
    platform = _Platform()
    events: list[object] = []
    relay = Relay(outbox, platform, lane=EMERGENCY_LANE, on_event=events.append)  # type: ignore[arg-type]
    relay.send_due()
    relay.send_due()
    assert sorted(platform.sent) == sorted([first.key, kept.value.row.key])
    assert all(isinstance(e, Delivered) for e in events)
    assert len(events) == 2
    assert [r.kind for r in outbox.latest(["emergency"])] == ["emergency", "emergency"]
    assert outbox.latest(["emergency"])[0].key == kept.value.row.key  # newest first
