"""End of speech: real Silero VAD on espeak-ng speech, and the policy on a scripted detector."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.chunks import join, silence, split, tone
from audio.speech_end import WINDOW_MS, EndPolicy, NoSpeech, SpeechEnd, SpeechEnded, silero
from tests.support.audio_fixtures import recording


def _events(end: SpeechEnd, chunks: list) -> list:  # type: ignore[type-arg]
    out = []
    for chunk in chunks:
        event = end.process(chunk)
        if event is not None:
            out.append(event)
            break
    return out


@pytest.mark.parametrize("text", ["오늘 날씨가 좋네요", "감사합니다", "안녕하세요 반갑습니다"])
def test_silero_ends_the_utterance_about_300_ms_after_speech(tmp_path: Path, text: str) -> None:
    rec = recording(tmp_path / "r.wav", 400, text, 2000)
    from audio.chunks import read_wav

    end = SpeechEnd(silero(), EndPolicy(speech_end_ms=300))
    end.start(0)
    [event] = _events(end, list(split(read_wav(rec.path))))
    assert isinstance(event, SpeechEnded)
    assert event.reason == "silence"
    assert abs(event.at_ms - rec.speech_ends_ms[0]) <= 150
    assert 300 <= event.decided_ms - event.at_ms <= 300 + WINDOW_MS
    assert event.decided_ms - rec.speech_ends_ms[0] <= 450


def test_silence_and_a_tone_are_not_speech_and_time_out() -> None:
    end = SpeechEnd(silero(), EndPolicy(no_speech_timeout_s=2.0))
    end.start(0)
    chunks = list(split(join([silence(500), tone(1000, 300), silence(3000)])))
    [event] = _events(end, chunks)
    assert isinstance(event, NoSpeech)
    assert 2000 <= event.at_ms <= 2100
    assert not end.heard_speech


def _scripted(pattern: str):  # type: ignore[no-untyped-def]
    """A detector that says speech where ``pattern`` has ``#`` (one character per window)."""
    windows = iter(pattern)

    def probability(window: bytes) -> float:
        return 0.9 if next(windows, ".") == "#" else 0.1

    return probability


def test_a_long_utterance_stops_at_the_maximum_length() -> None:
    end = SpeechEnd(_scripted("#" * 400), EndPolicy(max_utterance_s=3.0))
    end.start(0)
    [event] = _events(end, list(split(silence(5000))))
    assert isinstance(event, SpeechEnded)
    assert event.reason == "max_length"
    assert 3000 <= event.decided_ms < 3000 + WINDOW_MS + 1


def test_a_single_click_does_not_start_speech_and_a_pause_shorter_than_the_end_is_kept() -> None:
    # click, then speech, a 6-window (192 ms) pause, speech, then silence
    end = SpeechEnd(_scripted("..#....####......####" + "." * 40), EndPolicy(speech_end_ms=300))
    end.start(1000)
    [event] = _events(end, list(split(silence(3000, timestamp_ms=1000))))
    assert isinstance(event, SpeechEnded)
    assert event.at_ms == round(1000 + 21 * WINDOW_MS)
    assert event.decided_ms - event.at_ms == pytest.approx(300, abs=WINDOW_MS)


def test_the_end_of_the_input_ends_the_utterance_under_way() -> None:
    speaking = SpeechEnd(_scripted("...." + "#" * 20), EndPolicy(speech_end_ms=300))
    speaking.start(0)
    assert _events(speaking, list(split(silence(round(24 * WINDOW_MS))))) == []
    ended = speaking.finish()
    assert isinstance(ended, SpeechEnded)
    assert (ended.reason, ended.at_ms) == ("end_of_input", round(24 * WINDOW_MS))
    quiet = SpeechEnd(_scripted("...."), EndPolicy())
    quiet.start(0)
    assert _events(quiet, list(split(silence(round(4 * WINDOW_MS))))) == []
    assert isinstance(quiet.finish(), NoSpeech)
