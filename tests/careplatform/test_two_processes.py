"""Several app processes on one database (issue 17): nothing that two processes must
agree on is kept in a process. Two platforms share one PostgreSQL database (and, on one
machine, one SQLite file): the same request sent to both at once is stored once, a
session made by one is good at the other, a pairing limit reached through one holds at
the other."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from careplatform.db.engine import sqlite_url
from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.console_client import PASSWORD, ConsoleUser
from tests.support.platform_fixture import (
    TIMEOUT_S,
    AdminClient,
    DeviceClient,
    encode,
    request_body,
)


@pytest.fixture
def two(tmp_path: Path, db_url: str | None) -> Iterator[tuple[CareServer, CareServer]]:
    url = db_url or sqlite_url(tmp_path / "shared.db")
    with ExitStack() as stack:
        first = stack.enter_context(running_careplatform(tmp_path / "a", db_url=url))
        second = stack.enter_context(running_careplatform(tmp_path / "b", db_url=url))
        yield first, second


def test_one_request_sent_to_both_at_once_is_stored_once(
    two: tuple[CareServer, CareServer],
) -> None:
    key, body, workers = str(uuid.uuid4()), request_body("emergency"), 8
    barrier = threading.Barrier(workers)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def send(server: CareServer) -> None:
        client = DeviceClient(server.url)
        prepared = client.prepare("POST", "/v1/requests", encode(body), key=key)
        barrier.wait(timeout=10)
        reply = client.send(prepared)
        with lock:
            answers.append(reply)

    threads = [threading.Thread(target=send, args=(two[n % 2],)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    stored = [a for a in answers if a.status_code == 201]
    assert {a.json()["id"] for a in stored} == {stored[0].json()["id"]}
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert len(AdminClient(two[0].url).requests(kind="emergency")) == 1


def test_a_session_from_one_is_good_at_the_other(two: tuple[CareServer, CareServer]) -> None:
    two[0].platform.accounts.add("小张", "operator", PASSWORD)
    operator = ConsoleUser(two[0].url).login("小张")
    elsewhere = ConsoleUser(two[1].url)
    elsewhere.session.cookies.update(operator.session.cookies)
    assert elsewhere.get("/board").url.endswith("/board")


def test_a_pairing_limit_holds_across_processes(two: tuple[CareServer, CareServer]) -> None:
    code = AdminClient(two[0].url).pairing_code("xiaoan-new-0001")
    for n in range(10):
        reply = requests.post(
            two[n % 2].url + "/v1/pair",
            data=encode({"code": "ZZZZ-ZZZZ"}),
            headers={"X-Forwarded-For": "203.0.113.7"},
            timeout=TIMEOUT_S,
        )
        assert reply.status_code == 403
    for server in two:
        limited = requests.post(
            server.url + "/v1/pair",
            data=encode({"code": code}),
            headers={"X-Forwarded-For": "203.0.113.7"},
            timeout=TIMEOUT_S,
        )
        assert limited.status_code == 429
