"""The audio verbs: ``run`` with a microphone or a recording, ``transcribe``, ``parse --audio``.

Each prints what it heard as one JSON object per line with ``--json``
(``{"file", "text", "audio_s", "decode_s", "rtf", ...}``). A missing, partial or corrupt
model is a ``ModelError`` (exit 5) naming the folder and the fix; no microphone is an
``AudioDeviceError`` (exit 6), or text mode for ``assistant run``.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from assistant.app import build
from assistant.config import Paths, Settings
from assistant.errors import AudioDeviceError, ModelError
from assistant.events import Events, writer
from assistant.supervisor import Watch
from assistant.voice_app import (
    model_folder,
    model_for,
    sentence_words,
    stages_for,
)
from assistant.voice_loop import Heard, VoiceLoop
from audio.chunks import wav_chunks
from audio.devices import AudioOutput, Speaker, WavRecorder
from audio.recognizer import Transcript, VoskRecognizer, best_transcript
from audio.sources import AudioSource, Microphone
from audio.vosk_model import VoskModel
from intents import IntentParser

_LOGGER = logging.getLogger(__name__)


def piped(stream: TextIO) -> bool:
    """Whether stdin is a pipe or a file (not a terminal, not /dev/null)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def microphone_or_none(settings: Settings, paths: Paths, model: str) -> Microphone | None:
    """The microphone, or None (text mode) when there is none, or no model at a terminal."""
    try:
        microphone = Microphone(settings.audio_input)
    except AudioDeviceError as err:
        _LOGGER.warning("%s: running in text mode (type what the elder would say)", err)
        return None
    if sys.stdin.isatty():
        try:
            model_folder(settings, paths, model)
        except ModelError as err:
            _LOGGER.warning("%s: running in text mode", err)
            microphone.close()
            return None
    return microphone


def run_voice(
    settings: Settings,
    paths: Paths,
    source: AudioSource,
    out: TextIO,
    as_json: bool,
    model_dir: str = "",
    replies: Path | None = None,
    lines: Iterable[str] = (),
    linger_s: float = 0.0,
    watch: Watch | None = None,
) -> None:
    """Run the speaker's loop on ``source`` until it ends (a microphone never does)."""
    events = Events()
    assistant = build(settings, paths, events.relay)
    model = model_for(settings, paths, model_dir)
    output: AudioOutput = WavRecorder(replies) if replies else Speaker(settings.audio_output)
    stages = stages_for(settings, model, assistant.parser, source, output)
    write = writer(out, as_json, label="小安：" if settings.lang == "zh" else "XiaoAn: ")
    supervisor = (watch or Watch()).over(assistant, settings, paths, "voice", model.folder.name)
    loop = VoiceLoop(assistant, stages, settings, events, on_say=write, on_heard=_log_heard,
                     on_tick=supervisor.tick)  # fmt: skip
    events.feed(lines)
    assistant.start()
    supervisor.start()
    try:
        loop.run(linger_s)
    finally:
        supervisor.stop()
        assistant.stop()
        source.close()
        if isinstance(output, WavRecorder):
            output.close()


def _log_heard(heard: Heard) -> None:
    latency = "-"
    if heard.first_audio_ms is not None:
        latency = f"{heard.first_audio_ms - heard.ended.at_ms:.0f} ms"
    _LOGGER.info("Utterance ended (%s); first reply audio after %s", heard.ended.reason, latency)


def transcribe_files(
    files: list[Path],
    settings: Settings,
    paths: Paths,
    model_dir: str,
    parser: IntentParser | None = None,
) -> Iterable[dict[str, Any]]:
    """One result per file: text and timings (and, with a parser, the intent)."""
    model = model_for(settings, paths, model_dir)
    words = sentence_words(model, parser) if parser else []
    recognizer = VoskRecognizer(model, words)
    for path in files:
        transcript = _transcribe(recognizer, path, parser)
        result: dict[str, Any] = {"file": str(path), **_timings(transcript, model)}
        if parser is not None:
            result.update(parser.parse(transcript.text).to_json())
            result["text"] = transcript.text
        yield result


def _transcribe(recognizer: VoskRecognizer, path: Path, parser: IntentParser | None) -> Transcript:
    recognizer.begin()
    for chunk in wav_chunks(path):
        recognizer.accept(chunk)
    if parser is None:
        return recognizer.finish()
    return best_transcript(recognizer, parser.understands)


def _timings(transcript: Transcript, model: VoskModel) -> dict[str, Any]:
    rtf = transcript.decode_s / transcript.audio_s if transcript.audio_s else 0.0
    return {"text": transcript.text, "audio_s": round(transcript.audio_s, 3),
            "decode_s": round(transcript.decode_s, 3), "rtf": round(rtf, 3),
            "finish_s": round(transcript.finish_s, 3), "second_pass": transcript.restricted,
            "model": str(model.folder), "load_s": round(model.load_s, 2)}  # fmt: skip


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
