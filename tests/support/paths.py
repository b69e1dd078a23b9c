"""Where things are, for tests in any tier (and ``bench/``): the repository and the data
the data tier is driven by."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root folder."""
DATA = ROOT / "tests" / "data"
"""The data tier: its test modules, ``times.yaml``, ``schedule_mistakes.yaml``…"""
INTENT_CASES = DATA / "intents"
"""``<lang>/<intent>.yaml`` test cases, ``known_failures.yaml``, ``README.md`` (the format)."""
DIALOGUES = DATA / "dialogues"
"""``<lang>/<skill>.yaml`` dialogue scripts."""
