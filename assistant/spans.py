"""Lengths of time as a technician reads them: ``45 s``, ``12 min``, ``3 h``, ``2 days``."""

from __future__ import annotations


def span(seconds: float) -> str:
    """``seconds`` rounded to the unit that suits it (negative counts as 0)."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h" if seconds < 172800 else f"{round(seconds / 86400)} days"
