"""Pairing, the admin heartbeat view and path-limited faults of the reference care platform,
over real HTTP on 127.0.0.1 (``docs/platform-api.md``: Pairing, Fault injection)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from assistant.refplatform.faults import FaultInjector, FaultSettings
from assistant.refplatform.server import PlatformServer
from assistant.refplatform.store import iso_utc
from tests.support.care_fixture import contract_server
from tests.support.platform_fixture import (
    DEVICE_ID,
    DEVICE_SECRET,
    TIMEOUT_S,
    AdminClient,
    DeviceClient,
    FakeClock,
    encode,
    request_body,
)

NEW_ID = "xiaoan-0001"
CODE = re.compile(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}")
WRONG = "2222-2222"  # a well-formed code no test makes (the chance is 1 in 31**8)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["reference", "care"])
def platform(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[PlatformServer]:
    """The reference server, and the care platform that must keep the same contract."""
    with contract_server(request, tmp_path, clock, None) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def admin(platform: PlatformServer) -> Iterator[AdminClient]:
    client = AdminClient(platform.url)
    yield client
    client.session.close()


def pair(platform: PlatformServer, body: object) -> requests.Response:
    """An unsigned ``POST /v1/pair`` of a JSON body, as a device without a secret sends it."""
    headers = {"Content-Type": "application/json"}
    return requests.post(
        platform.url + "/v1/pair", data=encode(body), headers=headers, timeout=TIMEOUT_S
    )


def error_of(reply: requests.Response) -> tuple[int, str]:
    return reply.status_code, str(reply.json()["error"])


# Pairing


def test_pairing_code_shape(admin: AdminClient, clock: FakeClock) -> None:
    made = admin.call("POST", "/v1/admin/pairing-codes", {"device_id": NEW_ID})
    assert made.status_code == 201
    body = made.json()
    assert CODE.fullmatch(body["code"]), body["code"]
    assert body == {
        "code": body["code"],
        "device_id": NEW_ID,
        "expires_at": iso_utc(clock.now + 900),
    }
    longer = admin.call("POST", "/v1/admin/pairing-codes", {"device_id": NEW_ID, "ttl_s": 86400})
    assert longer.json()["expires_at"] == iso_utc(clock.now + 86400)


def test_paired_secret_signs_requests(
    platform: PlatformServer, admin: AdminClient, clock: FakeClock
) -> None:
    code = admin.pairing_code(NEW_ID)
    typed = code.lower().replace("-", " ")  # as a technician may type it
    reply = pair(platform, {"code": typed, "model": "rpi4", "version": "0.1.0", "later": 1})
    assert reply.status_code == 201, reply.text
    paired = reply.json()
    assert paired == {
        "device_id": NEW_ID,
        "secret": paired["secret"],
        "server_time": int(clock.now),
    }
    assert re.fullmatch(r"[0-9a-f]{64}", paired["secret"])
    device = DeviceClient(platform.url, NEW_ID, bytes.fromhex(paired["secret"]), clock)
    assert device.post("/v1/heartbeat", {"model": "rpi4"}).status_code == 200
    assert device.submit(request_body()).status_code == 201


def test_pairing_replaces_an_earlier_secret(
    platform: PlatformServer, admin: AdminClient, clock: FakeClock
) -> None:
    old = DeviceClient(platform.url, DEVICE_ID, DEVICE_SECRET, clock)
    assert old.get("/v1/requests").status_code == 200
    secret = pair(platform, {"code": admin.pairing_code(DEVICE_ID)}).json()["secret"]
    assert error_of(old.get("/v1/requests")) == (401, "bad_signature")
    new = DeviceClient(platform.url, DEVICE_ID, bytes.fromhex(secret), clock)
    assert new.get("/v1/requests").status_code == 200


def _used(admin: AdminClient, platform: PlatformServer, clock: FakeClock) -> str:
    code = admin.pairing_code(NEW_ID)
    assert pair(platform, {"code": code}).status_code == 201
    return code


def _expired(admin: AdminClient, platform: PlatformServer, clock: FakeClock) -> str:
    code = admin.pairing_code(NEW_ID, ttl_s=60)
    clock.advance(60)
    return code


def _replaced(admin: AdminClient, platform: PlatformServer, clock: FakeClock) -> str:
    code = admin.pairing_code(NEW_ID)
    admin.pairing_code(NEW_ID)
    return code


def _wrong(admin: AdminClient, platform: PlatformServer, clock: FakeClock) -> str:
    admin.pairing_code(NEW_ID)
    return WRONG


@pytest.mark.parametrize(
    ("make", "reason"),
    [(_used, "used"), (_expired, "expired"), (_replaced, "unknown"), (_wrong, "unknown")],
)
def test_bad_codes_are_403(
    admin: AdminClient,
    platform: PlatformServer,
    clock: FakeClock,
    make: Callable[[AdminClient, PlatformServer, FakeClock], str],
    reason: str,
) -> None:
    reply = pair(platform, {"code": make(admin, platform, clock)})
    assert error_of(reply) == (403, "invalid_code")
    assert reason in reply.json()["message"]


@pytest.mark.parametrize(("after_s", "status"), [(0, 201), (299, 201), (300, 403), (301, 403)])
def test_code_lasts_its_ttl(
    admin: AdminClient, platform: PlatformServer, clock: FakeClock, after_s: int, status: int
) -> None:
    code = admin.pairing_code(NEW_ID, ttl_s=300)
    clock.advance(after_s)
    assert pair(platform, {"code": code}).status_code == status


def test_new_code_replaces_only_that_devices_codes(
    admin: AdminClient, platform: PlatformServer
) -> None:
    first, other = admin.pairing_code(NEW_ID), admin.pairing_code("xiaoan-0002")
    second = admin.pairing_code(NEW_ID)
    assert error_of(pair(platform, {"code": first})) == (403, "invalid_code")
    assert pair(platform, {"code": second}).json()["device_id"] == NEW_ID
    assert pair(platform, {"code": other}).json()["device_id"] == "xiaoan-0002"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_request"),
        ({"code": 12345678}, "invalid_request"),
        ({"code": None}, "invalid_request"),
        ({"code": "2222-2222", "model": 4}, "invalid_request"),
        ({"code": "2222-2222", "version": None}, "invalid_request"),
        (["2222-2222"], "invalid_request"),
    ],
)
def test_pair_body_errors_are_400(platform: PlatformServer, body: object, error: str) -> None:
    assert error_of(pair(platform, body)) == (400, error)


def test_pair_takes_json(platform: PlatformServer) -> None:
    reply = requests.post(platform.url + "/v1/pair", data=b"{code", timeout=TIMEOUT_S)
    assert error_of(reply) == (400, "invalid_json")


@pytest.mark.parametrize(
    "order",
    [
        {},
        {"device_id": "has space"},
        {"device_id": "x" * 65},
        {"device_id": 17},
        {"device_id": NEW_ID, "ttl_s": 59},
        {"device_id": NEW_ID, "ttl_s": 86401},
        {"device_id": NEW_ID, "ttl_s": 900.0},
        {"device_id": NEW_ID, "ttl_s": "900"},
        {"device_id": NEW_ID, "ttl_s": True},
        {"device_id": NEW_ID, "ttl": 900},
    ],
)
def test_pairing_code_order_is_checked(admin: AdminClient, order: dict[str, Any]) -> None:
    with pytest.raises(requests.HTTPError) as refused:
        admin.call("POST", "/v1/admin/pairing-codes", order)
    assert error_of(refused.value.response) == (400, "invalid_request")


def test_pairing_codes_take_the_admin_token(platform: PlatformServer) -> None:
    url = platform.url + "/v1/admin/pairing-codes"
    reply = requests.post(url, data=encode({"device_id": NEW_ID}), timeout=TIMEOUT_S)
    assert error_of(reply) == (401, "unauthenticated")


def test_failed_attempts_are_limited(
    admin: AdminClient, platform: PlatformServer, clock: FakeClock
) -> None:
    code = admin.pairing_code(NEW_ID)
    for _ in range(10):
        assert error_of(pair(platform, {"code": WRONG})) == (403, "invalid_code")
    for wait in ("600", "600"):  # a refused attempt does not count
        limited = pair(platform, {"code": code})  # even the good code
        assert error_of(limited) == (429, "too_many_attempts")
        assert limited.headers["Retry-After"] == wait
    clock.advance(599)
    assert pair(platform, {"code": code}).headers["Retry-After"] == "1"
    clock.advance(1)
    assert pair(platform, {"code": code}).status_code == 201


def test_retry_after_follows_the_oldest_failure(
    admin: AdminClient, platform: PlatformServer, clock: FakeClock
) -> None:
    code = admin.pairing_code(NEW_ID, ttl_s=3600)
    pair(platform, {"code": WRONG})
    clock.advance(100)
    for _ in range(9):
        pair(platform, {"code": WRONG})
    assert pair(platform, {"code": code}).headers["Retry-After"] == "500"
    clock.advance(500)  # the first failure left the window: one more attempt
    assert error_of(pair(platform, {"code": WRONG})) == (403, "invalid_code")
    assert pair(platform, {"code": code}).headers["Retry-After"] == "100"


def test_codes_are_not_stored_in_clear_text(admin: AdminClient, platform: PlatformServer) -> None:
    code = admin.pairing_code(NEW_ID)
    db = platform.config.db
    if db is None:
        pytest.skip("a PostgreSQL database is no file")
    stored = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    digest = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert digest.encode() in stored  # the bytes read are where the codes are kept
    for clear in (code, code.replace("-", ""), code[:4], code[5:]):
        assert clear.encode() not in stored


def test_pairing_logs_neither_code_nor_secret(
    admin: AdminClient, platform: PlatformServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = admin.pairing_code(NEW_ID)
    secret = pair(platform, {"code": code}).json()["secret"]
    pair(platform, {"code": code})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/v1/pair" in logged
    for text in (code, code.replace("-", ""), secret):
        assert text not in logged


# Heartbeats seen by a provider


def test_admin_sees_the_last_heartbeat(
    admin: AdminClient, platform: PlatformServer, clock: FakeClock
) -> None:
    assert admin.heartbeat(DEVICE_ID) is None
    with pytest.raises(requests.HTTPError) as missing:
        admin.call("GET", f"/v1/admin/devices/{DEVICE_ID}/heartbeat")
    assert error_of(missing.value.response) == (404, "not_found")
    device = DeviceClient(platform.url, clock=clock)
    device.post("/v1/heartbeat", {"uptime_s": 5})
    clock.advance(60)
    beat = {"uptime_s": 65, "outbox_backlog": 1, "version": "0.1.0", "ignored": True}
    device.post("/v1/heartbeat", beat)
    assert admin.heartbeat(DEVICE_ID) == {
        "received_at": iso_utc(clock.now),
        "body": {"uptime_s": 65, "outbox_backlog": 1, "version": "0.1.0"},
    }
    assert admin.heartbeat("xiaoan-never") is None


# Faults limited to paths


@pytest.mark.reference_only
def test_faults_hit_only_their_paths(
    admin: AdminClient, platform: PlatformServer, clock: FakeClock
) -> None:
    admin.set_faults(fail_rate=1.0, paths=["/v1/heartbeat"])
    device = DeviceClient(platform.url, clock=clock)
    assert error_of(device.post("/v1/heartbeat", {})) == (503, "injected")
    assert device.submit(request_body()).status_code == 201
    assert pair(platform, {"code": admin.pairing_code(NEW_ID)}).status_code == 201
    faults = admin.faults()
    assert (faults["paths"], faults["failed"]) == (["/v1/heartbeat"], 1)


@pytest.mark.parametrize(
    ("paths", "path", "applies"),
    [
        ([], "/v1/heartbeat", True),
        (["/v1/requests"], "/v1/requests", True),
        (["/v1/requests"], "/v1/requests/R000001", True),
        (["/v1/requests"], "/v1/menu", False),
        (["/v1/menu", "/v1/pair"], "/v1/pair", True),
        (["/v1/"], "/v1/schedule", True),
    ],
)
def test_paths_are_prefixes(paths: list[str], path: str, applies: bool) -> None:
    faults = FaultInjector()
    faults.configure(FaultSettings.from_json({"fail_rate": 1.0, "paths": paths}))
    assert (faults.decide(path).fail_status is not None) is applies


@pytest.mark.reference_only
def test_pair_is_subject_to_faults(admin: AdminClient, platform: PlatformServer) -> None:
    code = admin.pairing_code(NEW_ID)
    admin.set_faults(fail_rate=1.0)
    assert error_of(pair(platform, {"code": code})) == (503, "injected")
    admin.set_faults()
    assert pair(platform, {"code": code}).status_code == 201  # an injected failure used nothing


def test_excluded_paths_draw_no_numbers() -> None:
    def hits(interleave: bool) -> list[bool]:
        faults = FaultInjector()
        settings = {"fail_rate": 0.5, "seed": 3, "paths": ["/v1/heartbeat"]}
        faults.configure(FaultSettings.from_json(settings))
        outcomes = []
        for _ in range(40):
            if interleave:
                assert faults.decide("/v1/requests").fail_status is None
            outcomes.append(faults.decide("/v1/heartbeat").fail_status is not None)
        return outcomes

    assert hits(interleave=True) == hits(interleave=False)
    assert any(hits(False))
    assert not all(hits(False))


@pytest.mark.reference_only
@pytest.mark.parametrize(
    "paths", ["/v1/heartbeat", [5], ["heartbeat"], ["/v2/heartbeat"], ["/v1"], [""], None]
)
def test_bad_paths_are_400(admin: AdminClient, paths: object) -> None:
    with pytest.raises(requests.HTTPError) as refused:
        admin.set_faults(fail_rate=1.0, paths=paths)
    assert error_of(refused.value.response) == (400, "invalid_request")
    assert "paths" in refused.value.response.json()["message"]
