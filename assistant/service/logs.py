"""Logging: configured only in ``main``; the assistant's own log is rotated and bounded.

``assistant run`` writes ``$XIAOAN_HOME/logs/xiaoan.log`` (mode 0600, in a 0700 folder),
rotated at ``MAX_BYTES`` with ``BACKUPS`` old files kept: at most 5 MiB on the SD card.
Everything also goes to stderr, which systemd hands to journald (without our timestamps,
which journald adds). Messages at INFO and above carry no health values, medicine names,
elder names, addresses or words heard: those appear at DEBUG only.

``LastProblem`` keeps the last warning or error, for the heartbeat and ``assistant status``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from assistant.storage.files import read_small

MAX_BYTES = 1024 * 1024
BACKUPS = 4
LOG_NAME = "xiaoan.log"
_FORMAT = "%(levelname)s %(name)s: %(message)s"
FOLLOW_POLL_S = 0.5
"""How often ``follow`` looks for new lines (seconds)."""


def log_file(logs_dir: Path) -> Path:
    """The current log file."""
    return logs_dir / LOG_NAME


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating file whose every file is created mode 0600; a line the disk has no room
    for is left out (it went to stderr, that is journald, all the same), never a traceback."""

    dropped = 0

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        del record
        self.dropped += 1


@dataclass(frozen=True)
class Problem:
    """A warning or error the assistant logged."""

    at: float
    message: str


class LastProblem(logging.Handler):
    """Remembers the last record at WARNING or above (its first line, at most 200 chars)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._lock_last = threading.Lock()
        self._last: Problem | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message."""
        text = record.getMessage().splitlines()[0][:200] if record.getMessage() else ""
        with self._lock_last:
            self._last = Problem(record.created, text)

    @property
    def last(self) -> Problem | None:
        """The last problem, if any."""
        with self._lock_last:
            return self._last


def configure(level: str, logs_dir: Path | None = None) -> LastProblem:
    """Set the root logger: stderr, and with ``logs_dir`` the rotated file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter(_FORMAT if under_journald else f"%(asctime)s {_FORMAT}"))
    root.addHandler(stderr)
    if logs_dir is not None:
        try:
            logs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            file = _PrivateRotatingFile(log_file(logs_dir), maxBytes=MAX_BYTES,
                                        backupCount=BACKUPS, encoding="utf-8")  # fmt: skip
        except OSError as err:
            logging.getLogger(__name__).warning("no log file in %s: %s", logs_dir, err)
        else:
            formatter = logging.Formatter(f"%(asctime)s {_FORMAT}")
            formatter.converter = time.localtime
            file.setFormatter(formatter)
            root.addHandler(file)
    problems = LastProblem()
    root.addHandler(problems)
    root.setLevel(level.upper())
    return problems


def last_lines(current: Path, count: int, size: int) -> list[str]:
    """The last ``count`` lines across the rotated files and the first ``size`` bytes of
    the current one (what follows is ``--follow``'s)."""
    files = [current.with_name(f"{current.name}.{i}") for i in range(BACKUPS, 0, -1)]
    out: list[str] = []
    for path in [*files, current]:
        try:
            data = read_small(path, 2 * MAX_BYTES)
        except OSError:  # missing, or not a file at all (a folder, a pipe): not ours
            continue
        data = data[:size] if path == current else data
        out.extend(data.decode("utf-8", errors="replace").splitlines(keepends=True))
        out = out[-count:] if count else []
    return out


def follow(current: Path, position: int, inode: int | None, out: TextIO) -> None:
    """Write to ``out`` what is appended to ``current`` after ``position``, for ever (until
    Ctrl-C); start over when the file was rotated."""
    while True:
        try:
            info = current.stat()
        except FileNotFoundError:
            time.sleep(FOLLOW_POLL_S)
            continue
        if info.st_ino != inode or info.st_size < position:
            inode, position = info.st_ino, 0  # rotated: the new file from its start
        if info.st_size > position:
            with current.open("rb") as stream:
                stream.seek(position)
                data = stream.read()
            position += len(data)
            out.write(data.decode("utf-8", errors="replace"))
            out.flush()
        time.sleep(FOLLOW_POLL_S)
