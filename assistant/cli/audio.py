"""``assistant transcribe``: what the speech recogniser hears in WAV files.

Prints one JSON object per file with ``--json`` (``{"file", "text", "audio_s",
"decode_s", "rtf", ...}``), ``FILE: text`` otherwise. The recogniser is imported only
when the command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from assistant.cli.options import LangOption, ModelOption


def register(app: typer.Typer) -> None:
    """Add ``transcribe`` to the command line."""
    app.command()(transcribe)


def transcribe(
    files: Annotated[list[Path], typer.Argument(help="WAV recordings.", dir_okay=False)],
    lang: LangOption = None,
    model: ModelOption = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file: text and timings.")
    ] = False,
) -> None:
    """Print what the speech recogniser hears in each WAV file (with timings in --json)."""
    from assistant.cli.options import settings_and_paths
    from assistant.wiring.transcribe import transcribe_files

    settings, paths = settings_and_paths(lang)
    print_results(transcribe_files(files, settings, paths, model), as_json)


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
