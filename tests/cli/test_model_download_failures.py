"""A download that fails on the server's side or on the device's disk, as a technician meets
it: ``assistant models install --url`` against a model server on 127.0.0.1. A 404 names the
USB stick's ``--from FILE.zip`` as a network failure does; a disk that takes no more bytes
(the kernel's file size limit: a real ``write`` failing with EFBIG, as a full disk fails with
ENOSPC) leaves no empty ``.part`` file, and the bytes written are kept for the next run."""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.model_fixtures import (
    ModelServer,
    model_server,
    models_cli,
    synthetic_model,
    zip_folder,
)

EN = "vosk-model-small-en-us-0.15"
"""The manifest's unpinned English model: the synthetic model installs in its place."""


@pytest.fixture
def server() -> Iterator[ModelServer]:
    """A model server on 127.0.0.1, in a thread."""
    with model_server() as httpd:
        yield httpd


def _parts(home: Path) -> list[Path]:
    return list((home / "models").rglob("*.part"))


def _file_size_limit(size: int) -> Callable[[], None]:
    """In the child before Python starts: no file may grow past ``size`` bytes."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_server_error_names_the_usb_stick_and_keeps_no_empty_part(
    tmp_path: Path, server: ModelServer
) -> None:
    done = models_cli(tmp_path, "install", "zh", "--url", server.url("/nothing.zip"))
    assert done.returncode == 5
    assert f"{server.url('/nothing.zip')}: the server answered 404 Not Found" in done.stderr
    assert "to a USB stick and run `assistant models install zh --from FILE.zip`" in done.stderr
    assert "Traceback" not in done.stderr
    assert _parts(tmp_path) == []
    assert not (tmp_path / "models" / ".downloads").exists()


def test_a_server_error_keeps_the_bytes_of_an_earlier_run(
    tmp_path: Path, server: ModelServer
) -> None:
    part = tmp_path / "models" / ".downloads" / f"{EN}.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"PK" * 50)
    done = models_cli(tmp_path, "install", "en", "--url", server.url("/gone.zip"))
    assert done.returncode == 5
    assert "`assistant models install en --from FILE.zip`" in done.stderr
    assert server.ranges_seen == ["bytes=100-"]
    assert part.read_bytes() == b"PK" * 50


def test_a_disk_that_takes_no_bytes_leaves_no_part_and_one_that_took_some_resumes(
    tmp_path: Path, server: ModelServer
) -> None:
    folder = synthetic_model(tmp_path / "build" / EN)
    server.files["/en.zip"] = zip_folder(folder.parent, tmp_path / "en.zip").read_bytes()
    home, url = tmp_path / "home", server.url("/en.zip")
    full = models_cli(home, "install", "en", "--url", url, preexec_fn=_file_size_limit(0))
    assert full.returncode == 5
    assert f"could not be written to {home / 'models' / '.downloads' / EN}.zip.part" in full.stderr
    assert "is writable and has room; then run the same command again" in full.stderr
    assert "Traceback" not in full.stderr
    assert _parts(home) == []
    some = models_cli(home, "install", "en", "--url", url, preexec_fn=_file_size_limit(1000))
    assert some.returncode == 5
    (part,) = _parts(home)
    assert part.stat().st_size == 1000
    assert f"1000 bytes are kept in {part}; then run the same command again" in some.stderr
    done = models_cli(home, "install", "en", "--url", url)
    assert done.returncode == 0, done.stderr
    assert server.ranges_seen == [None, None, "bytes=1000-"]
    assert _parts(home) == []
    assert models_cli(home, "verify", "en").returncode == 0
