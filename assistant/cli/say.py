"""``assistant say``: speak (or write, or show the phonemes of) exactly what XiaoAn would say
for a text, through the same path as a reply: for Mandarin, numbers as words, then
tone-numbered pinyin for espeak-ng's ``cmn-latn-pinyin`` voice (``audio.pronounce``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.shared import LangOption

if TYPE_CHECKING:
    from assistant.config import Paths, Settings
    from audio.neural_voice import NeuralVoice
    from audio.speech_out import Voice


def register(app: typer.Typer) -> None:
    """Add ``say`` to the command line."""
    app.command()(say)


def say(
    text: Annotated[list[str], typer.Argument(help="What to say (several words are joined).")],
    lang: LangOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the speech into this WAV file (mode 0600) instead of playing it."
        ),
    ] = None,
    phonemes: Annotated[
        bool,
        typer.Option(
            "--phonemes",
            help="Print espeak-ng's phonemes instead, one line per "
            "sentence; `(en)` marks a switch to English (there must be none).",
        ),
    ] = False,
    voice: Annotated[
        str,
        typer.Option(
            "--voice",
            help="espeak (espeak-ng), neural (the Piper voice of the neural_voice setting), "
            "or auto: what replies use (the neural voice when one is set and loads).",
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Say TEXT as XiaoAn would: on the speaker, into a WAV file, or as phonemes."""
    from assistant.cli.shared import settings_and_paths
    from assistant.wiring.stages import reply_voice
    from audio.pronounce import Pronouncer

    if voice not in ("auto", "espeak", "neural"):
        raise typer.BadParameter("write espeak, neural or auto", param_hint="--voice")
    settings, paths = settings_and_paths(lang)
    sentence = " ".join(text).strip()
    if not sentence:
        raise typer.BadParameter("give the text to say", param_hint="TEXT")
    engine = reply_voice(settings, paths, voice)
    report: dict[str, object] = {"lang": settings.lang, "text": sentence,
                                 "voice": f"{engine.engine}:{engine.name}",
                                 "spoken": engine.spoken(sentence)}  # fmt: skip
    if phonemes:
        lines = engine.phonemes(sentence)
        report["phonemes"] = lines
        report["switches"] = sum(line.count("(") for line in lines)
        report["uncovered"] = Pronouncer(settings.lang).uncovered(sentence)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            for line in lines:
                typer.echo(line)
        return
    _speak(sentence, engine, settings, paths, out, report)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        typer.echo(f"{report['seconds']} s of speech" + (f" written to {out}" if out else ""))


def _speak(sentence: str, voice: Voice | NeuralVoice, settings: Settings, paths: Paths,
           out: Path | None, report: dict[str, object]) -> None:  # fmt: skip
    """Synthesise like a reply (the elder's rate and volume) and play or write it."""
    from assistant.errors import AudioFileError
    from assistant.service import sound_check
    from audio.chunks import join
    from audio.devices import WavRecorder, sounddevice
    from audio.speech_out import delivery

    how = delivery(settings.speech_rate, sound_check.stored_volume(paths))
    audio = join([voice.synthesize(part, how) for part in voice.sentences(sentence)])
    report["seconds"] = round(audio.seconds, 2)
    if out is None:
        sound_check.play(sound_check.speaker_for(sounddevice(), settings), audio)
        return
    try:
        recorder = WavRecorder(out)
        recorder.play(audio)
        recorder.close()
    except OSError as err:
        raise AudioFileError(f"{out}: cannot be written ({err.strerror}): give a writable "
                             "path") from err  # fmt: skip
