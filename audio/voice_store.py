"""Neural voices, installed like the speech models: ``$XIAOAN_HOME/voices/<lang>/``.

A Piper voice is two files, ``NAME.onnx`` and ``NAME.onnx.json``. ``assistant models
install voice-zh`` downloads the official ones (``OFFICIAL``: the Piper voices'
repository), ``--from`` takes them from a USB stick: the ``.onnx`` (its ``.onnx.json``
beside it), a folder holding the pair, or a ``.zip`` of them. Before a voice replaces the
installed one it is checked: regular files only (no link, no device), within the sizes a
voice has, the JSON readable, and the model **loaded and made to speak** once. It is
copied into a temporary folder first and put in place with one rename, so a refused or
cut-short install changes nothing; the sha256 of both files is recorded
(``.xiaoan-voice.json``). No trustworthy list of these files' hashes is known here, so
they are unpinned, as the Mandarin speech model's archive is (docs/models.md).
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
from pathlib import Path

from assistant.errors import ModelError, SpeechOutError
from audio.model_download import Progress, fetch

_LOGGER = logging.getLogger(__name__)
REPOSITORY = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
OFFICIAL = {
    "zh": ("zh_CN-huayan-medium", f"{REPOSITORY}/zh/zh_CN/huayan/medium/zh_CN-huayan-medium"),
    "en": ("en_US-lessac-medium", f"{REPOSITORY}/en/en_US/lessac/medium/en_US-lessac-medium"),
}
"""The voice of each language: its name, and its URL without ``.onnx`` / ``.onnx.json``."""
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
            _speaks(model, lang)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            sums = {p.name: _sha256(p) for p in (model, _config(model))}
            record = {"source": origin or os.path.realpath(source), "installed_at": stamp,
                      "sha256": sums}  # fmt: skip
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

    def download(self, lang: str, progress: Progress | None = None) -> InstalledVoice:
        """Fetch the official voice of ``lang`` (both files, resumable) and install it."""
        if lang not in OFFICIAL:
            raise ModelError(f"no official voice is known for {lang}: known: "
                             f"{', '.join(OFFICIAL)}; or install one --from a file")  # fmt: skip
        name, url = OFFICIAL[lang]
        parts = self.voices_dir / ".downloads" / name
        command = f"assistant models install voice-{lang} --from {name}.onnx"
        offline = (f"copy {name}.onnx and {name}.onnx.json (from {url}.onnx) to a USB stick"
                   f" and run `{command}`")  # fmt: skip
        for suffix in (".onnx", ".onnx.json"):
            fetch(url + suffix, parts / (name + suffix + ".part"), progress, (10.0, 30.0), offline)
        for suffix in (".onnx", ".onnx.json"):
            os.replace(parts / (name + suffix + ".part"), parts / (name + suffix))
        try:
            return self.install_from(lang, parts / f"{name}.onnx", url + ".onnx")
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
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
