"""Speech out: real espeak-ng audio through pyttsx3's binding; louder and slower on emphasis."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.chunks import level, read_wav
from audio.devices import WavRecorder
from audio.speech_out import Voice, delivery


@pytest.fixture(scope="module")
def zh_voice() -> Voice:
    return Voice("zh")


def test_mandarin_reply_is_real_audio_at_16k(zh_voice: Voice) -> None:
    audio = zh_voice.synthesize("王奶奶，该吃降压药了。", delivery(140, 7))
    assert (audio.rate, audio.channels, audio.width) == (16000, 1, 2)
    assert 1.0 < audio.seconds < 8.0
    assert level(audio) > 0.02


def test_english_voice_speaks_english() -> None:
    voice = Voice("en")
    audio = voice.synthesize("Time for your blood pressure tablet.", delivery(140, 7))
    assert audio.seconds > 1.0
    assert level(audio) > 0.02


def test_emphasis_is_louder_and_slower_and_volume_follows_the_elder(zh_voice: Voice) -> None:
    text = "该吃药了，该吃药了。"
    plain = zh_voice.synthesize(text, delivery(140, 7))
    urged = zh_voice.synthesize(text, delivery(140, 7, emphasis=3))
    quiet = zh_voice.synthesize(text, delivery(140, 2))
    assert urged.seconds > plain.seconds * 1.1
    assert level(urged) > level(plain) > level(quiet)


def test_delivery_defaults_are_slow_and_bounded() -> None:
    assert delivery(140, 7) == delivery(140, 7, 0)
    assert delivery(140, 7).volume == 1.31  # louder than espeak-ng's normal
    assert delivery(140, 1).volume < 1.0
    assert delivery(140, 10, 3).volume == 2.0
    assert delivery(140, 7, 3).rate < 140


def test_replies_can_be_recorded_to_a_wav_file(tmp_path: Path, zh_voice: Voice) -> None:
    recorder = WavRecorder(tmp_path / "replies.wav")
    recorder.play(zh_voice.synthesize("好的。", delivery(140, 7)))
    recorder.play(zh_voice.synthesize("不客气。", delivery(140, 7)))
    recorder.close()
    assert len(recorder.started) == 2
    assert oct((tmp_path / "replies.wav").stat().st_mode & 0o777) == "0o600"
    assert read_wav(tmp_path / "replies.wav").seconds > 1.0


def test_every_synthesis_has_its_own_text_rate_and_voice(zh_voice: Voice) -> None:
    # pyttsx3's own engine gave the previous call's rate or text now and then: not here
    english = Voice("en")
    texts = ("好的。", "王奶奶，该吃降压药了，一片，饭后吃。")
    seconds: dict[tuple[int, str], list[float]] = {}
    for i in range(8):
        rate, text = (100, 140)[i % 2], texts[i // 2 % 2]
        seconds.setdefault((rate, text), []).append(
            zh_voice.synthesize(text, delivery(rate, 7)).seconds
        )
        english.synthesize("Thank you.", delivery(180, 7))
    assert all(max(v) - min(v) < 0.05 for v in seconds.values())
    mean = {key: sum(v) / len(v) for key, v in seconds.items()}
    for text in texts:
        assert mean[(100, text)] > mean[(140, text)] * 1.2
    assert mean[(140, texts[1])] > mean[(140, texts[0])] * 3
