"""The assistant's loop: microphone → wake → listen → understand → act → speak; or, in
text mode (no audio stages), stdin lines → understand → act → print.

States (transitions only in ``_enter``, each logged at DEBUG)::

    WAITING ──wake phrase, button or Enter──► LISTENING (earcon)
    LISTENING ──end of speech──► THINKING ──replies──► SPEAKING
    LISTENING ──no speech──► WAITING
    SPEAKING ──the dialogue expects an answer──► LISTENING (no wake phrase needed)
    SPEAKING ──otherwise──► WAITING
    WAITING ──a reminder, news from the platform──► SPEAKING

One thread owns the dialogue: audio chunks, the senders' events, stdin lines and the
passing of time all reach it here, in both modes. At the end of the input (the recording,
or stdin in text mode) an utterance under way ends there, and the loop stops once nothing
is pending, or after ``linger_s``; what is not sent yet stays in the outbox and goes out on
the next start. What the dialogue says while the elder is speaking waits until XiaoAn
answered. Audio captured while XiaoAn speaks is dropped, so it never hears itself. No
audio is kept once an utterance was understood.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TextIO

from assistant.config import Settings
from assistant.dialogue.machine import Say
from assistant.errors import SpeechOutError
from assistant.wiring.app import Assistant
from assistant.wiring.events import (
    TICK_S,
    ButtonHeld,
    ButtonPressed,
    End,
    Events,
    Item,
    Line,
    WakeRequest,
    writer,
)
from audio.chunks import CHUNK_MS, AudioChunk, tone
from audio.devices import AudioOutput
from audio.neural_voice import NeuralVoice
from audio.recognizer import Recognizer, Transcript, best_transcript
from audio.sources import AudioSource
from audio.speech_end import NoSpeech, SpeechEnd, SpeechEnded
from audio.speech_out import Voice, delivery
from audio.wake import WakeWord

_LOGGER = logging.getLogger(__name__)
EARCON_HZ, EARCON_MS = 880.0, 120
RECENT_CHUNKS = 2000 // CHUNK_MS
"""Audio kept while waiting (2 s), so a request said in the wake phrase's breath is heard."""


class Phase(Enum):
    """Where the loop is."""

    WAITING = "waiting"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class Stages:
    """The audio stages the loop drives (each built once)."""

    source: AudioSource
    output: AudioOutput
    wake: WakeWord | None
    """None: only the button or Enter wakes XiaoAn."""
    end: SpeechEnd
    recognizer: Recognizer
    voice: Voice | NeuralVoice


@dataclass(frozen=True)
class Heard:
    """One utterance, for the log and the benchmark (no audio, no words at INFO)."""

    transcript: Transcript
    ended: SpeechEnded
    replies: int
    first_audio_ms: float | None
    """When the first reply began to play (monotonic milliseconds), if there was one."""


class VoiceLoop:
    """Runs the stages and the dialogue until the source ends (or forever, with a mic)."""

    def __init__(
        self,
        assistant: Assistant,
        stages: Stages | None,
        settings: Settings,
        events: Events,
        on_say: Callable[[list[Say], bool], None] = lambda says, answered: None,
        on_heard: Callable[[Heard], None] = lambda heard: None,
        monotonic: Callable[[], float] = time.monotonic,
        on_tick: Callable[[Phase], None] = lambda phase: None,
    ) -> None:
        self._assistant = assistant
        self._on_tick = on_tick
        self._stopping = False
        self._dialogue = assistant.dialogue
        self._stages = stages
        self._settings = settings
        self._events = events
        self._on_say = on_say
        self._on_heard = on_heard
        self._monotonic = monotonic
        self._phase = Phase.WAITING
        self._recent: deque[AudioChunk] = deque(maxlen=RECENT_CHUNKS)
        self._held: list[Say] = []
        self._last_tick = float("-inf")
        self._source_ms = 0
        """The end of the last chunk read, on the source's timeline."""
        self._earcon = tone(EARCON_HZ, EARCON_MS)
        self._input_ended = False

    @property
    def phase(self) -> Phase:
        """Where the loop is."""
        return self._phase

    def stop(self) -> None:
        """End the loop at its next tick (from another thread or from ``on_tick``)."""
        self._stopping = True

    def run(self, linger_s: float = 0.0) -> None:
        """Loop until the input has ended and (for up to ``linger_s``) nothing is pending,
        or until ``stop``."""
        self._warm_up()
        ended_at: float | None = None
        while not self._stopping:
            self._tick()  # first: a reminder that is due is said before what comes next
            self._step()
            if self._ended() and self._phase is Phase.WAITING:
                ended_at = self._monotonic() if ended_at is None else ended_at
                pending = self._assistant.outbox.counts()["pending"]
                if not pending or self._monotonic() - ended_at >= linger_s:
                    break
        self._assistant.stop()  # an attempt under way reports before the last events are read
        self._handle_events()

    def _step(self) -> None:
        """One chunk of audio (or, in text mode, one wait for an event) and the events."""
        if self._stages is None:
            try:
                self._handle(self._events.queue.get(timeout=TICK_S))
            except queue.Empty:
                return
        else:
            chunk = self._stages.source.read()
            if chunk is not None:
                self._source_ms = chunk.end_ms
                self._on_chunk(chunk)
            elif self._stages.source.ended and self._phase is Phase.LISTENING:
                self._utterance_over(self._stages.end.finish())  # no more audio will come
        self._handle_events()

    def _ended(self) -> bool:
        if self._stages is None:
            return self._input_ended
        return self._stages.source.ended

    def _warm_up(self) -> None:
        """The first parse and the first synthesis build lazy tables (about 0.2 s): do them
        now, not while the elder waits for the first answer."""
        warm = (
            ("现在几点了", "今天天气怎么样啊")
            if self._settings.lang == "zh"
            else ("what time is it", "how is the weather today")
        )  # the second: the fuzzy stage
        for text in warm:
            self._assistant.parser.parse(text)
        if self._stages is not None:
            self._stages.voice.synthesize("好", delivery(self._settings.speech_rate, 1))

    def _enter(self, phase: Phase, why: str) -> None:
        _LOGGER.debug("%s → %s (%s)", self._phase.value, phase.value, why)
        self._phase = phase

    @property
    def _audio(self) -> Stages:
        assert self._stages is not None, "audio stage used in text mode"
        return self._stages

    def _on_chunk(self, chunk: AudioChunk) -> None:
        if self._phase is Phase.WAITING:
            self._recent.append(chunk)
            wake = self._audio.wake
            woken = wake.process(chunk) if wake else None
            if woken is not None:
                self._listen(woken.at_ms, "wake phrase")
        elif self._phase is Phase.LISTENING:
            self._hear_chunk(chunk)

    def _listen(self, from_ms: int, why: str) -> None:
        """Start an utterance at ``from_ms``; audio already captured after it is used."""
        self._enter(Phase.LISTENING, why)
        if self._settings.earcon:
            self._audio.output.play(self._earcon)
        self._audio.recognizer.begin()
        self._audio.end.start(from_ms)
        recent, self._recent = list(self._recent), deque(maxlen=RECENT_CHUNKS)
        for chunk in recent:
            part = _after(chunk, from_ms)
            if part is not None and self._phase is Phase.LISTENING:
                self._hear_chunk(part)

    def _hear_chunk(self, chunk: AudioChunk) -> None:
        self._audio.recognizer.accept(chunk)
        event = self._audio.end.process(chunk)
        if event is not None:
            self._utterance_over(event)

    def _utterance_over(self, event: SpeechEnded | NoSpeech) -> None:
        if isinstance(event, SpeechEnded):
            self._understand(event)
        elif isinstance(event, NoSpeech):
            _LOGGER.info("No speech after waking")
            self._audio.recognizer.finish()
            self._back_to_waiting("no speech")

    def _understand(self, ended: SpeechEnded) -> None:
        self._enter(Phase.THINKING, ended.reason)
        transcript = best_transcript(
            self._audio.recognizer, self._assistant.parser.understands, self._settings.second_pass
        )
        which = "second pass" if transcript.restricted else "first pass"
        _LOGGER.info("Heard %.1f s of speech, decoded in %.2f s (%s)",
                     transcript.audio_s, transcript.decode_s, which)  # fmt: skip
        _LOGGER.debug("Heard: %s", transcript.text)
        says = self._dialogue.hear(transcript.text)
        first_audio = self._speak(says + self._held, answered=True)
        self._held = []
        self._on_heard(Heard(transcript, ended, len(says), first_audio))
        if self._dialogue.expects_answer:
            self._listen(self._source_ms, "a question is open")
        else:
            self._back_to_waiting("answered")

    def _back_to_waiting(self, why: str) -> None:
        if self._audio.wake is not None:
            self._audio.wake.reset()
        self._enter(Phase.WAITING, why)

    def _speak(self, says: list[Say], answered: bool = False) -> float | None:
        """Print the replies and, with audio, say them; when the first began (monotonic ms)."""
        self._on_say(says, answered)
        if not says or self._stages is None:
            return None
        previous = self._phase
        self._enter(Phase.SPEAKING, "replies")
        volume = self._assistant.state.volume()
        first: float | None = None
        voice = self._stages.voice
        self._events.interrupt.clear()
        self._events.stop_speech = getattr(self._stages.output, "stop", lambda: None)
        for say in says:
            how = delivery(self._settings.speech_rate, volume, say.emphasis)
            if self._events.interrupt.is_set():
                break  # the help button: its emergency comes next
            for sentence in voice.sentences(say.text):
                if self._events.interrupt.is_set():
                    break
                try:
                    audio = voice.synthesize(sentence, how)
                except SpeechOutError as err:
                    _LOGGER.error("reply %s not spoken: %s", say.key, err)
                    break
                first = self._monotonic() * 1000 if first is None else first
                self._stages.output.play(audio)
                self._on_tick(self._phase)  # a long reply is no stuck loop
        self._stages.source.flush()
        self._recent.clear()
        self._enter(previous, "spoken")
        return first

    def _handle_events(self) -> None:
        while True:
            try:
                item = self._events.queue.get_nowait()
            except queue.Empty:
                return
            self._handle(item)

    def _handle(self, item: Item) -> None:
        if isinstance(item, ButtonPressed | ButtonHeld):
            self._events.interrupt.clear()
            if self._phase is Phase.LISTENING:
                self._back_to_waiting("help button")
            if isinstance(item, ButtonPressed):
                says = self._dialogue.pressed()
                _LOGGER.info("help button: committed %.0f ms after the press",
                             (self._monotonic() - item.at) * 1000)  # fmt: skip
            else:
                says = self._dialogue.held()
            self._say_or_hold(says, answered=True)
        elif self._stages is not None and (
            isinstance(item, WakeRequest) or (isinstance(item, Line) and not item.text)
        ):
            if self._phase is Phase.WAITING:
                self._listen(self._source_ms, "button")
        elif isinstance(item, Line):
            self._say_or_hold(self._dialogue.hear(item.text), answered=True)
        elif isinstance(item, End):
            self._input_ended = True
        elif not isinstance(item, WakeRequest):
            self._say_or_hold(self._dialogue.on_relay(item))

    def _tick(self) -> None:
        now = self._monotonic()
        if now - self._last_tick < TICK_S:
            return
        self._last_tick = now
        self._on_tick(self._phase)
        self._say_or_hold(self._dialogue.tick())

    def _say_or_hold(self, says: list[Say], answered: bool = False) -> None:
        if not says and not answered:
            return
        if self._phase is not Phase.WAITING:
            self._held += says
            return
        self._speak(says, answered)
        if self._stages is not None and self._dialogue.expects_answer:
            self._listen(self._source_ms, "a question is open")


def run_text(
    assistant: Assistant,
    settings: Settings,
    events: Events,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool = False,
    prompt: str = "",
    label: str = "小安：",
    linger_s: float = 0.0,
    on_tick: Callable[[Phase], None] = lambda phase: None,
) -> None:
    """Text mode: the same loop without audio stages, on stdin lines."""
    if prompt:
        out.write(prompt)
        out.flush()
    loop = VoiceLoop(assistant, None, settings, events,
                     on_say=writer(out, as_json, prompt, label), on_tick=on_tick)  # fmt: skip
    events.feed(lines)
    loop.run(linger_s)


def _after(chunk: AudioChunk, from_ms: int) -> AudioChunk | None:
    """The part of ``chunk`` after ``from_ms`` (None if none)."""
    if chunk.end_ms <= from_ms:
        return None
    if chunk.timestamp_ms >= from_ms:
        return chunk
    skip = (from_ms - chunk.timestamp_ms) * chunk.rate // 1000 * chunk.width
    return AudioChunk(chunk.rate, chunk.width, chunk.channels, chunk.audio[skip:], from_ms)
