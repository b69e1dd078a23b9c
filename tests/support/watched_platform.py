"""The reference platform in its own process, with its log watched: tests wait for what
it logs ("stored … (emergency) from …", each heartbeat) instead of polling it.

::

    with watched_platform(tmp_path) as platform:
        ...
        platform.arrives("emergency", 1)
        beat = platform.heartbeat_where(lambda body: body.get("disk_full"))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.chaos import DEVICE_ID, PlatformLog, admin, platform_process


@dataclass(frozen=True)
class WatchedPlatform:
    url: str
    log: PlatformLog

    def arrives(self, kind: str, count: int, within_s: float = 10.0) -> float:
        """Seconds until the platform has stored ``count`` requests of ``kind`` (fails
        after ``within_s``)."""
        started = time.monotonic()
        self.log.wait(f"({kind}) from {DEVICE_ID}", count, within_s)
        stored = admin(self.url, "GET", f"/v1/admin/requests?kind={kind}").json()["requests"]
        assert len(stored) >= count, stored
        return time.monotonic() - started

    def heartbeat_where(self, wanted: Callable[[dict[str, Any]], object],
                        within_s: float = 15.0) -> dict[str, Any]:  # fmt: skip
        """The body of the first heartbeat (from now on, or the last one stored) for
        which ``wanted`` is true."""
        deadline = time.monotonic() + within_s
        after = 0
        while True:
            body = self._last_heartbeat()
            if body is not None and wanted(body):
                return body
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no heartbeat as wanted within {within_s} s: {body}")
            after = self.log.wait("POST /v1/heartbeat -> 2", 1, left, after=after)

    def _last_heartbeat(self) -> dict[str, Any] | None:
        path = f"/v1/admin/devices/{DEVICE_ID}/heartbeat"
        try:
            return dict(admin(self.url, "GET", path).json()["body"])
        except Exception:  # no heartbeat yet (404)
            return None


@contextmanager
def watched_platform(workdir: Path) -> Iterator[WatchedPlatform]:
    log = PlatformLog()
    with platform_process(workdir, log) as url:
        yield WatchedPlatform(url, log)
