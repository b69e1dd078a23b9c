"""A real small disk for full-disk tests: a tmpfs mounted on a folder, filled to the brim.

Mounting needs root (CI runs as root) or password-less ``sudo``; elsewhere the tests that
need it are skipped, saying why. The kernel's own "No space left on device" is what XiaoAn
meets, exactly as on a full SD card.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(where: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of ``size_mb`` MiB mounted on ``where`` (made), unmounted at the end."""
    where.mkdir(parents=True, exist_ok=True)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    done = subprocess.run(
        [*sudo, "mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0777", "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small disk here (root or sudo needed): {done.stderr}")
    try:
        yield where
    finally:
        subprocess.run([*sudo, "umount", "-l", str(where)], capture_output=True, check=False)


def fill(disk: Path, name: str = "filler") -> Path:
    """Write a file on ``disk`` until the kernel says it is full; returns the file."""
    path = disk / name
    block = b"\0" * 65536
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while os.write(descriptor, block[:size]):
                    pass
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(descriptor)
    return path


def free_bytes(disk: Path) -> int:
    """What may still be written on ``disk``."""
    found = os.statvfs(disk)
    return found.f_bavail * found.f_frsize
