"""Shared fixtures: one parser per language for the whole session, loaded on first use; a
PostgreSQL cluster for the care platform's stores, started on first use; and the tiers:
each test is marked by its folder (``tests/<tier>/``), the slow tiers ``slow``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intents import IntentParser
from tests.support.postgres import Cluster, postgres_cluster

TZ = ZoneInfo("Asia/Shanghai")
HERE = Path(__file__).resolve().parent
TIERS = {
    "unit": False,
    "data": False,
    "cli": True,
    "audio": True,
    "platform": True,
    "adversarial": True,
    "careplatform": True,
}
"""Tier folder → whether its tests are slow (``make check`` runs ``-m "not slow"``)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, and ``slow`` in a slow tier (a fast tier's slow tests
    carry ``@pytest.mark.slow`` themselves)."""
    for item in items:
        try:
            tier = item.path.resolve().relative_to(HERE).parts[0]
        except ValueError:
            continue  # not under tests/ (a path given on the command line)
        if tier not in TIERS:
            raise pytest.UsageError(
                f"{item.path}: a test module belongs in a tier folder: tests/{{{','.join(TIERS)}}}/"
            )
        item.add_marker(tier)
        if TIERS[tier]:
            item.add_marker("slow")


@cache
def parser_for(lang: str) -> IntentParser:
    """The packaged parser of one language."""
    return IntentParser.load(lang, TZ)


class Parsers:
    """``parsers[lang]`` loads a language's parser the first time it is asked for."""

    def __getitem__(self, lang: str) -> IntentParser:
        return parser_for(lang)


@pytest.fixture(scope="session")
def parsers() -> Parsers:
    """Parsers by language."""
    return Parsers()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for the session (started on first use)."""
    with postgres_cluster() as cluster:
        yield cluster
