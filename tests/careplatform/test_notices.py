"""Families are really told (issue 17): a missed dose, a missed check-in or an alarm no
person answered makes a notice per family contact in the same transaction as the request;
the notifier delivers it by e-mail (a real SMTP server) or webhook (a real HTTP server),
retries what failed and gives up only by its policy; two senders never send one twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from careplatform.notify import Channel, EmailChannel, RetryPolicy, WebhookChannel
from careplatform.notifying import NoticeSender
from careplatform.store.notices import NoticeStore
from tests.support.care_fixture import CareServer, running_careplatform
from tests.support.notify_servers import HookServers, SmtpServers
from tests.support.platform_fixture import DEVICE_ID, DeviceClient, FakeClock, request_body

MISSED = {"event": "missed", "medicine": "降压药", "why": "no_answer", "reminded": 3}


@pytest.fixture
def care(tmp_path: Path, clock: FakeClock, db_url: str | None) -> Iterator[CareServer]:
    with running_careplatform(tmp_path, clock=clock, db_url=db_url) as server:
        server.platform.care.set_device(DEVICE_ID, "test", "王秀英", "")
        yield server


def _missed_dose(care: CareServer, clock: FakeClock) -> str:
    body = request_body(
        "medicine_event", summary="王秀英 早上八点的降压药没有吃", fields=MISSED, priority=6
    )
    reply = DeviceClient(care.url, clock=clock).submit(body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _sender(care: CareServer, smtp_port: int, seed: int = 1) -> NoticeSender:
    channels: dict[str, Channel] = {
        "email": EmailChannel("127.0.0.1", smtp_port, "xiaoan@centre.example", timeout_s=5),
        "webhook": WebhookChannel(timeout_s=5),
    }
    import random

    return NoticeSender(care.platform.notices, channels, RetryPolicy(), random.Random(seed))


def test_a_missed_dose_reaches_the_family_by_mail_and_webhook(
    care: CareServer, clock: FakeClock, smtp_server: SmtpServers, hook_server: HookServers
) -> None:
    mail, hook = smtp_server(), hook_server()
    store: NoticeStore = care.platform.notices
    store.add_contact(DEVICE_ID, "女儿", "email", "daughter@example.com")
    store.add_contact(DEVICE_ID, "儿子", "webhook", hook.url)
    rid = _missed_dose(care, clock)
    assert [n["state"] for n in store.of_request(rid)] == ["pending", "pending"]
    assert _sender(care, mail.port).send_due() == 2
    message = mail.mailbox.message()
    assert message["Subject"] == "【小安】王秀英漏服药提醒"
    assert "降压药没有吃" in message.get_content()
    (request,) = hook.requests
    assert json.loads(request.body)["data"]["request"] == rid
    assert [n["state"] for n in store.of_request(rid)] == ["delivered", "delivered"]


def test_a_dose_taken_tells_nobody(care: CareServer, clock: FakeClock) -> None:
    care.platform.notices.add_contact(DEVICE_ID, "女儿", "email", "daughter@example.com")
    body = request_body(
        "medicine_event", fields={"event": "taken", "medicine": "降压药"}, priority=6
    )
    rid = DeviceClient(care.url, clock=clock).submit(body).json()["id"]
    assert care.platform.notices.of_request(rid) == []


def test_a_mail_server_down_is_retried_until_it_is_back(
    care: CareServer, clock: FakeClock, smtp_server: SmtpServers
) -> None:
    store = care.platform.notices
    store.add_contact(DEVICE_ID, "女儿", "email", "daughter@example.com")
    rid = _missed_dose(care, clock)
    mail = smtp_server()
    with_down_server = _sender(care, _closed_port())
    assert with_down_server.send_due() == 1
    (notice,) = store.of_request(rid)
    assert (notice["state"], notice["attempts"]) == ("pending", 1)
    assert with_down_server.send_due() == 0  # not due again before the policy says
    clock.advance(3600)
    assert _sender(care, mail.port).send_due() == 1
    assert store.of_request(rid)[0]["state"] == "delivered"
    assert len(mail.mailbox.envelopes) == 1


def test_a_refused_address_is_given_up_at_once(
    care: CareServer, clock: FakeClock, smtp_server: SmtpServers
) -> None:
    mail = smtp_server(rcpt_reply="550 5.1.1 <{address}>: no such user")
    care.platform.notices.add_contact(DEVICE_ID, "女儿", "email", "nobody@example.com")
    rid = _missed_dose(care, clock)
    _sender(care, mail.port).send_due()
    (notice,) = care.platform.notices.of_request(rid)
    assert notice["state"] == "failed"
    assert "550" in notice["last_error"]


def test_an_alarm_nobody_answered_is_told(
    care: CareServer, clock: FakeClock, smtp_server: SmtpServers
) -> None:
    mail = smtp_server()
    care.platform.notices.add_contact(DEVICE_ID, "女儿", "email", "daughter@example.com")
    body = request_body(
        "emergency_escalation",
        summary="【紧急·未接】王秀英的呼救一直没有回应",
        fields={"emergency_key": "k", "notify": "family", "waited_s": 30},
        priority=0,
    )
    assert DeviceClient(care.url, clock=clock).submit(body).status_code == 201
    _sender(care, mail.port).send_due()
    assert mail.mailbox.message()["Subject"] == "【小安·紧急】王秀英的呼救还没有人回应"


def test_two_senders_never_send_one_notice_twice(
    care: CareServer, clock: FakeClock, smtp_server: SmtpServers
) -> None:
    mail = smtp_server()
    for n in range(3):
        care.platform.notices.add_contact(DEVICE_ID, f"家人{n}", "email", f"f{n}@example.com")
    for _ in range(10):
        _missed_dose(care, clock)
    senders = [_sender(care, mail.port, seed) for seed in (1, 2)]
    threads = [threading.Thread(target=s.send_due, kwargs={"most": 100}) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    recipients = sorted(tuple(e.rcpt_tos) for e in mail.mailbox.envelopes)
    assert len(recipients) == 30
    ids = [m["Message-ID"] for m in (mail.mailbox.message(i) for i in range(30))]
    assert len(set(ids)) == 30


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
