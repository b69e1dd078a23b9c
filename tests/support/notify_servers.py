"""Real servers a family's notices go to, on 127.0.0.1: a webhook endpoint
(``HookServer``) and an SMTP server (aiosmtpd, ``smtp_server``). The fixtures are in
``tests/careplatform/conftest.py``."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Request:
    """One request the webhook server received."""

    path: str
    headers: dict[str, str]
    body: bytes


class HookServer(ThreadingHTTPServer):
    """Answers every POST with ``status`` and records it; with ``hold``, never answers
    until ``release`` is set."""

    daemon_threads = True

    def __init__(self, status: int, hold: bool) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.status = status
        self.hold = hold
        self.release = threading.Event()
        self.requests: list[Request] = []

    @property
    def url(self) -> str:
        """The hook's URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/family?token=t0p-s3cret"


class HookHandler(BaseHTTPRequestHandler):
    """The webhook server's request handler."""

    server: HookServer

    def do_POST(self) -> None:
        """Record the request, then answer (or hold the connection)."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.requests.append(Request(self.path, headers, body))
        if self.server.hold:
            self.server.release.wait(timeout=30)  # the test sets it; the bound is a safety net
            self.close_connection = True
            return
        self.send_response(self.server.status)
        if 300 <= self.server.status < 400:
            self.send_header("Location", "/hooks/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


HookServers = Callable[..., HookServer]


@contextmanager
def hook_servers() -> Iterator[HookServers]:
    """Starts webhook servers (``hook_server(status=200, hold=False)``); stops them after."""
    started: list[HookServer] = []

    def start(status: int = 200, hold: bool = False) -> HookServer:
        server = HookServer(status, hold)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """An aiosmtpd handler that records what it accepts, or refuses every recipient with
    ``rcpt_reply``."""

    rcpt_reply: str | None = None
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept the recipient, or refuse it."""
        if self.rcpt_reply is not None:
            return self.rcpt_reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def message(self, index: int = 0) -> EmailMessage:
        """The ``index``-th message received, parsed."""
        raw = self.envelopes[index].original_content
        assert raw is not None
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept the login ``xiaoan`` with the password ``right``."""
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"xiaoan", b"right")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@dataclass(frozen=True)
class SmtpServer:
    """A running SMTP server."""

    port: int
    mailbox: Mailbox


SmtpServers = Callable[..., SmtpServer]


@contextmanager
def smtp_servers() -> Iterator[SmtpServers]:
    """Starts SMTP servers (``smtp_server(rcpt_reply=None, auth=False)``); stops them after."""
    started: list[Controller] = []

    def start(rcpt_reply: str | None = None, auth: bool = False) -> SmtpServer:
        mailbox = Mailbox(rcpt_reply)
        options: dict[str, Any] = {}
        if auth:
            options = {"auth_require_tls": False, "authenticator": _authenticate}
        for _ in range(5):  # the free port may be taken before the server binds it
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            started.append(controller)
            return SmtpServer(port, mailbox)
        raise RuntimeError("no free port for the SMTP server")

    yield start
    for controller in started:
        controller.stop()
