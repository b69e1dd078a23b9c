"""What a review found the care platform did with hostile input and races (issue 17),
kept as tests: every input gets an answer (a 4xx, never a 500 or a stored value that breaks
a page), and two people changing one request never both win."""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.console_client import PASSWORD, ConsoleUser
from tests.support.platform_fixture import (
    DEVICE_ID,
    DeviceClient,
    FakeClock,
    request_body,
)


@dataclass
class Site:
    care: CareServer
    device: DeviceClient
    clock: FakeClock


@pytest.fixture
def site(tmp_path: Path, clock: FakeClock, db_url: str | None) -> Iterator[Site]:
    with running_careplatform(tmp_path, clock=clock, db_url=db_url) as care:
        care.platform.accounts.add("小张", "operator", PASSWORD)
        care.platform.accounts.add("阳光", "provider", PASSWORD, provider="阳光家政")
        yield Site(care, DeviceClient(care.url, clock=clock), clock)


def _raw(device: DeviceClient, path: str, text: str, key: str = "") -> requests.Response:
    """A signed POST of ``text`` as it is (escapes and all)."""
    prepared = device.prepare("POST", path, text.encode("utf-8"), key=key)
    return device.send(prepared)


@pytest.mark.parametrize("bad", ["\\udfff", "\\u0000", "\\ud800x"])
def test_text_no_page_can_show_is_refused_at_the_door(site: Site, bad: str) -> None:
    beat = _raw(site.device, "/v1/heartbeat", '{"problems": ["bad ' + bad + '"]}')
    assert (beat.status_code, beat.json()["error"]) == (400, "invalid_json")
    body = json.dumps(request_body("emergency"), ensure_ascii=False)
    body = body.replace('"fields": {', '"fields": {"said": "救命' + bad + '", ', 1)
    alarm = _raw(site.device, "/v1/requests", body, str(uuid.uuid4()))
    assert (alarm.status_code, alarm.json()["error"]) == (400, "invalid_json")
    pair = requests.post(site.care.url + "/v1/pair", data='{"code": "' + bad + '"}', timeout=10)
    assert pair.status_code == 400
    assert ConsoleUser(site.care.url).login("小张").get("/board").status_code == 200


@pytest.mark.parametrize("rid", ["R٠٠٠٠٠١", "R99999999999999999999", "R" + "9" * 5000, "R²²²²²²"])
def test_odd_request_ids_are_not_found(site: Site, rid: str) -> None:
    _submit = site.device.submit(request_body("service_booking"))
    assert _submit.status_code == 201
    operator = ConsoleUser(site.care.url).login("小张")
    assert operator.get(f"/requests/{rid}").status_code == 404
    assert operator.post(f"/requests/{rid}/note", note="x").status_code == 400
    assert site.device.get(f"/v1/requests/{rid}").status_code == 404
    assert operator.get("/requests/R000001").text.count("· x") == 0  # R000001 untouched


def test_odd_numbers_in_forms_are_refused(site: Site) -> None:
    rid = site.device.submit(request_body("service_booking")).json()["id"]
    operator = ConsoleUser(site.care.url).login("小张")
    assert operator.post(f"/requests/{rid}/dispatch", provider="9" * 20).status_code == 400
    base = {"date": "2026-12-06", "lunch_items": "面条", "lunch_order_by": "10:00"}
    for price in ("inf", "1e308", "0.285", "1_000", "-1"):
        assert operator.post("/menus", **base, lunch_price=price).status_code == 400, price
    assert operator.post("/menus", **base, lunch_price="15.5").status_code == 200
    assert site.device.get("/v1/menu?date=2026-12-06").json()["meals"][0]["price_cents"] == 1550
    assert operator.post("/menus", date="2026-12-07").status_code == 400  # no meal at all
    assert site.device.get("/v1/menu?date=2026-12-07").status_code == 404
    assert operator.post(f"/requests/{rid}/acknowledge", note="长" * 501).status_code == 400
    assert operator.post(f"/requests/{rid}/note", note="a\x00b").status_code == 400


@pytest.mark.parametrize(
    "text",
    ["a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n", "a: .nan\n", "a: .inf\n", "? [1, 2]\n: x\n"],
)
def test_a_schedule_only_holds_what_json_can(site: Site, text: str) -> None:
    operator = ConsoleUser(site.care.url).login("小张")
    assert operator.post(f"/devices/{DEVICE_ID}/schedule", schedule=text).status_code == 400
    assert operator.get("/devices/" + "x" * 70 + "/schedule").status_code == 404
    assert site.device.get("/v1/schedule").status_code == 404


def test_parallel_wrong_passwords_stop_at_the_limit(site: Site) -> None:
    answers: list[int] = []
    lock = threading.Lock()
    pages = [ConsoleUser(site.care.url) for _ in range(12)]

    def guess(user: ConsoleUser) -> None:
        reply = user.try_login("小张", "a wrong guess")
        with lock:
            answers.append(reply.status_code)

    threads = [threading.Thread(target=guess, args=(user,)) for user in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers.count(401) == 5, answers
    assert answers.count(429) == 7, answers


def test_a_close_and_a_done_at_once_never_both_win(site: Site) -> None:
    care = site.care.platform.care
    provider = dict((name, pid) for pid, name in care.providers())["阳光家政"]
    for _ in range(10):
        rid = site.device.submit(request_body("service_booking")).json()["id"]
        care.dispatch(rid, "小张", provider)
        won = _race(
            {
                "close": functools.partial(care.close, rid, "小张", "cancelled", "不用了"),
                "done": functools.partial(
                    care.provider_answer, rid, provider, "阳光", "done", "做完了"
                ),
            }
        )
        assert len(won) == 1, won
        found = care.request(rid)
        assert found is not None
        record, events = found
        assert record.status == ("cancelled" if won == ["close"] else "completed")
        assert sum(1 for e in events if e.action in ("close", "done")) == 1


def _race(changes: dict[str, Callable[[], object]]) -> list[str]:
    """Run the changes at the same moment; the names of those that were accepted."""
    barrier = threading.Barrier(len(changes))
    won: list[str] = []

    def act(name: str, change: Callable[[], object]) -> None:
        barrier.wait(10)
        try:
            change()
            won.append(name)
        except ValueError:  # CareError: changed meanwhile, or closed already
            pass

    threads = [threading.Thread(target=act, args=item) for item in changes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return won


def test_logout_needs_the_token(site: Site) -> None:
    operator = ConsoleUser(site.care.url).login("小张")
    assert operator.post("/logout", csrf="forged").status_code == 403
    assert operator.get("/board").url.endswith("/board")


def test_a_late_attempt_does_not_overwrite_a_newer_one(site: Site) -> None:
    notices = site.care.platform.notices
    notices.add_contact(DEVICE_ID, "女儿", "webhook", "http://127.0.0.1:9/hook")
    site.device.submit(request_body("medicine_event", fields={"event": "missed"}, priority=6))
    first = notices.claim()
    assert first is not None
    site.clock.advance(601)  # the first attempt outlived its lease
    second = notices.claim()
    assert second is not None
    assert second.notice.id == first.notice.id
    assert notices.delivered(second.notice.id, second.lease_until)
    assert not notices.retry(first.notice.id, "late", 30, first.lease_until)
