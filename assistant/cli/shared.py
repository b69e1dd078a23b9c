"""What several commands share: the ``--lang``, ``--model`` and ``--json`` options, the
settings with a ``--lang`` applied, utterances read from stdin, and transcripts printed.
Imports nothing heavy: every command module imports it. Command modules import this one
and never each other.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, TextIO

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
    """The site settings and paths, with ``--lang`` (if given) in force; a language that is
    not one is a usage error."""
    from dataclasses import replace

    from assistant.config import LANGUAGES, load_settings
    from assistant.errors import ConfigError

    settings, paths = load_settings()
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"--lang `{lang}` is not supported: write one of {', '.join(LANGUAGES)}")
    return replace(settings, lang=lang or settings.lang), paths


def stdin_lines(stream: TextIO) -> Iterator[str]:
    """Utterances from a stream, one per line, decoded leniently (binary junk is replaced)."""
    binary = getattr(stream, "buffer", None)
    if binary is None:
        for line in stream:
            yield line.rstrip("\r\n")
        return
    for raw in binary:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def print_results(
    results: Iterable[dict[str, Any]], as_json: bool, out: TextIO = sys.stdout
) -> None:
    """JSON lines, or ``FILE: text`` lines."""
    for result in results:
        if as_json:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            intent = f"  → {result['intent']}" if "intent" in result else ""
            out.write(f"{result['file']}: {result['text']}{intent}\n")
        out.flush()


def emit(value: str | dict[str, Any]) -> None:
    """One line on stdout, at once: text as it is, a dict as one JSON object."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
