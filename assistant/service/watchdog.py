"""systemd's watchdog: XiaoAn says it is alive only while its loop is healthy.

Under ``Type=notify`` systemd gives the service ``NOTIFY_SOCKET`` and, with ``WatchdogSec``,
``WATCHDOG_USEC``. The loop calls ``Watchdog.alive(healthy)`` on every tick; a ping
(``WATCHDOG=1``) goes out at most every half watchdog period, and only when the loop ticks
and every sender thread runs. A loop stuck in a call, or a dead sender, stops the pings,
and systemd restarts the service. Outside systemd nothing is sent. The clock is injected.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_LOGGER = logging.getLogger(__name__)


@dataclass
class Watchdog:
    """Readiness, status and watchdog pings for systemd."""

    notify: Callable[[str], None]
    """Sends one notification (``sdnotify.SystemdNotifier.notify``)."""
    period_s: float | None
    """The watchdog period systemd set (``WATCHDOG_USEC``); None: no watchdog."""
    clock: Callable[[], float] = time.monotonic
    _last_ping: float = field(default=float("-inf"), init=False)
    _unhealthy_since: float | None = field(default=None, init=False)

    @property
    def enabled(self) -> bool:
        """Whether systemd watches this process."""
        return self.period_s is not None

    def ready(self, status: str) -> None:
        """The assistant is up: systemd may consider the service started."""
        self.notify(f"READY=1\nSTATUS={status}")
        self._ping(self.clock())

    def alive(self, healthy: bool) -> bool:
        """Called on every loop tick: ping when due and ``healthy``; True if it pinged."""
        now = self.clock()
        if not healthy:
            if self._unhealthy_since is None:
                self._unhealthy_since = now
                _LOGGER.warning("unhealthy: the watchdog is no longer fed")
            return False
        self._unhealthy_since = None
        if self.period_s is None or now - self._last_ping < self.period_s / 2:
            return False
        self._ping(now)
        return True

    def status(self, text: str) -> None:
        """A one-line status that ``systemctl status xiaoan`` shows."""
        self.notify(f"STATUS={text}")

    def stopping(self) -> None:
        """The assistant is shutting down on purpose."""
        self.notify("STOPPING=1")

    def _ping(self, now: float) -> None:
        if self.period_s is not None:
            self.notify("WATCHDOG=1")
        self._last_ping = now


def from_environment(
    env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
) -> Watchdog:
    """The watchdog systemd asked for, or one that sends nothing outside systemd."""
    env = os.environ if env is None else env
    if not env.get("NOTIFY_SOCKET"):
        return Watchdog(lambda message: None, None, clock)
    import sdnotify

    notifier = sdnotify.SystemdNotifier()
    period = _period_s(env)
    _LOGGER.info("systemd notifications on; watchdog period %s", period or "none")
    return Watchdog(notifier.notify, period, clock)


def _period_s(env: Mapping[str, str]) -> float | None:
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None
