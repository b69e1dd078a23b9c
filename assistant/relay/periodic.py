"""One background thread that does a job now and then at a fixed interval, until stopped.

The schedule's sync and the heartbeat each run in one, so the network never blocks the
dialogue. An error of the kinds the owner names is logged with its traceback and the job
is tried again at the next interval: the thread outlives a bad answer or a full disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


class Periodic:
    """Runs ``job`` at once, then every ``interval_s`` seconds, in a daemon thread."""

    def __init__(
        self,
        name: str,
        job: Callable[[], object],
        interval_s: float,
        survives: tuple[type[Exception], ...] = (Exception,),
    ) -> None:
        self._name = name
        self._job = job
        self._interval_s = interval_s
        self._survives = survives
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        """Whether the thread runs (or was never started)."""
        return self._thread is None or self._thread.is_alive()

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (a job under way finishes first, up to ``timeout_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._job()
            except self._survives:
                _LOGGER.exception("%s failed; trying again in %.0f s", self._name, self._interval_s)
            self._stop.wait(self._interval_s)
