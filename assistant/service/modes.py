"""The ways XiaoAn runs in the foreground, each under the supervisor: the speaker's loop
on a microphone or a recording (``run_voice``) and text mode (``run_text_mode``); the
systemd service is ``assistant.service.loop``.

No microphone is an ``AudioDeviceError`` (exit 6) or, for ``assistant run``, text mode.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from assistant.config import Paths, Settings
from assistant.errors import AudioDeviceError, ModelError
from assistant.service.supervisor import Watch
from assistant.wiring.app import Assistant, build
from assistant.wiring.button import HelpButton, attach, led_state
from assistant.wiring.events import Events, writer
from assistant.wiring.model_choice import model_folder
from assistant.wiring.stages import model_for, stages_for
from assistant.wiring.voice_loop import Heard, Phase, VoiceLoop, run_text
from audio.devices import AudioOutput, Speaker, WavRecorder
from audio.sources import AudioSource, Microphone

_LOGGER = logging.getLogger(__name__)


def piped(stream: TextIO) -> bool:
    """Whether stdin is a pipe or a file (not a terminal, not /dev/null)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def microphone_or_none(settings: Settings, paths: Paths, model: str) -> Microphone | None:
    """The microphone, or None (text mode) when there is none, or no model at a terminal."""
    try:
        microphone = Microphone(settings.audio_input)
    except AudioDeviceError as err:
        _LOGGER.warning("%s: running in text mode (type what the elder would say)", err)
        return None
    if sys.stdin.isatty():
        try:
            model_folder(settings, paths, model)
        except ModelError as err:
            _LOGGER.warning("%s: running in text mode", err)
            microphone.close()
            return None
    return microphone


def run_voice(
    settings: Settings,
    paths: Paths,
    source: AudioSource,
    out: TextIO,
    as_json: bool,
    model_dir: str = "",
    replies: Path | None = None,
    lines: Iterable[str] = (),
    linger_s: float = 0.0,
    watch: Watch | None = None,
) -> None:
    """Run the speaker's loop on ``source`` until it ends (a microphone never does)."""
    events = Events()
    assistant = build(settings, paths, events.relay)
    model = model_for(settings, paths, model_dir)
    output: AudioOutput = WavRecorder(replies) if replies else Speaker(settings.audio_output)
    stages = stages_for(settings, paths, model, assistant.parser, source, output)
    write = writer(out, as_json, label=_label(settings))
    button, problem = attach(settings.button_pin, settings.led_pin, events)
    supervisor = (watch or Watch()).over(assistant, settings, paths, "voice", model.folder.name,
                                         lambda: (problem,) if problem else ())  # fmt: skip
    loop = VoiceLoop(assistant, stages, settings, events, on_say=write, on_heard=_log_heard,
                     on_tick=with_led(supervisor.tick, button, assistant))  # fmt: skip
    events.feed(lines)
    try:
        with supervisor.running():
            loop.run(linger_s)
    finally:
        if button is not None:
            button.close()
        source.close()
        if isinstance(output, WavRecorder):
            output.close()


def with_led(
    tick: Callable[[Phase], None], button: HelpButton | None, assistant: Assistant
) -> Callable[[Phase], None]:
    """The loop's tick, showing the state on the button's LED as well."""
    if button is None:
        return tick

    def both(phase: Phase) -> None:
        tick(phase)
        button.show(led_state(phase.value, assistant.dialogue.alarm_state()))

    return both


def _log_heard(heard: Heard) -> None:
    latency = "-"
    if heard.first_audio_ms is not None:
        latency = f"{heard.first_audio_ms - heard.ended.at_ms:.0f} ms"
    _LOGGER.info("Utterance ended (%s); first reply audio after %s", heard.ended.reason, latency)


def run_text_mode(
    settings: Settings,
    paths: Paths,
    lines: Iterable[str],
    out: TextIO,
    as_json: bool,
    linger: float,
    watch: Watch,
    clock: Callable[[], float] = time.time,
) -> None:
    """Text mode: one utterance per line of ``lines``, each reply written to ``out``; the
    assistant's time is ``clock`` (``assistant run --now``)."""
    events = Events()
    assistant = build(settings, paths, events.relay, clock)
    supervisor = watch.over(assistant, settings, paths, "text")
    interactive = sys.stdin.isatty()
    zh = settings.lang == "zh"
    prompt = (
        ("请说（Ctrl-D 结束）> " if zh else "Say something (Ctrl-D ends)> ") if interactive else ""
    )
    with supervisor.running():
        run_text(
            assistant, settings, events, lines, out, as_json=as_json,
            prompt=prompt, label=_label(settings), linger_s=linger, on_tick=supervisor.tick,
        )  # fmt: skip


def _label(settings: Settings) -> str:
    """What stands before each reply in text output."""
    return "小安：" if settings.lang == "zh" else "XiaoAn: "
