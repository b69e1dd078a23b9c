"""The shared time steps (``intents.timesteps``) with each language's words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intents import time_en, time_zh
from intents.timesteps import Extractor

ODD = {"i": ("ı", "İ"), "s": ("ſ",), "k": ("\u212a",)}
"""Letters a case-insensitive pattern takes for i, s and k (dotless i, long s, Kelvin)."""
WORDS = (
    "every", "each", "morning", "evening", "night", "friday", "sunday", "next", "this",
    "weekend", "tomorrow", "yesterday", "the", "day", "after", "september", "december",
    "in", "minutes", "min", "hour", "half", "past", "at", "six", "pm", "noon", "midnight",
    "3rd", "5", "ten", "quarter", "to", "from", "now", "later", "tonight",
)  # fmt: skip


def test_both_languages_use_the_shared_extractor() -> None:
    assert isinstance(time_en.extract, Extractor)
    assert isinstance(time_zh.extract, Extractor)


def test_words_in_any_case_are_found() -> None:
    weekly = time_en.extract("every ſunday")
    assert (weekly.recurrence, weekly.weekday) == ("P1W", 6)
    date = time_en.extract("ſeptember 3")
    assert (date.month, date.day_of_month) == (9, 3)
    assert time_en.extract("yeſterday").day_offset == -1
    assert time_en.extract("Next FRIDAY").week_shift == 1


def test_a_word_the_tables_do_not_know_is_not_taken() -> None:
    """``ı`` matches ``i`` in a case-insensitive pattern but folds to no table word."""
    for said in ("every mornıng", "frıday", "ın ten mınutes", "ın the mornıng"):
        facts = time_en.extract(said)
        assert facts.empty, said


@st.composite
def _odd_english(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=8))
    text = " ".join(words)
    for plain, odd in ODD.items():
        if draw(st.booleans()):
            text = text.replace(plain, draw(st.sampled_from(odd)))
    return text


@given(_odd_english())
def test_odd_letters_never_fail(text: str) -> None:
    time_en.extract(text)
    time_en.extract(text.upper())
