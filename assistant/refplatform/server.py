"""The reference care platform: a real HTTP server for development, tests and demos.

It implements ``docs/platform-api.md`` (machine-readable: ``docs/platform-api.openapi.yaml``)
with the standard library only: ``http.server.ThreadingHTTPServer`` in front of a SQLite file
(``assistant.refplatform.store``), request signatures checked with ``assistant.relay.signing`` and
fault injection (``assistant.refplatform.faults``) to exercise a device's retry logic.

This module is the HTTP layer and the command line: it receives requests on a socket, hands
method, target, headers and body to ``PlatformApp`` (``assistant.refplatform.app``: routing and
endpoints; bodies checked by ``assistant.refplatform.checks``) and writes the ``Reply`` back, or
drops or resets the connection when a fault says so.

    python -m assistant.refplatform.server --db platform.db --admin-token TOKEN \\
        --device xiaoan-0001=SECRET_HEX [--host 127.0.0.1] [--port 8787]

In tests, ``PlatformServer(ServerConfig(...))`` runs it in a background thread (see
``tests/support/platform_fixture.py``). It speaks plain HTTP: put it behind TLS before any
real person's data goes through it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

from assistant.refplatform.app import ApiError, PlatformApp, Reply, ServerConfig, check_device
from assistant.refplatform.faults import FaultInjector
from assistant.refplatform.store import PlatformStore
from assistant.relay.signing import (
    HEADER_DEVICE,
    HEADER_IDEMPOTENCY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
)

__all__ = ["PlatformServer", "ServerConfig", "main", "serve"]

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
"""Larger request bodies are refused with 413."""
ADMIN_TOKEN_ENV = "XIAOAN_PLATFORM_ADMIN_TOKEN"
_HEADERS = (
    HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE, HEADER_IDEMPOTENCY,
    "Authorization",
)  # fmt: skip


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its app and can close its open connections."""

    daemon_threads = False  # stop() joins the handler threads
    block_on_close = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: PlatformApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._closing = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup of ``HTTPServer.server_bind``."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def track(self, sock: socket.socket, is_open: bool) -> None:
        """Remember (or forget) a connection being served; shut it if closing already."""
        with self._open_lock:
            if not is_open:
                self._open.discard(sock)
            elif self._closing:  # accepted just before shutdown(), set up after closing
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            else:
                self._open.add(sock)

    def close_connections(self) -> None:
        """Shut down every connection still open (idle keep-alive ones included)."""
        with self._open_lock:
            self._closing = True
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing a traceback to stderr."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            logger.debug("connection from %s ended: %s", client_address, exc)
        else:
            logger.exception("error serving %s", client_address)


_ERROR_CODES = {
    400: "bad_request",
    408: "timeout",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the app answer it, writes (or drops, or resets) the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "XiaoAnPlatform/1"
    sys_version = ""
    timeout = 30

    @property
    def _server(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def setup(self) -> None:
        """Track the connection so that ``stop()`` can close it; no Nagle delay."""
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server.track(self.connection, True)

    def finish(self) -> None:
        """Forget the connection."""
        self._server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def _dispatch(self) -> None:
        started = time.monotonic()
        headers = {name: self.headers.get(name, "") for name in _HEADERS}
        try:
            body = self._read_body()
            if body is None:
                return
            reply = self._server.app.handle(self.command, self.path, headers, body)
        except ApiError as exc:
            reply = exc.reply()
        except (ConnectionError, TimeoutError) as exc:  # the client went away mid-body
            logger.debug("connection lost while reading: %s", exc)
            self.close_connection = True
            return
        except Exception:
            logger.exception("internal error on %s %s", _shown(self.command),
                             _shown(urlsplit(self.path).path))  # fmt: skip
            reply = Reply(500, {"error": "internal", "message": "internal error, see the log"})
        path = _shown(urlsplit(self.path).path)
        device = _shown(headers[HEADER_DEVICE][:64]) or "-"  # as claimed: may be unauthenticated
        elapsed_ms = (time.monotonic() - started) * 1000
        if reply.action == "send":
            self._send(reply)
            log = f"{reply.status}"
        else:
            self.close_connection = True
            if reply.action == "reset":
                self._reset()
            log = f"{reply.action} (fault)"
        logger.info("%s %s %s -> %s %.1f ms", device, _shown(self.command), path, log, elapsed_ms)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes | None:
        """The body; ``ApiError`` for 411/413/400; None if the client went away."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(411, "length_required", "send Content-Length, not chunked bodies")
        text = self.headers.get("Content-Length", "0")
        if not (text.isascii() and text.isdigit()):
            self.close_connection = True
            raise ApiError(400, "bad_request", "Content-Length must be a number of bytes")
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True
            if length <= 16 * MAX_BODY:  # read it, so that the client gets to see the 413
                self.rfile.read(length)
            raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _send(self, reply: Reply) -> None:
        payload = b""
        if reply.body is not None:
            payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """Close the socket with SO_LINGER 0: the client gets a connection reset."""
        with contextlib.suppress(OSError):
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.rfile.close()
            self.wfile.close()
            self.connection.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors (bad request line, unsupported method, …) as JSON too."""
        self.close_connection = True
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "error"
        error = _ERROR_CODES.get(code, "bad_request" if code < 500 else "internal")
        self._send(Reply(code, {"error": error, "message": message or phrase}))

    def version_string(self) -> str:
        """The Server header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """``http.server``'s own log lines, at debug level."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", self.address_string(), _shown(format % args, 500))


def _shown(text: str, most: int = 200) -> str:
    """What a client sent, fit for the log: control characters (an escape sequence that
    would move a technician's cursor or recolour the terminal, a line break that would forge
    a log line) written as escapes, and at most ``most`` characters."""
    cut = text[:most]
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in cut)  # fmt: skip


class PlatformServer:
    """The platform on a background thread: ``start()``, ``url``, ``stop()``, or ``with``."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.faults = FaultInjector()
        self._stopping = threading.Event()
        self._store: PlatformStore | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PlatformServer:
        """Open the database, register the configured devices and listen; returns once
        the socket is listening."""
        if self._httpd is not None:
            raise RuntimeError("the platform server is already running")
        store = PlatformStore(self.config.db, clock=self.config.clock)
        try:
            for device_id, secret in self.config.devices.items():
                store.put_device(device_id, secret)
            app = PlatformApp(self.config, store, self.faults, self._stopping)
            httpd = _HTTPServer((self.config.host, self.config.port), app)
        except BaseException:
            store.close()
            raise
        self._stopping.clear()
        self._store, self._httpd = store, httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="platform-server"
        )
        self._thread.start()
        logger.info("platform listening on %s (database %s)", self.url, self.config.db)
        if self.config.host not in ("127.0.0.1", "::1", "localhost"):
            logger.warning("plain HTTP on %s: put TLS in front of it", self.config.host)
        return self

    @property
    def store(self) -> PlatformStore:
        """The running server's database."""
        if self._store is None:
            raise RuntimeError("the platform server is not running")
        return self._store

    @property
    def port(self) -> int:
        """The port listened on (the one picked when the configured port is 0)."""
        if self._httpd is None:
            raise RuntimeError("the platform server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, without a trailing slash."""
        host = self.config.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def stop(self) -> None:
        """Stop listening, close open connections, wait for handlers, close the database."""
        httpd, thread, store = self._httpd, self._thread, self._store
        if httpd is None or thread is None or store is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        thread.join()
        store.close()
        self._httpd = self._thread = self._store = None
        logger.info("platform stopped")

    def __enter__(self) -> PlatformServer:
        return self if self._httpd is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    config: ServerConfig, stop: threading.Event, ready: Callable[[str], None] | None = None
) -> None:
    """Run the platform until ``stop`` is set; ``ready(url)`` is called once it listens."""
    with PlatformServer(config) as server:
        if ready is not None:
            ready(server.url)
        stop.wait()


# Command line


class _ArgumentParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _device_spec(text: str) -> tuple[str, bytes]:
    device_id, sep, secret_hex = text.partition("=")
    try:
        if not sep:
            raise ValueError("expected ID=SECRET_HEX")
        secret = bytes.fromhex(secret_hex)
        check_device(device_id, secret)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text.partition('=')[0]!r}: {exc}") from None
    return device_id, secret


def main(
    argv: Sequence[str] | None = None, prog: str = "python -m assistant.refplatform.server"
) -> int:
    """``python -m assistant.refplatform.server`` (or ``assistant platform-server``, ``prog``):
    serve until SIGTERM or Ctrl-C."""
    parser = _ArgumentParser(
        prog=prog,
        description="The reference care platform (docs/platform-api.md), plain HTTP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="port, 0 picks a free one")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file (created 0600)")
    parser.add_argument(
        "--admin-token", default=os.environ.get(ADMIN_TOKEN_ENV), help=f"or ${ADMIN_TOKEN_ENV}"
    )
    parser.add_argument(
        "--device", type=_device_spec, action="append", default=[], metavar="ID=SECRET_HEX",
        help="register a device (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.admin_token:
        parser.error(f"--admin-token (or ${ADMIN_TOKEN_ENV}) is required")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if not args.db.parent.is_dir():
        parser.error(f"--db: no directory {args.db.parent}")
    config = ServerConfig(
        db=args.db, host=args.host, port=args.port, admin_token=args.admin_token,
        devices=dict(args.device),
    )  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        force=True)  # also under `assistant platform-server`  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        serve(config, stop, ready=lambda url: print(f"listening on {url}", flush=True))
    except (OSError, sqlite3.Error) as exc:
        print(f"{parser.prog}: error: cannot start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
