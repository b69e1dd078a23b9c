"""Shared fixtures: one parser per language for the whole session, loaded on first use."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

import pytest

from intents import IntentParser

TZ = ZoneInfo("Asia/Shanghai")


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
