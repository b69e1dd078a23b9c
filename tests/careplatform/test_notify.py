"""The notifier's channels against real servers on 127.0.0.1: an aiosmtpd SMTP server for
e-mail, an ``http.server`` for webhooks; and the retry policy and address masking."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from careplatform.notify import (
    Delivered,
    EmailChannel,
    NotDelivered,
    Notice,
    RetryPolicy,
    WebhookChannel,
    mask,
)
from tests.support.notify_servers import HookServers, SmtpServers

SUBJECT = "王秀英奶奶：早上 8 点的降压药没有服用"
TEXT = "王秀英奶奶今天早上 8 点的苯磺酸氨氯地平片（5 mg）还没有服用。\n请打电话提醒她。"
DATA = {"kind": "missed_dose", "elder": "王秀英", "medicine": "苯磺酸氨氯地平片", "due": "08:00"}
MAILBOX = "wang.xiaoming@example.com"
SENDER = "xiaoan@care.example.cn"
SECRET = b"a webhook secret"
SHORT_TIMEOUT_S = 0.5


def email_notice(address: str = MAILBOX, notice_id: str = "notice-0001") -> Notice:
    """A missed-dose notice by e-mail."""
    return Notice(notice_id, "email", address, SUBJECT, TEXT, DATA)


def webhook_notice(url: str, notice_id: str = "notice-0002") -> Notice:
    """A missed-dose notice by webhook."""
    return Notice(notice_id, "webhook", url, SUBJECT, TEXT, DATA)


# --- sockets where nothing useful happens ------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused (while the test runs)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never says anything."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield sock.getsockname()[1]


# --- notices -----------------------------------------------------------------------------


def test_a_notice_needs_a_usable_id_and_a_known_channel() -> None:
    with pytest.raises(ValueError, match="id"):
        Notice("two words", "email", MAILBOX, SUBJECT, TEXT, DATA)
    with pytest.raises(ValueError, match="id"):
        Notice("", "email", MAILBOX, SUBJECT, TEXT, DATA)
    with pytest.raises(ValueError, match="channel"):
        Notice("n-1", "sms", MAILBOX, SUBJECT, TEXT, DATA)  # type: ignore[arg-type]


# --- e-mail ------------------------------------------------------------------------------


def test_email_arrives_with_chinese_subject_and_body_intact(smtp_server: SmtpServers) -> None:
    server = smtp_server()
    channel = EmailChannel("127.0.0.1", server.port, SENDER)

    outcome = channel.deliver(email_notice())

    assert outcome == Delivered("notice-0001", f"accepted by 127.0.0.1:{server.port}")
    (envelope,) = server.mailbox.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == [MAILBOX]
    message = server.mailbox.message()
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == MAILBOX
    assert message["Message-ID"] == "<notice.notice-0001@care.example.cn>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == TEXT


def test_a_retried_email_has_the_same_message_id(smtp_server: SmtpServers) -> None:
    server = smtp_server()
    channel = EmailChannel("127.0.0.1", server.port, SENDER)

    for _ in range(2):
        assert isinstance(channel.deliver(email_notice(notice_id="n-42")), Delivered)
    assert isinstance(channel.deliver(email_notice(notice_id="n-43")), Delivered)

    ids = [server.mailbox.message(i)["Message-ID"] for i in range(3)]
    assert ids[0] == ids[1] == "<notice.n-42@care.example.cn>"
    assert ids[2] == "<notice.n-43@care.example.cn>"


def test_a_line_break_in_the_subject_cannot_add_a_header(smtp_server: SmtpServers) -> None:
    server = smtp_server()
    notice = Notice("n-1", "email", MAILBOX, "漏服药物\r\nBcc: evil@example.com", TEXT, {})

    assert isinstance(EmailChannel("127.0.0.1", server.port, SENDER).deliver(notice), Delivered)

    message = server.mailbox.message()
    assert message["Subject"] == "漏服药物 Bcc: evil@example.com"
    assert message["Bcc"] is None
    assert server.mailbox.envelopes[0].rcpt_tos == [MAILBOX]


def test_a_recipient_refused_with_550_is_permanent(smtp_server: SmtpServers) -> None:
    server = smtp_server(rcpt_reply="550 5.1.1 <{address}>: Recipient address rejected")

    outcome = EmailChannel("127.0.0.1", server.port, SENDER).deliver(email_notice())

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is False
    assert "550" in outcome.reason
    assert MAILBOX not in outcome.reason  # the server's echo of it is masked
    assert "w***@example.com" in outcome.reason
    assert server.mailbox.envelopes == []


def test_a_recipient_refused_with_451_is_retried(smtp_server: SmtpServers) -> None:
    server = smtp_server(rcpt_reply="451 4.7.1 Greylisted, try again later")

    outcome = EmailChannel("127.0.0.1", server.port, SENDER).deliver(email_notice())

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is True
    assert "451" in outcome.reason


def test_email_to_a_port_where_nothing_listens_is_retried(closed_port: int) -> None:
    outcome = EmailChannel("127.0.0.1", closed_port, SENDER).deliver(email_notice())

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is True
    assert "ConnectionRefusedError" in outcome.reason


def test_a_silent_smtp_server_times_out_and_is_retried(silent_port: int) -> None:
    channel = EmailChannel("127.0.0.1", silent_port, SENDER, timeout_s=SHORT_TIMEOUT_S)

    started = time.monotonic()
    outcome = channel.deliver(email_notice())

    assert outcome == NotDelivered("notice-0001", "timed out", retry=True)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "address",
    ["", "wang", "wang@", "@example.com", "wang@example", "王@example.com", "a b@example.com",
     "wang@example.com\r\nRCPT TO:<x@example.com>", "wang@example.com, li@example.com"],
)  # fmt: skip
def test_a_malformed_address_is_permanent_without_connecting(
    address: str, closed_port: int
) -> None:
    # A connection attempt would be refused, which is retried: retry=False shows none was made.
    outcome = EmailChannel("127.0.0.1", closed_port, SENDER).deliver(email_notice(address))

    assert outcome == NotDelivered("notice-0001", "malformed e-mail address", retry=False)


def test_email_logs_in_when_given_a_username(smtp_server: SmtpServers) -> None:
    server = smtp_server(auth=True)

    right = EmailChannel("127.0.0.1", server.port, SENDER, "xiaoan", "right")
    wrong = EmailChannel("127.0.0.1", server.port, SENDER, "xiaoan", "wrong")

    assert isinstance(right.deliver(email_notice()), Delivered)
    outcome = wrong.deliver(email_notice())
    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is True  # the channel's configuration: may be fixed in time
    assert "535" in outcome.reason
    assert len(server.mailbox.envelopes) == 1
    assert "wrong" not in repr(wrong)


def test_starttls_that_the_server_does_not_offer_is_not_skipped(
    smtp_server: SmtpServers,
) -> None:
    server = smtp_server()

    outcome = EmailChannel("127.0.0.1", server.port, SENDER, starttls=True).deliver(email_notice())

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is True
    assert server.mailbox.envelopes == []


def test_a_channel_refuses_the_other_channels_notices(closed_port: int) -> None:
    web = webhook_notice("http://127.0.0.1/hook")

    mailed = EmailChannel("127.0.0.1", closed_port, SENDER).deliver(web)
    with WebhookChannel() as channel:
        posted = channel.deliver(email_notice())

    assert isinstance(mailed, NotDelivered)
    assert mailed.retry is False
    assert isinstance(posted, NotDelivered)
    assert posted.retry is False


# --- webhooks ----------------------------------------------------------------------------


def test_webhook_posts_the_notice_as_json_with_an_idempotency_key(
    hook_server: HookServers,
) -> None:
    server = hook_server(status=200)

    with WebhookChannel() as channel:
        outcome = channel.deliver(webhook_notice(server.url))

    assert outcome == Delivered("notice-0002", "HTTP 200")
    (request,) = server.requests
    assert request.path == "/hooks/family?token=t0p-s3cret"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["idempotency-key"] == "notice-0002"
    assert "x-xiaoan-signature" not in request.headers
    assert json.loads(request.body.decode("utf-8")) == {
        "id": "notice-0002",
        "subject": SUBJECT,
        "text": TEXT,
        "data": DATA,
    }


def test_a_signed_webhook_verifies_with_the_secret(hook_server: HookServers) -> None:
    server = hook_server(status=204)

    with WebhookChannel(secret=SECRET) as channel:
        outcome = channel.deliver(webhook_notice(server.url))

    assert outcome == Delivered("notice-0002", "HTTP 204")
    (request,) = server.requests
    timestamp = request.headers["x-xiaoan-timestamp"]
    assert timestamp.isdigit()
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET, timestamp.encode() + b"\n" + request.body, hashlib.sha256)
    assert hmac.compare_digest(request.headers["x-xiaoan-signature"], expected.hexdigest())
    wrong = hmac.new(b"another secret", timestamp.encode() + b"\n" + request.body, "sha256")
    assert request.headers["x-xiaoan-signature"] != wrong.hexdigest()


@pytest.mark.parametrize(
    ("status", "retry"),
    [(500, True), (503, True), (408, True), (429, True), (404, False), (400, False),
     (401, False), (410, False)],
)  # fmt: skip
def test_webhook_http_errors(status: int, retry: bool, hook_server: HookServers) -> None:
    server = hook_server(status=status)

    with WebhookChannel() as channel:
        outcome = channel.deliver(webhook_notice(server.url))

    assert outcome == NotDelivered("notice-0002", f"HTTP {status}", retry=retry)
    assert len(server.requests) == 1


def test_a_redirect_is_not_followed(hook_server: HookServers) -> None:
    server = hook_server(status=302)
    # Even a client that follows redirects by default does not follow them here.
    client = httpx.Client(follow_redirects=True)

    outcome = WebhookChannel(client=client).deliver(webhook_notice(server.url))

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is False
    assert "302" in outcome.reason
    assert [request.path for request in server.requests] == ["/hooks/family?token=t0p-s3cret"]
    WebhookChannel(client=client).close()
    assert not client.is_closed  # the caller's client stays the caller's
    client.close()


def test_a_webhook_that_never_answers_times_out_and_is_retried(
    hook_server: HookServers,
) -> None:
    server = hook_server(hold=True)

    started = time.monotonic()
    with WebhookChannel(timeout_s=SHORT_TIMEOUT_S) as channel:
        outcome = channel.deliver(webhook_notice(server.url))
    elapsed = time.monotonic() - started
    server.release.set()

    assert isinstance(outcome, NotDelivered)
    assert outcome.retry is True
    assert outcome.reason == "timed out (ReadTimeout)"
    assert elapsed < 5
    assert len(server.requests) == 1


def test_a_webhook_where_nothing_listens_is_retried(closed_port: int) -> None:
    with WebhookChannel() as channel:
        outcome = channel.deliver(webhook_notice(f"http://127.0.0.1:{closed_port}/hook"))

    assert outcome == NotDelivered("notice-0002", "connection failed (ConnectError)", True)


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/hook", "file:///etc/passwd", "127.0.0.1/hook", "http:///hook",
     "javascript:alert(1)", "mailto:wang@example.com", ""],
)  # fmt: skip
def test_only_http_urls_are_posted_to(url: str) -> None:
    with WebhookChannel() as channel:
        outcome = channel.deliver(webhook_notice(url))

    assert outcome == NotDelivered("notice-0002", "not an http(s) URL", retry=False)


def test_data_that_is_not_json_is_permanent() -> None:
    notice = Notice("n-1", "webhook", "http://127.0.0.1/hook", SUBJECT, TEXT, {"at": object()})

    with WebhookChannel() as channel:
        outcome = channel.deliver(notice)

    assert outcome == NotDelivered("n-1", "data is not JSON-serialisable", retry=False)


# --- the retry policy --------------------------------------------------------------------


def test_default_delays_double_within_20_percent_up_to_the_cap() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)

    for attempts in range(1, 12):
        backoff = min(3600.0, 30.0 * 2 ** (attempts - 1))
        for _ in range(50):
            delay = policy.next_delay(attempts, rng)
            assert delay is not None
            assert 0.8 * backoff <= delay <= min(1.2 * backoff, 3600)


def test_the_policy_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(give_up_after=3)

    assert policy.next_delay(1) is not None
    assert policy.next_delay(2) is not None
    assert policy.next_delay(3) is None
    assert policy.next_delay(100) is None


def test_delays_never_exceed_the_cap() -> None:
    policy = RetryPolicy(first_s=10, factor=10, cap_s=100, give_up_after=10_000)
    rng = random.Random(0)

    delays = [policy.next_delay(attempts, rng) for attempts in range(1, 10_000)]

    assert all(d is not None and 0 < d <= 100 for d in delays)
    assert all(d is not None and d >= 80 for d in delays[2:])


def test_a_seeded_random_makes_delays_reproducible() -> None:
    policy = RetryPolicy()

    first = [policy.next_delay(n, random.Random(42)) for n in range(1, 13)]
    again = [policy.next_delay(n, random.Random(42)) for n in range(1, 13)]
    other = [policy.next_delay(n, random.Random(43)) for n in range(1, 13)]

    assert first == again
    assert first != other
    assert first[-1] is None


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy().next_delay(0)
    with pytest.raises(ValueError, match="first_s"):
        RetryPolicy(first_s=0)
    with pytest.raises(ValueError, match="first_s"):
        RetryPolicy(first_s=60, cap_s=30)
    with pytest.raises(ValueError, match="factor"):
        RetryPolicy(factor=0.5)
    with pytest.raises(ValueError, match="give_up_after"):
        RetryPolicy(give_up_after=0)


# --- masking and logs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("wang.xiaoming@example.com", "w***@example.com"),
        ("https://hooks.example.com/family/42?token=secret", "https://hooks.example.com/…"),
        ("http://user:pass@hooks.example.com:8080/x", "http://hooks.example.com/…"),
        ("https://[::1]:8443/hook", "https://[::1]/…"),
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+8613812345678", "+861******5678"),
        ("12345", "***"),
        ("wang xiaoming", "***"),
        ("", "***"),
    ],
)
def test_mask(address: str, masked: str) -> None:
    assert mask(address) == masked


def _notify_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The notifier's log lines, formatted."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("careplatform.notify")
    ]


def test_info_logs_hold_no_text_subject_or_address(
    caplog: pytest.LogCaptureFixture, hook_server: HookServers, smtp_server: SmtpServers
) -> None:
    caplog.set_level(logging.INFO)
    ok_hook, bad_hook = hook_server(status=200), hook_server(status=500)
    mailbox = smtp_server()
    refusing = smtp_server(rcpt_reply="550 5.1.1 <{address}>: Recipient address rejected")

    with WebhookChannel(secret=SECRET) as channel:
        channel.deliver(webhook_notice(ok_hook.url))
        channel.deliver(webhook_notice(bad_hook.url))
    EmailChannel("127.0.0.1", mailbox.port, SENDER).deliver(email_notice())
    EmailChannel("127.0.0.1", refusing.port, SENDER).deliver(email_notice())

    lines = _notify_log(caplog)
    assert len(lines) == 4  # one line per delivery, at INFO or WARNING
    forbidden = [
        SUBJECT, TEXT, *TEXT.splitlines(), *DATA.values(), MAILBOX, "wang.xiaoming",
        ok_hook.url, bad_hook.url, "t0p-s3cret", "/hooks/family",
    ]  # fmt: skip
    for line in lines:
        for secret in forbidden:
            assert secret not in line, line
    assert any("notice-0002" in line and "HTTP 500" in line for line in lines)


def test_debug_logs_name_the_address_masked(
    caplog: pytest.LogCaptureFixture, hook_server: HookServers, smtp_server: SmtpServers
) -> None:
    caplog.set_level(logging.DEBUG, logger="careplatform.notify")
    hook, mailbox = hook_server(), smtp_server()

    with WebhookChannel() as channel:
        channel.deliver(webhook_notice(hook.url))
    EmailChannel("127.0.0.1", mailbox.port, SENDER).deliver(email_notice())

    text = "\n".join(_notify_log(caplog))
    assert "http://127.0.0.1/…" in text
    assert "w***@example.com" in text
    assert MAILBOX not in text
    assert hook.url not in text
    assert TEXT not in text
