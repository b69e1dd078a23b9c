"""The wake spotter on the real Korean Vosk model, with espeak-ng speech."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.errors import ModelError
from audio.chunks import read_wav, split
from audio.wake import WakePolicy, WakeWord, Woken
from tests.support.audio_fixtures import KO_GARBAGE, KO_WAKE, korean_model, recording


def _spotter(**policy: float) -> WakeWord:
    return WakeWord(korean_model(), WakePolicy(KO_WAKE, **policy), KO_GARBAGE)  # type: ignore[arg-type]


def _wakes(spotter: WakeWord, path: Path) -> list[tuple[int, Woken]]:
    hits = []
    for chunk in split(read_wav(path)):
        woken = spotter.process(chunk)
        if woken is not None:
            hits.append((chunk.end_ms, woken))
    return hits


def test_the_phrase_wakes_soon_after_it_was_said(tmp_path: Path) -> None:
    rec = recording(tmp_path / "w.wav", 500, KO_WAKE, 1500)
    [(decided_ms, woken)] = _wakes(_spotter(), rec.path)
    assert abs(woken.at_ms - rec.speech_ends_ms[0]) <= 200
    assert decided_ms - rec.speech_ends_ms[0] <= 500
    assert woken.confidence >= 0.6


@pytest.mark.parametrize("text", ["오늘 날씨가 좋네요", "감사합니다", "네 알겠습니다"])
def test_other_speech_does_not_wake(tmp_path: Path, text: str) -> None:
    rec = recording(tmp_path / "o.wav", 500, text, 1500)
    assert _wakes(_spotter(), rec.path) == []


def test_silence_does_not_wake_and_the_grammar_holds_only_model_words(tmp_path: Path) -> None:
    rec = recording(tmp_path / "s.wav", 3000)
    spotter = _spotter()
    assert _wakes(spotter, rec.path) == []
    assert spotter.grammar[0] == KO_WAKE
    assert "[unk]" not in spotter.grammar  # this model has none


def test_the_phrase_said_again_within_the_refractory_time_is_ignored(tmp_path: Path) -> None:
    rec = recording(tmp_path / "r.wav", 300, KO_WAKE, 600, KO_WAKE, 3000, KO_WAKE, 1500)
    hits = _wakes(_spotter(refractory_s=2.0), rec.path)
    assert len(hits) == 2
    assert abs(hits[1][1].at_ms - rec.speech_ends_ms[2]) <= 200


def test_a_request_in_the_same_breath_starts_after_the_phrase(tmp_path: Path) -> None:
    rec = recording(tmp_path / "b.wav", 400, KO_WAKE, 150, "오늘 날씨가 좋네요", 1500)
    [(_, woken)] = _wakes(_spotter(), rec.path)
    assert woken.at_ms <= rec.speech_starts_ms[1] + 150


def test_a_phrase_the_model_cannot_write_is_refused_with_the_setting_to_change() -> None:
    with pytest.raises(ModelError, match="wake_phrase"):
        WakeWord(korean_model(), WakePolicy("小安小安"))


def test_a_gap_in_the_audio_starts_the_spotter_afresh(tmp_path: Path) -> None:
    # audio dropped while XiaoAn spoke: the phrase after the gap is placed where it was said
    rec = recording(tmp_path / "g.wav", 500, "오늘", 1500, KO_WAKE, 1500)
    spotter = _spotter()
    chunks = list(split(read_wav(rec.path), 50))
    gap_ms = 7000
    later = [dataclasses.replace(c, timestamp_ms=c.timestamp_ms + gap_ms)
             for c in chunks if c.timestamp_ms >= 1600]  # fmt: skip
    shifted = [c for c in chunks if c.end_ms <= 1500] + later
    hits = [w for c in shifted if (w := spotter.process(c)) is not None]
    [woken] = hits
    assert abs(woken.at_ms - (rec.speech_ends_ms[1] + gap_ms)) <= 200
