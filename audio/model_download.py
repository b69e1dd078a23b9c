"""Bringing a model's files in: a download (streamed, resumable), a zip unpacked safely, or a
folder copied (a technician's USB stick).

``fetch`` downloads into a ``.part`` file with explicit timeouts and resumes it with an HTTP
Range request; a failed download (the network, the server's answer, or the disk being full
or not writable) keeps the bytes it got for the next run, never an empty ``.part`` file, and
when the network or the server failed its message names the way without them (``offline``:
the store's ``--from FILE.zip`` command). ``unpack`` writes a zip archive or a folder into an empty
folder: a single top folder (``vosk-model-small-cn-0.22/``) is unwrapped, paths leaving the
folder and symbolic links are refused, the zip's CRC-32 is checked, and for a pinned model
every name and size is checked before a byte is written. Hashing and the decision belong
to ``model_store``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from assistant.errors import ModelError
from audio.model_files import (
    RECORD,
    FileProblem,
    ModelEntry,
    safe_relative,
    sha256_of,
    size_problems,
)

if TYPE_CHECKING:
    import requests

_LOGGER = logging.getLogger(__name__)
_CHUNK = 1 << 20
_NET_CHUNK = 1 << 16
_JUNK = frozenset({".DS_Store", "__MACOSX", "Thumbs.db"})
"""Files other systems leave on a stick or in a zip; never part of a model."""

Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None) while downloading."""


def fetch(
    url: str, part: Path, progress: Progress | None, timeout: tuple[float, float],
    offline: str = "",
) -> None:  # fmt: skip
    """Download ``url`` into ``part``, resuming what ``part`` already holds; ``offline`` is
    the fix added when the network or the server fails (a USB stick's command)."""
    import requests  # here: `assistant doctor` reads the model store without downloading
    import urllib3

    try:
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"} | ({"Range": f"bytes={have}-"} if have else {})
        with (
            requests.Session() as session,
            session.get(url, headers=headers, stream=True, timeout=timeout) as response,
        ):
            if response.status_code == 416:
                _complete(response, have, part)
                return
            response.raise_for_status()
            offset = _offset(response, have, part)
            _LOGGER.info("Downloading %s from byte %d", url, offset)
            _write(response, part, offset, progress)
    except requests.HTTPError as err:
        _kept(part)
        raise ModelError(
            f"{url}: the server answered {err.response.status_code} {err.response.reason}: "
            f"check the URL (--url names a mirror) or try again later{_stick(offline, 'or')}"
        ) from err
    except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
        kept = _kept(part)
        again = (f"{kept} bytes are kept in {part}; run the same command again to resume"
                 if kept else "nothing was downloaded; run the same command again")  # fmt: skip
        again += _stick(offline, "without a network:")
        raise ModelError(f"the download of {url} failed ({err}): {again}") from err
    except OSError as err:  # the disk (full, not writable); requests' errors are OSErrors too
        kept = _kept(part)
        again = (f"{kept} bytes are kept in {part}; then run the same command again to resume"
                 if kept else "then run the same command again")  # fmt: skip
        raise ModelError(
            f"the download of {url} could not be written to {part} ({err}): check that "
            f"{part.parent} is writable and has room; {again}"
        ) from err


def _stick(offline: str, lead: str) -> str:
    """The USB stick's way (``offline``) added to a failed download's message, if known."""
    return f"; {lead} {offline}" if offline else ""


def _kept(part: Path) -> int:
    """The bytes ``part`` holds for the next run; an empty one is deleted (and its folder,
    when nothing else is in it)."""
    try:
        size = part.stat().st_size
    except OSError:  # none, or out of reach (then it cannot be deleted either)
        size = 0
    if not size:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            part.parent.rmdir()
    return size


def _complete(response: requests.Response, have: int, part: Path) -> None:
    """A 416 answer: the ``.part`` file holds the whole archive, or more than it (deleted)."""
    total = response.headers.get("Content-Range", "").rpartition("/")[2]
    if not (total.isdigit() and int(total) == have):
        part.unlink()
        raise ModelError(
            f"{response.url}: the partial download {part} does not fit the archive on the "
            "server: it was deleted; run the same command again"
        )


def _offset(response: requests.Response, have: int, part: Path) -> int:
    """Where the body starts: ``have`` for a 206 answer, 0 when the server sent it all."""
    if response.status_code != 206:
        return 0
    start = response.headers.get("Content-Range", "").removeprefix("bytes ").partition("-")[0]
    if start != str(have):
        part.unlink()
        raise ModelError(
            f"{response.url}: the server answered a request for bytes {have}- with "
            f"`{response.headers.get('Content-Range')}`: {part} was deleted; run this again"
        )
    return have


def _write(response: requests.Response, part: Path, offset: int, progress: Progress | None) -> None:
    length = response.headers.get("Content-Length", "")
    total = offset + int(length) if length.isdigit() else None
    done = offset
    read = getattr(response.raw, "read1", response.raw.read)  # read1: urllib3 2
    with part.open("ab" if offset else "wb") as out:
        try:
            while chunk := read(_NET_CHUNK):  # what arrived is kept when the link breaks
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        finally:
            out.flush()
            os.fsync(out.fileno())
    if total is not None and done != total:
        import requests

        raise requests.ConnectionError(f"the connection ended at {done} of {total} bytes")


MAX_MODEL_BYTES = 1 << 30
"""The most a model may hold unpacked (the official small models hold 40–90 MB)."""
MAX_RATIO = 20
"""The most an archive may expand, in all (a Vosk model packs to about half its size)."""
MAX_FILE_RATIO = 200
"""The most one file of 1 MB or more may expand (a zip bomb is 1000 to one)."""
KEEP_FREE_BYTES = 100 * 1024 * 1024
"""Room left on the disk after a model is unpacked (the emergency path needs some)."""


def unpack(source: Path, target: Path, entry: ModelEntry) -> None:
    """Write the model in ``source`` (a zip archive or a folder) into the empty ``target``;
    for a pinned model, every name and size is checked first; for any model, the total
    size, the expansion and the free space are checked before a byte is written."""
    try:
        mode = source.stat().st_mode
    except OSError as err:
        raise ModelError(f"{source}: there is no such file or folder ({err.strerror}): give "
                         "the model's .zip") from err  # fmt: skip
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise ModelError(
            f"{source}: is not a file or a folder (a device or a pipe): give the model's .zip"
        )
    if source.is_dir():
        _copy_folder(source, target, entry.files)
    elif zipfile.is_zipfile(source):
        _compare_archive(entry, source)
        _unzip(source, target, entry.files)
    elif source.is_file():
        raise ModelError(
            f"{source}: is not a zip archive (it may be incomplete or another kind of file): "
            "give the model's .zip or its unpacked folder"
        )
    else:
        raise ModelError(f"{source}: there is no such file or folder: give the model's .zip")


def _compare_archive(entry: ModelEntry, archive: Path) -> None:
    """Compare an archive with the one reported; refuse a mismatch only when pinned."""
    if entry.archive_size is None and entry.archive_sha256 is None:
        return
    size, sha = archive.stat().st_size, sha256_of(archive)
    if entry.archive_size in (None, size) and entry.archive_sha256 in (None, sha):
        _LOGGER.info("%s is the archive reported for %s", archive, entry.name)
    elif entry.archive_pinned:
        raise ModelError(
            f"{archive}: is not the archive of {entry.name} ({size} bytes, sha256 {sha})"
        )
    else:
        _LOGGER.info("%s differs from the archive reported for %s (%d bytes, sha256 %s); "
                     "each file is checked instead", archive, entry.name, size, sha)  # fmt: skip


def _copy_folder(source: Path, target: Path, expected: Mapping[str, tuple[int, str]]) -> None:
    root = _unwrap(source)
    sizes = _folder_files(root)
    _precheck(source, sizes, expected)
    _within_limits(source, sum(sizes.values()), target)
    for path in sizes:
        descriptor = os.open(root / path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as stream:
            _store(stream, target / path)


def _unwrap(folder: Path) -> Path:
    """The model folder itself when ``folder`` only holds it (a stick with one folder)."""
    entries = [entry for entry in folder.iterdir() if not _junk(entry.name)]
    if len(entries) == 1 and entries[0].is_symlink():
        raise ModelError(f"{folder}: refused: `{entries[0].name}` is a symbolic link: copy the "
                         "model's own folder, not a link")  # fmt: skip
    if len(entries) == 1 and entries[0].is_dir() and not (folder / "am").exists():
        return entries[0]
    return folder


def _folder_files(root: Path) -> dict[str, int]:
    """The folder's regular files by relative path; a symbolic link (which could copy what
    it points at, outside the folder) or a device or pipe is refused."""
    files: dict[str, int] = {}
    for folder, subfolders, names in os.walk(root, followlinks=False):
        for name in sorted([*names, *subfolders]):
            path = Path(folder) / name
            relative = path.relative_to(root)
            if any(map(_junk, relative.parts)):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise ModelError(f"{root}: refused: `{relative}` is a symbolic link: copy "
                                 "the model's own files, not links")  # fmt: skip
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise ModelError(f"{root}: refused: `{relative}` is not a regular file")
            files[relative.as_posix()] = info.st_size
    return dict(sorted(files.items()))


def _junk(name: str) -> bool:
    return name in _JUNK or name.startswith("._") or name == RECORD


def _unzip(archive: Path, target: Path, expected: Mapping[str, tuple[int, str]]) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = _members(archive, zipped)
            _precheck(archive, {path: info.file_size for path, info in members.items()}, expected)
            if not expected:  # pinned: names and sizes are the manifest's, the sizes bound it
                _not_a_bomb(archive, members.values())
            _within_limits(archive, sum(info.file_size for info in members.values()), target)
            for path, info in members.items():
                with zipped.open(info) as stream:
                    _store(stream, target / path)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:
        raise ModelError(
            f"{archive}: is not a complete, readable zip archive ({err}): download it again "
            "or copy it to the stick again"
        ) from err


def _within_limits(source: Path, total: int, target: Path) -> None:
    if total > MAX_MODEL_BYTES:
        raise ModelError(
            f"{source}: refused: it unpacks to {total / 1e6:.0f} MB, more than any speech "
            f"model ({MAX_MODEL_BYTES / 1e6:.0f} MB): give the model's own .zip"
        )
    ensure_space(target, total)


def _not_a_bomb(archive: Path, members: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse an archive that expands far more than a model does, before unpacking."""
    infos = list(members)
    total = sum(info.file_size for info in infos)
    if total > MAX_RATIO * max(archive.stat().st_size, 1) and total > 1_000_000:
        raise ModelError(f"{archive}: refused: it would expand {total / 1e6:.0f} MB from "
                         f"{archive.stat().st_size / 1e6:.1f} MB, far more than a model "
                         "does (a damaged or malicious archive)")  # fmt: skip
    for info in infos:
        if info.file_size >= 1_000_000 and info.file_size > MAX_FILE_RATIO * max(
            info.compress_size, 1
        ):
            raise ModelError(f"{archive}: refused: `{info.filename}` would expand "
                             f"{info.file_size // max(info.compress_size, 1)} to one "
                             "(a damaged or malicious archive)")  # fmt: skip


def _members(archive: Path, zipped: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by path inside the model, after the safety checks and unwrapping."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zipped.infolist():
        name = info.filename
        if not safe_relative(name.rstrip("/")):
            raise ModelError(
                f"{archive}: refused: `{name}` would be written outside the model folder "
                "(the archive is damaged or malicious)"
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ModelError(f"{archive}: refused: `{name}` is a symbolic link")
        if not info.is_dir() and not any(map(_junk, name.split("/"))):
            members[name] = info
    tops = {name.partition("/")[0] for name in members}
    if len(tops) == 1 and all("/" in name for name in members):
        top = len(tops.pop()) + 1
        return {name[top:]: info for name, info in members.items()}
    return members


def _precheck(source: Path, sizes: Mapping[str, int],
              expected: Mapping[str, tuple[int, str]]) -> None:  # fmt: skip
    if expected and (problems := size_problems(sizes, expected)):
        raise ModelError(f"{source}: {refusal(problems)}")


def refusal(problems: list[FileProblem], most: int = 6) -> str:
    """Why a model is refused: the first few problems, and how many more."""
    lines = [problem.describe() for problem in problems[:most]]
    if len(problems) > most:
        lines.append(f"and {len(problems) - most} more")
    return "does not match the manifest: " + "; ".join(lines)


def _store(stream: IO[bytes], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())


def ensure_space(folder: Path, needed: int) -> None:
    """Refuse before writing ``needed`` bytes into ``folder`` if the disk cannot hold them
    and still keep ``KEEP_FREE_BYTES`` free (the emergency path needs room)."""
    free = shutil.disk_usage(folder).free
    if needed + KEEP_FREE_BYTES > free:
        raise ModelError(
            f"{folder}: the model needs {needed / 1e6:.0f} MB and {KEEP_FREE_BYTES / 1e6:.0f} MB "
            f"must stay free, but only {free / 1e6:.0f} MB are free: free some space (an old "
            "model: `assistant models remove LANG`)"
        )
