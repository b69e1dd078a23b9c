"""Private files written so that a power cut leaves the old or the new one, never half."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def private_folder(folder: Path) -> None:
    """Make ``folder`` and every missing folder above it mode 0700 (not the umask's 0755:
    ``XIAOAN_HOME`` holds health data, names and the device secret)."""
    missing = [folder, *folder.parents]
    missing = [level for level in missing if not level.exists()]
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)
        chmod_own(level, 0o700)  # mkdir's mode is masked by the umask


def write_private(target: Path, data: bytes) -> None:
    """Write ``target`` atomically, mode 0600 (settings, schedules and secrets are personal
    or secret): a temporary file beside it, flushed to disk, renamed over it."""
    private_folder(target.parent)
    temporary = target.with_name(f".{target.name}.new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    chmod_own(temporary, 0o600)  # an old temporary file may have had another mode
    os.replace(temporary, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def chmod_own(path: Path, mode: int) -> None:
    """``chmod`` a regular file or a folder, never through a symbolic link and never a
    device: a file of ours that is a link to ``/dev/null`` must not make /dev/null private
    (as root, that breaks the machine). ``NotAFile`` for anything else."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        kind = os.fstat(descriptor).st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):
            raise NotAFile(errno.EINVAL, "not a regular file or a folder", str(path))
        os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)


class NotAFile(OSError):
    """A path that is not a regular file (a folder, a pipe, a device such as /dev/zero)."""


def read_small(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most ``max_bytes + 1`` of them (the caller refuses a file
    longer than its limit): a pipe or a device is refused at once (``NotAFile``), never read
    for ever; symbolic links to a regular file are followed."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotAFile(errno.EINVAL, "not a regular file", str(path))
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
