"""The reference care platform over real HTTP on 127.0.0.1: the contract of
``docs/platform-api.md``, signatures, idempotency, fault injection and the command line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ruamel.yaml import YAML

from assistant.refplatform.app import PlatformApp
from assistant.refplatform.faults import FaultInjector, FaultSettings
from assistant.refplatform.server import PlatformServer, ServerConfig
from assistant.refplatform.store import Fresh, InProgress, KeyReused, PlatformStore
from tests.support.care_fixture import contract_server
from tests.support.paths import ROOT
from tests.support.platform_fixture import (
    ADMIN_TOKEN,
    DEVICE_ID,
    DEVICE_SECRET,
    AdminClient,
    DeviceClient,
    FakeClock,
    encode,
    request_body,
    running_platform,
    sign_request,
)

OTHER_ID = "xiaoan-test-0002"
OTHER_SECRET = bytes(range(32))
MENU = [
    {
        "meal": "lunch",
        "items": ["清蒸鲈鱼", "小米粥"],
        "diets": ["low_salt", "soft"],
        "price_cents": 1500,
        "order_by": "10:00",
    }
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["reference", "care", "care-postgresql"])
def platform(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[PlatformServer]:
    """The reference server, and the care platform that must keep the same contract."""
    with contract_server(
        request, tmp_path, clock, {DEVICE_ID: DEVICE_SECRET, OTHER_ID: OTHER_SECRET}
    ) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def device(platform: PlatformServer, clock: FakeClock) -> Iterator[DeviceClient]:
    client = DeviceClient(platform.url, clock=clock)
    yield client
    client.session.close()


@pytest.fixture
def other(platform: PlatformServer, clock: FakeClock) -> Iterator[DeviceClient]:
    client = DeviceClient(platform.url, OTHER_ID, OTHER_SECRET, clock=clock)
    yield client
    client.session.close()


@pytest.fixture
def admin(platform: PlatformServer) -> Iterator[AdminClient]:
    client = AdminClient(platform.url, ADMIN_TOKEN)
    yield client
    client.session.close()


def error_of(reply: requests.Response) -> str:
    return str(reply.json()["error"])


# Signatures


def test_valid_signed_request_is_stored(device: DeviceClient, clock: FakeClock) -> None:
    body = request_body("service_booking")
    reply = device.submit(body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert re.fullmatch(r"R\d{6}", created["id"])
    assert created == {
        "id": created["id"],
        "kind": "service_booking",
        "status": "received",
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now)),
        "summary": body["summary"],
    }
    assert "Idempotent-Replayed" not in reply.headers
    stored = device.get(f"/v1/requests/{created['id']}").json()
    assert stored == {
        "id": created["id"],
        "kind": "service_booking",
        "status": "received",
        "summary": body["summary"],
        "fields": body["fields"],
        "created_at": body["created_at"],
        "received_at": created["received_at"],
        "updated_at": created["received_at"],
        "note": None,
        "provider": None,
        "eta": None,
        "acknowledged_at": None,
    }


def _tamper_body(device: DeviceClient) -> requests.PreparedRequest:
    prepared = device.prepare("POST", "/v1/requests", encode(request_body()), key=str(uuid.uuid4()))
    prepared.body = encode(request_body(priority=4))
    prepared.headers["Content-Length"] = str(len(prepared.body))
    return prepared


def _tamper_path(device: DeviceClient) -> requests.PreparedRequest:
    prepared = device.prepare("GET", "/v1/requests?kind=meal_order")
    prepared.url = device.url + "/v1/requests?kind=callback"
    return prepared


def _wrong_secret(device: DeviceClient) -> requests.PreparedRequest:
    now = int(device.clock())
    return sign_request("GET", device.url + "/v1/requests", secret=OTHER_SECRET, timestamp=now)


def _unknown_device(device: DeviceClient) -> requests.PreparedRequest:
    now = int(device.clock())
    return sign_request("GET", device.url + "/v1/requests", device_id="xiaoan-0", timestamp=now)


def _missing_headers(device: DeviceClient) -> requests.PreparedRequest:
    prepared = device.prepare("GET", "/v1/requests")
    del prepared.headers["X-Nonce"]
    return prepared


def _garbage_signature(device: DeviceClient) -> requests.PreparedRequest:
    prepared = device.prepare("GET", "/v1/requests")
    prepared.headers["X-Signature"] = "zz" * 32
    return prepared


@pytest.mark.parametrize(
    ("craft", "code"),
    [
        (_tamper_body, "bad_signature"),
        (_tamper_path, "bad_signature"),
        (_wrong_secret, "bad_signature"),
        (_garbage_signature, "bad_signature"),
        (_unknown_device, "unknown_device"),
        (_missing_headers, "unauthenticated"),
    ],
)
def test_bad_signatures_are_refused(
    device: DeviceClient,
    admin: AdminClient,
    craft: Callable[[DeviceClient], requests.PreparedRequest],
    code: str,
) -> None:
    reply = device.send(craft(device))
    assert (reply.status_code, error_of(reply)) == (401, code)
    assert admin.stats()["stored"] == 0
    assert admin.stats()["refused"][code] == 1


def test_replayed_request_is_refused(device: DeviceClient, admin: AdminClient) -> None:
    prepared = device.prepare("POST", "/v1/requests", encode(request_body()), key=str(uuid.uuid4()))
    assert device.send(prepared).status_code == 201
    replayed = device.send(prepared)
    assert (replayed.status_code, error_of(replayed)) == (401, "replayed")
    assert admin.stats()["refused"]["replayed"] == 1


@pytest.mark.parametrize("offset", [301, -301, 3600])
def test_stale_timestamp_is_refused_with_server_time(
    device: DeviceClient, clock: FakeClock, offset: int
) -> None:
    reply = device.send(device.prepare("GET", "/v1/requests", offset_s=offset))
    assert (reply.status_code, error_of(reply)) == (401, "stale")
    assert reply.json()["server_time"] == int(clock.now)


@pytest.mark.parametrize("offset", [299, -299, 300, -300])
def test_timestamp_within_skew_is_accepted(device: DeviceClient, offset: int) -> None:
    reply = device.send(device.prepare("GET", "/v1/requests", offset_s=offset))
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("written", ["+{t}", "{t}.0", "0{t}", "{t_}", "-0", "1e9"])
def test_a_timestamp_not_in_plain_digits_is_refused(
    device: DeviceClient, clock: FakeClock, written: str
) -> None:
    prepared = device.prepare("GET", "/v1/requests")
    now = int(clock.now)
    prepared.headers["X-Timestamp"] = written.format(t=now, t_=f"{now:_}")
    reply = device.send(prepared)
    assert (reply.status_code, error_of(reply)) == (401, "unauthenticated")
    assert "plain decimal digits" in reply.json()["message"]


def test_nonces_are_forgotten_after_twice_the_skew(tmp_path: Path) -> None:
    clock = FakeClock()
    store = PlatformStore(tmp_path / "p.db", clock=clock)
    try:
        assert store.remember_nonce("d", "n1", 600)
        assert not store.remember_nonce("d", "n1", 600)
        assert store.remember_nonce("other-device", "n1", 600)
        clock.advance(601)
        assert store.remember_nonce("d", "n1", 600)
    finally:
        store.close()


# Idempotency


def test_abandoned_key_is_taken_over_after_the_lease(tmp_path: Path) -> None:
    clock = FakeClock()
    store = PlatformStore(tmp_path / "p.db", clock=clock, lease_s=30)
    try:
        assert isinstance(store.begin_request("d", "k", "sha-1"), Fresh)
        assert isinstance(store.begin_request("d", "k", "sha-1"), InProgress)
        assert isinstance(store.begin_request("d", "k", "sha-2"), KeyReused)
        clock.advance(31)  # the first attempt died between begin and complete
        assert isinstance(store.begin_request("d", "k", "sha-2"), Fresh)
    finally:
        store.close()


def test_same_key_same_body_replays_the_stored_answer(
    device: DeviceClient, admin: AdminClient
) -> None:
    key = str(uuid.uuid4())
    first = device.submit(request_body(), key)
    again = device.submit(request_body(), key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    upper = device.submit(request_body(), key.upper())
    assert upper.json()["id"] == first.json()["id"]
    assert len(admin.requests()) == 1
    assert admin.stats()["replayed"] == 2


def test_same_key_other_body_is_422(device: DeviceClient) -> None:
    key = str(uuid.uuid4())
    assert device.submit(request_body(), key).status_code == 201
    reply = device.submit(request_body(summary="老人王秀英（3栋2单元501）预约后天上午保洁"), key)
    assert (reply.status_code, error_of(reply)) == (422, "idempotency_key_reused")


def test_key_is_required_and_must_be_a_uuid(device: DeviceClient) -> None:
    missing = device.post("/v1/requests", request_body())
    assert (missing.status_code, error_of(missing)) == (400, "missing_idempotency_key")
    bad = device.submit(request_body(), "not-a-uuid")
    assert (bad.status_code, error_of(bad)) == (400, "invalid_idempotency_key")


def test_keys_are_scoped_per_device(device: DeviceClient, other: DeviceClient) -> None:
    key = str(uuid.uuid4())
    mine, theirs = device.submit(request_body(), key), other.submit(request_body(), key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.reference_only
def test_concurrent_same_key_is_stored_once(
    platform: PlatformServer, admin: AdminClient, clock: FakeClock
) -> None:
    admin.set_faults(delay_ms=150)
    key, workers = str(uuid.uuid4()), 6
    barrier = threading.Barrier(workers)
    replies: list[requests.Response] = []
    lock = threading.Lock()

    def send() -> None:
        client = DeviceClient(platform.url, clock=clock)
        prepared = client.prepare("POST", "/v1/requests", encode(request_body()), key=key)
        barrier.wait(timeout=10)
        reply = client.send(prepared)
        with lock:
            replies.append(reply)
        client.session.close()

    threads = [threading.Thread(target=send) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(replies) == workers
    fresh = [r for r in replies if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    others = [r for r in replies if r not in fresh]
    assert len(fresh) == 1
    assert all(r.status_code == 409 or r.headers.get("Idempotent-Replayed") for r in others)
    assert all(r.json()["id"] == fresh[0].json()["id"] for r in others if r.status_code == 201)
    assert admin.faults()["delayed"] == workers
    assert len(admin.requests()) == 1


def test_key_being_processed_is_409(platform: PlatformServer, device: DeviceClient) -> None:
    key, body = str(uuid.uuid4()), request_body()
    assert isinstance(platform.store.begin_request(DEVICE_ID, key, _digest(body)), Fresh)
    reply = device.submit(body, key)
    assert (reply.status_code, error_of(reply)) == (409, "in_progress")
    platform.store.abandon_request(DEVICE_ID, key)
    assert device.submit(body, key).status_code == 201


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Request bodies and reads


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"kind": "pizza"}, "kind"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": "2026-11-22T10:00:00"}, "created_at"),
        ({"priority": 10}, "priority"),
        ({"priority": True}, "priority"),
        ({"summary": "  "}, "summary"),
        ({"summary": "第一行\n第二行"}, "summary"),
        ({"summary": "一行\n"}, "summary"),
        ({"summary": "一行\r"}, "summary"),
        ({"fields": []}, "fields"),
        ({"lang": "fr"}, "lang"),
        ({"kind": "emergency_cancel", "fields": {"emergency_key": 5}}, "emergency_key"),
    ],
)
def test_invalid_body_names_the_field(
    device: DeviceClient, override: dict[str, Any], field: str
) -> None:
    reply = device.submit(request_body(**override))
    assert (reply.status_code, error_of(reply)) == (400, "invalid_request")
    assert field in reply.json()["message"]


def test_missing_field_is_named(device: DeviceClient) -> None:
    body = request_body()
    del body["lang"]
    reply = device.submit(body)
    assert (reply.status_code, error_of(reply)) == (400, "invalid_request")
    assert "lang" in reply.json()["message"]


def test_list_filters_newest_first(device: DeviceClient, other: DeviceClient) -> None:
    keys = [str(uuid.uuid4()) for _ in range(3)]
    ids = [
        device.submit(request_body(kind), key).json()["id"]
        for kind, key in zip(["meal_order", "callback", "meal_order"], keys, strict=True)
    ]
    other.submit(request_body("meal_order"))
    listed = device.get("/v1/requests").json()["requests"]
    assert [r["id"] for r in listed] == ids[::-1]
    assert [r["idempotency_key"] for r in listed] == keys[::-1]
    meals = device.get("/v1/requests?kind=meal_order").json()["requests"]
    assert [r["id"] for r in meals] == [ids[2], ids[0]]
    by_key = device.get(f"/v1/requests?key={keys[1]}").json()["requests"]
    assert [r["id"] for r in by_key] == [ids[1]]
    assert device.get("/v1/requests?kind=pizza").status_code == 400


def test_other_devices_request_is_not_found(device: DeviceClient, other: DeviceClient) -> None:
    theirs = other.submit(request_body()).json()["id"]
    for path in (f"/v1/requests/{theirs}", "/v1/requests/R999999", "/v1/requests/17"):
        reply = device.get(path)
        assert (reply.status_code, error_of(reply)) == (404, "not_found")


def test_emergency_cancel_cancels_the_emergency(
    device: DeviceClient, other: DeviceClient, admin: AdminClient
) -> None:
    key = str(uuid.uuid4())
    alarm = device.submit(request_body("emergency", summary="老人王秀英呼救"), key).json()["id"]
    their_alarm = other.submit(request_body("emergency"), key).json()["id"]
    cancel = request_body("emergency_cancel", fields={"emergency_key": key}, summary="老人说没事了")
    assert device.submit(cancel).status_code == 201
    assert device.get(f"/v1/requests/{alarm}").json()["status"] == "cancelled"
    assert other.get(f"/v1/requests/{their_alarm}").json()["status"] == "received"
    assert len(admin.requests(kind="emergency")) == 2  # the alarm record is kept


def test_cancel_arriving_before_its_emergency(device: DeviceClient) -> None:
    key = str(uuid.uuid4())
    cancel = request_body("emergency_cancel", fields={"emergency_key": key})
    assert device.submit(cancel).status_code == 201
    alarm = device.submit(request_body("emergency"), key).json()["id"]
    assert device.get(f"/v1/requests/{alarm}").json()["status"] == "cancelled"


def test_completed_emergency_is_not_reopened_by_a_cancel(
    device: DeviceClient, admin: AdminClient
) -> None:
    key = str(uuid.uuid4())
    alarm = device.submit(request_body("emergency"), key).json()["id"]
    admin.set_status(alarm, "completed")
    device.submit(request_body("emergency_cancel", fields={"emergency_key": key}))
    assert device.get(f"/v1/requests/{alarm}").json()["status"] == "completed"


def test_escalation_is_stored(device: DeviceClient, admin: AdminClient) -> None:
    body = request_body("emergency_escalation", fields={"emergency_key": str(uuid.uuid4())})
    assert device.submit(body).status_code == 201
    assert [r["kind"] for r in admin.requests(kind="emergency_escalation")] == [
        "emergency_escalation"
    ]


def test_provider_status_is_visible_to_the_device(device: DeviceClient, admin: AdminClient) -> None:
    request_id = device.submit(request_body()).json()["id"]
    updated = admin.set_status(
        request_id,
        "accepted",
        note="明早九点到",
        provider="阳光家政",
        eta="2026-11-23T09:00:00+08:00",
    )
    assert updated["device_id"] == DEVICE_ID
    seen = device.get(f"/v1/requests/{request_id}").json()
    assert (seen["status"], seen["note"], seen["provider"]) == (
        "accepted",
        "明早九点到",
        "阳光家政",
    )
    admin.set_status(request_id, "completed", note=None)
    seen = device.get(f"/v1/requests/{request_id}").json()
    assert (seen["status"], seen["note"], seen["provider"]) == ("completed", None, "阳光家政")
    assert [r["id"] for r in admin.requests(status="completed", device=DEVICE_ID)] == [request_id]
    assert admin.requests(status="accepted") == []


def test_a_person_acknowledges_and_the_device_sees_when(
    device: DeviceClient, admin: AdminClient, clock: FakeClock
) -> None:
    created = device.submit(request_body("emergency")).json()
    assert device.get(f"/v1/requests/{created['id']}").json()["acknowledged_at"] is None
    first = admin.acknowledge(created["id"], note="王医生十分钟到")
    clock.advance(30)
    again = admin.acknowledge(created["id"])  # the note is kept, the first time too
    seen = device.get(f"/v1/requests/{created['id']}").json()
    assert seen["acknowledged_at"] == first["acknowledged_at"] == again["acknowledged_at"]
    assert seen["acknowledged_at"] is not None
    assert (seen["note"], seen["status"]) == ("王医生十分钟到", "received")
    missing = admin.session.post(admin.url + "/v1/admin/requests/R999999/acknowledge",
                                 data=encode({"by": "x"}), timeout=10)  # fmt: skip
    assert (missing.status_code, error_of(missing)) == (404, "not_found")
    for bad in ({}, {"by": ""}, {"by": "x", "note": 5}, {"by": "x", "extra": 1}):
        path = f"/v1/admin/requests/{created['id']}/acknowledge"
        reply = admin.session.post(admin.url + path, data=encode(bad), timeout=10)
        assert (reply.status_code, error_of(reply)) == (400, "invalid_request"), bad


def test_admin_errors(admin: AdminClient, platform: PlatformServer) -> None:
    with pytest.raises(requests.HTTPError) as missing:
        admin.set_status("R999999", "accepted")
    assert missing.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as bad:
        admin.call("POST", "/v1/admin/requests/R000001/status", {"status": "received"})
    assert bad.value.response.status_code == 400
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        reply = requests.get(platform.url + "/v1/admin/stats", headers=headers, timeout=10)
        assert (reply.status_code, error_of(reply)) == (401, "unauthenticated")


def test_admin_registers_a_device(
    platform: PlatformServer, admin: AdminClient, clock: FakeClock
) -> None:
    secret = bytes.fromhex("aa" * 32)
    admin.put_device("xiaoan-new", secret)
    reply = DeviceClient(platform.url, "xiaoan-new", secret, clock).get("/v1/requests")
    assert reply.status_code == 200
    with pytest.raises(requests.HTTPError):
        admin.put_device("xiaoan-new", b"short")


# Menu, schedule, heartbeat


def test_menu(device: DeviceClient, admin: AdminClient) -> None:
    none = device.get("/v1/menu?date=2026-11-23")
    assert (none.status_code, error_of(none)) == (404, "no_menu")
    admin.put_menu("2026-11-23", MENU)
    menu = device.get("/v1/menu?date=2026-11-23").json()
    assert menu == {
        "date": "2026-11-23",
        "meals": [{**MENU[0], "diets": ["soft", "low_salt"]}],
    }
    for query in ("", "?date=2026-13-01", "?date=tomorrow"):
        assert device.get("/v1/menu" + query).status_code == 400
    with pytest.raises(requests.HTTPError):
        admin.put_menu("2026-11-24", [{**MENU[0], "order_by": "25:00"}])


def test_schedule(device: DeviceClient, admin: AdminClient) -> None:
    none = device.get("/v1/schedule")
    assert (none.status_code, error_of(none)) == (404, "no_schedule")
    admin.put_schedule(DEVICE_ID, {"reminders": [{"at": "08:00", "text": "吃降压药"}]})
    schedule = {
        "reminders": [{"at": "08:00", "text": "吃降压药"}, {"at": "20:00", "text": "量血压"}]
    }
    admin.put_schedule(DEVICE_ID, schedule)
    got = device.get("/v1/schedule").json()
    assert (got["version"], got["schedule"]) == (2, schedule)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", got["updated_at"])
    deep: dict[str, Any] = {"medicines": []}
    for _ in range(40):
        deep = {"x": [deep]}
    with pytest.raises(requests.HTTPError, match="400"):  # nested past the device's limit
        admin.put_schedule(DEVICE_ID, deep)


def test_heartbeat(device: DeviceClient, platform: PlatformServer, clock: FakeClock) -> None:
    beat = {"uptime_s": 3600, "outbox_backlog": 2, "parked": 0, "last_error": None, "model": "m"}
    reply = device.post("/v1/heartbeat", beat)
    assert reply.json() == {"server_time": int(clock.now), "next_in_s": 60}
    stored = platform.store.last_heartbeat(DEVICE_ID)
    assert stored is not None
    assert stored.body == beat
    assert device.post("/v1/heartbeat", {}).status_code == 200
    assert device.post("/v1/heartbeat", {"outbox_backlog": -1}).status_code == 400


# Fault injection


@pytest.mark.reference_only
def test_fail_fault_answers_503_and_stores_nothing(
    device: DeviceClient, admin: AdminClient
) -> None:
    admin.set_faults(fail_rate=1.0)
    reply = device.submit(request_body())
    assert (reply.status_code, error_of(reply)) == (503, "injected")
    admin.set_faults(fail_rate=1.0, fail_status=500)
    assert device.submit(request_body()).status_code == 500
    assert admin.stats()["stored"] == 0  # admin endpoints ignore the faults
    assert admin.faults()["failed"] == 1


@pytest.mark.reference_only
def test_drop_fault_stores_but_does_not_answer(device: DeviceClient, admin: AdminClient) -> None:
    admin.set_faults(drop_rate=1.0)
    key = str(uuid.uuid4())
    with pytest.raises(requests.ConnectionError):
        device.submit(request_body(), key)
    assert admin.faults()["dropped"] == 1
    assert [r["idempotency_key"] for r in admin.requests()] == [key]
    admin.set_faults()
    retry = device.submit(request_body(), key)
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, "true")


@pytest.mark.reference_only
def test_reset_fault_resets_and_stores_nothing(device: DeviceClient, admin: AdminClient) -> None:
    admin.set_faults(reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        device.submit(request_body())
    assert admin.faults()["reset"] == 1
    assert admin.stats()["stored"] == 0


@pytest.mark.reference_only
def test_delay_fault(device: DeviceClient, admin: AdminClient) -> None:
    admin.set_faults(delay_ms=200)
    started = time.monotonic()
    assert device.get("/v1/requests").status_code == 200
    assert time.monotonic() - started >= 0.19
    assert admin.faults()["delayed"] == 1


def test_seeded_faults_are_reproducible() -> None:
    def run(seed: int) -> list[tuple[bool, bool, bool]]:
        faults = FaultInjector()
        faults.configure(FaultSettings(fail_rate=0.3, drop_rate=0.3, reset_rate=0.3, seed=seed))
        outcomes = [faults.decide() for _ in range(50)]
        return [(d.reset, d.fail_status is not None, d.drop) for d in outcomes]

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.reference_only
def test_fault_settings_are_checked(admin: AdminClient) -> None:
    for bad in ({"fail_rate": 2}, {"delay_ms": -1}, {"fail_status": 200}, {"nope": 1}):
        with pytest.raises(requests.HTTPError) as refused:
            admin.set_faults(**bad)
        assert refused.value.response.status_code == 400


# HTTP details


def test_body_over_64_kib_is_413(device: DeviceClient) -> None:
    body = encode(request_body(fields={"blob": "x" * 70_000}))
    reply = device.send(device.prepare("POST", "/v1/requests", body, key=str(uuid.uuid4())))
    assert (reply.status_code, error_of(reply)) == (413, "too_large")


def test_malformed_json_is_400(device: DeviceClient) -> None:
    for raw in (b"{not json", b"\xff\xfe", b"[1, NaN]"):
        reply = device.send(device.prepare("POST", "/v1/requests", raw, key=str(uuid.uuid4())))
        assert (reply.status_code, error_of(reply)) == (400, "invalid_json")
    not_object = device.submit([1, 2])
    assert (not_object.status_code, error_of(not_object)) == (400, "invalid_request")


def test_unknown_path_and_wrong_method(platform: PlatformServer) -> None:
    missing = requests.get(platform.url + "/v1/nothing", timeout=10)
    assert (missing.status_code, error_of(missing)) == (404, "not_found")
    wrong = requests.delete(platform.url + "/v1/requests", timeout=10)
    assert (wrong.status_code, error_of(wrong)) == (405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.reference_only
@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /v1/menu HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "bad_request"),
        (b"POST /v1/heartbeat HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
         "length_required"),
        (b"TRACE /v1/menu HTTP/1.1\r\n\r\n", 501, "not_implemented"),
    ],
)  # fmt: skip
def test_protocol_errors_are_json(
    platform: PlatformServer, raw: bytes, status: int, code: str
) -> None:
    with socket.create_connection(("127.0.0.1", platform.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == str(status).encode()
    assert json.loads(body)["error"] == code


def test_unexpected_error_is_500_without_traceback(
    platform: PlatformServer, device: DeviceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(platform.store, "get_schedule", boom)
    reply = device.get("/v1/schedule")
    assert (reply.status_code, error_of(reply)) == (500, "internal")
    assert "disk on fire" not in reply.text
    assert "Traceback" not in reply.text


def test_database_file_is_private(platform: PlatformServer) -> None:
    db = platform.config.db
    if db is None:
        pytest.skip("a PostgreSQL database is no file")
    assert db.stat().st_mode & 0o777 == 0o600
    for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if side.exists():
            assert side.stat().st_mode & 0o777 == 0o600


def test_stop_closes_idle_connections(tmp_path: Path) -> None:
    with running_platform(tmp_path) as server:
        client = DeviceClient(server.url)
        assert client.get("/v1/requests").status_code == 200  # a keep-alive connection stays
    with pytest.raises(requests.ConnectionError):
        client.get("/v1/requests")


# The contract documents


def test_openapi_lists_exactly_the_served_routes(tmp_path: Path) -> None:
    spec = YAML(typ="safe").load((ROOT / "docs" / "platform-api.openapi.yaml").read_text())
    assert spec["openapi"].startswith("3.1")
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "delete", "patch")
    }
    config = ServerConfig(db=tmp_path / "p.db", admin_token=ADMIN_TOKEN)
    store = PlatformStore(config.db)
    try:
        app = PlatformApp(config, store, FaultInjector(), threading.Event())
    finally:
        store.close()
    served = {(r.method, r.pattern.pattern.replace("([^/]+)", "{}")) for r in app.routes}
    assert documented == served


# Command line


def test_command_line_serves_until_terminated(tmp_path: Path) -> None:
    args = [
        sys.executable, "-m", "assistant.refplatform.server", "--port", "0",
        "--db", str(tmp_path / "cli.db"), "--admin-token", "cli-token",
        "--device", f"{DEVICE_ID}={DEVICE_SECRET.hex()}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env
    ) as proc:
        assert proc.stdout is not None
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            assert ready, "no listening line within 20 s"
            line = proc.stdout.readline().decode()
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
            assert match, line
            reply = DeviceClient(match[1]).get("/v1/requests")
            assert reply.json() == {"requests": []}
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


@pytest.mark.parametrize(
    "bad",
    [
        ["--port", "abc"],
        ["--device", "no-secret"],
        ["--device", "d1=beef"],
        ["--db", "/nonexistent-dir/x.db"],
    ],
)
def test_command_line_bad_arguments(tmp_path: Path, bad: list[str]) -> None:
    args = ["--db", str(tmp_path / "x.db"), "--admin-token", "t", *bad]
    done = subprocess.run(
        [sys.executable, "-m", "assistant.refplatform.server", *args],
        capture_output=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.decode().splitlines()) == 1, done.stderr
    assert b"Traceback" not in done.stderr
