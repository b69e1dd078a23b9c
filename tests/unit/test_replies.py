"""Reply texts: both languages have every key, every key a skill uses exists, placeholders
are known, and times read as an elder (or a provider) needs them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.dialogue.replies import Replies
from assistant.errors import ResponseDataError
from assistant.values.phrasing import age, when
from skills.base import Reply
from tests.support.paths import ROOT

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_LITERAL = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def _used_keys() -> set[str]:
    """Every string literal in the skills and the dialogue shaped like a reply key whose
    prefix is a reply family (keys chosen through variables are literals too)."""
    families = {key.split(".")[0] for key in Replies.load("zh").texts}
    keys: set[str] = set()
    for path in [*(ROOT / "skills").glob("*.py"), *(ROOT / "assistant" / "dialogue").glob("*.py")]:
        found = _LITERAL.findall(path.read_text(encoding="utf-8"))
        keys |= {k for k in found if k.split(".")[0] in families}
    return keys


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_a_skill_uses_has_a_text(lang: str) -> None:
    texts = Replies.load(lang).texts
    missing = sorted(_used_keys() - set(texts))
    assert not missing, f"skills/responses/{lang}.yaml lacks {missing}"


def test_both_languages_have_the_same_keys_and_words() -> None:
    zh, en = Replies.load("zh"), Replies.load("en")
    assert set(zh.texts) == set(en.texts)
    assert set(zh.summaries) == set(en.summaries)
    assert {t: set(w) for t, w in zh.words.items()} == {t: set(w) for t, w in en.words.items()}


def test_status_texts_cover_every_platform_status() -> None:
    texts = Replies.load("zh").texts
    for status in (
        "received",
        "accepted",
        "completed",
        "cancelled",
        "rejected",
        "pending",
        "parked",
        "unknown",
        "none",
        "accepted_provider",
    ):
        assert f"status.{status}" in texts


def test_unknown_placeholder_is_refused() -> None:
    broken = Replies("zh", {"x.y": "{nonsense}"}, {}, {})
    with pytest.raises(ResponseDataError, match=r"x\.y uses unknown placeholder"):
        broken.check("skills/responses/zh.yaml")


def test_form_of_address_and_words() -> None:
    replies = Replies.load("zh", address_form="王奶奶")
    text = replies.say(
        Reply("booking.confirm", {"service": "cleaning", "when": "2026-11-23T09:00:00+08:00"}), NOW
    )
    assert text == "您要预约明天上午九点的保洁，对吗？"
    assert replies.say(Reply("emergency.recorded"), NOW).startswith("王奶奶，")


def test_cached_answer_says_how_old_it_is() -> None:
    replies = Replies.load("zh")
    text = replies.say(
        Reply(
            "meal.menu", {"date": "2026-11-22", "meal": "lunch", "items": ["米饭"], "age_s": 7200}
        ),
        NOW,
    )
    assert text == "这是两个小时前的消息：今天的午饭有米饭。"


def test_summary_uses_absolute_dates_for_providers() -> None:
    replies = Replies.load("zh")
    line = replies.summary(
        "service_booking",
        {"service": "cleaning", "when": "2026-11-23T09:00:00+08:00"},
        "老人王秀英（3栋2单元501）",
        NOW,
    )
    assert line == "老人王秀英（3栋2单元501）预约11月23日星期一上午9:00保洁"


@pytest.mark.parametrize(
    ("value", "lang", "spoken"),
    [
        ("2026-11-22T15:30:00+08:00", "zh", "今天下午三点半"),
        ("2026-11-23T08:05:00+08:00", "zh", "明天早上八点零五分"),
        ("2026-11-24T12:00:00+08:00", "zh", "后天中午十二点"),
        ("2026-11-26", "zh", "11月26日星期四"),
        ("R/2026-11-22T21:00:00+08:00/P1D", "zh", "每天晚上九点"),
        ("2026-11-23T09:00:00+08:00", "en", "tomorrow at 9 a.m."),
        ("2026-11-22T12:00:00+08:00", "en", "today at noon"),
        ("R/2026-11-23T08:00:00+08:00/P1W", "en", "every Monday at 8 a.m."),
        ("not a time", "zh", "not a time"),
    ],
)
def test_times_in_words(value: str, lang: str, spoken: str) -> None:
    assert when(value, NOW, lang) == spoken


def test_ages() -> None:
    assert age(30, "zh") == "一分钟"
    assert age(3 * 86400, "en") == "3 days"


def test_a_long_cry_for_help_still_fits_the_platform() -> None:
    replies = Replies.load("en")
    said = "help " * 400
    line = replies.summary("emergency", {"kind": "fall", "said": said}, "Wang " * 100, NOW)
    assert len(line) <= 500
    assert line.startswith("[EMERGENCY]")
