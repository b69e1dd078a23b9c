"""What a running assistant tells the technician's commands: ``data/runtime.json``.

The loop rewrites the file (atomically, mode 0600) when it starts, when its phase changes,
after each heartbeat and at least every ``REFRESH_S``; ``assistant status`` and
``assistant doctor`` read it. It holds no health data, names or words: only the loop's
state. A file whose process is gone, or that was not refreshed for ``STALE_S``, means the
assistant is not running (or is stuck).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from assistant.config import Paths
from assistant.storage.files import read_small

_LOGGER = logging.getLogger(__name__)
MAX_BYTES = 64 * 1024
"""A status file is a few hundred bytes; more is not one."""
REFRESH_S = 10.0
STALE_S = 3 * REFRESH_S


@dataclass(frozen=True)
class Beat:
    """The last heartbeat the assistant sent."""

    at: float
    ok: bool
    error: str = ""
    skew_s: float | None = None
    """Platform clock minus ours, when the platform told its time."""


@dataclass(frozen=True)
class RuntimeStatus:
    """The state of one running assistant."""

    pid: int
    started_at: float
    updated_at: float
    mode: str
    """``voice``, ``text`` or ``service``."""
    phase: str
    lang: str
    version: str
    model: str = ""
    problems: tuple[str, ...] = ()
    """What keeps it from working fully (no microphone, no model), each with its fix."""
    last_error: str = ""
    last_error_at: float | None = None
    heartbeat: Beat | None = None
    stopped_at: float | None = None

    def well_formed(self) -> bool:
        """Whether every value is of the kind the assistant writes."""
        numbers = (self.started_at, self.updated_at, self.stopped_at, self.last_error_at)
        texts = (self.mode, self.phase, self.lang, self.version, self.model, self.last_error)
        beat = self.heartbeat
        return (
            type(self.pid) is int and 0 < self.pid < 2**22
            and all(n is None or (_number(n) and math.isfinite(n)) for n in numbers[2:])
            and all(_number(n) and math.isfinite(n) for n in numbers[:2])
            and all(isinstance(t, str) for t in texts)
            and all(isinstance(p, str) for p in self.problems)
            and (beat is None or (_number(beat.at) and isinstance(beat.ok, bool)
                                  and isinstance(beat.error, str)
                                  and (beat.skew_s is None or _number(beat.skew_s))))
        )  # fmt: skip

    def running(self, now: float) -> bool:
        """Whether the process is alive and wrote the file lately."""
        if self.stopped_at is not None or not _alive(self.pid):
            return False
        return now - self.updated_at <= STALE_S

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuntimeStatus:
        """Read back what ``to_json`` wrote (unknown members ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        beat = known.get("heartbeat")
        fields = Beat.__dataclass_fields__
        known["heartbeat"] = (Beat(**{k: v for k, v in beat.items() if k in fields})
                              if isinstance(beat, dict) else None)  # fmt: skip
        problems = known.get("problems", ())
        known["problems"] = tuple(problems) if isinstance(problems, list | tuple) else (1,)
        return cls(**known)


@dataclass
class RuntimeFile:
    """``data/runtime.json``: written by the running assistant, read by the CLI."""

    path: Path

    def write(self, status: RuntimeStatus) -> None:
        """Replace the file atomically; a failure is logged, never raised (status only)."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(status.to_json(), out, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError as err:
            _LOGGER.debug("runtime status not written: %s", err)

    def read(self) -> RuntimeStatus | None:
        """The last status written, or None (never ran, or the file is unreadable or not
        what the assistant writes: a pipe, garbage, values of the wrong kinds)."""
        try:
            data = json.loads(read_small(self.path, MAX_BYTES).decode("utf-8"))
            status = RuntimeStatus.from_json(data) if isinstance(data, dict) else None
            return status if status is not None and status.well_formed() else None
        except (OSError, ValueError, TypeError, RecursionError) as err:
            _LOGGER.debug("runtime status not read: %s", err)
            return None

    def stopped(self, status: RuntimeStatus, now: float) -> None:
        """Mark the status as of a process that ended on purpose."""
        self.write(replace(status, updated_at=now, stopped_at=now, phase="stopped"))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process (the service's)
    except OSError:
        return False
    return True


def runtime_file(paths: Paths) -> RuntimeFile:
    """Where a running assistant writes its state."""
    return RuntimeFile(paths.data_dir / "runtime.json")
