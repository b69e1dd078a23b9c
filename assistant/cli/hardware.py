"""The technician's sound checks: ``assistant devices``, ``mic-test`` and ``speaker-test``.

``devices`` lists the microphones and speakers (index, name, channels, default rate), the
system's default and the one ``audio_input`` / ``audio_output`` selects. ``mic-test``
records a few seconds through the real capture path (``Microphone``: 16 kHz, resampled
when the device cannot do it) with a level meter on a terminal, gives peak, RMS and
clipped samples with a verdict, and plays the recording back; the recording stays in
memory and is never written. ``speaker-test`` says a sentence in the elder's language,
speed and volume.

Human text by default, one JSON object with ``--json``. Exit codes: 0 fine, 1 the test
found a problem (silence, clipping), 6 no such device or no PortAudio.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from assistant.service.sound_check import Device, MicResult

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")]


def register(app: typer.Typer) -> None:
    """Add ``devices``, ``mic-test`` and ``speaker-test`` to the ``assistant`` command."""
    app.command()(devices)
    app.command("mic-test")(mic_test)
    app.command("speaker-test")(speaker_test)


def devices(as_json: JsonOption = False) -> None:
    """List microphones and speakers: the system default, and the one the settings select."""
    from assistant.config import load_settings
    from assistant.errors import AudioDeviceError
    from assistant.service import sound_check
    from audio.devices import sounddevice

    settings, _ = load_settings()
    sd = sounddevice()
    inputs, no_input = sound_check.listed(sd, settings.audio_input, "input")
    outputs, no_output = sound_check.listed(sd, settings.audio_output, "output")
    problems = [p for p in (no_input, no_output) if p]
    if as_json:
        typer.echo(json.dumps({
            "inputs": [asdict(d) for d in inputs], "outputs": [asdict(d) for d in outputs],
            "audio_input": settings.audio_input, "audio_output": settings.audio_output,
            "problems": problems,
        }, ensure_ascii=False))  # fmt: skip
    else:
        _print_devices("Microphones (inputs)", inputs, "audio_input", settings.audio_input)
        _print_devices("Speakers (outputs)", outputs, "audio_output", settings.audio_output)
    if problems:
        raise AudioDeviceError("\n".join(problems))


def _print_devices(title: str, listed: list[Device], setting: str, spec: str) -> None:
    typer.echo(f"{title}:" if listed else f"{title}: none")
    for d in listed:
        marks = ", ".join(m for m, on in (("default", d.default), ("selected", d.selected)) if on)
        typer.echo(f"  {d.index:>3}  {d.name:<32} {d.channels} ch  {d.default_rate} Hz  {marks}")
    chosen = next((d for d in listed if d.selected), None)
    shown = f"`{spec}`" if spec else '"" (the system default)'
    typer.echo(f"  {setting} {shown}: {f'{chosen.index} {chosen.name}' if chosen else 'not found'}")


def mic_test(
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.2, max=60.0, help="How long to record.")
    ] = 3.0,
    no_playback: Annotated[
        bool, typer.Option("--no-playback", help="Do not play the recording back.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Record from the microphone with a level meter; peak, RMS, clipping; play it back."""
    from assistant.config import load_settings
    from assistant.errors import AssistantError
    from assistant.service import sound_check
    from audio.devices import sounddevice
    from audio.sources import Microphone

    settings, _ = load_settings()
    sd = sounddevice()
    sound_check.find_selected(sd, settings.audio_input, "input")
    speaker = (
        None if no_playback else sound_check.speaker_for(sd, settings, "; or add --no-playback")
    )
    microphone = Microphone(settings.audio_input, backend=sd)
    try:
        recording = sound_check.record(
            microphone, seconds, sound_check.Meter(sys.stdout, microphone.name)
        )
    finally:
        microphone.close()
    result = sound_check.measure(microphone.name, recording, played_back=speaker is not None)
    if not as_json:
        typer.echo(_describe(result))
    if speaker is not None:
        if not as_json:
            typer.echo(f"Playing it back on {speaker.name} ...")
        sound_check.play(speaker, recording)
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False))
    if result.verdict in sound_check.ADVICE:
        raise AssistantError(sound_check.ADVICE[result.verdict])


def _describe(result: MicResult) -> str:
    verdict = {"ok": "ok: the microphone hears clearly"}.get(result.verdict, result.verdict)
    return (
        f"{result.device}: {result.seconds:.1f} s recorded\n"
        f"peak {result.peak_dbfs:.1f} dBFS, RMS {result.rms_dbfs:.1f} dBFS, "
        f"clipped {result.clipped * 100:.2f} % of samples\n"
        f"verdict: {verdict}"
    )


def speaker_test(
    text: Annotated[
        str | None, typer.Option("--text", help="Say this instead of the test sentence.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Say a test sentence on the speaker, in the elder's language, speed and volume."""
    from assistant.config import load_settings
    from assistant.service import sound_check
    from audio.devices import sounddevice
    from audio.speech_out import Voice, delivery

    settings, paths = load_settings()
    speaker = sound_check.speaker_for(sounddevice(), settings)
    volume = sound_check.stored_volume(paths)
    how = delivery(settings.speech_rate, volume)
    sentence = text or sound_check.TEST_SENTENCES[settings.lang]
    audio = Voice(settings.lang).synthesize(sentence, how)
    if not as_json:
        typer.echo(f"Saying {sentence!r} on {speaker.name} ...")
    sound_check.play(speaker, audio)
    report = {"device": speaker.name, "lang": settings.lang, "text": sentence,
              "rate": how.rate, "volume": volume, "seconds": round(audio.seconds, 2)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        typer.echo(
            f"{report['seconds']} s of speech at {how.rate} words per minute, volume {volume} "
            "of 10 (the elder's: 大声一点 / 小声一点, louder / quieter)"
        )
