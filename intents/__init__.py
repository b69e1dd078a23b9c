"""The intent engine: sentence data per language (``zh/``, ``en/``) and the matcher.

``IntentParser.load(lang, tz).parse(text, now)`` turns an utterance into an
``IntentMatch`` (intent and slots of the contract, ``docs/intents.md``) or ``NotRecognized``.
"""

from intents.parser import IntentParser, Thresholds
from intents.results import UNKNOWN, IntentMatch, NotRecognized, ParseResult

__all__ = ["UNKNOWN", "IntentMatch", "IntentParser", "NotRecognized", "ParseResult", "Thresholds"]
