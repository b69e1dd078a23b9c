"""Downloading a model from a real HTTP server on 127.0.0.1 (started here; no other network):
a whole download, a resumed one (the server sees the Range header), a broken connection,
garbage and truncated archives, a stalled server, and ``assistant models install --url``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.errors import ModelError
from audio.model_store import ModelStore
from tests.support.model_fixtures import (
    NAME,
    SYNTHETIC,
    json_lines,
    models_cli,
    replace_file,
    synthetic_model,
    synthetic_store,
    zip_folder,
)


class ModelServer(ThreadingHTTPServer):
    """Serves ``files`` by path, honouring ``Range: bytes=N-`` unless told not to."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.ranges_seen: list[str | None] = []
        self.honour_ranges = True
        self.cut_after: int | None = None
        """Promise the whole body but send only this many bytes, then hang up."""
        self.stall = False
        self.release = threading.Event()

    def url(self, path: str) -> str:
        """The URL of a served path."""
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def do_GET(self) -> None:
        server = self.server
        server.ranges_seen.append(self.headers.get("Range"))
        if server.stall:
            server.release.wait(30)
            return
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = self._start() if server.honour_ranges else 0
        if start >= len(body) > 0 and start:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        rest = body[start:]
        self.wfile.write(rest if server.cut_after is None else rest[: server.cut_after])

    def _start(self) -> int:
        value = self.headers.get("Range", "")
        digits = value.removeprefix("bytes=").removesuffix("-")
        return int(digits) if value.startswith("bytes=") and digits.isdigit() else 0

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    """A model server on 127.0.0.1, in a thread."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    httpd = ModelServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


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


@pytest.mark.slow
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
