"""What several commands share: the ``--lang``, ``--model`` and ``--json`` options, and the
settings with a ``--lang`` applied. Imports nothing heavy: every command module imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from assistant.config import Paths, Settings

LangOption = Annotated[
    str | None, typer.Option("--lang", help="Language: zh or en (default: the configured one).")
]
ModelOption = Annotated[
    str,
    typer.Option("--model", help="A Vosk model folder (default: the installed model of the "
                 "language, or XIAOAN_MODEL_DIR).", show_default=False),
]  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


def settings_and_paths(lang: str | None) -> tuple[Settings, Paths]:
    """The site settings and paths, with ``--lang`` (if given) in force."""
    from assistant.config import load_settings

    settings, paths = load_settings()
    return with_lang(settings, lang), paths


def with_lang(settings: Settings, lang: str | None) -> Settings:
    """``settings`` in the language ``--lang`` names (a usage error if it is not one)."""
    from dataclasses import replace

    from assistant.config import LANGUAGES
    from assistant.errors import ConfigError

    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"--lang `{lang}` is not supported: write one of {', '.join(LANGUAGES)}")
    return replace(settings, lang=lang or settings.lang)
