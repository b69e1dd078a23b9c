"""The device contract (``docs/platform-api.md``) as an ASGI endpoint under ``/v1``.

Receives each ``/v1`` request from Starlette: the target exactly as on the request line
(the signature covers it), the headers and a body of at most 64 KiB (411 for a chunked
body, 413 for a larger one); emits the contract's JSON answer. The contract's logic is
``careplatform.web.contract.CareContract``: the reference server's, which its tests pin
down, on the platform's own store, run in Starlette's thread pool.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from assistant.refplatform.app import ApiError, Reply
from careplatform.store.contract import ContractStore
from careplatform.web.contract import PEER, CareContract

_LOGGER = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class DeviceApi:
    """The ``/v1`` endpoint: one ``PlatformApp`` over the platform's store."""

    def __init__(self, store: ContractStore, admin_token: str,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._contract = CareContract(store, admin_token, clock)

    async def handle(self, request: Request) -> Response:
        """Answer one ``/v1`` request."""
        started = time.monotonic()
        target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        headers = request.headers.mutablecopy()  # case-insensitive, as the contract reads
        headers[PEER] = request.client.host if request.client else ""  # replaces a client's
        try:
            body = await _body(request)
        except ApiError as err:
            return _response(err.reply(), close=True)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            reply = await run_in_threadpool(
                self._contract.handle, request.method, target, headers, body
            )
        except Exception:  # a bug or a database failure: logged here, never sent
            _LOGGER.exception("internal error on %s %s", request.method, request.url.path[:200])
            reply = Reply(500, {"error": "internal", "message": "internal error, see the log"})
        _LOGGER.info("%s %s %s -> %s %.1f ms", headers.get("X-Device-Id", "-")[:64],
                     request.method, request.url.path[:200], reply.status,
                     (time.monotonic() - started) * 1000)  # fmt: skip
        return _response(reply)


async def _body(request: Request) -> bytes:
    if request.headers.get("transfer-encoding"):
        raise ApiError(411, "length_required", "send Content-Length, not chunked bodies")
    text = request.headers.get("content-length", "0")
    if not (text.isascii() and text.isdigit()):
        raise ApiError(400, "bad_request", "Content-Length must be a number of bytes")
    if int(text) > MAX_BODY:
        raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
    return body


def _response(reply: Reply, close: bool = False) -> Response:
    headers = dict(reply.headers)
    if close:
        headers["Connection"] = "close"
    if reply.status == 204 or reply.body is None:
        return Response(status_code=reply.status or 500, headers=headers)
    payload = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
    return Response(payload, status_code=reply.status, headers=headers,
                    media_type="application/json; charset=utf-8")  # fmt: skip
