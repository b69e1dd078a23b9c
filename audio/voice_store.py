"""Neural voices, installed like the speech models: ``$XIAOAN_HOME/voices/<lang>/``.

A Piper voice is two files, ``NAME.onnx`` and ``NAME.onnx.json``. ``assistant models
install voice-zh`` downloads the official ones (``audio/voices.yaml``: the Piper voices'
repository, or ``--url`` a mirror), ``--from`` takes them from a USB stick: the ``.onnx``
(its ``.onnx.json`` beside it), a folder holding the pair, or a ``.zip`` of them. Before a
voice replaces the installed one it is checked: regular files only (no link, no device),
within the sizes a voice has, an official voice's files (by name) of the size and md5 the
repository's catalogue lists, the JSON readable, and the model **loaded and made to
speak** once. It is copied into a temporary folder first and put in place with one
rename, so a refused or cut-short install changes nothing; the sha256 of both files is
recorded (``.xiaoan-voice.json``): the catalogue lists md5, not sha256.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    PositiveInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ModelError, SpeechOutError
from audio.model_download import Progress, fetch

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfficialVoice:
    """One language's voice in ``audio/voices.yaml`` (its comments say what each key is)."""

    name: str
    url: str
    files: dict[str, tuple[int, str]]
    """By file name: (size in bytes, md5)."""


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    size: PositiveInt
    md5: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _VoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+\.onnx$")]
    files: dict[str, _FileIn]


_VOICES = TypeAdapter(dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], _VoiceIn])


def official_voices() -> dict[str, OfficialVoice]:
    """The packaged list of official voices (``audio/voices.yaml``), by language."""
    try:
        text = resources.files("audio").joinpath("voices.yaml").read_text(encoding="utf-8")
        data = _VOICES.validate_python(YAML(typ="safe").load(text))
    except (OSError, YAMLError, ValidationError) as err:
        raise ModelError(f"audio/voices.yaml: {err}: this is a bug of the XiaoAn package: "
                         "reinstall it") from err  # fmt: skip
    out = {}
    for lang, voice in data.items():
        wanted = {voice.name + ".onnx", voice.name + ".onnx.json"}
        if set(voice.files) != wanted:
            raise ModelError(f"audio/voices.yaml: `{lang}.files` must list {sorted(wanted)}: "
                             "this is a bug of the XiaoAn package: reinstall it")  # fmt: skip
        files = {name: (f.size, f.md5) for name, f in voice.files.items()}
        out[lang] = OfficialVoice(voice.name, voice.url, files)
    return out


MAX_MODEL_BYTES = 200 * 1024 * 1024
MAX_CONFIG_BYTES = 1024 * 1024
RECORD = ".xiaoan-voice.json"


@dataclass(frozen=True)
class InstalledVoice:
    """A voice in the store."""

    lang: str
    model: Path
    source: str
    installed_at: str

    def to_json(self) -> dict[str, str]:
        return {"lang": self.lang, "voice": self.model.stem, "model": str(self.model),
                "source": self.source, "installed_at": self.installed_at}  # fmt: skip


@dataclass(frozen=True)
class VoiceStore:
    """``voices_dir/<lang>/`` holds each language's voice."""

    voices_dir: Path
    official: dict[str, OfficialVoice] | None = None
    """The official voices (None: ``audio/voices.yaml``)."""

    def folder(self, lang: str) -> Path:
        return self.voices_dir / lang

    def model(self, lang: str) -> Path | None:
        """The installed voice's ``.onnx`` (None: no voice for ``lang``)."""
        folder = self.folder(lang)
        found = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
        return found[0] if found else None

    def install_from(self, lang: str, source: Path, origin: str = "") -> InstalledVoice:
        """Check and install the voice in ``source`` (see the module's docstring)."""
        self.voices_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".install-voice-{lang}-", dir=self.voices_dir))
        try:
            model = _unpack(source, work)
            pinned = self._as_listed(lang, model)
            _speaks(model, lang)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            sums = {p.name: _sha256(p) for p in (model, _config(model))}
            record = {"source": origin or os.path.realpath(source), "installed_at": stamp,
                      "pinned": pinned, "sha256": sums}  # fmt: skip
            (work / RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
            target, aside = self.folder(lang), self.voices_dir / f".old-voice-{lang}"
            shutil.rmtree(aside, ignore_errors=True)
            if target.exists():
                os.rename(target, aside)
            os.rename(work, target)
            shutil.rmtree(aside, ignore_errors=True)
        except OSError as err:
            raise ModelError(f"installing a voice from {source} failed ({err.strerror or err}):"
                             " nothing was changed") from err  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _LOGGER.info("voice for %s installed from %s", lang, source)
        installed = self.model(lang)
        assert installed is not None, "just installed"
        return InstalledVoice(lang, installed, str(record["source"]), stamp)

    def voices(self) -> dict[str, OfficialVoice]:
        """The official voices, by language."""
        return self.official if self.official is not None else official_voices()

    def _as_listed(self, lang: str, model: Path) -> bool:
        """Whether ``model`` is the official voice of ``lang`` (by name); if it is, each
        file must have the listed size and md5, or it is refused."""
        voice = self.voices().get(lang)
        if voice is None or model.name != voice.name + ".onnx":
            return False
        for path in (model, _config(model)):
            size, md5 = voice.files[path.name]
            found = path.stat().st_size
            if found != size:
                raise ModelError(
                    f"{path.name}: {found} bytes, the official voice has {size}: "
                    "cut short or not the official file; download it again"
                )
            digest = _digest(path, "md5")
            if digest != md5:
                raise ModelError(
                    f"{path.name}: md5 {digest}, the official voice has {md5}: "
                    "damaged or not the official file; download it again"
                )
        return True

    def download(self, lang: str, url: str | None = None,
                 progress: Progress | None = None) -> InstalledVoice:  # fmt: skip
        """Fetch the official voice of ``lang`` (both files, resumable; ``url``: its .onnx
        on a mirror, the .onnx.json beside it) and install it; both files must be as
        listed."""
        voice = self.voices().get(lang)
        if voice is None:
            known = ", ".join(self.voices())
            raise ModelError(f"no official voice is known for {lang}: known: {known}; "
                             "or install one --from a file")  # fmt: skip
        name, onnx = voice.name, url or voice.url
        parts = self.voices_dir / ".downloads" / name
        command = f"assistant models install voice-{lang} --from {name}.onnx"
        offline = (f"copy {name}.onnx and {name}.onnx.json (from {voice.url}) to a USB stick"
                   f" and run `{command}`")  # fmt: skip
        for suffix, address in ((".onnx", onnx), (".onnx.json", onnx + ".json")):
            fetch(address, parts / (name + suffix + ".part"), progress, (10.0, 30.0), offline)
        try:
            for suffix in (".onnx", ".onnx.json"):
                os.replace(parts / (name + suffix + ".part"), parts / (name + suffix))
            return self.install_from(lang, parts / f"{name}.onnx", onnx)
        finally:
            shutil.rmtree(parts, ignore_errors=True)

    def remove(self, lang: str) -> Path:
        folder = self.folder(lang)
        if not folder.is_dir():
            raise ModelError(f"there is no voice for {lang} in {folder}: nothing to remove")
        shutil.rmtree(folder)
        return folder


def _unpack(source: Path, work: Path) -> Path:
    """The pair of files from ``source`` copied into ``work``; the ``.onnx`` there."""
    try:
        kind = source.stat().st_mode
    except OSError as err:
        raise ModelError(f"{source}: there is no such file or folder: give the voice's .onnx"
                         ) from err  # fmt: skip
    if stat.S_ISDIR(kind):
        found = sorted(p for p in source.iterdir() if p.name.endswith(".onnx"))
        if len(found) != 1:
            raise ModelError(f"{source}: holds {len(found)} .onnx files: give the voice's .onnx")
        source = found[0]
    elif zipfile.is_zipfile(source) if stat.S_ISREG(kind) else False:
        return _unzip(source, work)
    elif not stat.S_ISREG(kind) or not source.name.endswith(".onnx"):
        raise ModelError(f"{source}: is not a voice: give its .onnx (with the .onnx.json "
                         "beside it), a folder of them, or a .zip")  # fmt: skip
    for path, most in ((source, MAX_MODEL_BYTES), (_config(source), MAX_CONFIG_BYTES)):
        _copy(path, work / path.name, most)
    return work / source.name


def _unzip(archive: Path, work: Path) -> Path:
    with zipfile.ZipFile(archive) as zipped:
        members = [i for i in zipped.infolist() if not i.is_dir()]
        onnx = [i for i in members if i.filename.endswith(".onnx")]
        if len(onnx) != 1:
            raise ModelError(f"{archive}: holds {len(onnx)} .onnx files: give a voice's .zip")
        wanted = {onnx[0].filename, onnx[0].filename + ".json"}
        for info in (i for i in members if i.filename in wanted):
            if stat.S_ISLNK(info.external_attr >> 16) or info.file_size > MAX_MODEL_BYTES:
                raise ModelError(f"{archive}: refused: `{info.filename}` is a link or too big")
            with zipped.open(info) as stream, (work / Path(info.filename).name).open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
    model = work / Path(onnx[0].filename).name
    if not _config(model).is_file():
        raise ModelError(f"{archive}: has no {model.name}.json beside {model.name}")
    return model


def _copy(path: Path, target: Path, most: int) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ModelError(f"{path}: cannot be read ({err.strerror}): a voice is a .onnx with "
                         "its .onnx.json beside it, not links") from err  # fmt: skip
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > most:
            raise ModelError(f"{path}: refused: not a regular file, or larger than a voice's "
                             f"{most // (1024 * 1024)} MB")  # fmt: skip
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)


def _config(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def _speaks(model: Path, lang: str) -> None:
    """Load the voice and make it say one word: what cannot is refused here, not at a reply."""
    try:
        json.loads(_config(model).read_text(encoding="utf-8"))["audio"]["sample_rate"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"{_config(model).name}: is not a Piper voice's settings ({err})"
                         ) from err  # fmt: skip
    from audio.neural_voice import NeuralVoice
    from audio.speech_out import delivery

    try:
        NeuralVoice(model, lang).synthesize("好" if lang == "zh" else "Hello.", delivery(140, 5))
    except SpeechOutError as err:
        raise ModelError(f"{model.name}: the voice does not work: {err}") from err


def _sha256(path: Path) -> str:
    return _digest(path, "sha256")


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm, usedforsecurity=algorithm != "md5")
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
