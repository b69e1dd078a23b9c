"""The speech-model store: one model folder per language, ``$XIAOAN_HOME/models/<lang>``.

A model is installed from a download or from a local zip or folder (a technician's USB
stick) the same way: unpacked into a temporary folder under the models folder, verified
there (pinned: every file's size and sha256 against the manifest; unpinned: the Vosk
structure, with a warning), given an install record (``.xiaoan-model.json``), and only
then moved in place of the previous model (two renames: the old one aside, the new one in;
a crash between them is undone on the next use). A refused model changes nothing.

``check_model`` is the fast check before every load (structure and recorded sizes, no
hashing: Vosk misbehaves on a truncated graph); ``ModelStore.verify`` hashes every file.
``resolve_model`` finds the folder to load. The run-time never downloads.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from audio.model_download import Progress, fetch, refusal, unpack
from audio.model_files import (
    RECORD,
    FileList,
    FileProblem,
    InstallRecord,
    ModelEntry,
    check_files,
    check_model,
    file_sizes,
    hash_files,
    load_manifest,
    read_record,
    structure_problems,
    write_record,
)

__all__ = ["FileProblem", "InstalledModel", "ModelEntry", "ModelStore", "VerifyReport",
           "check_model", "load_manifest", "resolve_model"]  # fmt: skip

_LOGGER = logging.getLogger(__name__)
_LANG = re.compile(r"[a-z][a-z0-9_-]{0,15}")
TIMEOUT = (10.0, 30.0)
"""Seconds to connect, and seconds without a byte, before a download gives up."""


@dataclass(frozen=True)
class InstalledModel:
    """A model folder as its install record describes it (``name`` is "" without one)."""

    lang: str
    folder: Path
    name: str
    pinned: bool
    source: str
    installed_at: str
    files: int
    size: int
    """Bytes of all its files."""

    def to_json(self) -> dict[str, Any]:
        """The model as JSON."""
        return {**asdict(self), "folder": str(self.folder)}


@dataclass(frozen=True)
class VerifyReport:
    """Every file of an installed model hashed and compared (``checked`` files)."""

    lang: str
    folder: Path
    name: str
    pinned: bool
    checked: int
    problems: tuple[FileProblem, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing is missing, extra or different."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {**asdict(self), "folder": str(self.folder), "ok": self.ok}


class ModelStore:
    """The installed models below ``models_dir``, and the manifest they are checked against."""

    def __init__(self, models_dir: Path, manifest: dict[str, ModelEntry] | None = None) -> None:
        self.models_dir = models_dir
        self.manifest = load_manifest() if manifest is None else manifest

    def entry(self, lang: str) -> ModelEntry:
        """The manifest's model for ``lang``."""
        if lang not in self.manifest:
            known = ", ".join(self.manifest)
            raise ModelError(
                f"there is no speech model for `{lang}` in the manifest: known: {known}"
            )
        return self.manifest[lang]

    def folder(self, lang: str) -> Path:
        """Where the model of ``lang`` is installed."""
        if not _LANG.fullmatch(lang):
            raise ModelError(f"`{lang}` is not a language code: write e.g. zh")
        return self.models_dir / lang

    def installed(self) -> list[InstalledModel]:
        """The model folders present, by language."""
        if not self.models_dir.is_dir():
            return []
        for lang in self.manifest:
            _recover(self.models_dir, lang)
        folders = sorted(p for p in self.models_dir.iterdir() if _LANG.fullmatch(p.name))
        return [self._describe(folder.name) for folder in folders if folder.is_dir()]

    def install_from(self, lang: str, source: Path) -> InstalledModel:
        """Install the model in ``source`` (a .zip archive or a folder) after verifying it."""
        entry = self.entry(lang)
        with self._lock(lang):
            return self._install(entry, source, os.path.realpath(source))

    def download(
        self, lang: str, url: str | None = None, progress: Progress | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> InstalledModel:  # fmt: skip
        """Download the archive (the manifest's URL or ``url``, a mirror), resuming an
        interrupted download, and install it as ``install_from`` does."""
        entry = self.entry(lang)
        url = url or entry.url
        part = self.models_dir / ".downloads" / f"{entry.name}.zip.part"
        with self._lock(lang):
            offline = (f"copy {entry.name}.zip (from {entry.url}) to a USB stick and run "
                       f"`assistant models install {lang} --from FILE.zip`")  # fmt: skip
            fetch(url, part, progress, timeout, offline)
            try:
                return self._install(entry, part, url)
            finally:
                part.unlink(missing_ok=True)  # installed, or not worth resuming

    def verify(self, lang: str) -> VerifyReport:
        """Hash every file: against the manifest when pinned, else the install record."""
        entry, folder = self.entry(lang), self.folder(lang)
        _recover(self.models_dir, lang)
        if not folder.is_dir():
            raise ModelError(missing_message(lang, folder))
        record, problems = _record_of(folder)
        expected = entry.files or (record.files if record else None)
        if expected is None:
            what = f"missing: an unpinned model is checked against it; {_unrecorded(lang)}"
            problems.append(FileProblem(RECORD, "record", what))
            problems += structure_problems(folder)
        else:
            problems += check_files(folder, expected)
        if record and record.name != entry.name:
            what = f"names {record.name}, the manifest {entry.name}: {_unrecorded(lang)}"
            problems.append(FileProblem(RECORD, "record", what))
        name = record.name if record else entry.name
        checked = len(expected or ())
        return VerifyReport(lang, folder, name, entry.pinned, checked, tuple(problems))

    def remove(self, lang: str) -> None:
        """Delete the installed model of ``lang``."""
        folder = self.folder(lang)
        with self._lock(lang):
            if not folder.is_dir():
                raise ModelError(
                    f"there is no speech model for {lang} in {folder}: nothing to remove"
                )
            os.rename(folder, self._trash(lang))
            _discard(self._trash(lang))

    def _install(self, entry: ModelEntry, source: Path, origin: str) -> InstalledModel:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".install-{entry.lang}-", dir=self.models_dir))
        installed = self.folder(entry.lang).is_dir()
        kept = "the installed model is untouched" if installed else "nothing was installed"
        try:
            work.chmod(0o755)  # like the folders inside it; mkdtemp makes it 0700
            unpack(source, work, entry)
            files = _verified(entry, work, source)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            write_record(work, InstallRecord(entry.name, entry.lang, origin, stamp,
                                             entry.pinned, files))  # fmt: skip
            self._swap(entry.lang, work)
        except ModelError as err:
            raise ModelError(f"{err}; {kept}") from err
        except OSError as err:
            raise ModelError(
                f"installing {entry.name} from {source} failed ({err}): check the source and "
                f"that {self.models_dir} is writable and has room; {kept}"
            ) from err
        finally:
            _discard(work)
        _LOGGER.info("Installed %s for %s from %s", entry.name, entry.lang, origin)
        return self._describe(entry.lang)

    def _swap(self, lang: str, new: Path) -> None:
        """Put ``new`` in place of the installed model: the old one aside, the new one in."""
        target, aside = self.folder(lang), self.models_dir / f".old-{lang}"
        _discard(aside)
        if target.exists():
            os.rename(target, aside)
        try:
            os.rename(new, target)
        except OSError:
            _undo_swap(self.models_dir, lang)
            raise
        _fsync_folder(self.models_dir)
        _discard(aside)

    def _trash(self, lang: str) -> Path:
        return self.models_dir / f".remove-{lang}"

    def _describe(self, lang: str) -> InstalledModel:
        folder = self.folder(lang)
        try:
            record = read_record(folder)
        except ModelError:
            record = None  # `verify` names it
        if record is None:
            sizes = file_sizes(folder)
            return InstalledModel(lang, folder, "", False, "", "", len(sizes), sum(sizes.values()))
        size = sum(size for size, _ in record.files.values())
        return InstalledModel(lang, folder, record.name, record.pinned, record.source,
                              record.installed_at, len(record.files), size)  # fmt: skip

    @contextmanager
    def _lock(self, lang: str) -> Iterator[None]:
        """One command at a time changes a language's model; leftovers of a crash go first."""
        with _locked(self.models_dir, self.folder(lang).name):
            _undo_swap(self.models_dir, lang)
            for stale in [*self.models_dir.glob(f".install-{lang}-*"), self._trash(lang)]:
                _discard(stale)
            yield


def _verified(entry: ModelEntry, folder: Path, source: Path) -> FileList:
    """The files of the unpacked model, once it is known to be the right one."""
    structure = structure_problems(folder)
    if structure:
        what = "; ".join(problem.describe() for problem in structure)
        raise ModelError(f"{source}: is not a Vosk model ({what}): give the model's .zip or folder")
    if not entry.pinned:
        _LOGGER.warning(
            "%s is unpinned: no trusted sha256 list is known, so its files cannot be checked "
            "against one; the sha256 of what was installed is recorded and `assistant models "
            "verify %s` checks against that", entry.name, entry.lang,
        )  # fmt: skip
        return hash_files(folder)
    problems = check_files(folder, entry.files)
    if problems:
        raise ModelError(f"{source}: {refusal(problems)}")
    return dict(entry.files)


def resolve_model(models_dir: Path, lang: str, override: str = "") -> Path:
    """The model folder to load: ``override`` (``--model DIR``, the ``model_dir`` setting) if
    given, else ``models_dir/lang``; checked with ``check_model``."""
    if override:
        folder = Path(override).expanduser()
        if not folder.is_dir():
            raise ModelError(
                f"the model folder {folder} (--model or model_dir) does not exist: give a Vosk "
                f"model folder, or leave model_dir empty to use {models_dir / lang}"
            )
        check_model(folder)
        return folder
    folder = models_dir / lang
    _recover(models_dir, lang)
    _tidy(models_dir, lang)
    if not folder.is_dir():
        raise ModelError(missing_message(lang, folder))
    check_model(folder, lang=lang)
    return folder


def missing_message(lang: str, folder: Path) -> str:
    """What to say when no model of ``lang`` is installed."""
    return (
        f"no speech model for {lang} in {folder}: run `assistant models install {lang}` "
        f"(download) or `assistant models install {lang} --from FILE.zip` (USB stick)"
    )


def _record_of(folder: Path) -> tuple[InstallRecord | None, list[FileProblem]]:
    """The install record, or a problem naming it when it is damaged."""
    try:
        return read_record(folder), []
    except ModelError as err:
        return None, [FileProblem(RECORD, "record", f"damaged ({err.__cause__})")]


def _unrecorded(lang: str) -> str:
    return f"reinstall it with `assistant models install {lang}`"


@contextmanager
def _locked(models_dir: Path, lang: str) -> Iterator[None]:
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelError(f"{models_dir}: cannot be made a folder for models ({err.strerror}): "
                         "remove what is there") from err  # fmt: skip
    with (models_dir / f".lock-{lang}").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise ModelError(
                f"another `assistant models` command is changing the {lang} model in "
                f"{models_dir}: wait for it to finish"
            ) from err
        yield


def _tidy(models_dir: Path, lang: str) -> None:
    """Remove what an install cut short left (a half-unpacked ``.install-*`` folder can be
    hundreds of MB), unless an install is running now."""
    stale = list(models_dir.glob(f".install-{lang}-*"))
    if not stale:
        return
    with suppress(ModelError, OSError), _locked(models_dir, lang):
        for folder in stale:
            _discard(folder)
        _LOGGER.warning("removed what a cut-short model install left in %s", models_dir)


def _recover(models_dir: Path, lang: str) -> None:
    """Undo a swap cut short by a crash (an install racing with this fails, changing nothing)."""
    with suppress(OSError):
        _undo_swap(models_dir, lang)


def _undo_swap(models_dir: Path, lang: str) -> None:
    target, aside = models_dir / lang, models_dir / f".old-{lang}"
    if aside.is_dir() and not target.exists():
        _LOGGER.warning("Putting back %s: an install was cut short", target)
        os.rename(aside, target)


def _discard(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the renames themselves survive a power cut
    finally:
        os.close(descriptor)
