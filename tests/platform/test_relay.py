"""The outbox and its sender against the reference platform on 127.0.0.1 (no mocks).

Retries keep the idempotency key; 4xx other than 408/409/429 park a request but never an
emergency; a lost answer is not a duplicate; the platform's clock is learnt from a
``stale`` refusal. Time is a fake clock the tests move; nothing sleeps.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.refplatform.server import PlatformServer
from assistant.relay.outbox import DELIVERED, EMERGENCY_LANE, OTHER_LANE, PARKED, PENDING, Outbox
from assistant.relay.platform import Fetched, PlatformClient
from assistant.relay.sender import Backoff, Delivered, Parked, Relay, RelayEvent, Retrying
from assistant.storage.database import Database
from assistant.values.records import Record
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    FakeClock,
    request_body,
    running_platform,
)  # fmt: skip

START = 1_795_000_000.0


@dataclass
class Rig:
    """An outbox, a sender on a fake clock, and the platform."""

    outbox: Outbox
    relay: Relay
    clock: FakeClock
    admin: AdminClient
    server: PlatformServer
    events: list[RelayEvent]

    def add(self, kind: str = "service_booking", priority: int = 3) -> str:
        body = request_body(kind, priority=priority)
        return self.outbox.add(kind, priority, body, self.clock()).key


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = FakeClock(START)
    with running_platform(tmp_path, clock=clock) as server:
        outbox = Outbox(Database(tmp_path / "device.db").create())
        events: list[RelayEvent] = []
        client = PlatformClient(server.url, DEVICE_ID, DEVICE_SECRET, 5.0, clock)
        relay = Relay(outbox, client, clock=clock, on_event=events.append, rng=random.Random(1))
        yield Rig(outbox, relay, clock, AdminClient(server.url), server, events)


def test_delivers_and_marks_delivered(rig: Rig) -> None:
    key = rig.add()
    assert rig.relay.send_due() is None
    row = rig.outbox.get(key)
    assert row is not None
    assert row.state == DELIVERED
    assert row.platform_id
    assert [r["idempotency_key"] for r in rig.admin.requests()] == [key]


def test_emergencies_go_first(rig: Rig) -> None:
    rig.add("meal_order", 4)
    rig.add("emergency", 0)
    rig.relay.send_due()
    delivered = [e.row.kind for e in rig.events if isinstance(e, Delivered)]
    assert delivered == ["emergency", "meal_order"]


def test_server_errors_are_retried_with_the_same_key(rig: Rig) -> None:
    rig.admin.set_faults(fail_rate=1.0, fail_status=503)
    key = rig.add()
    wakeup = rig.relay.send_due()
    assert isinstance(rig.events[-1], Retrying)
    assert wakeup is not None
    assert 0.5 <= wakeup - START <= 1.0
    rig.admin.set_faults()
    rig.clock.advance(1.0)
    rig.relay.send_due()
    row = rig.outbox.get(key)
    assert row is not None
    assert (row.state, row.attempts) == (DELIVERED, 2)
    assert len(rig.admin.requests()) == 1


def test_lost_answer_is_not_a_duplicate(rig: Rig) -> None:
    rig.admin.set_faults(drop_rate=1.0)
    key = rig.add()
    rig.relay.send_due()
    assert isinstance(rig.events[-1], Retrying)  # the platform stored it, we never heard
    rig.admin.set_faults()
    rig.clock.advance(2.0)
    rig.relay.send_due()
    last = rig.events[-1]
    assert isinstance(last, Delivered)
    assert last.replayed
    assert [r["idempotency_key"] for r in rig.admin.requests()] == [key]


def test_connection_reset_and_platform_down_are_retried(rig: Rig, tmp_path: Path) -> None:
    rig.admin.set_faults(reset_rate=1.0)
    rig.add()
    rig.relay.send_due()
    assert isinstance(rig.events[-1], Retrying)
    down = Relay(rig.outbox, PlatformClient("http://127.0.0.1:9", DEVICE_ID, DEVICE_SECRET),
                 clock=rig.clock, on_event=rig.events.append)  # fmt: skip
    rig.clock.advance(5)
    down.send_due()
    assert isinstance(rig.events[-1], Retrying)
    assert rig.outbox.counts()[PENDING] == 1


def test_backoff_bounds() -> None:
    backoff, rng = Backoff(), random.Random(7)
    emergency = [backoff.delay(n, True, rng) for n in range(40)]
    other = [backoff.delay(n, False, rng) for n in range(40)]
    assert max(emergency) <= 10.0
    assert emergency[0] <= 0.25
    assert max(other) <= 300.0
    assert max(other) > 100.0
    assert len({round(d, 6) for d in other[-10:]}) == 10  # jitter


def test_refusal_parks_with_the_reason(rig: Rig) -> None:
    key = rig.outbox.add("service_booking", 3, {"kind": "nonsense"}, START).key
    rig.relay.send_due()
    event = rig.events[-1]
    assert isinstance(event, Parked)
    assert "400" in event.reason
    row = rig.outbox.get(key)
    assert row is not None
    assert row.state == PARKED
    assert "400" in row.last_error
    assert rig.relay.send_due() is None  # parked rows are left alone
    assert rig.outbox.requeue(key, START)
    assert rig.outbox.counts()[PENDING] == 1
    assert rig.outbox.drop(key, "test", START)
    assert rig.outbox.counts()["dropped"] == 1
    assert not rig.outbox.drop(key, "again", START)


def test_an_emergency_is_never_parked(rig: Rig) -> None:
    key = rig.outbox.add("emergency", 0, {"kind": "emergency"}, START).key
    rig.relay.send_due()
    event = rig.events[-1]
    assert isinstance(event, Retrying)
    assert event.next_at - START <= 10.0
    row = rig.outbox.get(key)
    assert row is not None
    assert row.state == PENDING
    assert "400" in row.last_error


def test_wrong_clock_is_corrected_from_the_platform(rig: Rig, tmp_path: Path) -> None:
    late = FakeClock(START - 3600)  # the device's clock is an hour behind
    client = PlatformClient(rig.server.url, DEVICE_ID, DEVICE_SECRET, 5.0, late)
    relay = Relay(rig.outbox, client, clock=late, on_event=rig.events.append)
    key = rig.outbox.add("service_booking", 3, request_body(), late()).key
    relay.send_due()
    row = rig.outbox.get(key)
    assert row is not None
    assert row.state == DELIVERED
    assert abs(client.offset_s - 3600) < 2


def test_lanes_split_emergencies_from_the_rest(rig: Rig) -> None:
    rig.add("emergency", 0)
    rig.add("meal_order", 4)
    client = PlatformClient(rig.server.url, DEVICE_ID, DEVICE_SECRET, 5.0, rig.clock)
    Relay(rig.outbox, client, lane=EMERGENCY_LANE, clock=rig.clock).send_due()
    assert rig.outbox.counts()[PENDING] == 1
    Relay(rig.outbox, client, lane=OTHER_LANE, clock=rig.clock).send_due()
    assert rig.outbox.counts()[PENDING] == 0


def test_delivered_rows_are_purged_after_retention(rig: Rig, tmp_path: Path) -> None:
    rig.add()
    rig.relay.send_due()
    assert rig.outbox.purge(rig.clock() - 1) == 0
    assert rig.outbox.purge(rig.clock() + 1) == 1


def test_database_is_private_durable_and_survives_reopening(tmp_path: Path) -> None:
    db = Database(tmp_path / "data" / "device.db").create()
    outbox = Outbox(db)
    row = outbox.add("health_report", 5, {"kind": "health_report"}, START,
                     [Record("health", {"measure": "blood_pressure"})])  # fmt: skip
    assert stat.S_IMODE(os.stat(db.path).st_mode) == 0o600
    with db.connect() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        wal = db.path.with_name(db.path.name + "-wal")
        assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(db.path.parent).st_mode) == 0o700
    again = Outbox(Database(db.path).create())
    assert again.get(row.key) == row
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("SELECT outbox_key FROM records").fetchone()[0] == row.key


def test_heartbeat_teaches_the_platform_clock(rig: Rig) -> None:
    late = FakeClock(START - 120)
    client = PlatformClient(rig.server.url, DEVICE_ID, DEVICE_SECRET, 5.0, late)
    answer = client.heartbeat({"uptime_s": 5, "outbox_backlog": 0})
    assert isinstance(answer, Fetched)
    assert answer.data["server_time"] == int(START)
    assert abs(client.offset_s - 120) < 1


def test_a_clock_set_back_does_not_hold_a_retry(rig: Rig) -> None:
    rig.admin.set_faults(fail_rate=1.0)
    key = rig.add("emergency", 0)
    rig.relay.send_due()
    rig.admin.set_faults()
    rig.clock.advance(-86400)  # NTP set the clock back a day
    assert rig.relay.send_due() is None
    row = rig.outbox.get(key)
    assert row is not None
    assert row.state == DELIVERED


def test_nothing_else_goes_while_an_emergency_waits(rig: Rig) -> None:
    """After an outage the emergency lane sends first: the other lane waits for it."""
    emergency = rig.add("emergency", 0)
    rig.add("service_booking", 3)
    client = PlatformClient(rig.server.url, DEVICE_ID, DEVICE_SECRET, 5.0, rig.clock)
    other = Relay(rig.outbox, client, lane=OTHER_LANE, clock=rig.clock)
    assert other.send_due() is None  # blocked, and nothing to wake it for but the emergency
    assert rig.admin.requests() == []
    Relay(rig.outbox, client, lane=EMERGENCY_LANE, clock=rig.clock).send_due()
    other.send_due()
    kinds = [r["kind"] for r in reversed(rig.admin.requests())]
    assert kinds == ["emergency", "service_booking"]
    assert rig.outbox.get(emergency).state == DELIVERED  # type: ignore[union-attr]


def test_an_escalation_waits_for_its_emergency(rig: Rig) -> None:
    emergency = rig.outbox.add("emergency", 0, request_body("emergency", priority=0), START - 5)
    rig.outbox.retry_later(emergency, "platform down", START + 5)  # its next try in 5 s
    body = request_body("emergency_escalation", priority=0)
    rig.outbox.add("emergency_escalation", 0, body, START, after=(emergency.key,))
    rig.relay.send_due()
    assert rig.admin.requests() == []  # the escalation is due, its emergency is not
    rig.clock.advance(6)
    rig.relay.send_due()
    kinds = [r["kind"] for r in reversed(rig.admin.requests())]
    assert kinds == ["emergency", "emergency_escalation"]


@pytest.mark.parametrize("seed", range(8))
def test_after_an_outage_emergencies_arrive_first_whatever_the_timing(rig: Rig, seed: int) -> None:
    """Requests wait through an outage; the platform comes back failing 40 % of calls and
    the two lanes run in a random interleaving: every emergency arrives before every other
    request, and an escalation after its emergency."""
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 4)):
        rig.add(rng.choice(["service_booking", "meal_order", "callback"]), rng.choice([2, 3, 4]))
    first = rig.add("emergency", 0)
    body = request_body("emergency_escalation", priority=0)
    rig.outbox.add("emergency_escalation", 0, body, rig.clock(), after=(first,))
    rig.admin.set_faults(fail_rate=0.4, seed=seed)
    client = PlatformClient(rig.server.url, DEVICE_ID, DEVICE_SECRET, 5.0, rig.clock)
    lanes = [Relay(rig.outbox, client, lane=lane, clock=rig.clock, rng=random.Random(seed))
             for lane in (EMERGENCY_LANE, OTHER_LANE)]  # fmt: skip
    for _ in range(200):
        rng.choice(lanes).send_due()
        rig.clock.advance(rng.uniform(0, 3))
        if not rig.outbox.counts()[PENDING]:
            break
    assert rig.outbox.counts()[PENDING] == 0
    kinds = [r["kind"] for r in reversed(rig.admin.requests())]
    urgent = kinds[:2]
    assert urgent == ["emergency", "emergency_escalation"], kinds
    assert all(k not in ("emergency", "emergency_escalation") for k in kinds[2:]), kinds
