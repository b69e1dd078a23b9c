"""The speaker's loop end to end: a recording plays the microphone, replies are recorded.

Wake spotting, end of speech and recognition are the real ones on the Korean model. Where
the test needs Mandarin words (which this model cannot hear), a scripted recogniser
stands in behind the ``Recognizer`` interface; everything after it is the real dialogue,
a real SQLite outbox and real espeak-ng speech.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Say
from assistant.wiring.app import Assistant, build
from assistant.wiring.events import Events, Line
from assistant.wiring.voice_loop import Heard, Phase, Stages, VoiceLoop
from audio.devices import WavRecorder
from audio.recognizer import Transcript, VoskRecognizer
from audio.sources import WavSource
from audio.speech_end import EndPolicy, SpeechEnd, silero
from audio.speech_out import Voice
from audio.wake import WakePolicy, WakeWord
from tests.conftest import parser_for
from tests.support.audio_fixtures import KO_GARBAGE, KO_WAKE, korean_model, recording


class ScriptedRecognizer:
    """Says the next scripted Mandarin sentence for each utterance (Mandarin stand-in)."""

    def __init__(self, texts: list[str]) -> None:
        self._texts = iter(texts)
        self.seconds = 0.0

    def begin(self) -> None:
        self.seconds = 0.0

    def accept(self, chunk: object) -> None:
        self.seconds += getattr(chunk, "seconds", 0.0)

    def finish(self) -> Transcript:
        return Transcript(next(self._texts, ""), self.seconds, 0.0)

    def restricted(self) -> Transcript | None:
        return None


@dataclasses.dataclass
class Run:
    assistant: Assistant
    said: list[Say]
    heard: list[Heard]
    recorder: WavRecorder
    loop: VoiceLoop


@pytest.fixture(scope="module")
def voice() -> Voice:
    return Voice("zh")


def _run(tmp_path: Path, wav: Path, voice: Voice, texts: list[str] | None = None,
         lines: list[str] | None = None, wake: bool = True) -> Run:  # fmt: skip
    settings = dataclasses.replace(Settings(), address_form="王奶奶")
    events = Events()
    assistant = build(settings, Paths(tmp_path / "home"), events.relay,
                      parser=parser_for("zh"))  # fmt: skip
    model = korean_model()
    recorder = WavRecorder(tmp_path / "replies.wav")
    spotter = WakeWord(model, WakePolicy(KO_WAKE), KO_GARBAGE) if wake else None
    recognizer = ScriptedRecognizer(texts) if texts is not None else VoskRecognizer(model)
    stages = Stages(WavSource(wav), recorder, spotter, SpeechEnd(silero(), EndPolicy()),
                    recognizer, voice)  # fmt: skip
    said: list[Say] = []
    heard: list[Heard] = []

    def on_say(says: list[Say], answered: bool) -> None:
        for say in says:  # what is said was committed first
            if say.key in ("emergency.recorded", "booking.recorded"):
                assert assistant.outbox.counts()["pending"] >= 1
        said.extend(says)

    loop = VoiceLoop(assistant, stages, settings, events, on_say, heard.append)
    for line in lines or []:
        events.queue.put(Line(line))
    loop.run()
    recorder.close()
    return Run(assistant, said, heard, recorder, loop)


def test_wake_listen_recognise_and_answer_aloud(tmp_path: Path, voice: Voice) -> None:
    rec = recording(tmp_path / "in.wav", 500, KO_WAKE, 300, "오늘 날씨가 좋네요", 2500)
    run = _run(tmp_path, rec.path, voice)
    [heard] = run.heard
    assert heard.transcript.text  # Korean words: the dialogue does not understand them
    assert abs(heard.ended.at_ms - rec.speech_ends_ms[1]) <= 200
    assert heard.replies == len(run.said) >= 1
    assert run.recorder.started  # earcon, then the reply
    assert run.loop.phase is Phase.WAITING


def test_an_emergency_is_committed_before_it_is_answered(tmp_path: Path, voice: Voice) -> None:
    rec = recording(tmp_path / "in.wav", 500, KO_WAKE, 300, "감사합니다", 2500)
    run = _run(tmp_path, rec.path, voice, texts=["我摔倒了"])
    assert [s.key for s in run.said][:1] == ["emergency.recorded"]
    assert run.said[0].urgent
    kinds = [row.kind for row in run.assistant.outbox.latest(["emergency"])]
    assert kinds == ["emergency"]


def test_a_follow_up_answer_needs_no_wake_phrase(tmp_path: Path, voice: Voice) -> None:
    rec = recording(tmp_path / "in.wav", 500, KO_WAKE, 300, "오늘 날씨가 좋네요", 1200,
                    "네", 2500)  # fmt: skip
    run = _run(tmp_path, rec.path, voice, texts=["我想约明天上午保洁", "对"])
    keys = [s.key for s in run.said]
    assert len(run.heard) == 2
    assert keys[-1] == "booking.recorded"
    assert run.assistant.outbox.latest(["service_booking"])


@pytest.mark.timeout(120)
def test_a_recording_that_ends_while_a_question_is_open_ends_the_loop(
    tmp_path: Path, voice: Voice
) -> None:
    """The replayed recording (``assistant run --audio FILE``) ends after XiaoAn asked:
    nothing more will be heard, so the loop goes back to waiting and stops."""
    rec = recording(tmp_path / "in.wav", 500, KO_WAKE, 300, "오늘 날씨가 좋네요", 100)
    run = _run(tmp_path, rec.path, voice, texts=["我想约明天上午保洁"])
    assert run.said[-1].key.startswith("booking.confirm")
    assert run.loop.phase is Phase.WAITING
    assert run.assistant.outbox.counts()["pending"] == 0  # nothing booked unconfirmed


def test_speech_without_the_wake_phrase_is_ignored(tmp_path: Path, voice: Voice) -> None:
    rec = recording(tmp_path / "in.wav", 500, "오늘 날씨가 좋네요", 2500)
    run = _run(tmp_path, rec.path, voice, texts=["我摔倒了"])
    assert run.heard == []
    assert run.said == []


def test_enter_wakes_like_the_phrase_and_silence_goes_back_to_waiting(
    tmp_path: Path, voice: Voice
) -> None:
    rec = recording(tmp_path / "in.wav", 300, "감사합니다", 2500)
    run = _run(tmp_path, rec.path, voice, texts=["现在几点了"], lines=[""], wake=False)
    assert [h.transcript.text for h in run.heard] == ["现在几点了"]
    assert run.said
    assert run.said[0].key.startswith("time")
    silent = recording(tmp_path / "quiet.wav", 8000)
    quiet = _run(tmp_path / "q", silent.path, voice, texts=["现在几点了"], lines=[""])
    assert quiet.heard == []
    assert quiet.said == []
