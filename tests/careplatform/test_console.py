"""The care centre's console over real HTTP (issue 17): sessions, CSRF, roles, the live
board, acknowledging (and what the device then sees), dispatching, providers' answers,
closing, the audit trail, a family's view, devices that went silent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.console_client import PASSWORD, ConsoleUser
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    DeviceClient,
    FakeClock,
    request_body,
)

OTHER_ID = "xiaoan-test-0002"
OTHER_SECRET = bytes(range(32))


@dataclass
class Site:
    care: CareServer
    clock: FakeClock
    device: DeviceClient
    other: DeviceClient

    def user(self, name: str) -> ConsoleUser:
        return ConsoleUser(self.care.url).login(name)


@pytest.fixture
def site(tmp_path: Path, db_url: str | None) -> Iterator[Site]:
    clock = FakeClock()
    devices = {DEVICE_ID: DEVICE_SECRET, OTHER_ID: OTHER_SECRET}
    with running_careplatform(tmp_path, devices, clock=clock, db_url=db_url) as care:
        accounts = care.platform.accounts
        accounts.add("小张", "operator", PASSWORD)
        accounts.add("管理员", "admin", PASSWORD)
        accounts.add("阳光", "provider", PASSWORD, provider="阳光家政")
        accounts.add("康乐", "provider", PASSWORD, provider="康乐护理")
        accounts.add("王女儿", "family", PASSWORD, devices=(DEVICE_ID,))
        accounts.add("李儿子", "family", PASSWORD, devices=(OTHER_ID,))
        care.platform.care.set_device(DEVICE_ID, "test", "王秀英", "3栋2单元501")
        device = DeviceClient(care.url, clock=clock)
        other = DeviceClient(care.url, OTHER_ID, OTHER_SECRET, clock=clock)
        yield Site(care, clock, device, other)


def _submit(client: DeviceClient, kind: str, **changes: object) -> str:
    reply = client.submit(request_body(kind, **changes))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


# Logging in


def test_login_sends_each_role_home_and_a_wrong_password_is_refused(site: Site) -> None:
    homes = {"小张": "/board", "管理员": "/board", "阳光": "/jobs", "王女儿": "/family"}
    for name, home in homes.items():
        assert site.user(name).get("/").url.endswith(home)
    wrong = ConsoleUser(site.care.url).try_login("小张", "not the password")
    assert wrong.status_code == 401
    assert "账号或密码不对" in wrong.text
    assert ConsoleUser(site.care.url).get("/board").url.endswith("/login")


def test_failed_logins_stop_that_account_not_the_others(site: Site) -> None:
    for _ in range(5):
        assert ConsoleUser(site.care.url).try_login("小张", "guess guess").status_code == 401
    locked = ConsoleUser(site.care.url).try_login("小张", PASSWORD)
    assert locked.status_code == 429  # even the right password, for a while
    assert site.user("管理员").get("/board").status_code == 200  # another account logs in
    site.clock.advance(901)
    assert site.user("小张").get("/board").status_code == 200


def test_logout_ends_the_session_everywhere(site: Site) -> None:
    operator = site.user("小张")
    cookie = operator.session.cookies.get("xiaoan_session")
    operator.post("/logout")
    stolen = ConsoleUser(site.care.url)
    stolen.session.cookies.set("xiaoan_session", cookie or "")
    assert stolen.get("/board").url.endswith("/login")


def test_a_change_without_the_csrf_token_is_refused(site: Site) -> None:
    rid = _submit(site.device, "emergency")
    operator = site.user("小张")
    refused = operator.post(f"/requests/{rid}/acknowledge", csrf="forged")
    assert refused.status_code == 403
    assert site.device.get(f"/v1/requests/{rid}").json()["acknowledged_at"] is None


# Roles: who reaches what


STAFF_ROUTES = {"/board", "/board/live", "/devices", "/menus", f"/devices/{DEVICE_ID}/schedule"}
ROUTES = sorted(STAFF_ROUTES | {"/jobs", "/family"})
ALLOWED = {
    "小张": STAFF_ROUTES,
    "管理员": STAFF_ROUTES,
    "阳光": {"/jobs"},
    "王女儿": {"/family"},
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_role_reaches_only_its_pages(site: Site, name: str) -> None:
    rid = _submit(site.device, "service_booking")
    user = site.user(name)
    for route in ROUTES:
        assert user.get(route).status_code == (200 if route in ALLOWED[name] else 403), route
    staff = name in ("小张", "管理员")
    assert user.get(f"/requests/{rid}").status_code == (200 if staff else 403)
    staff_posts = {
        f"/requests/{rid}/note": {"note": "看过了"},
        "/pairing-codes": {"device_id": "xiaoan-new-0009"},
        f"/devices/{DEVICE_ID}/schedule": {"schedule": "checkin: {time: '09:00'}"},
        "/menus": {
            "date": "2026-12-07",
            "lunch_items": "面条",
            "lunch_price": "8",
            "lunch_order_by": "10:00",
        },
        f"/requests/{rid}/acknowledge": {},
        f"/requests/{rid}/close": {"status": "completed", "outcome": "已处理"},
    }
    for path, form in staff_posts.items():
        assert user.post(path, **form).status_code == (200 if staff else 403), path
    provider_post = user.post(f"/jobs/{rid}/accept", text="明天")
    assert provider_post.status_code == (404 if name == "阳光" else 403)  # not its job


def test_a_provider_sees_and_answers_only_its_own_jobs(site: Site) -> None:
    mine, theirs = _submit(site.device, "service_booking"), _submit(site.other, "meal_order")
    operator = site.user("小张")
    providers = dict((name, pid) for pid, name in site.care.platform.care.providers())
    operator.post(f"/requests/{mine}/dispatch", provider=str(providers["阳光家政"]))
    operator.post(f"/requests/{theirs}/dispatch", provider=str(providers["康乐护理"]))
    sunshine = site.user("阳光")
    jobs = sunshine.get("/jobs").text
    assert mine in jobs
    assert theirs not in jobs
    assert sunshine.post(f"/jobs/{theirs}/accept", text="明早九点").status_code == 404
    assert sunshine.post(f"/jobs/{mine}/accept", text="明早九点").status_code == 200
    seen = site.device.get(f"/v1/requests/{mine}").json()
    assert (seen["status"], seen["provider"], seen["eta"]) == ("accepted", "阳光家政", "明早九点")
    assert sunshine.post(f"/jobs/{mine}/done", text="打扫完了").status_code == 200
    assert site.device.get(f"/v1/requests/{mine}").json()["status"] == "completed"
    assert site.other.get(f"/v1/requests/{theirs}").json()["status"] == "received"


def test_a_declined_job_goes_back_to_the_operators(site: Site) -> None:
    rid = _submit(site.device, "service_booking")
    providers = dict((name, pid) for pid, name in site.care.platform.care.providers())
    site.user("小张").post(f"/requests/{rid}/dispatch", provider=str(providers["阳光家政"]))
    site.user("阳光").post(f"/jobs/{rid}/decline")
    seen = site.device.get(f"/v1/requests/{rid}").json()
    assert (seen["status"], seen["provider"]) == ("received", None)
    assert rid not in site.user("阳光").get("/jobs").text


def test_a_family_sees_only_its_own_elder(site: Site) -> None:
    _submit(
        site.device,
        "medicine_event",
        summary="王秀英 漏服降压药",
        fields={"event": "missed", "medicine": "降压药", "why": "no_answer"},
        priority=6,
    )
    _submit(
        site.other,
        "medicine_event",
        summary="李大爷 漏服二甲双胍",
        fields={"event": "missed", "medicine": "二甲双胍", "why": "no_answer"},
        priority=6,
    )
    daughter = site.user("王女儿").get("/family").text
    assert "王秀英 漏服降压药" in daughter
    assert "李大爷" not in daughter
    assert '<td class="missed">1</td>' in daughter


# The board and the device


def test_an_acknowledgement_reaches_the_device_with_the_note_and_the_trail(site: Site) -> None:
    rid = _submit(site.device, "emergency")
    operator = site.user("小张")
    board = operator.get("/board/live").text
    assert 'data-unacked="1"' in board
    assert "unacked" in board
    operator.post(f"/requests/{rid}/acknowledge", note="王医生十分钟到", back="board")
    seen = site.device.get(f"/v1/requests/{rid}").json()
    assert seen["acknowledged_at"] is not None
    assert seen["note"] == "王医生十分钟到"
    assert 'data-unacked="0"' in operator.get("/board/live").text
    operator.post(f"/requests/{rid}/close", status="completed", outcome="王医生已上门，无大碍")
    page = operator.get(f"/requests/{rid}").text
    for step in ("received", "acknowledge", "close", "小张", "无大碍"):
        assert step in page
    again = operator.post(f"/requests/{rid}/close", status="completed", outcome="again")
    assert again.status_code == 400


def test_emergencies_come_first_and_health_warnings_apart(site: Site) -> None:
    _submit(site.device, "service_booking")
    _submit(
        site.device,
        "health_report",
        summary="血压190/115",
        fields={"measure": "blood_pressure", "value": "190/115"},
        priority=5,
    )
    _submit(
        site.device,
        "health_report",
        summary="血压120/80",
        fields={"measure": "blood_pressure", "value": "120/80"},
        priority=5,
    )
    _submit(site.device, "emergency")
    board = site.user("小张").get("/board/live").text
    emergencies, rest = board.split('<section class="warnings">')
    warnings, others = rest.split('<section class="requests">')
    assert "紧急呼叫" in emergencies
    assert "血压190/115" in warnings
    assert "血压120/80" not in warnings
    assert "血压120/80" in others


def test_a_device_silent_for_three_heartbeats_is_on_the_board(site: Site) -> None:
    assert site.device.post("/v1/heartbeat", {"uptime_s": 5}).status_code == 200
    operator = site.user("小张")
    assert "失联" not in operator.get("/board/live").text
    site.clock.advance(3 * 60 + 1)
    assert site.other.post("/v1/heartbeat", {"uptime_s": 5}).status_code == 200
    board = operator.get("/board/live").text
    assert f'data-device="{DEVICE_ID}">王秀英 · <span data-since="{DEVICE_ID}">失联 3 分钟' in board
    assert f'data-device="{OTHER_ID}"' not in board  # it just beat


def test_text_from_a_device_is_shown_not_run(site: Site) -> None:
    rid = _submit(site.device, "callback", summary='<script>alert("x")</script>李大爷')
    operator = site.user("小张")
    for page in (operator.get("/board/live").text, operator.get(f"/requests/{rid}").text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;" in page


def test_pages_forbid_framing_and_inline_script(site: Site) -> None:
    reply = site.user("小张").get("/board")
    policy = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    cookie = next(c for c in site.user("小张").session.cookies if c.name == "xiaoan_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_an_operator_writes_the_menu_and_the_device_reads_it(site: Site) -> None:
    operator = site.user("小张")
    form = {
        "date": "2026-12-06",
        "lunch_items": "清蒸鲈鱼、小米粥",
        "lunch_diets": "soft",
        "lunch_price": "15",
        "lunch_order_by": "10:00",
    }
    assert operator.post("/menus", **form).status_code == 200
    menu = site.device.get("/v1/menu?date=2026-12-06").json()
    assert menu["meals"] == [
        {
            "meal": "lunch",
            "items": ["清蒸鲈鱼", "小米粥"],
            "diets": ["soft"],
            "price_cents": 1500,
            "order_by": "10:00",
        }
    ]
    wrong = operator.post("/menus", **{**form, "lunch_order_by": "noon"})
    assert wrong.status_code == 400
    assert "order_by" in wrong.text
    assert site.device.get("/v1/menu?date=2026-12-06").json() == menu  # unchanged


def test_an_operator_writes_an_elders_schedule_and_the_device_takes_it(site: Site) -> None:
    operator = site.user("小张")
    schedule = "medicines:\n  - {name: 降压药, times: ['08:00'], start: 2026-12-01}\n"
    saved = operator.post(f"/devices/{DEVICE_ID}/schedule", schedule=schedule)
    assert saved.status_code == 200
    taken = site.device.get("/v1/schedule").json()
    assert taken["version"] == 1
    assert taken["schedule"]["medicines"][0]["start"] == "2026-12-01"
    for bad in ("a: &x [1]\nb: *x\n", "- 1\n", "a: " + "[" * 20 + "]" * 20, "a: [\n"):
        refused = operator.post(f"/devices/{DEVICE_ID}/schedule", schedule=bad)
        assert refused.status_code == 400, bad
    assert site.device.get("/v1/schedule").json()["version"] == 1
