"""The sender: drains the outbox to the platform, emergencies first, and loses nothing.

Receives rows from ``Outbox.next_due``; emits ``Delivered``, ``Retrying`` and ``Parked``
events to a callback (the dialogue tells the elder when an emergency was acknowledged).

- 2xx → delivered (a replayed answer counts: the platform had it already).
- 408, 409, 429, 5xx, network errors, answers that are not the contract's → another
  attempt after an exponential backoff with jitter: at most 10 s apart for emergencies,
  5 min for the rest; ``Retry-After`` is honoured within those bounds.
- other 4xx → parked with the reason for a technician; an **emergency is never parked**:
  it keeps being retried at the emergency bound with the reason recorded, because a
  refused help call must still reach someone once the fault is mended.

Two ``Relay`` instances run, one per lane (``EMERGENCY_LANE``, ``OTHER_LANE``), each with
its own HTTP session, so a slow booking never holds up an emergency. Time comes from an
injected clock; ``send_due`` is the whole step and tests call it directly.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import StorageError
from assistant.relay.outbox import ALL, EMERGENCY_PRIORITY, Lane, Outbox, OutboxRow
from assistant.relay.platform import Accepted, PlatformClient, Refused

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next attempt (seconds)."""

    base_s: float = 1.0
    cap_s: float = 300.0
    emergency_base_s: float = 0.25
    emergency_cap_s: float = 10.0

    def delay(self, attempts: int, emergency: bool, rng: random.Random) -> float:
        """Equal-jitter exponential backoff: between half and all of ``base · 2^attempts``."""
        base, cap = (
            (self.emergency_base_s, self.emergency_cap_s)
            if emergency
            else (self.base_s, self.cap_s)
        )
        ceiling = min(cap, base * 2 ** min(attempts, 30))
        return rng.uniform(ceiling / 2, ceiling)

    def bound(self, emergency: bool) -> float:
        """The longest wait between two attempts."""
        return self.emergency_cap_s if emergency else self.cap_s


@dataclass(frozen=True)
class Delivered:
    """The platform stored the request."""

    row: OutboxRow
    platform_id: str
    replayed: bool
    status: str = "received"
    """The status the platform gave it (an alarm cancelled before it arrived: cancelled)."""


@dataclass(frozen=True)
class Retrying:
    """An attempt failed; the next is at ``next_at``."""

    row: OutboxRow
    error: str
    next_at: float


@dataclass(frozen=True)
class Parked:
    """The platform refused the request for good; a technician must look."""

    row: OutboxRow
    reason: str


@dataclass(frozen=True)
class Acknowledged:
    """A person at the care centre acknowledged an emergency (``AlarmWatch``)."""

    row: OutboxRow
    note: str
    """What the centre wrote for the elder (王医生十分钟到), or ""."""


RelayEvent = Delivered | Retrying | Parked | Acknowledged


class Relay:
    """Sends the due rows of one lane; ``start()`` runs it in a thread."""

    def __init__(
        self,
        outbox: Outbox,
        client: PlatformClient | None,
        *,
        lane: Lane = ALL,
        clock: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_event: Callable[[RelayEvent], None] | None = None,
        retention_s: float = 30 * 86400,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._lane = lane
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._on_event = on_event or (lambda event: None)
        self._retention_s = retention_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._purged_at = 0.0
        self._unrecorded: dict[str, tuple[OutboxRow, str, float]] = {}
        """Rows the platform stored that the full disk would not let us mark delivered."""

    def send_due(self) -> float | None:
        """Send every row that is due now; returns when the next one will be (or None)."""
        if self._client is None:
            return None
        emergency = self._lane[0] == EMERGENCY_PRIORITY
        self._record_delivered()
        self._outbox.clamp_waits(self._clock(), self._backoff.bound(emergency), self._lane)
        while not self._stop.is_set():
            row = self._outbox.next_due(self._clock(), self._lane, skip=self._unrecorded)
            if row is None:
                break
            self._on_event(self.attempt(row))
        self._purge()
        return self._outbox.next_wakeup(self._lane)

    def attempt(self, row: OutboxRow) -> RelayEvent:
        """One attempt at one row; the outcome is committed before it is returned."""
        assert self._client is not None
        answer = self._client.submit(row.key, row.body)
        now = self._clock()
        if isinstance(answer, Accepted):
            _LOGGER.info("delivered %s %s as %s", row.kind, row.key, answer.platform_id)
            try:
                self._outbox.delivered(row, answer.platform_id, now)
            except StorageError as err:  # delivered all the same: the elder hears so
                _LOGGER.warning("delivered, but not recorded as delivered yet: %s", err)
                self._unrecorded[row.key] = (row, answer.platform_id, now)
            return Delivered(row, answer.platform_id, answer.replayed, answer.status)
        emergency = row.priority == EMERGENCY_PRIORITY
        if isinstance(answer, Refused) and not answer.retryable and not emergency:
            self._outbox.park(row, str(answer))
            _LOGGER.warning("parked %s %s: %s", row.kind, row.key, answer)
            return Parked(row, str(answer))
        next_at = now + self._wait(row, answer)
        self._outbox.retry_later(row, str(answer), next_at)
        _LOGGER.info("retrying %s %s in %.1f s: %s", row.kind, row.key, next_at - now, answer)
        return Retrying(row, str(answer), next_at)

    def _record_delivered(self) -> None:
        """Mark delivered what the platform stored while the disk refused the mark; until
        it takes the mark, the row is skipped (never sent twice), and the rest goes on."""
        for key, (row, platform_id, at) in list(self._unrecorded.items()):
            try:
                self._outbox.delivered(row, platform_id, at)
            except StorageError:
                return
            del self._unrecorded[key]

    def _wait(self, row: OutboxRow, answer: object) -> float:
        emergency = row.priority == EMERGENCY_PRIORITY
        if isinstance(answer, Refused) and answer.code == "stale" and row.attempts == 0:
            return 0.0  # the client has just learnt the platform's clock
        wait = self._backoff.delay(row.attempts, emergency, self._rng)
        if isinstance(answer, Refused) and answer.retry_after_s is not None:
            wait = max(wait, answer.retry_after_s)
        return min(wait, self._backoff.bound(emergency))

    def _purge(self) -> None:
        now = self._clock()
        if now - self._purged_at >= 3600:
            self._purged_at = now
            self._outbox.purge(now - self._retention_s)

    @property
    def alive(self) -> bool:
        """Whether the sender's thread runs (or was never started)."""
        return self._thread is None or self._thread.is_alive()

    def wake(self) -> None:
        """A new row was committed: look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        """Send in a background thread until ``stop()``."""
        self._thread = threading.Thread(target=self._run, name=f"relay-{self._lane}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (an attempt under way finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wakeup = self.send_due()
            except StorageError as err:  # a full disk: what can be sent was sent
                _LOGGER.warning("the sender cannot use the database (%s); again in 5 s", err)
                wakeup = self._clock() + 5
            except Exception:  # the sender must outlive a bad row
                _LOGGER.exception("the sender failed; trying again in 5 s")
                wakeup = self._clock() + 5
            wait = 60.0 if wakeup is None else max(0.0, min(60.0, wakeup - self._clock()))
            self._wake.wait(wait)
            self._wake.clear()
