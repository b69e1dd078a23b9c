"""Telling families: a thread of the service delivers the due notices (``careplatform.
store.notices``) through their channel (``careplatform.notify``), one attempt each,
records what came of it, and retries by the policy until delivered or given up.

Logged at INFO: the notice's id and outcome only (never its text or full address).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping

from careplatform.notify import Channel, Delivered, NotDelivered, Outcome, RetryPolicy
from careplatform.store.notices import Claimed, NoticeStore

_LOGGER = logging.getLogger(__name__)


class NoticeSender:
    """Delivers due notices; ``run`` does it in a loop until stopped."""

    def __init__(
        self,
        store: NoticeStore,
        channels: Mapping[str, Channel],
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._channels = channels
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    def send_due(self, most: int = 50) -> int:
        """Attempt up to ``most`` due notices; how many were attempted."""
        done = 0
        while done < most and (claimed := self._store.claim()) is not None:
            done += 1
            self._attempt(claimed)
        return done

    def _attempt(self, claimed: Claimed) -> None:
        """One attempt, and what it leaves: delivered, again later, or given up. (The
        channel logs the attempt's outcome; this logs only what follows from it.)"""
        notice, lease = claimed.notice, claimed.lease_until
        channel = self._channels.get(notice.channel)
        outcome: Outcome
        if channel is None:
            reason = f"no {notice.channel} channel is configured"
            _LOGGER.warning("notice %s: %s", notice.id, reason)
            outcome = NotDelivered(notice.id, reason, retry=True)
        else:
            outcome = channel.deliver(notice)
        if isinstance(outcome, Delivered):
            if not self._store.delivered(notice.id, lease):
                _LOGGER.warning("notice %s delivered after its lease", notice.id)
            return
        attempts = claimed.attempts + 1
        delay = self._policy.next_delay(attempts, self._rng) if outcome.retry else None
        if delay is None:
            self._store.failed(notice.id, outcome.reason, lease)
            _LOGGER.error("notice %s given up after %d attempts", notice.id, attempts)
        else:
            self._store.retry(notice.id, outcome.reason, delay, lease)
            _LOGGER.info("notice %s: again in %.0f s", notice.id, delay)

    def run(self, stop: threading.Event, every_s: float = 1.0) -> None:
        """Send what is due every ``every_s`` until ``stop`` is set (errors logged)."""
        while not stop.wait(every_s):
            try:
                self.send_due()
            except Exception:  # the database away for a moment: try again next time
                _LOGGER.exception("sending notices failed; trying again")
