"""The device contract's logic as the care platform runs it: the reference's
``PlatformApp`` with what a real service changes.

- **Pairing is limited per code and per source**, never for the whole platform: 10 failed
  attempts within 600 s from one address (or on one code) refuse that address (or code)
  until the oldest leaves the window; a technician elsewhere pairs meanwhile. (The
  reference server counts failures platform-wide, which let anyone block every
  technician again and again.) The source is the peer address uvicorn reports (behind a
  proxy on 127.0.0.1, the ``X-Forwarded-For`` it sets).
- No fault injection: that is the reference server's test tool, with state in one process.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.refplatform.app import (
    PAIR_MAX_FAILURES,
    PAIR_WINDOW_S,
    PAIRED_SECRET_BYTES,
    ApiError,
    Call,
    PlatformApp,
    Reply,
    ServerConfig,
)
from assistant.refplatform.checks import parse_pairing
from assistant.refplatform.faults import FaultInjector
from assistant.refplatform.store import CodeRefused, PairingLimited
from careplatform.store.contract import ContractStore

PEER = "X-Xiaoan-Peer"
"""The header ``careplatform.web.device_api`` sets to the peer's address, replacing any a
client sent."""


class CareContract(PlatformApp):
    """``PlatformApp`` on the platform's store, pairing limited per code and source."""

    def __init__(self, store: ContractStore, admin_token: str,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        config = ServerConfig(db=Path("-"), admin_token=admin_token, clock=clock)
        super().__init__(config, store, FaultInjector(), threading.Event())  # type: ignore[arg-type]
        self._care_store = store
        self.routes = [r for r in self.routes if "faults" not in r.pattern.pattern]

    def _pair(self, call: Call) -> Reply:
        code = parse_pairing(call.json_object())
        secret = secrets.token_bytes(PAIRED_SECRET_BYTES)
        outcome = self._care_store.redeem_pairing_code(
            code, secret, max_failures=PAIR_MAX_FAILURES, window_s=PAIR_WINDOW_S,
            source=call.headers.get(PEER, ""),
        )  # fmt: skip
        if isinstance(outcome, PairingLimited):
            wait = str(max(1, math.ceil(outcome.retry_after_s)))
            message = (f"{PAIR_MAX_FAILURES} failed pairing attempts from here or with this "
                       f"code within {PAIR_WINDOW_S} s: retry in {wait} s")  # fmt: skip
            raise ApiError(429, "too_many_attempts", message, headers=(("Retry-After", wait),))
        if isinstance(outcome, CodeRefused):
            raise ApiError(403, "invalid_code", f"this pairing code is {outcome.reason}")
        now = int(self._config.clock())
        body = {"device_id": outcome.device_id, "secret": secret.hex(), "server_time": now}
        return Reply(201, body)
