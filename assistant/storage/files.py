"""Private files written so that a power cut leaves the old or the new one, never half."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(target: Path, data: bytes) -> None:
    """Write ``target`` atomically, mode 0600 (settings, schedules and secrets are personal
    or secret): a temporary file beside it, flushed to disk, renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)  # an old temporary file may have had another mode
    os.replace(temporary, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)
