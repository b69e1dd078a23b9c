"""Recognition on the real Korean Vosk model: streaming, the second pass, renewal. No timing
is asserted here: ``bench/audio.py`` reports the real-time factor and the reply latency."""

from __future__ import annotations

from pathlib import Path

from audio.chunks import read_wav, split
from audio.recognizer import RENEW_EVERY, Transcript, VoskRecognizer, best_transcript
from audio.vosk_model import load_model
from tests.support.audio_fixtures import KO_GARBAGE, KO_MODEL, korean_model, recording


def _feed(recognizer: VoskRecognizer, path: Path) -> None:
    recognizer.begin()
    for chunk in split(read_wav(path)):
        recognizer.accept(chunk)


def _decode(recognizer: VoskRecognizer, path: Path) -> Transcript:
    _feed(recognizer, path)
    return recognizer.finish()


def test_streaming_gives_text_for_the_whole_recording(tmp_path: Path) -> None:
    rec = recording(tmp_path / "a.wav", 300, "오늘 날씨가 좋네요 감사합니다", 500)
    transcript = _decode(VoskRecognizer(korean_model()), rec.path)
    assert transcript.text
    assert transcript.audio_s == read_wav(rec.path).seconds
    assert not transcript.restricted


def test_each_utterance_starts_afresh_and_long_ones_span_vosk_endpoints(tmp_path: Path) -> None:
    recognizer = VoskRecognizer(korean_model())
    short = recording(tmp_path / "s.wav", 300, "감사합니다", 300)
    long = recording(tmp_path / "l.wav", 300, "오늘", 2500, "날씨가 좋네요", 300)
    first = _decode(recognizer, short.path)
    spanning = _decode(recognizer, long.path)
    again = _decode(recognizer, short.path)
    assert first.text
    assert again.text  # not necessarily equal: Vosk keeps adapting to the speaker
    assert again.audio_s == first.audio_s
    assert len(spanning.text.split()) >= 2


def test_the_second_pass_writes_only_the_sentence_vocabulary(tmp_path: Path) -> None:
    rec = recording(tmp_path / "v.wav", 300, "오늘 날씨가 좋네요", 500)
    recognizer = VoskRecognizer(korean_model(), [*KO_GARBAGE, "없는단어xyz"])
    assert "없는단어xyz" not in recognizer.vocabulary
    _decode(recognizer, rec.path)
    second = recognizer.restricted()
    assert second is not None
    assert second.restricted
    assert second.text
    assert set(second.text.split()) <= set(KO_GARBAGE)


def test_best_transcript_takes_the_second_pass_only_when_it_is_understood(tmp_path: Path) -> None:
    rec = recording(tmp_path / "v.wav", 300, "오늘 날씨가 좋네요", 500)
    recognizer = VoskRecognizer(korean_model(), list(KO_GARBAGE))

    def understood_if_restricted(text: str) -> bool:
        return set(text.split()) <= set(KO_GARBAGE)

    _feed(recognizer, rec.path)
    chosen = best_transcript(recognizer, understood_if_restricted)
    assert chosen.restricted
    _feed(recognizer, rec.path)
    assert not best_transcript(recognizer, lambda text: False).restricted
    _feed(recognizer, rec.path)
    assert not best_transcript(recognizer, understood_if_restricted, second_pass=False).restricted


def test_without_vocabulary_there_is_no_second_pass(tmp_path: Path) -> None:
    rec = recording(tmp_path / "v.wav", 300, "감사합니다", 300)
    recognizer = VoskRecognizer(korean_model())
    _decode(recognizer, rec.path)
    assert recognizer.restricted() is None


def test_the_model_knows_its_words_and_segments_phrases() -> None:
    model = korean_model()
    assert model.knows("오늘")
    assert not model.knows("小安")
    assert model.segment("오늘 날씨") == ["오늘", "날씨"]
    assert model.segment("小安小安") is None
    assert model.folder == KO_MODEL
    assert load_model is not None


def test_the_recogniser_is_made_anew_every_hundred_utterances(tmp_path: Path) -> None:
    rec = recording(tmp_path / "r.wav", 300, "감사합니다", 300)
    recognizer = VoskRecognizer(korean_model())
    first = recognizer._recognizer
    for _ in range(RENEW_EVERY - 1):
        recognizer.begin()
    assert recognizer._recognizer is first
    assert _decode(recognizer, rec.path).text  # the hundredth, on a new recogniser
    assert recognizer._recognizer is not first


def test_sentence_words_keep_what_the_model_can_write() -> None:
    model = korean_model()
    assert model.known_words(["오늘小날씨", "小安 네"]) == ["오늘", "날씨", "네"]
