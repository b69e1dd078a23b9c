"""``assistant run``: the speaker itself (microphone → wake word → listen → understand →
act → speak), a recording in the microphone's part, text mode, or the systemd service.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.shared import LangOption, ModelOption


def _finite(value: float) -> float:
    """Refuse nan (which every comparison lets through) as a usage error."""
    if value != value:  # nan
        raise typer.BadParameter("nan is not a number of seconds")
    return value


def register(app: typer.Typer) -> None:
    """Add ``run`` to the command line."""
    app.command()(run)


def run(
    lang: LangOption = None,
    text_mode: Annotated[
        bool,
        typer.Option("--text", help="Type utterances instead of speaking (no microphone)."),
    ] = False,
    audio: Annotated[
        Path | None,
        typer.Option(
            "--audio", help="A WAV recording plays the microphone's part.", dir_okay=False
        ),
    ] = None,
    replies: Annotated[
        Path | None,
        typer.Option(
            "--replies",
            help="With --audio: write the spoken replies into this WAV "
            "file instead of playing them.",
            dir_okay=False,
        ),
    ] = None,
    realtime: Annotated[
        bool, typer.Option("--realtime", help="With --audio: replay the file in real time.")
    ] = False,
    model: ModelOption = "",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="One JSON object per reply: key, text, urgent, emphasis."),
    ] = False,
    linger: Annotated[
        float,
        typer.Option(
            "--linger",
            min=0.0,
            max=3600.0,
            callback=_finite,
            help="At the end of input, keep sending for up to this many seconds until "
            "nothing is pending (default: stop at once; the outbox keeps the rest; at most "
            "3600).",
        ),
    ] = 0.0,
    service: Annotated[
        bool,
        typer.Option(
            "--service",
            help="Run as the supervised service (systemd): never text mode, wait for a "
            "missing microphone, tell systemd's watchdog while healthy.",
        ),
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Text mode, to try reminders: start the clock at this ISO 8601 time; it runs "
            "on from there (a platform refuses a clock far from its own).",
        ),
    ] = None,
) -> None:
    """Start the assistant: microphone → wake word → listen → understand → act → speak.

    Without a microphone, with --text or --now, or with utterances piped to stdin, it runs
    in text mode: type what the elder would say, read the reply. In audio mode at a terminal,
    pressing Enter wakes XiaoAn like the wake phrase, and a typed line is heard as said.
    """
    from assistant.cli.shared import settings_and_paths, stdin_lines
    from assistant.config import parse_moment
    from assistant.errors import ConfigError
    from assistant.service import logs, modes, watchdog
    from assistant.service.supervisor import Watch

    settings, paths = settings_and_paths(lang)
    watch = Watch(watchdog.from_environment(), logs.configure(settings.log_level, paths.logs_dir))
    if (replies is not None or realtime) and audio is None:
        raise ConfigError("--replies and --realtime go with --audio FILE.wav: add it")
    if now is not None and (service or audio is not None):
        raise ConfigError("--now goes with text mode: drop --service and --audio")
    clock = time.time if now is None else running_from(parse_moment(now, settings.tz).timestamp())
    if service:
        from assistant.service.loop import run_service

        run_service(settings, paths, model, watch)
        return
    if audio is not None:
        from audio.sources import WavSource

        modes.run_voice(settings, paths, WavSource(audio, realtime=realtime), sys.stdout,
                        as_json, model, replies, linger_s=linger, watch=watch)  # fmt: skip
        return
    piped = modes.piped(sys.stdin)  # utterances given on stdin: text mode
    text = text_mode or piped or now is not None
    microphone = None if text else modes.microphone_or_none(settings, paths, model)
    if microphone is not None:
        lines = stdin_lines(sys.stdin) if sys.stdin.isatty() else ()
        modes.run_voice(settings, paths, microphone, sys.stdout, as_json, model,
                        lines=lines, watch=watch)  # fmt: skip
        return
    modes.run_text_mode(settings, paths, stdin_lines(sys.stdin), sys.stdout, as_json, linger,
                        watch, clock)  # fmt: skip


def running_from(start: float) -> Callable[[], float]:
    """A clock that reads ``start`` (seconds since the epoch) now and runs on from there."""
    origin = time.monotonic()
    return lambda: start + (time.monotonic() - origin)
