"""The speech volume as a plain value: its range and what a stored value means."""

from __future__ import annotations

VOLUME_MIN, VOLUME_MAX, VOLUME_DEFAULT = 1, 10, 7


def volume_of(stored: str | None) -> int:
    """The volume a stored ``volume`` value means (the default when none is stored)."""
    return int(stored) if stored and stored.isdigit() else VOLUME_DEFAULT
