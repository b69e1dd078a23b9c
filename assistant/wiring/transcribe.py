"""Transcribing recordings: a WAV file in, the recogniser's text and timings out (and,
with an intent parser, the intent), for ``assistant transcribe`` and ``parse --audio``.

A missing, partial or corrupt model is a ``ModelError`` (exit 5) naming the folder and
the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.config import Paths, Settings
from assistant.wiring.stages import model_for, sentence_words
from audio.chunks import wav_chunks
from audio.recognizer import Transcript, VoskRecognizer, best_transcript
from audio.vosk_model import VoskModel
from intents import IntentParser


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
