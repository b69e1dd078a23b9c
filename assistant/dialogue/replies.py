"""Reply texts: ``skills/responses/<lang>.yaml`` turned into the sentences XiaoAn says,
and the one-line summaries service providers read.

Receives a ``skills.base.Reply`` (a key and raw slot values) and an aware "now"; emits
text. Each value is put into words by its name: ``service``, ``meal``, ``diet``,
``measure``, ``kind``, ``contact``, ``status`` through the file's ``words`` tables;
``when``/``date`` as 明天上午九点 (``assistant.values.phrasing``); lists joined with 、 or ", ".
``{address}`` is the elder's form of address with its comma (王奶奶，) or nothing. A
value ``age_s`` (an answer from the cache) puts ``lookup.cached`` in front.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ResponseDataError
from assistant.values import phrasing
from skills.base import Reply

WORD_TABLES = (
    "service", "meal", "diet", "measure", "kind", "contact", "status", "event", "weekday",
    "meal_rule", "why",
)  # fmt: skip
VALUE_NAMES = frozenset({
    *WORD_TABLES, "address", "when", "date", "fulldate", "time", "weekday", "lunar", "items",
    "medicines", "more", "count", "stars", "minutes", "volume", "value", "medicine", "what",
    "provider", "age", "who", "said", "note", "reason", "summary", "order_by", "parts",
    "details", "dose", "due", "reminded", "last_heard", "advice", "number", "fire_number",
    "centre_said",
})  # fmt: skip
NUMBERS = {"medical": "120", "fire": "119", "police": "110"}
"""Emergency telephone numbers (China's); the settings may give a country's own."""
JOINERS = {"details": ("，", ", "), "parts": ("，", "; "), "items": ("；", "; ")}
"""How the sentences of a list of replies are joined (zh, en); other lists: 、 or ", "."""
"""The placeholders a text may use."""


@dataclass(frozen=True)
class Replies:
    """The reply texts, word tables and summary templates of one language."""

    lang: str
    texts: Mapping[str, str]
    words: Mapping[str, Mapping[str, str]]
    summaries: Mapping[str, str]
    address_form: str = ""
    numbers: Mapping[str, str] = field(default_factory=lambda: dict(NUMBERS))
    """Emergency numbers by kind (medical, fire, police): said in advice and warnings."""

    @classmethod
    def load(
        cls, lang: str, address_form: str = "", numbers: Mapping[str, str] | None = None
    ) -> Replies:
        """The packaged texts of ``lang``, checked."""
        name = f"responses/{lang}.yaml"
        where = f"skills/{name}"
        try:
            text = resources.files("skills").joinpath(name).read_text(encoding="utf-8")
            data = YAML(typ="safe").load(text)
        except (OSError, YAMLError) as err:
            raise ResponseDataError(f"{where}: cannot be read: {err}") from err
        if not isinstance(data, dict):
            raise ResponseDataError(f"{where}: must have `replies`, `words` and `summaries`")
        replies = cls(
            lang, _strings(data, "replies", where), _tables(data, where),
            _strings(data, "summaries", where), address_form, dict(numbers or NUMBERS),
        )  # fmt: skip
        replies.check(where)
        return replies

    def check(self, where: str) -> None:
        """Refuse a text with an unknown placeholder."""
        for section, texts in (("replies", self.texts), ("summaries", self.summaries)):
            for key, text in texts.items():
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
                unknown = names - VALUE_NAMES
                if unknown:
                    raise ResponseDataError(
                        f"{where}: {section}.{key} uses unknown placeholder(s) "
                        f"{', '.join(sorted(unknown))}: use one of {', '.join(sorted(VALUE_NAMES))}"
                    )

    def say(self, reply: Reply, now: datetime, nested: bool = False) -> str:
        """The sentence for ``reply`` (``nested``: a part of another reply, which already
        addresses the elder: 李爷爷 is said once)."""
        text = self.texts.get(reply.key)
        if text is None:
            raise ResponseDataError(
                f"skills/responses/{self.lang}.yaml: no text for `{reply.key}`: add it"
            )
        values = self.words_for(reply.values, now, absolute=False)
        comma = "，" if self.lang == "zh" else ", "
        values["address"] = "" if nested or not self.address_form else self.address_form + comma
        values["fire_number"] = self.numbers.get("fire", NUMBERS["fire"])
        values["number"] = self.numbers.get(str(reply.values.get("number_for", "medical")),
                                            NUMBERS["medical"])  # fmt: skip
        sentence = text.format_map(_Blank(values))
        if "age_s" in reply.values:
            age = phrasing.age(float(reply.values["age_s"]), self.lang)
            sentence = self.texts["lookup.cached"].format(age=age) + sentence
        if self.lang == "en":
            sentence = _agree(" ".join(sentence.replace("m..", "m.").split()))
        return sentence

    def join(self, *sentences: str) -> str:
        """Sentences said one after another (a space between them in English)."""
        return ("" if self.lang == "zh" else " ").join(s for s in sentences if s)

    def summary(self, kind: str, fields: Mapping[str, Any], who: str, now: datetime) -> str:
        """The one-line summary of a request, with absolute dates (for service providers)."""
        event = self.summaries.get(f"{kind}.{fields.get('event', '')}")
        template = event or self.summaries.get(kind) or self.summaries["default"]
        values = {k: _clip(v, MAX_QUOTED) for k, v in self.words_for(fields, now, True).items()}
        values["who"] = who
        return _clip(" ".join(template.format_map(_Blank(values)).split()), MAX_SUMMARY)

    def words_for(self, raw: Mapping[str, Any], now: datetime, absolute: bool) -> dict[str, str]:
        """Every value put into words."""
        return {name: self._word(name, value, now, absolute) for name, value in raw.items()}

    def _word(self, name: str, value: Any, now: datetime, absolute: bool) -> str:
        zh = self.lang == "zh"
        if isinstance(value, list) and value and all(isinstance(v, Reply) for v in value):
            joiner = JOINERS.get(name, ("，", "; "))[0 if zh else 1]
            said = [self.say(v, now, nested=True) for v in value]
            if name in ("advice", "centre_said"):  # whole sentences after the reply's own
                return ("" if zh else " ").join(said)
            return joiner.join(t.rstrip("。.") for t in said)
        if isinstance(value, list):
            table = "meal" if name == "more" else ""
            joined = [self.words.get(table, {}).get(str(v), str(v)) for v in value]
            return ("、" if zh else ", ").join(joined)
        if name in WORD_TABLES:
            return self.words.get(name, {}).get(str(value), str(value))
        if name in ("when", "date", "due", "last_heard"):
            return phrasing.when(str(value), now, self.lang, absolute) if value else ""
        if name == "fulldate":
            day = date.fromisoformat(str(value))
            return f"{day.year}年{day.month}月{day.day}日" if zh else day.strftime("%-d %B %Y")
        if name == "time":
            moment = datetime.fromisoformat(str(value))
            return phrasing.zh_clock(moment) if zh else phrasing.en_clock(moment)
        if name in ("count", "stars", "minutes") and zh and isinstance(value, int):
            return phrasing.zh_count(value)
        if name == "what":  # the elder's words, said back to the elder
            return _second_person(str(value), self.lang)
        return str(value)


MAX_SUMMARY = 500
"""The platform's limit for a summary (``docs/platform-api.md``); the fields keep it all."""
MAX_QUOTED = 120
"""Characters of one value (the elder's words) quoted in a summary."""


_SINGULAR = {"reminders": "reminder", "times": "time", "minutes": "minute", "stars": "star",
             "dinners": "dinner", "lunches": "lunch", "breakfasts": "breakfast",
             "portions": "portion", "days": "day"}  # fmt: skip
_PLURAL = {singular: plural for plural, singular in _SINGULAR.items()}
_ONE = re.compile(r"\b1 (" + "|".join(_SINGULAR) + r")\b")
_MANY = re.compile(r"\b(0|[2-9]|\d{2,}) (" + "|".join(_PLURAL) + r")\b")
_PERSONS = {"my": "your", "me": "you", "i": "you", "myself": "yourself", "mine": "yours",
            "i'm": "you're", "i've": "you've", "i'll": "you'll", "am": "are"}  # fmt: skip
_WORD_EN = re.compile(r"[A-Za-z']+")


def _agree(sentence: str) -> str:
    """English numbers and nouns in agreement: 1 reminder, 2 dinners."""
    sentence = _ONE.sub(lambda m: f"1 {_SINGULAR[m[1]]}", sentence)
    return _MANY.sub(lambda m: f"{m[1]} {_PLURAL[m[2]]}", sentence)


def _second_person(words: str, lang: str) -> str:
    """What the elder said of themself, said back to them: take my pills → take your pills,
    吃我的药 → 吃您的药."""
    if lang == "zh":
        return words.replace("我们", "咱们").replace("我", "您")
    return _WORD_EN.sub(lambda m: _match_case(_PERSONS.get(m[0].lower(), m[0]), m[0]), words)


def _match_case(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() and like.lower() != "i" else word


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Blank(dict[str, str]):
    """Format values where a missing one is left empty (a slot that was not said)."""

    def __missing__(self, key: str) -> str:
        return ""


def _strings(data: Mapping[str, Any], section: str, where: str) -> dict[str, str]:
    value = data.get(section)
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ResponseDataError(f"{where}: `{section}` must map keys to texts")
    return {str(k): v for k, v in value.items()}


def _tables(data: Mapping[str, Any], where: str) -> dict[str, dict[str, str]]:
    value = data.get("words")
    if not isinstance(value, Mapping):
        raise ResponseDataError(f"{where}: `words` must map table names to word tables")
    return {str(t): {str(k): str(v) for k, v in (rows or {}).items()} for t, rows in value.items()}
