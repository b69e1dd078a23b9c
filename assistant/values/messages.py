"""The words of the commands a family runs, in the device's language: the templates of
``assistant/data/messages.yaml`` (each message's ``zh`` and ``en`` text side by side).

``say("zh", "reminders.removed", id=3)`` fills a template with ``str.format``. A
placeholder that is not one of the fields given names another message, filled in the same
way (``{fix_days}``). The file is read once and checked: every message has both languages,
with the same placeholders; a broken file is a ``ResponseDataError`` (exit code 3).
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ResponseDataError

LANGUAGES = ("zh", "en")
WHERE = "assistant/data/messages.yaml"


def say(lang: str, key: str, /, **fields: object) -> str:
    """The message ``key`` in ``lang`` (English for a language it is not written in)."""
    texts = messages()[key]
    return texts.get(lang, texts["en"]).format_map(_Fields(lang, fields))


def placeholders(text: str) -> set[str]:
    """The names of the ``{fields}`` of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every message by key, its text by language; checked."""
    try:
        raw = resources.files("assistant").joinpath("data/messages.yaml").read_text("utf-8")
        data = YAML(typ="safe", pure=True).load(raw)
    except (OSError, YAMLError) as err:
        raise ResponseDataError(f"{WHERE}: cannot be read ({err}): reinstall XiaoAn") from err
    if not isinstance(data, dict):
        raise ResponseDataError(f"{WHERE}: must be `key: {{zh: …, en: …}}` entries")
    table: dict[str, dict[str, str]] = {}
    for key, texts in data.items():
        if (
            not isinstance(texts, dict)
            or sorted(texts) != sorted(LANGUAGES)
            or not all(isinstance(text, str) for text in texts.values())
        ):
            raise ResponseDataError(f"{WHERE}: `{key}` must have a text for zh and for en")
        if placeholders(texts["zh"]) != placeholders(texts["en"]):
            raise ResponseDataError(f"{WHERE}: `{key}`: zh and en must use the same {{fields}}")
        table[str(key)] = {str(lang): str(text) for lang, text in texts.items()}
    return table


class _Fields(dict[str, object]):
    """The fields of a message; a name that is no field is another message."""

    def __init__(self, lang: str, fields: dict[str, object]) -> None:
        super().__init__(fields)
        self.lang = lang

    def __missing__(self, name: str) -> str:
        if name not in messages():
            raise KeyError(name)
        return say(self.lang, name, **self)


def word(lang: str, family: str, name: str) -> str:
    """``name`` (a phase, a mode, a state…) in ``lang``'s words: the message
    ``family.name``, or ``name`` itself when there is none."""
    key = f"{family}.{name}"
    return say(lang, key) if key in messages() else name
