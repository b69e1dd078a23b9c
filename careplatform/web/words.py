"""The console's words in the viewer's language (``strings.yaml``): Chinese first, English
when the viewer chose it (``?lang=en``, remembered in a cookie)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

LANGS = ("zh", "en")


@functools.cache
def _strings() -> dict[str, dict[str, Any]]:
    text = resources.files("careplatform.web").joinpath("strings.yaml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = YAML(typ="safe").load(text)
    return data


@dataclass(frozen=True)
class Words:
    """``t(key)``: a word of the console; ``kind(k)``: a request kind's name."""

    lang: str

    def t(self, key: str, **values: object) -> str:
        """The text of ``key`` (Chinese when English lacks it), filled with ``values``."""
        text = _strings()[self.lang].get(key, _strings()["zh"].get(key, key))
        return str(text).format(**values) if values else str(text)

    def kind(self, kind: str) -> str:
        """A request kind as people name it."""
        names = _strings()[self.lang].get("kinds", {})
        return str(names.get(kind, _strings()["zh"]["kinds"].get(kind, kind)))

    def ago(self, seconds: float | None) -> str:
        """``seconds`` as a short duration: 45 秒, 12 分钟, 3 小时."""
        if seconds is None:
            return "—"
        if seconds < 120:
            return f"{int(seconds)} {self.t('seconds')}"
        if seconds < 7200:
            return f"{int(seconds // 60)} {self.t('minutes')}"
        return f"{int(seconds // 3600)} {self.t('hours')}"
