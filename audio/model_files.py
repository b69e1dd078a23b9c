"""The files of a speech model: the manifest, the install record, sizes and sha256, the
Vosk structure, and unpacking an archive or copying a folder safely.

Everything here works on one folder and returns values (a list of ``FileProblem``);
``audio.model_store`` decides what to install, refuse or report. The manifest is package
data, ``audio/models.yaml``, read with ruamel.yaml; a mistake in it is a package bug.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assistant.errors import ModelError

RECORD = ".xiaoan-model.json"
"""The install record inside an installed model folder."""

_REQUIRED = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")
_IVECTOR = ("final.dubm", "final.ie", "final.mat", "global_cmvn.stats", "online_cmvn.conf",
            "splice.conf")  # fmt: skip
_NOT_EMPTY = (".mdl", ".fst", ".ie", ".dubm", ".mat")

FileList = dict[str, tuple[int, str]]
"""Relative path (``/``-separated) → (size in bytes, sha256 in hex)."""

_Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    size: NonNegativeInt
    sha256: _Sha256


class _EntryIn(BaseModel):
    """One language of ``audio/models.yaml`` (the comments at its top say what each key is)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    purpose: Literal["dialogue", "test"]
    archive_size: PositiveInt | None = None
    archive_sha256: _Sha256 | None = None
    archive_pinned: bool = False
    files: Literal["unpinned"] | Annotated[dict[str, _FileIn], Field(min_length=1)]


_MANIFEST = TypeAdapter(
    dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,15}$")], _EntryIn]
)


@dataclass(frozen=True)
class ModelEntry:
    """One language's model as the manifest describes it.

    ``files`` is empty for an unpinned model (no trustworthy per-file list is known).
    ``archive_size`` and ``archive_sha256`` (None: unknown) describe the official zip; unless
    ``archive_pinned``, a mismatch is only logged and the per-file list decides."""

    lang: str
    name: str
    url: str
    archive_size: int | None
    archive_sha256: str | None
    files: FileList
    purpose: str
    archive_pinned: bool = False

    @property
    def pinned(self) -> bool:
        """Whether every file's size and sha256 is known in advance."""
        return bool(self.files)


@dataclass(frozen=True)
class FileProblem:
    """One file that is not as expected: ``missing``, ``size``, ``sha256``, ``extra``,
    ``structure`` (the Vosk layout) or ``record`` (the install record)."""

    path: str
    kind: str
    expected: str = ""
    found: str = ""

    def describe(self) -> str:
        """One line for a person."""
        if self.kind == "missing":
            return f"{self.path}: missing"
        if self.kind == "size":
            return f"{self.path}: {self.found} bytes, expected {self.expected} (truncated or wrong)"
        if self.kind == "sha256":
            return f"{self.path}: sha256 {self.found[:16]}…, expected {self.expected[:16]}…"
        if self.kind == "extra":
            return f"{self.path}: not part of the model"
        return f"{self.path}: {self.expected}"


@dataclass(frozen=True)
class InstallRecord:
    """What was installed, written as ``.xiaoan-model.json`` inside the model folder."""

    name: str
    lang: str
    source: str
    installed_at: str
    pinned: bool
    files: FileList

    def to_json(self) -> dict[str, Any]:
        """The record as JSON."""
        files = {path: {"size": size, "sha256": sha} for path, (size, sha) in self.files.items()}
        return {**asdict(self), "files": files}


def load_manifest() -> dict[str, ModelEntry]:
    """The packaged manifest (``audio/models.yaml``), by language."""
    try:
        text = resources.files("audio").joinpath("models.yaml").read_text(encoding="utf-8")
        data = _MANIFEST.validate_python(YAML(typ="safe").load(text))
    except (OSError, YAMLError, ValidationError) as err:
        raise _bug(str(err)) from err
    return {lang: _entry(lang, value) for lang, value in data.items()}


def _bug(what: str) -> ModelError:
    return ModelError(
        f"audio/models.yaml: {what}: this is a bug of the XiaoAn package: reinstall it"
    )


def _entry(lang: str, data: _EntryIn) -> ModelEntry:
    files = {} if data.files == "unpinned" else data.files
    outside = [path for path in files if not safe_relative(path)]
    if outside:
        raise _bug(f"`{lang}.files`: {', '.join(outside)} would be outside the model folder")
    listed = {path: (spec.size, spec.sha256) for path, spec in files.items()}
    return ModelEntry(lang, data.name, data.url, data.archive_size, data.archive_sha256, listed,
                      data.purpose, data.archive_pinned)  # fmt: skip


def safe_relative(path: str) -> bool:
    """Whether ``path`` stays inside the folder it is relative to (no ``..``, not absolute)."""
    if not path or "\\" in path or "\0" in path:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts and not re.match(r"[A-Za-z]:", path)


def sha256_of(path: Path) -> str:
    """The sha256 of a file, in hex."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def file_sizes(folder: Path) -> dict[str, int]:
    """Every regular file below ``folder`` (but the install record) → its size."""
    sizes: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative != RECORD:
            sizes[relative] = path.stat().st_size
    return sizes


def hash_files(folder: Path) -> FileList:
    """Every file below ``folder`` (but the install record) → its size and sha256."""
    return {path: (size, sha256_of(folder / path)) for path, size in file_sizes(folder).items()}


def size_problems(sizes: Mapping[str, int], expected: Mapping[str, tuple[int, str]],
                  extras: bool = True) -> list[FileProblem]:  # fmt: skip
    """Files missing, of the wrong size or (with ``extras``) not expected; no hashing."""
    problems = []
    for path, (size, _) in expected.items():
        if path not in sizes:
            problems.append(FileProblem(path, "missing", str(size)))
        elif sizes[path] != size:
            problems.append(FileProblem(path, "size", str(size), str(sizes[path])))
    if extras:
        problems += [FileProblem(p, "extra") for p in sizes if p not in expected]
    return problems


def check_files(folder: Path, expected: Mapping[str, tuple[int, str]]) -> list[FileProblem]:
    """Every file against ``expected``: sizes first, then sha256 of those of the right size."""
    sizes = file_sizes(folder)
    problems = size_problems(sizes, expected)
    named = {problem.path for problem in problems}
    for path, (_, sha) in expected.items():
        if path not in named and (found := sha256_of(folder / path)) != sha:
            problems.append(FileProblem(path, "sha256", sha, found))
    return problems


def structure_problems(folder: Path) -> list[FileProblem]:
    """What a Vosk model needs and this folder lacks (a fast check: names and sizes only)."""
    needed = list(_REQUIRED)
    graph = folder / "graph"
    has_hclg = (graph / "HCLG.fst").is_file()
    needed += ["graph/HCLG.fst"] if has_hclg else ["graph/HCLr.fst", "graph/Gr.fst"]
    if (folder / "ivector").is_dir():
        needed += [f"ivector/{name}" for name in _IVECTOR]
    problems = []
    for path in needed:
        where = folder / path
        if not where.is_file():
            problems.append(FileProblem(path, "structure", "missing (a Vosk model needs it)"))
        elif path.endswith(_NOT_EMPTY) and where.stat().st_size == 0:
            problems.append(FileProblem(path, "structure", "empty"))
    return problems


def read_record(folder: Path) -> InstallRecord | None:
    """The install record of ``folder``; None when there is none (a developer's folder)."""
    path = folder / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = {p: (int(v["size"]), str(v["sha256"])) for p, v in data["files"].items()}
        return InstallRecord(str(data["name"]), str(data["lang"]), str(data["source"]),
                             str(data["installed_at"]), bool(data["pinned"]), files)  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(
            f"{path}: the install record is damaged ({err}): reinstall the model with "
            f"`assistant models install {folder.name}`"
        ) from err


def write_record(folder: Path, record: InstallRecord) -> None:
    """Write the install record and flush it to disk."""
    path = folder / RECORD
    with path.open("w", encoding="utf-8") as out:
        json.dump(record.to_json(), out, ensure_ascii=False, indent=1)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())


def check_model(folder: Path, *, lang: str | None = None) -> None:
    """The fast check before every load (no hashing): the folder exists, the Vosk files are
    there, and each file its install record names (if it has one) has its recorded size.

    ``lang`` (else the record's) names the language in the fix."""
    if not folder.is_dir():
        raise ModelError(f"{folder}: there is no speech model folder there: {_fix(lang)}")
    record = read_record(folder)
    problems = structure_problems(folder)
    if record is not None:
        lang = lang or record.lang
        problems += size_problems(file_sizes(folder), record.files, extras=False)
    named: dict[str, FileProblem] = {}
    for problem in problems:
        named.setdefault(problem.path, problem)
    if named:
        what = "; ".join(problem.describe() for problem in named.values())
        raise ModelError(f"the speech model in {folder} is incomplete ({what}): {_fix(lang)}")


def _fix(lang: str | None) -> str:
    if lang is None:
        return "give a complete Vosk model folder (am/, conf/, graph/), or leave --model empty"
    return (
        f"run `assistant models verify {lang}` to see every file, then `assistant models "
        f"install {lang}` (or `--from FILE.zip`) to reinstall it"
    )
