"""``assistant transcribe``: what the speech recogniser hears in WAV files.

Prints one JSON object per file with ``--json`` (``{"file", "text", "audio_s",
"decode_s", "rtf", ...}``), ``FILE: text`` otherwise. The recogniser is imported only
when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.shared import LangOption, ModelOption, print_results


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
    from assistant.cli.shared import settings_and_paths
    from assistant.wiring.transcribe import transcribe_files

    settings, paths = settings_and_paths(lang)
    print_results(transcribe_files(files, settings, paths, model), as_json)
