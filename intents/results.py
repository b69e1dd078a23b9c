"""What the intent engine emits: an ``IntentMatch`` or a ``NotRecognized``, never ``None``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SlotValue = str | int

UNKNOWN = "unknown"


@dataclass(frozen=True)
class IntentMatch:
    """An utterance understood as one intent of the contract, with its slots."""

    text: str
    """The utterance as received."""
    lang: str
    intent: str
    confidence: float
    """0..1: 1.0 for a whole-template match, the cue's weight or the fuzzy score otherwise."""
    slots: dict[str, SlotValue] = field(default_factory=dict)
    stage: str = "template"
    """Which stage decided: ``template``, ``cue``, ``phonetic``, ``fuzzy``, ``danger`` or
    ``model``."""
    concern: str = ""
    """An emergency kind when the utterance tells of danger or strong pain that is not a
    sure emergency: the dialogue asks before calling (``intents.danger``)."""

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object (``docs/intents.md``)."""
        return {
            "text": self.text,
            "lang": self.lang,
            "intent": self.intent,
            "confidence": round(self.confidence, 2),
            "slots": dict(self.slots),
            **({"concern": self.concern} if self.concern else {}),
        }


@dataclass(frozen=True)
class NotRecognized:
    """Nothing fitted well enough: the contract's ``unknown`` intent."""

    text: str
    lang: str
    confidence: float = 0.0
    """The best score that was rejected (0 when nothing matched at all)."""
    reason: str = "no match"
    """``empty``, ``no match`` or ``below threshold``."""
    concern: str = ""
    """As ``IntentMatch.concern``."""

    intent = UNKNOWN
    slots: dict[str, SlotValue] = field(default_factory=dict)
    stage = "unknown"

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object with ``intent: unknown``."""
        return {
            "text": self.text,
            "lang": self.lang,
            "intent": UNKNOWN,
            "confidence": round(self.confidence, 2),
            "slots": {},
            **({"concern": self.concern} if self.concern else {}),
        }


ParseResult = IntentMatch | NotRecognized
