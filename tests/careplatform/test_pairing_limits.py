"""Pairing on the care platform is limited per source and per code, never for the whole
platform: an attacker guessing codes cannot lock the technicians out (issue 17).

The source is the peer address; behind the proxy on 127.0.0.1 it is the proxy's
``X-Forwarded-For``, which the tests use to speak from several addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.platform_fixture import TIMEOUT_S, AdminClient, FakeClock, encode

WRONG = "ZZZZ-ZZZZ"


@pytest.fixture
def care(tmp_path: Path, clock: FakeClock, db_url: str | None) -> Iterator[CareServer]:
    with running_careplatform(tmp_path, clock=clock, db_url=db_url) as server:
        yield server


def pair(care: CareServer, code: str, source: str) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Forwarded-For": source}
    return requests.post(care.url + "/v1/pair", data=encode({"code": code}), headers=headers,
                         timeout=TIMEOUT_S)  # fmt: skip


def test_a_guessing_source_is_stopped_and_a_technician_elsewhere_pairs(
    care: CareServer, clock: FakeClock
) -> None:
    code = AdminClient(care.url).pairing_code("xiaoan-new-0001")
    for n in range(10):
        assert pair(care, f"ZZZZ-ZZ{n:02d}".replace("0", "A").replace("1", "B"),
                    "203.0.113.7").status_code == 403  # fmt: skip
    blocked = pair(care, code, "203.0.113.7")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "600"
    assert pair(care, code, "198.51.100.9").status_code == 201  # the technician
    clock.advance(600)
    assert pair(care, WRONG, "203.0.113.7").status_code == 403  # the window passed


def test_one_code_tried_from_many_places_is_stopped(care: CareServer) -> None:
    for n in range(10):
        assert pair(care, WRONG, f"198.51.100.{n + 1}").status_code == 403
    assert pair(care, WRONG, "198.51.100.200").status_code == 429
    other = AdminClient(care.url).pairing_code("xiaoan-new-0002")
    assert pair(care, other, "198.51.100.200").status_code == 201
