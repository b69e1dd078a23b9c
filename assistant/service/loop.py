"""``assistant run --service``: the loop systemd supervises, which never gives up.

Unlike an interactive run it never falls back to text mode and never stops by itself:

* no microphone (unplugged, or never there) → it is looked for again and again while the
  rest works; no speaker → replies are lost until one is found;
* no speech model → XiaoAn cannot listen, but it keeps sending what is in the outbox,
  keeps the heartbeat (which reports the problem) and keeps its reminder clock; once a
  model is installed it exits, and systemd (``Restart=always``) starts it with the model.

Each problem is in ``data/runtime.json`` (``assistant status``) and in the heartbeat, with
its fix. What XiaoAn says goes to the log by reply key only (no words at INFO).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

from assistant.config import Paths, Settings
from assistant.dialogue.machine import Say
from assistant.errors import ModelError
from assistant.service.modes import with_led
from assistant.service.supervisor import Supervisor, Watch
from assistant.wiring.app import Assistant, build
from assistant.wiring.button import attach
from assistant.wiring.events import Events
from assistant.wiring.model_choice import model_folder
from assistant.wiring.stages import model_for, stages_for
from assistant.wiring.voice_loop import Phase, VoiceLoop
from audio.devices import Speaker
from audio.sources import Microphone

_LOGGER = logging.getLogger(__name__)
MODEL_LOOK_S = 60.0
"""How often a service without a model looks whether one was installed."""
NO_MICROPHONE = "no microphone: plug one in, then check it with `assistant mic-test`"
NO_SPEAKER = "no speaker: plug one in, then check it with `assistant speaker-test`"


def run_service(settings: Settings, paths: Paths, model_dir: str, watch: Watch) -> None:
    """Run until stopped (SIGTERM), or until a missing model appears."""
    events = Events()
    assistant = build(settings, paths, events.relay)
    try:
        model = model_for(settings, paths, model_dir)
    except ModelError as err:
        _LOGGER.error("%s; until then XiaoAn cannot listen (requests and heartbeats go on)", err)
        _without_model(assistant, settings, paths, model_dir, watch, events, str(err))
        return
    microphone = Microphone(settings.audio_input, wait_for_device=True)
    speaker = Speaker(settings.audio_output, wait_for_device=True)
    button, no_button = attach(settings.button_pin, settings.led_pin, events)

    def problems() -> tuple[str, ...]:
        missing = ((microphone.missing, NO_MICROPHONE), (speaker.missing, NO_SPEAKER),
                   (bool(no_button), no_button))  # fmt: skip
        return tuple(text for absent, text in missing if absent)

    stages = stages_for(settings, paths, model, assistant.parser, microphone, speaker)
    supervisor = watch.over(assistant, settings, paths, "service", model.folder.name, problems)
    loop = VoiceLoop(assistant, stages, settings, events, on_say=_log_said,
                     on_tick=with_led(supervisor.tick, button, assistant))  # fmt: skip
    try:
        _run(supervisor, loop)
    finally:
        if button is not None:
            button.close()
        microphone.close()


def _without_model(
    assistant: Assistant, settings: Settings, paths: Paths, model_dir: str, watch: Watch,
    events: Events, problem: str, clock: Callable[[], float] = time.monotonic,
) -> None:  # fmt: skip
    button, no_button = attach(settings.button_pin, settings.led_pin, events)
    found = tuple(p for p in (problem, no_button) if p)
    supervisor = watch.over(assistant, settings, paths, "service", "", lambda: found)
    looked = clock()
    loop: VoiceLoop

    def tick(phase: Phase) -> None:
        nonlocal looked
        supervisor.tick(phase)
        if clock() - looked < MODEL_LOOK_S:
            return
        looked = clock()
        try:
            model_folder(settings, paths, model_dir)
        except ModelError:
            return
        _LOGGER.warning("a speech model is installed now: restarting to use it")
        loop.stop()

    loop = VoiceLoop(assistant, None, settings, events, on_say=_log_said,
                     on_tick=with_led(tick, button, assistant))  # fmt: skip
    try:  # no model: the help button still calls for help
        _run(supervisor, loop)
    finally:
        if button is not None:
            button.close()


def _run(supervisor: Supervisor, loop: VoiceLoop) -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: loop.stop())  # systemctl stop
    with supervisor.running():
        loop.run()


def _log_said(says: list[Say], answered: bool) -> None:
    del answered
    if says:
        _LOGGER.info("Said %s", ", ".join(say.key for say in says))
