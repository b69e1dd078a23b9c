"""The ``assistant`` command line: one entry point, verb subcommands that compose in pipes.

Each verb reads arguments or stdin lines and prints one JSON object per line with
``--json``, human text otherwise. ``AssistantError`` subclasses map to exit codes
(1 general, 2 configuration, 3 sentence data); nothing ends in a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from assistant import (
    __version__,
    audio_cli,
    config_cli,
    doctor_cli,
    hardware_cli,
    logs,
    models_cli,
    outbox_cli,
    register_cli,
    reminders_cli,
    service_cli,
    status_cli,
    watchdog,
)
from assistant.app import build
from assistant.config import LANGUAGES, Paths, Settings, load_settings, parse_moment
from assistant.errors import AssistantError, ConfigError
from assistant.events import Events
from assistant.service_loop import run_service
from assistant.supervisor import Watch
from assistant.voice_loop import run_text
from audio.sources import AudioSource, WavSource
from intents import IntentParser, ParseResult

app = typer.Typer(
    name="assistant",
    help="XiaoAn (小安): an offline voice assistant for elders. Technician commands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(reminders_cli.app, name="reminders")
app.add_typer(models_cli.app, name="models")
app.add_typer(config_cli.app, name="config")
app.add_typer(outbox_cli.app, name="outbox")
app.add_typer(service_cli.app, name="service")
for commands in (doctor_cli, status_cli, register_cli, hardware_cli):
    commands.register(app)

LangOption = Annotated[
    str | None, typer.Option("--lang", help="Language: zh or en (default: the configured one).")
]


def _settings(lang: str | None) -> Settings:
    settings, _ = load_settings()
    return _settings_with(settings, lang)


def _settings_with(settings: Settings, lang: str | None) -> Settings:
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"--lang `{lang}` is not supported: write one of {', '.join(LANGUAGES)}")
    return replace(settings, lang=lang or settings.lang)


def _now(value: str | None, settings: Settings) -> datetime | None:
    return None if value is None else parse_moment(value, settings.tz)


def _lines(stream: TextIO) -> Iterator[str]:
    """Utterances from a stream, one per line, decoded leniently (binary junk is replaced)."""
    binary = getattr(stream, "buffer", None)
    if binary is None:
        for line in stream:
            yield line.rstrip("\r\n")
        return
    for raw in binary:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def describe(result: ParseResult) -> str:
    """One readable line: intent, confidence, slots."""
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
    head = f"{result.intent} ({result.confidence:.2f})"
    return f"{head} {slots}".rstrip()


def _emit(results: Iterable[ParseResult], as_json: bool) -> None:
    for result in results:
        line = json.dumps(result.to_json(), ensure_ascii=False) if as_json else describe(result)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@app.command()
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
    settings = _settings(lang)
    moment = _now(now, settings)
    parser = IntentParser.load(settings.lang, settings.tz)
    if audio:
        _, paths = load_settings()
        files = [Path(t) for t in text or []]
        results = audio_cli.transcribe_files(files, settings, paths, model, parser)
        audio_cli.print_results(results, as_json)
        return
    utterances = text if text else _lines(sys.stdin)
    _emit((parser.parse(u, moment) for u in utterances), as_json)


ModelOption = Annotated[
    str,
    typer.Option("--model", help="A Vosk model folder (default: the installed model of the "
                 "language, or XIAOAN_MODEL_DIR).", show_default=False),
]  # fmt: skip


@app.command()
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
            help="At the end of input, keep sending for up to this many seconds until "
            "nothing is pending (default: stop at once; the outbox keeps the rest).",
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
) -> None:
    """Start the assistant: microphone → wake word → listen → understand → act → speak.

    Without a microphone, with --text, or with utterances piped to stdin, it runs in text
    mode: type what the elder would say, read the reply. In audio mode at a terminal,
    pressing Enter wakes XiaoAn like the wake phrase, and a typed line is heard as said.
    """
    settings, paths = load_settings()
    settings = _settings_with(settings, lang)
    watch = Watch(watchdog.from_environment(), logs.configure(settings.log_level, paths.logs_dir))
    if (replies is not None or realtime) and audio is None:
        raise ConfigError("--replies and --realtime go with --audio FILE.wav: add it")
    if service:
        run_service(settings, paths, model, watch)
        return
    if audio is not None:
        source: AudioSource = WavSource(audio, realtime=realtime)
        audio_cli.run_voice(settings, paths, source, sys.stdout, as_json, model, replies,
                            linger_s=linger, watch=watch)  # fmt: skip
        return
    piped = audio_cli.piped(sys.stdin)  # utterances given on stdin: text mode
    microphone = (
        None if text_mode or piped else audio_cli.microphone_or_none(settings, paths, model)
    )
    if microphone is not None:
        lines = _lines(sys.stdin) if sys.stdin.isatty() else ()
        audio_cli.run_voice(settings, paths, microphone, sys.stdout, as_json, model,
                            lines=lines, watch=watch)  # fmt: skip
        return
    _run_text(settings, paths, as_json, linger, watch)


def _run_text(settings: Settings, paths: Paths, as_json: bool, linger: float, watch: Watch) -> None:
    events = Events()
    assistant = build(settings, paths, events.relay)
    supervisor = watch.over(assistant, settings, paths, "text")
    interactive = sys.stdin.isatty()
    zh = settings.lang == "zh"
    prompt = (
        ("请说（Ctrl-D 结束）> " if zh else "Say something (Ctrl-D ends)> ") if interactive else ""
    )
    assistant.start()
    supervisor.start()
    try:
        run_text(
            assistant, settings, events, _lines(sys.stdin), sys.stdout, as_json=as_json,
            prompt=prompt, label="小安：" if zh else "XiaoAn: ", linger_s=linger,
            on_tick=supervisor.tick,
        )  # fmt: skip
    finally:
        supervisor.stop()
        assistant.stop()


@app.command()
def transcribe(
    files: Annotated[list[Path], typer.Argument(help="WAV recordings.", dir_okay=False)],
    lang: LangOption = None,
    model: ModelOption = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file: text and timings.")
    ] = False,
) -> None:
    """Print what the speech recogniser hears in each WAV file (with timings in --json)."""
    settings = _settings(lang)
    _, paths = load_settings()
    audio_cli.print_results(audio_cli.transcribe_files(files, settings, paths, model), as_json)


@app.command(
    "platform-server",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                      "help_option_names": []},
)  # fmt: skip
def platform_server(ctx: typer.Context) -> None:
    """Run the reference care-platform server (for development, tests and demos).

    Options: --host, --port, --db FILE, --admin-token TOKEN, --device ID=SECRET_HEX
    (repeatable); --help lists them.
    """
    from assistant import platform_server as server

    raise typer.Exit(server.main(list(ctx.args)))


def version_callback(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo(f"xiaoan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """XiaoAn (小安): an offline voice assistant for elders. Technician commands."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``assistant`` script; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, prog_name="assistant")
    except AssistantError as err:
        sys.stderr.write(f"assistant: {err}\n")
        return err.exit_code
    except SystemExit as done:  # typer ends every run, and usage errors, this way
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
