"""Room on the disk for the emergency path: a reserve file given up when the disk is full.

A Raspberry Pi that logs for months ends with a full SD card. SQLite then cannot write,
and in WAL mode cannot even open the database for reading (the ``-shm`` index must be
created). So XiaoAn keeps ``data/reserve``, a file of ``reserve_bytes`` really allocated
on the card, made while there is room. When the disk is found full, whoever finds it
(the running assistant, or a technician's ``assistant status``) deletes the reserve:

- the database opens again, and what is committed is read and sent;
- an emergency (and the sender's bookkeeping) is written into the room the reserve left;
- anything else is refused while the disk is full (``full()``: less free than the reserve
  while it is held, less than twice the reserve once it was given up): the elder hears the
  truth, and the room stays for the next call for help.

When space comes back (twice the reserve free again) the running assistant makes the
reserve anew (``restore``). With no reserve left (given up, and the room eaten since),
``release`` gives up what XiaoAn can do without instead: its own log files
(``$XIAOAN_HOME/logs``, up to 5 MiB; their lines went to journald too) and partial model
downloads. Receives
the data folder (``$XIAOAN_HOME/data``); emits ``DiskReport``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
MIB = 1024 * 1024
DEFAULT_RESERVE_BYTES = 16 * MIB
RESERVE_NAME = "reserve"


@dataclass(frozen=True)
class DiskReport:
    """The disk as the doctor, ``status`` and the heartbeat tell it."""

    free_bytes: int
    reserve: str
    """``held`` (the reserve is on the disk), ``released`` (given up for the emergency path)."""
    full: bool
    """Whether ordinary requests are refused to keep room for emergencies."""

    @property
    def free_mb(self) -> int:
        return self.free_bytes // MIB

    def problem(self) -> str:
        """The problem in a technician's words ("" when there is none)."""
        if not self.full:
            return ""
        return (
            f"the disk is full ({self.free_mb} MB free): only emergencies are recorded; "
            "free space (old logs, `journalctl --vacuum-size=50M`), then XiaoAn keeps its "
            "reserve again by itself"
        )


@dataclass(frozen=True)
class Space:
    """The disk that holds ``folder`` (the data folder), and XiaoAn's reserve on it."""

    folder: Path
    reserve_bytes: int = DEFAULT_RESERVE_BYTES

    @property
    def reserve_path(self) -> Path:
        return self.folder / RESERVE_NAME

    def free(self) -> int:
        """Bytes this process may still write (0 when it cannot be told)."""
        try:
            found = os.statvfs(self.folder)
        except OSError:
            return 0
        return found.f_bavail * found.f_frsize

    def held(self) -> bool:
        """Whether the whole reserve is on the disk."""
        try:
            return self.reserve_path.stat().st_size >= self.reserve_bytes
        except OSError:
            return False

    def full(self) -> bool:
        """Whether ordinary writes must be refused: less room than the reserve (while it is
        held), or than would let it be made again (twice the reserve, once it was given up)."""
        return self.report().full

    def release(self) -> bool:
        """Give the reserve up (the disk is full); without one (it was given up before and
        the room eaten since), give up what XiaoAn can do without: its log files and
        partial model downloads. True when it freed room."""
        try:
            self.reserve_path.unlink()
        except FileNotFoundError:
            return self._release_spare()
        except OSError as err:
            _LOGGER.error("the disk is full and the reserve cannot be released: %s", err)
            return self._release_spare()
        _LOGGER.warning("the disk is full: the reserve is released for the emergency path")
        return True

    def _release_spare(self) -> bool:
        home = self.folder.parent
        spare = [*(home / "logs").glob("xiaoan.log.*"),
                 *(home / "models" / ".downloads").glob("*.part")]  # fmt: skip
        freed = 0
        current = home / "logs" / "xiaoan.log"
        try:
            if current.is_file() and not current.is_symlink():
                freed += current.stat().st_size
                os.truncate(current, 0)  # its lines went to journald too
        except OSError:
            pass
        for path in spare:
            try:
                if path.is_file() and not path.is_symlink():
                    size = path.stat().st_size
                    path.unlink()
                    freed += size
            except OSError:
                continue
        if freed:
            _LOGGER.warning(
                "the disk is full and no reserve was left: old logs and partial downloads "
                "(%d KB) are removed for the emergency path", freed // 1024,
            )  # fmt: skip
        return freed > 0

    def restore(self) -> bool:
        """Make the reserve when there is room for it twice over; True when made now."""
        if self.held() or self.free() < 2 * self.reserve_bytes:
            return False
        partial = self.reserve_path.with_name(f".{RESERVE_NAME}.new")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(descriptor, 0, self.reserve_bytes)  # real blocks, not a hole
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(partial, self.reserve_path)
        except OSError as err:
            partial.unlink(missing_ok=True)
            _LOGGER.warning("the disk reserve cannot be made: %s", err)
            return False
        _LOGGER.info("disk reserve of %d MB in place", self.reserve_bytes // MIB)
        return True

    def report(self) -> DiskReport:
        held = self.held()
        free = self.free()
        enough = self.reserve_bytes if held else 2 * self.reserve_bytes
        return DiskReport(free, "held" if held else "released", free < enough)
