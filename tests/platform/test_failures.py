"""What goes wrong on a real device: a platform that answers garbage, a platform that went
away after a menu was read, a database that cannot be written. XiaoAn says the truth and
keeps what it has."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.relay.lookups import CachedLookups
from assistant.relay.outbox import PENDING, Outbox
from assistant.relay.platform import PlatformClient, Unreachable
from assistant.relay.sender import Relay, Retrying
from assistant.storage.database import Database
from tests.support.dialogue_harness import harness
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    FakeClock,
    running_platform,
)

NOW = "2026-11-22T10:00:00+08:00"


class _Garbage(BaseHTTPRequestHandler):
    """Answers every request with 200 and a body that is not JSON."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"<html>oops")

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def garbage_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_garbage_from_the_platform_is_retried_not_trusted(tmp_path: Path, garbage_url: str) -> None:
    clock = FakeClock()
    outbox = Outbox(Database(tmp_path / "d.db").create())
    outbox.add("emergency", 0, {"kind": "emergency"}, clock())
    events: list[object] = []
    client = PlatformClient(garbage_url, DEVICE_ID, DEVICE_SECRET, 5.0, clock)
    Relay(outbox, client, clock=clock, on_event=events.append).send_due()
    assert isinstance(events[-1], Retrying)
    assert "not JSON" in events[-1].error
    assert outbox.counts()[PENDING] == 1
    assert isinstance(client.get("/v1/menu?date=2026-11-22"), Unreachable)


def test_menu_read_once_is_served_from_the_cache_when_offline(tmp_path: Path) -> None:
    clock = FakeClock()
    db = Database(tmp_path / "d.db").create()
    with running_platform(tmp_path, clock=clock) as server:
        AdminClient(server.url).put_menu("2026-11-22", [{"meal": "lunch", "items": ["米饭"],
                                                         "diets": [], "price_cents": 800,
                                                         "order_by": "10:30"}])  # fmt: skip
        online = CachedLookups(PlatformClient(server.url, DEVICE_ID, DEVICE_SECRET, 5.0, clock),
                               db, clock)  # fmt: skip
        assert online.menu("2026-11-22").age_s is None
        url = server.url
    clock.advance(3600)
    offline = CachedLookups(PlatformClient(url, DEVICE_ID, DEVICE_SECRET, 1.0, clock), db, clock)
    look = offline.menu("2026-11-22")
    assert look.data is not None
    assert look.age_s == 3600
    assert offline.menu("2026-11-23").data is None


def test_menu_offline_is_said_with_its_age(tmp_path: Path) -> None:
    with harness(tmp_path, "zh", NOW, "down") as h:
        db = Database(tmp_path / "home" / "data" / "xiaoan.db")
        with db.connect() as conn:
            conn.execute(
                "INSERT INTO cache (name, value, fetched_at) VALUES (?, ?, ?)",
                ("/v1/menu?date=2026-11-22",
                 '{"meals": [{"meal": "lunch", "items": ["饺子"]}]}', h.clock() - 1800),
            )  # fmt: skip
        says = h.say("今天午饭吃什么")
    assert [s.text for s in says] == ["这是三十分钟前的消息：今天的午饭有饺子。"]


def test_a_database_that_cannot_be_written_is_said_truthfully(tmp_path: Path) -> None:
    with harness(tmp_path, "zh", NOW, "none") as h:
        data = tmp_path / "home" / "data"
        shutil.rmtree(data)
        (data / "xiaoan.db").mkdir(parents=True)  # the database is gone: a folder in its place
        says = h.say("救命")
    assert [s.key for s in says] == ["storage.failed"]
    assert "没记下来" in says[0].text
    assert "已记录" not in says[0].text


def test_a_slow_platform_does_not_keep_the_elder_waiting(tmp_path: Path) -> None:
    clock = FakeClock()
    db = Database(tmp_path / "d.db").create()
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO cache (name, value, fetched_at) VALUES (?, ?, ?)",
            ("/v1/menu?date=2026-11-22", '{"meals": []}', clock() - 60),
        )
    with running_platform(tmp_path, clock=clock) as server:
        AdminClient(server.url).set_faults(delay_ms=1000)
        client = PlatformClient(server.url, DEVICE_ID, DEVICE_SECRET, 5.0, clock)
        look = CachedLookups(client, db, clock, timeout_s=0.2).menu("2026-11-22")
    assert look.age_s == 60  # the cached copy, although the platform answered later


def test_a_long_cry_for_help_is_delivered(tmp_path: Path) -> None:
    with harness(tmp_path, "zh", NOW, "up", {"elder_name": "王秀英" * 20}) as h:
        h.say("救命啊" + "快来人" * 900)
        h.send()
        stored = h.stored()
    assert [r["kind"] for r in stored] == ["emergency"]
    assert len(stored[0]["summary"]) <= 500
    assert len(stored[0]["fields"]["said"]) == 2000
