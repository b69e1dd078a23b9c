"""The learned stage: a linear model over character, pinyin and word n-grams.

Receives one cleaned utterance (``intents.normalize``); emits the most likely intents
with their probabilities (``Guess``). It generalises where the templates and cues do
not: word order, rambling, synonyms, recognition errors.

The model is trained by ``python -m intents.train`` (``make model``) from the sentence
data and the paraphrase corpus (``intents/corpus/<lang>/*.tsv``) and shipped as
``intents/model/<lang>.json``: the feature names, int8 weights with one scale per intent,
the biases, the accepting threshold calibrated on held-out data, and the sha256 of
everything it was trained from (a test checks that it still matches its sources).
Inference is plain Python over the int8 rows (no numpy: start-up stays short).
"""

from __future__ import annotations

import base64
import json
import math
import re
from array import array
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from assistant.errors import IntentDataError
from intents.homophones import syllables

FORMAT = 1
"""Version of the model file's layout."""
_WORD = re.compile(r"[a-z0-9']+")


def features(text: str, spaced: bool) -> list[str]:
    """The n-gram features of a cleaned utterance (training and inference share this)."""
    if spaced:
        return _english(text.lower())
    return _mandarin("".join(text.split()))


def _mandarin(text: str) -> list[str]:
    chars = [c for c in text if not c.isspace()]
    out = [f"c{c}" for c in chars]
    out += [f"b{a}{b}" for a, b in pairwise(chars)]
    out += [f"t{a}{b}{c}" for a, b, c in zip(chars, chars[1:], chars[2:], strict=False)]
    sounds = syllables("".join(chars))
    out += [f"p{s}" for s in sounds]
    out += [f"q{a}_{b}" for a, b in pairwise(sounds)]
    out.append(f"n{min(len(chars), 12)}")
    return out


def _english(text: str) -> list[str]:
    words = _WORD.findall(text)
    out = [f"w{w}" for w in words]
    out += [f"v{a}_{b}" for a, b in pairwise(words)]
    for word in words:
        padded = f"<{word}>"
        out += [f"g{padded[i : i + 4]}" for i in range(max(1, len(padded) - 3))]
    out.append(f"n{min(len(words), 12)}")
    return out


@dataclass(frozen=True)
class Guess:
    """One intent the model thinks likely."""

    intent: str
    probability: float


@dataclass(frozen=True)
class IntentClassifier:
    """A trained model of one language; ``IntentClassifier.load(lang)``."""

    lang: str
    spaced: bool
    classes: tuple[str, ...]
    index: dict[str, int]
    weights: array  # type: ignore[type-arg]
    scales: tuple[float, ...]
    bias: tuple[float, ...]
    threshold: float
    """Lowest probability at which a guess is accepted (calibrated on held-out data)."""
    action_threshold: float
    """The same for intents that act (a booking, an order, a call, a reminder)."""
    actions: frozenset[str]
    """Those intents."""
    sources: str
    """sha256 over the training sources and settings (``intents.train.fingerprint``)."""

    @classmethod
    def load(cls, lang: str, path: Path | None = None) -> IntentClassifier:
        """Read ``intents/model/<lang>.json`` (or ``path``)."""
        path = path or Path(str(resources.files("intents"))) / "model" / f"{lang}.json"
        try:
            return cls.from_content(json.loads(path.read_text(encoding="utf-8")), lang)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IntentDataError(
                f"{path}: cannot load the intent model ({err}); run `make model`"
            ) from err

    @classmethod
    def from_content(cls, raw: Any, lang: str) -> IntentClassifier:
        """The model from the file's parsed content (training calibrates on it unsaved);
        ValueError, KeyError or TypeError when it is not a model of ``lang``."""
        if raw.get("format") != FORMAT or raw.get("lang") != lang:
            raise ValueError(f"not a format-{FORMAT} model for `{lang}`")
        classes = tuple(str(c) for c in raw["classes"])
        names = [str(f) for f in raw["features"]]
        weights = array("b", base64.b64decode(raw["weights"]))
        if len(weights) != len(names) * len(classes):
            raise ValueError("weights do not fit features × intents")
        return cls(
            lang,
            bool(raw["spaced"]),
            classes,
            {name: i for i, name in enumerate(names)},
            weights,
            tuple(float(s) for s in raw["scales"]),
            tuple(float(b) for b in raw["bias"]),
            float(raw["threshold"]),
            float(raw["action_threshold"]),
            frozenset(str(a) for a in raw["actions"]),
            str(raw["sources"]),
        )

    def accepts(self, guess: Guess) -> bool:
        """Whether ``guess`` is sure enough to act on."""
        limit = self.action_threshold if guess.intent in self.actions else self.threshold
        return guess.probability >= limit

    def guess(self, text: str, top: int = 3) -> list[Guess]:
        """The ``top`` likeliest intents for a cleaned utterance, most likely first."""
        width = len(self.classes)
        sums = [0] * width
        seen: set[int] = set()
        for name in features(text, self.spaced):
            i = self.index.get(name)
            if i is None or i in seen:
                continue
            seen.add(i)
            row = self.weights[i * width : (i + 1) * width]
            sums = [s + w for s, w in zip(sums, row, strict=True)]
        scores = [b + s * k for b, s, k in zip(self.bias, sums, self.scales, strict=True)]
        peak = max(scores)
        exps = [math.exp(s - peak) for s in scores]
        total = sum(exps)
        ranked = sorted(range(width), key=lambda c: -exps[c])[:top]
        return [Guess(self.classes[c], exps[c] / total) for c in ranked]
