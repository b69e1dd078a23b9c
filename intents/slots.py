"""Fill an intent's slots with the contract's canonical values (``docs/slots.md``).

Receives the chosen intent, what the matching block captured, and the utterance with
its time facts; emits ``{slot: value}`` with only the slots that were said (plus
``order_meal.count = 1`` when one meal is asked for). A slot the template captured wins;
otherwise each slot has a finder that looks through the whole utterance, so words may
come in any order (明天中午给我送份饭 and 给我送份饭明天中午 fill the same slots).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hassil.intents import TextSlotList

from intents.data import LanguageData
from intents.measures import en_measurement, zh_measurement
from intents.numbers import as_int, en_number, zh_number
from intents.results import SlotValue
from intents.templates import Compiler, list_source
from intents.timefacts import TimeFacts, TimeValue

AS_SAID_LISTS = frozenset({"contact", "medicine", "symptom"})
"""Lists whose slot value is the words as said, not a canonical value."""

_FROM_STRIPPED_TEXT = frozenset({"what"})
"""Free-text slots always taken from the utterance without its time words."""

_PART_MEALS = {"early": "breakfast", "morning": "breakfast", "noon": "lunch",
               "afternoon": "lunch", "dusk": "dinner", "evening": "dinner"}  # fmt: skip
_ZH_COUNT = re.compile(
    r"(?P<n>[一二两三四五六七八九十俩仨\d]{1,3})(?:份|个|盒|碗|客|人份|人的|顿|套)"
)
_EN_COUNT = re.compile(
    r"\b(?P<n>\d+|one|two|three|four|five|six|a couple of)\s+(?:\w+\s+)?"
    r"(?:meals?|portions?|servings?|boxes|box|lunch(?:es)?|dinners?|breakfasts?|suppers?|plates?"
    r"|orders?)\b"
    r"|\b(?:meals?|lunch(?:es)?|dinners?|breakfasts?|suppers?)\s+for\s+"
    r"(?P<n2>\d+|two|three|four|five|six)\b",
    re.I,
)
_ZH_STARS = re.compile(
    r"(?P<n>[一二两三四五1-5])(?:颗星|颗|个星|星|分)|打(?P<n2>[一二两三四五1-5])"
)
_EN_STARS = re.compile(
    r"\b(?P<n>[1-5]|one|two|three|four|five)(?:\s+(?:out\s+of\s+(?:5|five)|stars?)|\b(?!\s*\w))",
    re.I,
)
_ZH_POSSESSIVE = re.compile(
    r"^(?:给|帮我|跟|和|我们家|我家的|我家|我的|我|俺家|俺的|俺|咱家|咱们|咱|阿拉)+"
)
_EN_POSSESSIVE = re.compile(r"^(?:my|our|the)\s+", re.I)
_ZH_MEDICINE = re.compile(r"(?P<m>[\u4e00-\u9fff]{1,6}?(?:药|片|丸|胶囊|颗粒|针))")
_ZH_MED_PREFIX = re.compile(
    r"^(?:我的|我|今天|早上的|中午的|晚上的|早上|中午|晚上|那个|这个|的|把|吃过|吃完|吃了|吃|"
    r"服用|服了|喝了|喝|完了|了|帮我|给我|买点|买些|配点|开点|拿点|一盒|一瓶)+"
)
_ZH_NOT_IN_NAME = re.compile(r"[吃喝服帮买配]|^[过完了点些].$")
"""Verbs inside, or a particle at the start: a fragment (过药, 完了帮我买点药), not a name."""
_ZH_REMIND = re.compile(r"(?:提醒|叫|喊|通知)(?:我|一下我|俺)(?:一下|一声)?(?:要|该)?(?P<what>.*)")
_ZH_REMIND_BEFORE = re.compile(
    r"^(?:我要|我得|要)?(?P<what>.+?)(?:的事|这事)?(?:你)?(?:记得|要)?提醒我"
)
_ZH_TRAILING = re.compile(
    r"(?:我怕忘了|怕忘了|我怕忘|怕忘|别忘了|我老忘|啊|吧|呀|哦|啦|了|哈|好吗|好不好|行吗|可以吗|一下|的时候|记得)+$"
)
# cancel_reminder: the thing a reminder is for, named before 提醒 (取消量血压的提醒,
# 把泡脚的提醒删了, 看新闻那个提醒不要了); 不用提醒我泡脚了 goes through _ZH_REMIND.
_ZH_CANCEL_WHAT = (
    re.compile(
        r"(?:取消|删掉|删除|删了|删|去掉|撤销|撤掉|撤了|清掉|清空|把)(?:掉|了|一下|下)?"
        r"(?P<what>.*?)(?:提醒|闹钟|闹铃)"
    ),
    re.compile(
        r"^(?P<what>.+?)(?:提醒|闹钟|闹铃)(?:给|都|全|全都|全部|就|给我)?"
        r"(?:删|取消|去掉|撤|关|不要|不用|拿掉|算了|作废)"
    ),
)
_ZH_CANCEL_NOISE = re.compile(
    r"^(?:给我|帮我|你|我的|我|俺的|俺|所有的|所有|全部的|全部|全都|那些|这些|那|这|一下|个|的)+"
    r"|(?:的|那|这|那些|这些|个|给|都|全|全都|全部|就|设的|定的|订的|我设的)+$"
)
_ZH_CANCEL_NOTHING = re.compile(
    r"(?:刚才|刚刚|刚|之前|以前|前面|最后|上|下|第[一二三四五六七八九十\d]|每天|每次|所有|全部|全都"
    r"|一|两|几|个|那|这|些|的|我|你|俺|给|帮|都|全|就|设|定|订|加|取消|删掉|删除|删|把|去掉)*"
)
"""Words that say which reminder, not what it is for (取消刚才设的提醒)."""
_PRONOUNS = frozenset({"her", "him", "them", "she", "he", "they", "it", "you", "me", "us",
                       "她", "他", "他们", "她们", "你", "我"})  # fmt: skip
_ZH_DEGREE = re.compile(r"有一点|有点|有些|老是|总是|一直|特别|还是|很|挺")
_EN_REMIND = re.compile(
    r"\bremind (?:me|us)\s+(?:to\s+|about\s+|that\s+)?(?P<what>.*)"
    r"|\breminder\s+(?:to|about|that|for)\s+(?P<what2>.*)",
    re.I,
)
_EN_CANCEL_WHAT = (
    re.compile(
        r"\b(?:remind|reminding) (?:me|us)\s+(?:to\s+|about\s+|that\s+|of\s+)?(?P<what>.*)", re.I
    ),
    re.compile(r"\breminders?\s+(?:to|about|that|for|of)\s+(?P<what>.*)", re.I),
    re.compile(
        r"\b(?:cancel|delete|remove|clear|erase|drop|scrap|get rid of|take off|take away|undo"
        r"|switch off|turn off|wipe|kill|forget about|forget|never mind|need|want)\s+"
        r"(?:the|my|that|this|all my|all the|all of my|all|those|these|a|any)?\s*"
        r"(?P<what>.*?)\s*\breminders?\b",
        re.I,
    ),
)
_EN_CANCEL_TRAILING = re.compile(
    r"(?:\s+|^)(?:please|anymore|any more|again|ever again|now|then|thanks|thank you|for me"
    r"|at|on|to|for|of|about|i set|you set|i made|i asked for|'s|s)$",
    re.I,
)
_EN_CANCEL_NOTHING = re.compile(
    r"(?:(?:the|my|that|this|all|any|a|'s|s|again|ever|every|daily|old|last|next|first"
    r"|other|those|these)\b\s*)*",
    re.I,
)
"""Words that say which reminder, not what it is for (delete my last reminder)."""


@dataclass(frozen=True)
class Utterance:
    """What the slot finders look at."""

    text: str
    """Normalised text."""
    stripped: str
    """The text with time expressions taken out."""
    facts: TimeFacts
    time: TimeValue


class SlotFiller:
    """Finds the slots of each intent in one language's utterances."""

    def __init__(self, data: LanguageData) -> None:
        self._data = data
        self._zh = data.lang == "zh"
        compiler = Compiler(data.hassil.slot_lists, data.hassil.expansion_rules, not self._zh)
        self._lists = {
            name: _list_pattern(list_source(lst, compiler), spaced=not self._zh)
            for name, lst in data.hassil.slot_lists.items()
            if isinstance(lst, TextSlotList)
        }
        self._finders: Mapping[str, Callable[[Utterance, str], SlotValue | None]] = {
            "service": lambda u, _: self._from_list("service", u.text),
            "diet": lambda u, _: self._from_list("diet", u.text),
            "contact": self._contact,
            "medicine": self._medicine,
            "meal": self._meal,
            "count": self._count,
            "date": lambda u, _: u.time.date,
            "when": lambda u, _: u.time.when,
            "minutes": lambda u, _: u.time.minutes,
            "stars": self._stars,
            "what": self._what,
        }

    def fill(
        self,
        intent: str,
        utterance: Utterance,
        captured: Mapping[str, str],
        fixed: Mapping[str, str],
        defaults: bool = True,
    ) -> dict[str, SlotValue]:
        """The slots of ``intent`` said in ``utterance`` (with ``defaults``, also those the
        contract fills when unsaid: ``order_meal.count = 1``)."""
        names = self._data.slot_names.get(intent, ())
        slots: dict[str, SlotValue] = {}
        for name in names:
            if name in captured and name not in _FROM_STRIPPED_TEXT:
                slots[name] = self._clean_capture(name, captured[name])
            elif name in fixed:
                slots[name] = fixed[name]
            elif name in self._finders:
                value = self._finders[name](utterance, intent)
                if value is not None:
                    slots[name] = value
        if "measure" in names:
            slots.update(self._measure(utterance))
        if intent == "order_meal" and defaults:
            slots.setdefault("count", 1)
        return {k: v for k, v in slots.items() if v != ""}

    def _clean_capture(self, name: str, value: str) -> SlotValue:
        if name == "contact":
            return "" if value.lower() in _PRONOUNS else self._strip_possessive(value)
        if name in ("count", "stars", "minutes"):
            number = as_int((zh_number if self._zh else en_number)(value))
            return number if number is not None else value
        return value.strip()

    def _from_list(self, name: str, text: str) -> str | None:
        pattern = self._lists.get(name)
        m = pattern.search(text) if pattern else None
        if m is None:
            return None
        said = m.group(0)
        if name in AS_SAID_LISTS:
            return said
        key = said if self._zh else " ".join(said.lower().split())
        return self._data.list_tables[name].get(key, said)

    def _strip_possessive(self, said: str) -> str:
        pattern = _ZH_POSSESSIVE if self._zh else _EN_POSSESSIVE
        return pattern.sub("", said.strip()) or said.strip()

    def _contact(self, u: Utterance, intent: str) -> str | None:
        said = self._from_list("contact", u.text)
        return self._strip_possessive(said) if said else None

    def _medicine(self, u: Utterance, intent: str) -> str | None:
        said = self._from_list("medicine", u.text)
        if said or not self._zh:
            return said
        for m in _ZH_MEDICINE.finditer(u.text):
            name = _ZH_MED_PREFIX.sub("", m["m"])
            if len(name) >= 2 and not name.startswith("药") and not _ZH_NOT_IN_NAME.search(name):
                return name
        return None

    def _meal(self, u: Utterance, intent: str) -> str | None:
        said = self._from_list("meal", u.text)
        if said:
            return said
        return _PART_MEALS.get(u.facts.part or "")

    def _count(self, u: Utterance, intent: str) -> int | None:
        m = (_ZH_COUNT if self._zh else _EN_COUNT).search(u.stripped)
        if not m:
            return None
        said = (m["n"] or m.groupdict().get("n2") or "").lower()
        value = zh_number(said) if self._zh else (2.0 if said == "a couple of" else en_number(said))
        return as_int(value)

    def _stars(self, u: Utterance, intent: str) -> int | None:
        m = (_ZH_STARS if self._zh else _EN_STARS).search(u.text)
        if m:
            said = m.group("n") or m.groupdict().get("n2") or ""
            value = as_int((zh_number if self._zh else en_number)(said))
            if value is not None and 1 <= value <= 5:
                return value
        rating = self._from_list("rating", u.text)
        return int(rating) if rating else None

    def _what(self, u: Utterance, intent: str) -> str | None:
        if intent == "cancel_reminder":
            return self._cancelled_what(u)
        if not self._zh:
            m = _EN_REMIND.search(u.stripped)
            said = (m["what"] or m["what2"] or "") if m else ""
            what = re.sub(r"\b(?:please|at|on|to)$", "", said.strip()).strip()
            return what or None
        m = _ZH_REMIND.search(u.stripped)
        what = m["what"] if m else ""
        if not what:
            m = _ZH_REMIND_BEFORE.search(u.stripped)
            what = m["what"] if m else ""
        what = _ZH_TRAILING.sub("", what)
        return what or None

    def _cancelled_what(self, u: Utterance) -> str | None:
        """What a reminder to cancel is for: 不用提醒我泡脚了 → 泡脚, 取消量血压的提醒 →
        量血压, stop reminding me to water the plants → "water the plants"; none for
        把提醒删了, delete my reminder (time words are already out: 删掉明天早上的提醒)."""
        if not self._zh:
            what = _first_what(_EN_CANCEL_WHAT, u.stripped)
            while (trimmed := _EN_CANCEL_TRAILING.sub("", what).strip()) != what:
                what = trimmed
            return None if _EN_CANCEL_NOTHING.fullmatch(what) else what
        m = _ZH_REMIND.search(u.stripped)
        if m:  # 别再提醒我看新闻了; 别再提醒我了 names nothing
            what = _ZH_TRAILING.sub("", m["what"])
        else:
            what = _first_what(_ZH_CANCEL_WHAT, u.stripped)
            what = "" if _ZH_CANCEL_NOTHING.fullmatch(what) else _ZH_CANCEL_NOISE.sub("", what)
        return what or None

    def _measure(self, u: Utterance) -> dict[str, SlotValue]:
        found = (zh_measurement if self._zh else en_measurement)(u.text)
        if found is not None:
            return {"measure": found.measure, "value": found.value}
        symptom = self._from_list("symptom", u.text)
        if symptom:
            plain = _ZH_DEGREE.sub("", symptom) if self._zh else symptom
            return {"measure": "symptom", "value": plain or symptom}
        return {}


def _first_what(patterns: tuple[re.Pattern[str], ...], text: str) -> str:
    """The ``what`` group of the first pattern found in ``text`` ("" when none is)."""
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m["what"].strip()
    return ""


def _list_pattern(body: str, spaced: bool) -> re.Pattern[str]:
    body = body or "(?!)"
    if spaced:
        return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])", re.I)
    return re.compile(body)
