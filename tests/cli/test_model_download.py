"""Downloading a model from a real HTTP server on 127.0.0.1 (in a thread; no other network):
a whole download, a resumed one (the server sees the Range header), a broken connection,
garbage and truncated archives, a stalled server, and ``assistant models install --url``.
A server and a subprocess: the CLI tier, not the unit tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import ModelError
from audio.model_store import ModelStore
from tests.support.model_fixtures import (
    NAME,
    SYNTHETIC,
    ModelServer,
    json_lines,
    model_server,
    models_cli,
    replace_file,
    synthetic_model,
    synthetic_store,
    zip_folder,
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    """A model server on 127.0.0.1, in a thread."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with model_server() as httpd:
        yield httpd


@pytest.fixture
def archive(tmp_path: Path) -> bytes:
    """The synthetic model as a zip with its top folder."""
    folder = synthetic_model(tmp_path / "build" / NAME)
    return zip_folder(folder.parent, tmp_path / "build.zip").read_bytes()


def _part(store: ModelStore) -> Path:
    return store.models_dir / ".downloads" / f"{NAME}.zip.part"


def test_download_installs_and_reports_progress(
    tmp_path: Path, server: ModelServer, archive: bytes
) -> None:
    server.files["/m.zip"] = archive
    store = synthetic_store(tmp_path / "models")
    seen: list[tuple[int, int | None]] = []
    model = store.download("ko", server.url("/m.zip"), progress=lambda *p: seen.append(p))
    assert (model.name, model.source) == (NAME, server.url("/m.zip"))
    assert store.verify("ko").ok
    assert seen[-1] == (len(archive), len(archive))
    assert server.ranges_seen == [None]
    assert not _part(store).exists()


def test_download_resumes_a_part_file_with_a_range_request(
    tmp_path: Path, server: ModelServer, archive: bytes
) -> None:
    server.files["/m.zip"] = archive
    store = synthetic_store(tmp_path / "models")
    half = len(archive) // 2
    _part(store).parent.mkdir(parents=True)
    _part(store).write_bytes(archive[:half])
    seen: list[tuple[int, int | None]] = []
    store.download("ko", server.url("/m.zip"), progress=lambda *p: seen.append(p))
    assert server.ranges_seen == [f"bytes={half}-"]
    assert seen[0][0] > half
    assert seen[-1] == (len(archive), len(archive))
    assert store.verify("ko").ok


def test_a_broken_connection_keeps_the_part_and_the_next_run_resumes(
    tmp_path: Path, server: ModelServer, archive: bytes
) -> None:
    server.files["/m.zip"] = archive
    server.cut_after = 1000
    store = synthetic_store(tmp_path / "models")
    with pytest.raises(ModelError) as failed:
        store.download("ko", server.url("/m.zip"))
    assert "run the same command again to resume" in str(failed.value)
    assert _part(store).stat().st_size == 1000
    assert not store.folder("ko").exists()
    server.cut_after = None
    store.download("ko", server.url("/m.zip"))
    assert server.ranges_seen == [None, "bytes=1000-"]
    assert store.verify("ko").ok


def test_a_server_that_ignores_ranges_is_downloaded_again_whole(
    tmp_path: Path, server: ModelServer, archive: bytes
) -> None:
    server.files["/m.zip"] = archive
    server.honour_ranges = False
    store = synthetic_store(tmp_path / "models")
    _part(store).parent.mkdir(parents=True)
    _part(store).write_bytes(b"stale bytes of something else")
    store.download("ko", server.url("/m.zip"))
    assert store.verify("ko").ok


def test_a_complete_part_file_is_installed_without_a_body(
    tmp_path: Path, server: ModelServer, archive: bytes
) -> None:
    server.files["/m.zip"] = archive
    store = synthetic_store(tmp_path / "models")
    _part(store).parent.mkdir(parents=True)
    _part(store).write_bytes(archive)
    store.download("ko", server.url("/m.zip"))
    assert server.ranges_seen == [f"bytes={len(archive)}-"]
    assert store.verify("ko").ok


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_a_bad_archive_is_refused_and_not_kept(
    tmp_path: Path, server: ModelServer, archive: bytes, kind: str
) -> None:
    server.files["/m.zip"] = b"\x00garbage" * 500 if kind == "garbage" else archive[:-200]
    store = synthetic_store(tmp_path / "models")
    with pytest.raises(ModelError) as refused:
        store.download("ko", server.url("/m.zip"))
    assert "is not a zip archive" in str(refused.value)
    assert "nothing was installed" in str(refused.value)
    assert not _part(store).exists()
    assert not store.folder("ko").exists()


def test_a_missing_archive_names_the_url(tmp_path: Path, server: ModelServer) -> None:
    store = synthetic_store(tmp_path / "models")
    with pytest.raises(ModelError, match="404") as failed:
        store.download("ko", server.url("/nothing.zip"))
    assert server.url("/nothing.zip") in str(failed.value)


def test_a_stalled_server_times_out(tmp_path: Path, server: ModelServer) -> None:
    server.stall = True
    store = synthetic_store(tmp_path / "models")
    with pytest.raises(ModelError, match="timed out"):
        store.download("ko", server.url("/m.zip"), timeout=(2.0, 0.2))


def test_cli_installs_the_unpinned_en_model_from_a_mirror(
    tmp_path: Path, server: ModelServer
) -> None:
    folder = synthetic_model(tmp_path / "build" / "vosk-model-small-en-us-0.15")
    server.files["/en.zip"] = zip_folder(folder.parent, tmp_path / "en.zip").read_bytes()
    home = tmp_path / "home"
    done = models_cli(home, "install", "en", "--url", server.url("/en.zip"))
    assert done.returncode == 0, done.stderr
    assert "UNPINNED" in done.stdout
    assert "is unpinned" in done.stderr
    listed = {row["lang"]: row for row in json_lines(models_cli(home, "list", "--json"))}
    assert (listed["en"]["installed"], listed["en"]["pinned"]) == (True, False)
    assert models_cli(home, "verify", "en").returncode == 0
    replace_file(home / "models" / "en" / "README", SYNTHETIC["README"].upper())
    failed = models_cli(home, "verify", "en")
    assert failed.returncode == 5
    assert "README: sha256" in failed.stdout
