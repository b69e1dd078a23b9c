"""The heartbeat: every ``heartbeat_s`` the device tells the platform it is alive.

It carries health (uptime, model, outbox backlog, parked requests, the last problem), so
the platform sees a device go quiet or go wrong (``POST /v1/heartbeat``). It runs in a
thread of its own with its own HTTP session and a short timeout: it never shares a
connection or a queue with the senders, so it can never hold up an emergency. Each beat's
outcome (and the clock skew the platform's answer shows) goes to ``on_beat``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from assistant.relay.periodic import Periodic
from assistant.relay.platform import Fetched, PlatformClient
from assistant.service.runtime import Beat

_LOGGER = logging.getLogger(__name__)


class Heartbeat:
    """Sends the device's health at a fixed interval, in a background thread."""

    def __init__(
        self,
        client: PlatformClient,
        health: Callable[[], Mapping[str, Any]],
        interval_s: float,
        on_beat: Callable[[Beat], None] = lambda beat: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._health = health
        self._on_beat = on_beat
        self._clock = clock
        self._thread = Periodic("heartbeat", self.beat, interval_s)

    @property
    def alive(self) -> bool:
        """Whether the thread runs (or was never started)."""
        return self._thread.alive

    def beat(self) -> Beat:
        """Send one heartbeat now; its outcome."""
        sent_at = self._clock()
        answer = self._client.heartbeat(self._health())
        if isinstance(answer, Fetched):
            beat = Beat(sent_at, True, "", self._skew(answer.data.get("server_time")))
        else:
            skew = self._skew(getattr(answer, "server_time", None))
            beat = Beat(sent_at, False, str(answer)[:200], skew)
            _LOGGER.warning("heartbeat not accepted: %s", beat.error)
        self._on_beat(beat)
        return beat

    def _skew(self, server_time: object) -> float | None:
        if not isinstance(server_time, int | float) or isinstance(server_time, bool):
            return None
        return round(float(server_time) - self._clock(), 1)

    def start(self) -> None:
        """Beat now, then every interval, until ``stop``."""
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (a beat under way ends within the request timeout)."""
        self._thread.stop(timeout_s)
