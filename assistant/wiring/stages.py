"""Wiring of the audio side: the model loaded once, the stages built from the settings.

The recogniser's second-pass vocabulary and the wake spotter's "garbage" words come from
the same sentence data as the intents (``IntentParser.data``), so speech and intents cannot
drift apart. Nothing here reaches the network: a model is only ever loaded from a folder.
"""

from __future__ import annotations

import logging
from collections import Counter

from assistant.config import Paths, Settings
from assistant.wiring.model_choice import model_folder
from assistant.wiring.voice_loop import Stages
from audio.devices import AudioOutput
from audio.neural_voice import NeuralVoice, voice_for
from audio.recognizer import VoskRecognizer
from audio.sources import AudioSource
from audio.speech_end import EndPolicy, SpeechEnd, silero
from audio.speech_out import Voice
from audio.voice_store import VoiceStore
from audio.vosk_model import VoskModel, load_model
from audio.wake import DEFAULT_PHRASES, WakePolicy, WakeWord
from intents import IntentParser

_LOGGER = logging.getLogger(__name__)
GARBAGE_WORDS = 200
"""Most frequent sentence words given to the wake spotter to soak up other speech."""


def model_for(settings: Settings, paths: Paths, override: str = "") -> VoskModel:
    """The language's model (see ``model_folder``), checked, loaded once."""
    return load_model(model_folder(settings, paths, override))


def sentence_words(model: VoskModel, parser: IntentParser) -> list[str]:
    """The model's words that the intent sentences and lists use, most frequent first."""
    data = parser.data
    texts = [sentence for _, sentence in data.samples]
    texts += [surface for table in data.list_tables.values() for surface in table]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(model.known_words([text]))
    return [word for word, _ in counts.most_common()]


def wake_for(model: VoskModel, settings: Settings, words: list[str]) -> WakeWord:
    """The wake spotter for the configured (or the language's default) phrase."""
    phrase = settings.wake_phrase or DEFAULT_PHRASES[settings.lang]
    policy = WakePolicy(phrase, settings.wake_threshold, settings.wake_repeats,
                        settings.wake_refractory_s)  # fmt: skip
    return WakeWord(model, policy, words[:GARBAGE_WORDS])


def end_policy(settings: Settings) -> EndPolicy:
    """End-of-speech rules from the settings."""
    return EndPolicy(settings.speech_end_ms, settings.vad_threshold, settings.max_utterance_s,
                     settings.no_speech_timeout_s)  # fmt: skip


def stages_for(
    settings: Settings,
    paths: Paths,
    model: VoskModel,
    parser: IntentParser,
    source: AudioSource,
    output: AudioOutput,
) -> Stages:
    """Every stage of the loop, for one model and one pair of devices."""
    words = sentence_words(model, parser)
    _LOGGER.info("%d sentence words known to the model", len(words))
    return Stages(source, output, wake_for(model, settings, words),
                  SpeechEnd(silero(), end_policy(settings)), VoskRecognizer(model, words),
                  reply_voice(settings, paths))  # fmt: skip


def reply_voice(settings: Settings, paths: Paths, engine: str = "auto") -> Voice | NeuralVoice:
    """The voice replies are said in: the configured neural voice, else espeak-ng."""
    neural = (paths.home / settings.neural_voice if settings.neural_voice
              else VoiceStore(paths.home / "voices").model(settings.lang))  # fmt: skip
    return voice_for(settings.lang, neural, engine)
