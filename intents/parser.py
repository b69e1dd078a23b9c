"""The intent engine: an utterance in, one intent of the contract with its slots out.

Receives text (typed, or a recogniser's transcript) and an aware "now"; emits an
``IntentMatch`` or a ``NotRecognized``. Matchers run in this order, and the first that
decides wins:

1. **normalise** (``intents.normalize``): punctuation, spaces, full-width forms; for
   Mandarin, homophones corrected against the sentence data's vocabulary
   (``intents.homophones``); then the wake word and filler words removed;
2. **template**: a ``match: whole`` template covers the whole utterance (intents with a
   time slot are also tried with the time words taken out) → confidence 1.0;
3. **cue**: ``match: contains`` cue phrases found anywhere, unless one of the intent's
   ``match: veto`` phrases is found too (电视里, 什么意思, 差点); the highest weight wins,
   ties go to the intent listed first in ``intents/slots.yaml`` (emergency first);
4. **phonetic** (Mandarin): the same templates and cues over toneless pinyin, so a
   recognition error in any word (流了好多穴, 胸口疼得厉氦) still matches; weight × 0.95;
5. **fuzzy**: ``rapidfuzz`` against sentences expanded from the templates, on toneless
   pinyin for Mandarin; accepted at ``fuzzy_cutoff`` and above;
6. **unknown**: nothing reached ``threshold``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from intents import time_en, time_zh
from intents.classifier import Guess, IntentClassifier
from intents.danger import Danger, DangerReader
from intents.data import Block, LanguageData, load_language, phonetic_blocks
from intents.homophones import HomophoneCorrector, syllables
from intents.normalize import Normalizer
from intents.results import UNKNOWN, IntentMatch, NotRecognized, ParseResult, SlotValue
from intents.slots import AS_SAID_LISTS, SlotFiller, Utterance
from intents.templates import Capture, normalize_key, phonetic_key
from intents.timefacts import resolve

_LOGGER = logging.getLogger(__name__)
_PHONETIC_DISCOUNT = 0.95
"""A match on sound alone is a little less sure than one on the characters."""


@dataclass(frozen=True)
class Thresholds:
    """Where matching stops trusting itself."""

    threshold: float = 0.5
    """Lowest confidence that is not ``unknown``."""
    fuzzy_cutoff: float = 88.0
    """Lowest rapidfuzz score (0–100) the fuzzy stage accepts."""
    overrule: float = 0.9
    """Model probability above which it overrules a cue (not a template, not an alarm)."""
    weak_cue: float = 0.8
    """A cue weighing less is a guess: the model's accepted guess overrules it."""


@dataclass(frozen=True)
class _Hit:
    block: Block
    match: re.Match[str]


@dataclass(frozen=True)
class _Rule:
    """What the rule stages decided."""

    intent: str
    confidence: float
    stage: str
    hits: list[_Hit]


class IntentParser:
    """Parses utterances of one language; build one with ``IntentParser.load(lang)``."""

    def __init__(
        self,
        data: LanguageData,
        timezone: ZoneInfo,
        thresholds: Thresholds | None = None,
        model: IntentClassifier | None = None,
        danger: DangerReader | None = None,
    ) -> None:
        self.data = data
        self.lang = data.lang
        self._tz = timezone
        self._limits = thresholds or Thresholds()
        self._model = model
        self._danger = danger
        common = data.common
        self._not_names = frozenset(str(w).lower() for w in common.get("not_names", []))
        self._normalizer = Normalizer(
            spaced=data.spaced,
            wake_words=tuple(common.get("wake_words", [])),
            fillers=tuple(common.get("skip_words", [])),
            leading_fillers=tuple(common.get("leading_fillers", [])),
        )
        self._corrector = (
            HomophoneCorrector.from_words(data.vocabulary(), common.get("homophone_guard", []))
            if not data.spaced
            else None
        )
        self._time = time_en.extract if data.spaced else time_zh.extract
        self._filler = SlotFiller(data)
        self._whole = [b for b in data.blocks if b.mode == "whole"]
        self._cues = [b for b in data.blocks if b.mode == "contains"]
        self._vetoes = [b for b in data.blocks if b.mode == "veto"]
        self._sample_intents = [intent for intent, _ in data.samples]
        self._sample_keys = [self._fuzzy_key(text) for _, text in data.samples]
        self._phonetic_blocks: tuple[Block, ...] | None = None  # compiled on first use
        self._order = {name: i for i, name in enumerate(data.slot_names)}
        """Tie-break order of intents (emergency first)."""

    @classmethod
    def load(cls, lang: str, timezone: ZoneInfo) -> IntentParser:
        """Load the packaged sentence data, danger concepts and model for ``lang``."""
        return cls(
            load_language(lang),
            timezone,
            model=IntentClassifier.load(lang),
            danger=DangerReader.load(lang),
        )

    def understands(self, text: str) -> bool:
        """Whether ``text`` is any intent at all (not ``unknown``)."""
        return self.parse(text).intent != "unknown"

    def parse(self, text: str, now: datetime | None = None) -> ParseResult:
        """Understand one utterance; ``now`` defaults to the current time.

        Mandarin is matched as written and, when homophone correction changes it, once
        more as corrected; the corrected reading is used only when it is more confident,
        so correction cannot spoil a sentence that was recognised right.
        """
        now = now or datetime.now(self._tz)
        cleaned = self._normalizer.clean(text)
        result = self._understand(text, self._normalizer.strip(cleaned), now)
        if self._corrector is None:
            return result
        corrected = self._corrector.correct(cleaned)
        if corrected == cleaned:
            return result
        second = self._understand(text, self._normalizer.strip(corrected), now)
        return (
            second
            if second.confidence > result.confidence
            or (isinstance(result, NotRecognized) and isinstance(second, IntentMatch))
            else result
        )

    def says_fine(self, text: str) -> bool:
        """Whether the utterance says the speaker is all right (我很好, 没那么严重, I'm fine),
        or starts with a no: the answer "no" to 您是不是不舒服？."""
        if self._danger is None:
            return False
        cleaned = self._normalizer.clean(text)
        return self._danger.says_fine(self._normalizer.strip(cleaned) or cleaned)

    def clean(self, text: str) -> str:
        """The utterance normalised, without wake word and filler words (a free-text answer)."""
        return self._normalizer.strip(self._normalizer.clean(text))

    def slots_for(
        self, text: str, intent: str, now: datetime | None = None, defaults: bool = True
    ) -> dict[str, SlotValue]:
        """The slots of ``intent`` found in ``text`` without matching an intent: the answer
        to a follow-up question (您想什么时候来？ → 明天上午) fills the intent being asked.
        ``defaults=False`` leaves out what was not said (a correction: 不对，要三份)."""
        now = now or datetime.now(self._tz)
        cleaned = self._normalizer.clean(text)
        readings = [cleaned]
        if self._corrector is not None:
            readings.append(self._corrector.correct(cleaned))
        for reading in readings:
            norm = self._normalizer.strip(reading)
            if not norm:
                continue
            slots = self._filler.fill(intent, self._utterance(norm, now), {}, {}, defaults)
            if slots:
                return slots
        return {}

    def _understand(self, text: str, norm: str, now: datetime) -> ParseResult:
        if not norm:
            return NotRecognized(text, self.lang, 0.0, "empty")
        utterance = self._utterance(norm, now)
        danger = self._danger.read(norm) if self._danger is not None else Danger()
        vetoed = self._vetoed(norm)
        # a sure danger decides alone: the model is not asked then
        guesses = self._model.guess(norm) if self._model and not danger.sure else []
        guesses = [g for g in guesses if g.intent not in vetoed]  # 昨天打过电话了: not a call
        # The slower sound-alike and fuzzy stages are skipped where their answer could not
        # count: a sure danger decides alone, and a cancelled one (戏里, 梦见) with the model
        # sure it is nothing drops whatever they would find.
        nothing = bool(guesses) and guesses[0].intent == UNKNOWN
        quick = danger.sure or (
            bool(danger.cancelled_by)
            and nothing
            and (guesses[0].probability >= self._limits.overrule)
        )
        rule = self._plausible(self._rules(norm, utterance.stripped, vetoed, quick))
        if rule is not None and rule.intent == "emergency" and self._danger is not None:
            plain = self._danger.without_idioms(norm)
            if plain != norm:  # 急救箱 is not 急救: the rules again without the idioms
                rule = self._rules(plain, plain, self._vetoed(plain)) if plain else None
        decided = self._decide(rule, danger, guesses)
        concern = danger.kind if danger.maybe else ""
        if rule is not None and rule.intent == "emergency" and not danger.cancelled_by:
            said = _fixed(rule.hits, "emergency").get("kind", "general")
            concern = concern or said  # an alarm phrase in doubt, or only sounding like one
        if decided is None:
            return NotRecognized(text, self.lang, 0.0, "below threshold", concern)
        intent, confidence, stage = decided
        hits = rule.hits if rule is not None and rule.intent == intent else []
        captured = _captured(hits[0], self.data.spaced, rule.stage == "phonetic") if hits else {}  # type: ignore[union-attr]
        fixed = _fixed(hits, intent)
        if (
            intent == "emergency"
            and danger.kind
            and (danger.sure or fixed.get("kind", "general") == "general")
        ):
            fixed["kind"] = danger.kind
        slots = self._filler.fill(intent, utterance, captured, fixed)
        _LOGGER.debug("intent %s by %s (%.2f)", intent, stage, confidence)
        return IntentMatch(
            text, self.lang, intent, confidence, slots, stage,
            "" if intent == "emergency" else concern,
        )  # fmt: skip

    def _rules(
        self, norm: str, stripped: str, vetoed: set[str], quick: bool = False
    ) -> _Rule | None:
        """What the templates, cues, sounds and fuzzy samples say (None: nothing), with
        the intents ``vetoed`` by their veto phrases; ``quick``: templates and cues only."""
        hit, stage = self._template(norm, stripped), "template"
        hits = [hit] if hit else []
        if hit is None:
            hits, stage = self._cue(norm, stripped, vetoed), "cue"
        if not hits and quick:
            return None
        if not hits and self._corrector is not None:
            hits, stage = self._phonetic(norm, stripped, set(vetoed)), "phonetic"
        if hits:
            weight = hits[0].block.weight * (_PHONETIC_DISCOUNT if stage == "phonetic" else 1)
            rule = _Rule(hits[0].block.intent, weight, stage, hits)
        else:
            fuzzy = self._fuzzy(norm)
            if fuzzy is None:
                return None
            rule = _Rule(fuzzy[0], fuzzy[1], "fuzzy", [])
        return rule if rule.confidence >= self._limits.threshold else None

    def _plausible(self, rule: _Rule | None) -> _Rule | None:
        """The rules' answer, unless its name slot caught only words that are no name."""
        if rule is None or not rule.hits or not self._not_names:
            return rule
        said = _captured(rule.hits[0], self.data.spaced, rule.stage == "phonetic")
        contact = str(said.get("contact", ""))
        words = contact.lower().split()
        return None if words and all(w in self._not_names for w in words) else rule

    def _decide(
        self, rule: _Rule | None, danger: Danger, guesses: list[Guess]
    ) -> tuple[str, float, str] | None:
        """Rules where they are sure, danger concepts over both, the model where the rules
        found nothing. The model alone never raises an alarm against the concepts: an
        emergency it guesses where the concepts found none, or cancelled one, is not one."""
        if danger.sure:
            return "emergency", max(0.97, rule.confidence if rule else 0.0), "danger"
        model = self._model
        accepted = [
            g for g in guesses
            if model is not None and model.accepts(g)
            and not (g.intent == "emergency" and (danger.cancelled_by or not danger.maybe))
        ]  # fmt: skip
        if rule is not None and rule.intent == "emergency":
            if rule.stage == "fuzzy" and not danger.concepts:
                return None  # sounds like an alarm phrase, says no danger: asked, not called
            if not danger.cancelled_by and not danger.doubted_by:
                return rule.intent, rule.confidence, rule.stage
            rule = None  # cancelled (a dream, 什么意思) or in doubt (TV, a question): asked
        if rule is not None and rule.stage == "cue" and rule.confidence < self._limits.weak_cue:
            first = guesses[0] if guesses else None
            if first is not None and first.intent != rule.intent and first.probability >= 0.5:
                rule = None  # a weak cue (book … without a service) the model reads otherwise
        if rule is not None and rule.stage in ("template", "cue"):
            top = next((g for g in accepted if g.intent != "emergency"), None)
            sure_of_other = (
                top is not None
                and top.probability >= self._limits.overrule
                and rule.confidence < 0.97
                and (model is None or top.intent not in model.actions)
            )  # never one action for another on the model's word (吃完了: taken or run out)
            doubted = rule.confidence < self._limits.weak_cue or sure_of_other
            if rule.stage == "cue" and top is not None and top.intent != rule.intent and doubted:
                return None if top.intent == UNKNOWN else (top.intent, top.probability, "model")
            return rule.intent, rule.confidence, rule.stage
        if accepted and accepted[0].intent not in ("emergency", UNKNOWN):
            return accepted[0].intent, accepted[0].probability, "model"
        if (
            accepted and accepted[0].intent == UNKNOWN and rule is not None
            and accepted[0].probability >= self._limits.overrule
        ):  # fmt: skip
            return None  # the fuzzy or phonetic stage's guess, and the model is sure it is none
        if rule is not None:
            return rule.intent, rule.confidence, rule.stage
        return None

    def _utterance(self, norm: str, now: datetime) -> Utterance:
        """The normalised text with its time facts, and without its time words."""
        facts = self._time(norm)
        stripped = _without(norm, facts.spans, self.data.spaced)
        return Utterance(norm, stripped, facts, resolve(facts, now))

    def _template(self, norm: str, stripped: str) -> _Hit | None:
        for block in self._whole:
            m, _ = _find(block, norm, stripped)
            if m is not None:
                return _Hit(block, m)
        return None

    def _vetoed(self, norm: str) -> set[str]:
        """Intents whose veto phrases (电视里, 什么意思, 昨天) the utterance says."""
        return {b.intent for b in self._vetoes if b.pattern.search(norm)}

    def _cue(self, norm: str, stripped: str, vetoed: set[str]) -> list[_Hit]:
        hits = []
        for block in self._cues:
            m = None if block.intent in vetoed else _find(block, norm, stripped)[0]
            if m is not None:
                hits.append(_Hit(block, m))
        return self._ranked(hits)

    def _phonetic(self, norm: str, stripped: str, vetoed: set[str]) -> list[_Hit]:
        """Templates and cues over toneless pinyin: 流了好多穴 still says 流了好多血;
        ``vetoed`` grows by the veto phrases found by sound."""
        if self._phonetic_blocks is None:
            self._phonetic_blocks = phonetic_blocks(self.data)
        key, key_stripped = phonetic_key(norm), phonetic_key(stripped)
        hits: list[_Hit] = []
        for block in self._phonetic_blocks:
            if block.mode == "veto":
                m, on_stripped = block.pattern.search(key), False
            else:
                m, on_stripped = _find(block, key, key_stripped)
            if m is None or not _mostly_written_alike(m, stripped if on_stripped else norm, block):
                continue
            if block.mode == "veto":
                vetoed.add(block.intent)
            else:
                hits.append(_Hit(block, m))
        kept = [h for h in hits if h.block.mode == "whole" or h.block.intent not in vetoed]
        return self._ranked(kept)

    def _ranked(self, hits: list[_Hit]) -> list[_Hit]:
        """Highest weight first; ties go to the intent listed first (emergency)."""
        return sorted(hits, key=lambda h: (-h.block.weight, self._order[h.block.intent]))

    def _fuzzy_key(self, text: str) -> str:
        if self.data.spaced:
            return text.lower()
        return " ".join(syllables(text))

    def _fuzzy(self, norm: str) -> tuple[str, float] | None:
        if not self._sample_keys:
            return None
        key = self._fuzzy_key(normalize_key(norm, self.data.spaced))
        best = process.extractOne(
            key, self._sample_keys, scorer=fuzz.ratio, score_cutoff=self._limits.fuzzy_cutoff
        )
        if best is None:
            return None
        _, score, index = best
        return self._sample_intents[index], round(score / 100 * 0.9, 2)


def _find(block: Block, text: str, stripped: str) -> tuple[re.Match[str] | None, bool]:
    """Full match (whole blocks) or search (cues, vetoes) of ``text``; blocks of intents with
    a time slot are tried again on the text without its time words. The flag says which."""
    find = block.pattern.fullmatch if block.mode == "whole" else block.pattern.search
    m = find(text)
    if m is None and block.uses_time and stripped and stripped != text:
        return find(stripped), True
    return m, False


def _mostly_written_alike(m: re.Match[str], said: str, block: Block) -> bool:
    """At least half the matched characters (slots aside) are the block's own characters.

    A recognition error replaces some characters of a phrase, not all of them: 厉氦 keeps
    厉 of 厉害, but 级酒 shares nothing with 急救 and is another word that sounds alike.
    """
    key = m.string
    inside: set[int] = set()
    for group in range(1, m.re.groups + 1):
        if m.start(group) >= 0:
            first, last = key.count(" ", 0, m.start(group)), key.count(" ", 0, m.end(group))
            inside.update(range(first, last))
    start, end = key.count(" ", 0, m.start()), key.count(" ", 0, m.end())
    own = [said[i] for i in range(start, min(end, len(said))) if i not in inside]
    alike = sum(c in block.chars for c in own)
    return alike >= 1 and 2 * alike >= len(own)


def _without(text: str, spans: list[tuple[int, int]], spaced: bool) -> str:
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    joined = (" " if spaced else "").join(p.strip() if spaced else p for p in pieces)
    return " ".join(joined.split()) if spaced else joined


def _captured(hit: _Hit, spaced: bool, phonetic: bool) -> dict[str, str]:
    """Slot values the matching block captured (list values only, when matched on pinyin)."""
    out: dict[str, str] = {}
    groups = hit.match.groupdict()
    for capture in hit.block.captures:
        said = groups.get(capture.group)
        if not said:
            continue
        if not phonetic:
            out[capture.slot] = _value(capture, said, spaced)
        elif capture.values is not None and said in capture.values:
            out[capture.slot] = capture.values[said]
    return out


def _value(capture: Capture, said: str, spaced: bool) -> str:
    if capture.values is None or capture.slot in AS_SAID_LISTS:
        return said
    return capture.values.get(normalize_key(said, spaced), said)


def _fixed(hits: list[_Hit], intent: str) -> dict[str, str]:
    """Fixed slots of the winning block; a specific emergency kind beats ``general``."""
    fixed: dict[str, str] = {}
    for hit in hits:
        if hit.block.intent != intent:
            continue
        for name, value in hit.block.slots.items():
            if name not in fixed or fixed[name] == "general":
                fixed[name] = value
    return fixed
