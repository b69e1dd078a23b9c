"""Keeps watch over a running assistant: systemd's watchdog, the heartbeat, the status file.

Receives the loop's ticks (``tick(phase)``, about every 0.2 s) and emits: watchdog pings
while the loop ticks and every sender and the heartbeat run (``assistant.service.watchdog``); a
heartbeat with the device's health every ``heartbeat_s`` when the device is paired
(``assistant.service.heartbeat``); and ``data/runtime.json`` for ``assistant status`` and
``doctor`` (``assistant.service.runtime``). Health holds counts and states, never health data.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from assistant import __version__
from assistant.config import Paths, Settings
from assistant.errors import StorageError
from assistant.relay.platform import client_for
from assistant.service.heartbeat import Heartbeat
from assistant.service.logs import LastProblem
from assistant.service.runtime import REFRESH_S, Beat, RuntimeStatus, runtime_file
from assistant.service.watchdog import Watchdog
from assistant.storage.space import DiskReport
from assistant.wiring.app import Assistant

MAX_PROBLEMS, MAX_PROBLEM = 20, 500
"""What a heartbeat carries of the problems (docs/platform-api.md)."""
HEARTBEAT_TIMEOUT_S = 5.0
"""A heartbeat waits at most this long for the platform (or ``request_timeout_s`` if less)."""


@dataclass(frozen=True)
class Watch:
    """What ``assistant run`` supervises with: systemd's watchdog and the last problem."""

    watchdog: Watchdog = field(default_factory=lambda: Watchdog(lambda message: None, None))
    last_problem: LastProblem | None = None

    def over(
        self, assistant: Assistant, settings: Settings, paths: Paths, mode: str,
        model: str = "", problems: Callable[[], tuple[str, ...]] = tuple,
    ) -> Supervisor:  # fmt: skip
        """A supervisor of ``assistant``."""
        return Supervisor(assistant, settings, paths, mode, self.watchdog, model, problems,
                          self.last_problem)  # fmt: skip


class Supervisor:
    """The watchdog, the heartbeat and the status file of one running assistant."""

    def __init__(
        self,
        assistant: Assistant,
        settings: Settings,
        paths: Paths,
        mode: str,
        watchdog: Watchdog,
        model: str = "",
        problems: Callable[[], tuple[str, ...]] = tuple,
        last_problem: LastProblem | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._assistant = assistant
        self._watchdog = watchdog
        self._problems = problems
        self._last_problem = last_problem
        self._clock = clock
        self._monotonic = monotonic
        self._file = runtime_file(paths)
        self._lock = threading.Lock()
        now = clock()
        self._status = RuntimeStatus(os.getpid(), now, now, mode, "starting", settings.lang,
                                     __version__, model)  # fmt: skip
        self._written_at = float("-inf")
        self._told: str | None = None
        """The status line systemd was last told."""
        client = client_for(settings, min(settings.request_timeout_s, HEARTBEAT_TIMEOUT_S), clock)
        self._heartbeat = (
            Heartbeat(client, self.health, settings.heartbeat_s, self._beaten, clock)
            if client is not None
            else None
        )

    def health(self) -> dict[str, Any]:
        """What the heartbeat carries (``docs/platform-api.md``)."""
        disk = self._assistant.disk()
        problem = self._last_problem.last if self._last_problem else None
        problems = self._all_problems(disk)
        last_error = problems[0] if problems else problem.message if problem else None
        counts: dict[str, int | None]
        try:
            counts = dict(self._assistant.outbox.counts())
        except StorageError:  # the beat goes all the same: the counts are not known
            counts = {"pending": None, "parked": None}
        shown = [p if len(p) <= MAX_PROBLEM else p[: MAX_PROBLEM - 1] + "…" for p in problems]
        return {"uptime_s": round(self._clock() - self._status.started_at, 1),
                "outbox_backlog": counts["pending"], "parked": counts["parked"],
                "last_error": last_error[:MAX_PROBLEM] if last_error else None,
                "model": self._status.model or None, "version": __version__,
                "problems": shown[:MAX_PROBLEMS], "disk_free_mb": disk.free_mb,
                "disk_full": disk.full}  # fmt: skip

    def _all_problems(self, disk: DiskReport | None = None) -> tuple[str, ...]:
        return (*self._problems(), *self._assistant.problems(disk))

    def healthy(self) -> bool:
        """Every sender runs, and the heartbeat."""
        relays = all(relay.alive for relay in self._assistant.relays)
        return relays and (self._heartbeat is None or self._heartbeat.alive)

    @contextmanager
    def running(self) -> Iterator[None]:
        """The assistant (its senders) and this supervisor started for the ``with`` block,
        stopped in reverse order at its end, whatever ends it."""
        self._assistant.start()
        self.start()
        try:
            yield
        finally:
            self.stop()
            self._assistant.stop()

    def start(self) -> None:
        """The assistant is up: heartbeat on, status written, systemd told."""
        if self._heartbeat is not None:
            self._heartbeat.start()
        with self._lock:
            self._status = replace(self._status, phase="waiting")
        self._write()  # before READY: whoever waits for it finds the status
        self._watchdog.ready(self._told or "")

    def tick(self, phase: object) -> None:
        """One loop tick: feed the watchdog; write the status when it changed or is due."""
        name = str(getattr(phase, "value", phase))
        self._watchdog.alive(self.healthy())
        due = self._monotonic() - self._written_at >= REFRESH_S
        if due or name != self._status.phase:
            with self._lock:
                self._status = replace(self._status, phase=name)
            self._write()

    def stop(self) -> None:
        """The assistant stops on purpose."""
        self._watchdog.stopping()
        if self._heartbeat is not None:
            self._heartbeat.stop()
        with self._lock:
            self._file.stopped(self._current(), self._clock())

    def _beaten(self, beat: Beat) -> None:
        with self._lock:
            self._status = replace(self._status, heartbeat=beat)
        self._write()

    def _write(self) -> None:
        with self._lock:
            current = self._current()
            self._file.write(current)
            told = self._told
            self._told = current.problems[0] if current.problems else f"listening ({current.mode})"
        self._written_at = self._monotonic()
        if told is not None and told != self._told:
            self._watchdog.status(self._told)  # `systemctl status xiaoan` shows it

    def _current(self) -> RuntimeStatus:
        problem = self._last_problem.last if self._last_problem else None
        return replace(
            self._status, updated_at=self._clock(), problems=self._all_problems(),
            last_error=problem.message if problem else "",
            last_error_at=problem.at if problem else None,
        )  # fmt: skip
