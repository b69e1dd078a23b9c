"""Fault injection for the reference care platform (``assistant.refplatform.server``).

A provider or a test sets the faults with ``PUT /v1/admin/faults``; they apply to device
endpoints only (``/v1/pair`` included), and when ``paths`` is not empty only to the device
requests whose path starts with one of those prefixes. Each device request the faults apply
to draws three numbers from one ``random.Random(seed)``, always in the order reset, fail,
drop, so that a seeded run is reproducible whatever the outcomes; a request whose path is
left out draws nothing (so the other paths' sequence does not depend on it). The first that
hits wins:

* **reset**: before processing, the socket is closed with ``SO_LINGER`` 0 (the client sees
  a connection reset; nothing is stored);
* **fail**: the platform answers ``fail_status`` with ``{"error": "injected"}`` and does not
  process the request;
* **drop**: the request is processed and committed, then the connection is closed without a
  response (the client sees a connection error although the request was stored).

``delay_ms`` is independent of those three: every device request the faults apply to waits
that long first.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

MAX_DELAY_MS = 60_000
_RATES = ("fail_rate", "drop_rate", "reset_rate")
_COUNTERS = ("delayed", "failed", "dropped", "reset")


@dataclass(frozen=True)
class FaultSettings:
    """What ``PUT /v1/admin/faults`` sets; omitted fields take these defaults (no faults)."""

    delay_ms: int = 0
    fail_rate: float = 0.0
    fail_status: int = 503
    drop_rate: float = 0.0
    reset_rate: float = 0.0
    seed: int | None = None
    paths: tuple[str, ...] = ()
    """Path prefixes (each starting with ``/v1/``) the faults apply to; empty: every one."""

    @classmethod
    def from_json(cls, obj: object) -> FaultSettings:
        """Settings from a request body; ``ValueError`` names the first wrong field."""
        if not isinstance(obj, dict):
            raise ValueError("body must be a JSON object")
        unknown = sorted(set(obj) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}")
        delay = obj.get("delay_ms", 0)
        if not _is_int(delay) or not 0 <= delay <= MAX_DELAY_MS:
            raise ValueError(f"delay_ms must be an integer 0..{MAX_DELAY_MS}")
        rates: dict[str, float] = {}
        for name in _RATES:
            rate = obj.get(name, 0.0)
            if not _is_number(rate) or not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be a number 0..1")
            rates[name] = float(rate)
        status = obj.get("fail_status", 503)
        if not _is_int(status) or not 400 <= status <= 599:
            raise ValueError("fail_status must be an HTTP status 400..599")
        seed = obj.get("seed")
        if seed is not None and not _is_int(seed):
            raise ValueError("seed must be an integer or null")
        paths = _paths(obj.get("paths", []))
        return cls(delay_ms=delay, fail_status=status, seed=seed, paths=paths, **rates)

    def applies_to(self, path: str) -> bool:
        """Whether the faults apply to a device request for ``path``."""
        return not self.paths or path.startswith(self.paths)


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one device request."""

    delay_s: float = 0.0
    reset: bool = False
    fail_status: int | None = None
    drop: bool = False


class FaultInjector:
    """The current fault settings, their random generator and counters (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._rng = random.Random()
        self._counts = dict.fromkeys(_COUNTERS, 0)

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings, re-seed the generator and zero the counters."""
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
            self._counts = dict.fromkeys(_COUNTERS, 0)

    def snapshot(self) -> dict[str, Any]:
        """The settings plus the counters since they were set."""
        with self._lock:
            settings = self._settings
            return {**asdict(settings), "paths": list(settings.paths), **self._counts}

    def decide(self, path: str | None = None) -> FaultDecision:
        """Draw the faults of one device request for ``path`` and count them.

        A path the settings' ``paths`` leave out gets no fault and draws no numbers; None
        skips that check (every request is drawn for).
        """
        with self._lock:
            s = self._settings
            if path is not None and not s.applies_to(path):
                return FaultDecision()
            reset, fail, drop = (self._rng.random() for _ in range(3))
            delay_s = s.delay_ms / 1000
            if delay_s:
                self._counts["delayed"] += 1
            if reset < s.reset_rate:
                self._counts["reset"] += 1
                return FaultDecision(delay_s=delay_s, reset=True)
            if fail < s.fail_rate:
                self._counts["failed"] += 1
                return FaultDecision(delay_s=delay_s, fail_status=s.fail_status)
            if drop < s.drop_rate:
                self._counts["dropped"] += 1
                return FaultDecision(delay_s=delay_s, drop=True)
            return FaultDecision(delay_s=delay_s)


def _paths(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(p, str) and p.startswith("/v1/") for p in value
    ):
        raise ValueError("paths must be a list of path prefixes starting with /v1/")
    return tuple(value)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
