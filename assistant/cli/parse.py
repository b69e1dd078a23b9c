"""``assistant parse``: the intent and slots of each utterance (or of each WAV file's
transcript with ``--audio``), one line or one JSON object (the contract) per utterance.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.shared import LangOption, ModelOption, stdin_lines

if TYPE_CHECKING:
    from intents import ParseResult


def register(app: typer.Typer) -> None:
    """Add ``parse`` to the command line."""
    app.command()(parse)


def parse(
    text: Annotated[
        list[str] | None, typer.Argument(help="Utterances; without them, one per stdin line.")
    ] = None,
    lang: LangOption = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Resolve relative times against this ISO 8601 time."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per utterance (the contract).")
    ] = False,
    audio: Annotated[
        bool, typer.Option("--audio", help="The arguments are WAV files: transcribe, then parse.")
    ] = False,
    model: ModelOption = "",
) -> None:
    """Understand utterances: print the intent and slots of each."""
    from assistant.cli.shared import settings_and_paths
    from assistant.config import parse_moment
    from intents import IntentParser

    settings, paths = settings_and_paths(lang)
    moment = None if now is None else parse_moment(now, settings.tz, running=False)
    parser = IntentParser.load(settings.lang, settings.tz)
    if audio:
        from assistant.cli.shared import print_results
        from assistant.wiring.transcribe import transcribe_files

        files = [Path(t) for t in text or []]
        print_results(transcribe_files(files, settings, paths, model, parser), as_json)
        return
    utterances = text if text else stdin_lines(sys.stdin)
    _emit((parser.parse(u, moment) for u in utterances), as_json)


def describe(result: ParseResult) -> str:
    """One readable line: intent, confidence, slots, and the danger asked about first."""
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
    head = f"{result.intent} ({result.confidence:.2f})"
    concern = f" concern={result.concern} (asked first)" if result.concern else ""
    return f"{head} {slots}".rstrip() + concern


def _emit(results: Iterable[ParseResult], as_json: bool) -> None:
    for result in results:
        line = json.dumps(result.to_json(), ensure_ascii=False) if as_json else describe(result)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
