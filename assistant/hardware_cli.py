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
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Annotated, Any, TextIO

import typer

from assistant.config import Paths, Settings, load_settings
from assistant.errors import AssistantError, AudioDeviceError
from assistant.state import VOLUME_DEFAULT, volume_of
from assistant.storage import Database, get_value
from audio.chunks import RATE, AudioChunk, join, level
from audio.devices import Speaker, find_device, sounddevice
from audio.sources import LOST_AFTER_S, Microphone
from audio.speech_out import Voice, delivery

SILENCE_DBFS = -55.0
"""An RMS level below this is silence: the microphone hears nothing."""
CLIPPED_MAX = 0.001
"""More than this fraction of samples at full scale is clipping."""
FLOOR_DBFS = round(20 * math.log10(1 / 32768), 1)
"""The level of digital silence: one step of 16-bit audio (-90.3 dBFS)."""
METER_MS = 100
METER_WIDTH = 40
TEST_SENTENCES = {"zh": "您好，我是小安。这是扬声器测试。",
                  "en": "Hello, I am XiaoAn. This is a speaker test."}  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")]


def register(app: typer.Typer) -> None:
    """Add ``devices``, ``mic-test`` and ``speaker-test`` to the ``assistant`` command."""
    app.command()(devices)
    app.command("mic-test")(mic_test)
    app.command("speaker-test")(speaker_test)


@dataclass(frozen=True)
class Device:
    """One microphone or speaker as listed."""

    index: int
    name: str
    channels: int
    default_rate: int
    default: bool
    selected: bool


@dataclass(frozen=True)
class MicResult:
    """What ``mic-test`` measured (levels in dBFS, ``clipped`` a fraction of samples)."""

    device: str
    seconds: float
    peak_dbfs: float
    rms_dbfs: float
    clipped: float
    verdict: str
    played_back: bool


ADVICE = {
    "silence": "nothing heard: check the microphone is plugged in, not muted (alsamixer), "
    "and audio_input (`assistant devices`)",
    "clipping": "too loud: lower the capture gain in alsamixer or move the microphone away",
}


@contextmanager
def _portaudio(sd: ModuleType) -> Iterator[None]:
    """PortAudio's own errors as an ``AudioDeviceError`` naming the fix."""
    try:
        yield
    except sd.PortAudioError as err:
        raise AudioDeviceError(
            f"PortAudio failed ({err}): check `aplay -l` / `arecord -l`, or reinstall it "
            "(`sudo apt-get install --reinstall libportaudio2`)"
        ) from err


def _find(sd: ModuleType, spec: str, kind: str) -> tuple[int, dict[str, Any]]:
    """The device ``spec`` selects; when a set one is not found, the error says how to
    choose another."""
    try:
        return find_device(spec, kind, sd)
    except AudioDeviceError as err:
        if not spec:
            raise
        raise AudioDeviceError(
            f"{err}; e.g. `assistant config set audio_{kind} N` (N: an index from "
            "`assistant devices`)"
        ) from err


def _listed(sd: ModuleType, spec: str, kind: str) -> tuple[list[Device], str]:
    """The devices of one kind, and why the selected one is missing ("" when found)."""
    with _portaudio(sd):
        infos = [dict(d) for d in sd.query_devices()]
        default = int(sd.default.device[0 if kind == "input" else 1])
        try:
            selected, problem = _find(sd, spec, kind)[0], ""
        except AudioDeviceError as err:
            selected, problem = -1, str(err)
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    listed = [Device(i, str(d.get("name", i)), int(d.get(key, 0)),
                     round(float(d.get("default_samplerate") or 0)), i == default, i == selected)
              for i, d in enumerate(infos) if int(d.get(key, 0)) > 0]  # fmt: skip
    return listed, problem


def devices(as_json: JsonOption = False) -> None:
    """List microphones and speakers: the system default, and the one the settings select."""
    settings, _ = load_settings()
    sd = sounddevice()
    inputs, no_input = _listed(sd, settings.audio_input, "input")
    outputs, no_output = _listed(sd, settings.audio_output, "output")
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
    settings, _ = load_settings()
    sd = sounddevice()
    _find(sd, settings.audio_input, "input")
    speaker = None if no_playback else _speaker(sd, settings, "; or add --no-playback")
    microphone = Microphone(settings.audio_input, backend=sd)
    try:
        recording = record(microphone, seconds, Meter(sys.stdout, microphone.name))
    finally:
        microphone.close()
    result = measure(microphone.name, recording, played_back=speaker is not None)
    if not as_json:
        typer.echo(_describe(result))
    if speaker is not None:
        if not as_json:
            typer.echo(f"Playing it back on {speaker.name} ...")
        _play(speaker, recording)
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False))
    if result.verdict in ADVICE:
        raise AssistantError(ADVICE[result.verdict])


def _speaker(sd: ModuleType, settings: Settings, hint: str = "") -> Speaker:
    try:
        _find(sd, settings.audio_output, "output")
    except AudioDeviceError as err:
        raise AudioDeviceError(f"{err}{hint}") from err
    return Speaker(settings.audio_output)


def _play(speaker: Speaker, chunk: AudioChunk) -> None:
    speaker.play(chunk)
    if speaker.last_error:
        raise AudioDeviceError(
            f"the speaker `{speaker.name}` failed ({speaker.last_error}): check its cable "
            "and `aplay -l`, or set audio_output to another device (`assistant devices`)"
        )


def record(
    microphone: Microphone,
    seconds: float,
    meter: Meter,
    clock: Callable[[], float] = time.monotonic,
) -> AudioChunk:
    """``seconds`` of audio from the microphone (16 kHz), shown on the meter as it comes."""
    wanted = round(seconds * RATE)
    pieces: list[AudioChunk] = []
    got = 0
    deadline = clock() + seconds + LOST_AFTER_S + 1
    while got < wanted:
        chunk = microphone.read()
        if chunk is None:
            if clock() > deadline:
                meter.close()
                raise AudioDeviceError(
                    f"the microphone `{microphone.name}` gave no audio: check its cable, or "
                    "set audio_input to another device (`assistant devices`)"
                )
            continue
        pieces.append(chunk)
        got += chunk.samples
        meter.show(chunk)
    meter.close()
    whole = join(pieces)
    return AudioChunk(whole.rate, whole.width, whole.channels, whole.audio[: wanted * 2])


class Meter:
    """A one-line level meter, redrawn every 100 ms with ``\\r``; silent when ``out`` is not
    a terminal."""

    def __init__(self, out: TextIO, name: str) -> None:
        self._out = out
        self._on = out.isatty()
        self._name = name
        self._pending: list[AudioChunk] = []

    def show(self, chunk: AudioChunk) -> None:
        """Take a chunk; draw once 100 ms have gathered."""
        if not self._on:
            return
        self._pending.append(chunk)
        gathered = join(self._pending)
        if gathered.seconds * 1000 < METER_MS:
            return
        self._pending = []
        db = dbfs(level(gathered))
        bar = "#" * round(METER_WIDTH * max(0.0, 1 + db / 60))
        self._out.write(f"\r{self._name[:24]}  [{bar:<{METER_WIDTH}}] {db:6.1f} dBFS")
        self._out.flush()

    def close(self) -> None:
        """Clear the meter's line."""
        if self._on:
            self._out.write("\r" + " " * (METER_WIDTH + 46) + "\r")
            self._out.flush()


def dbfs(value: float) -> float:
    """A level (0-1 of full scale) in dBFS, one decimal; digital silence is -90.3."""
    return round(20 * math.log10(max(value, 1 / 32768)), 1)


def measure(device: str, chunk: AudioChunk, played_back: bool) -> MicResult:
    """Peak, RMS, the clipped fraction, and the verdict: ``ok``, ``silence`` or ``clipping``."""
    import numpy as np

    samples = np.frombuffer(chunk.audio, dtype=np.int16).astype(np.float64)
    count = max(1, samples.size)
    peak = float(np.max(np.abs(samples), initial=0.0)) / 32768
    rms = math.sqrt(float(np.sum(samples * samples)) / count) / 32768
    clipped = float(np.count_nonzero(np.abs(samples) >= 32767)) / count
    rms_db = dbfs(rms)
    verdict = "clipping" if clipped > CLIPPED_MAX else "silence" if rms_db < SILENCE_DBFS else "ok"
    return MicResult(device, round(chunk.seconds, 2), dbfs(peak), rms_db, round(clipped, 5),
                     verdict, played_back)  # fmt: skip


def _describe(result: MicResult) -> str:
    verdict = {"ok": "ok: the microphone hears clearly"}.get(result.verdict, result.verdict)
    return (
        f"{result.device}: {result.seconds:.1f} s recorded\n"
        f"peak {result.peak_dbfs:.1f} dBFS, RMS {result.rms_dbfs:.1f} dBFS, "
        f"clipped {result.clipped * 100:.2f} % of samples\n"
        f"verdict: {verdict}"
    )


def stored_volume(paths: Paths) -> int:
    """The elder's volume (1-10) as ``DeviceState.volume`` reads it; the default when none
    was set (or there is no database yet: none is created)."""
    path = paths.data_dir / "xiaoan.db"
    if not path.exists():
        return VOLUME_DEFAULT
    with Database(path).create().connect() as conn:
        return volume_of(get_value(conn, "volume"))


def speaker_test(
    text: Annotated[
        str | None, typer.Option("--text", help="Say this instead of the test sentence.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Say a test sentence on the speaker, in the elder's language, speed and volume."""
    settings, paths = load_settings()
    speaker = _speaker(sounddevice(), settings)
    volume = stored_volume(paths)
    how = delivery(settings.speech_rate, volume)
    sentence = text or TEST_SENTENCES[settings.lang]
    audio = Voice(settings.lang).synthesize(sentence, how)
    if not as_json:
        typer.echo(f"Saying {sentence!r} on {speaker.name} ...")
    _play(speaker, audio)
    report = {"device": speaker.name, "lang": settings.lang, "text": sentence,
              "rate": how.rate, "volume": volume, "seconds": round(audio.seconds, 2)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        typer.echo(
            f"{report['seconds']} s of speech at {how.rate} words per minute, volume {volume} "
            "of 10 (the elder's: 大声一点 / 小声一点, louder / quieter)"
        )
