"""The speech-model store, in process: installing from a folder or a zip, verification, the
fast check before a load, and finding the model to load.

The cases use a small synthetic model with the Vosk layout and a manifest of its own; the
packaged manifest is checked against the real Korean model's file sizes, never loaded. The
real model installed by ``assistant models`` (a subprocess) is in
``tests/cli/test_models_cli.py``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import ModelError
from audio.model_store import (
    ModelStore,
    check_model,
    load_manifest,
    resolve_model,
)
from tests.support.model_fixtures import (
    NAME,
    SYNTHETIC,
    fake_zh_zip,
    korean_model,
    leftovers,
    link_tree,
    replace_file,
    synthetic_entry,
    synthetic_model,
    synthetic_store,
    zip_folder,
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The synthetic model as a folder on a "USB stick"."""
    return synthetic_model(tmp_path / "stick" / NAME)


# The packaged manifest


def test_manifest_pins_zh_and_ko_and_marks_en_unpinned() -> None:
    manifest = load_manifest()
    assert list(manifest) == ["zh", "en", "ko"]
    zh, en, ko = manifest["zh"], manifest["en"], manifest["ko"]
    assert zh.name == "vosk-model-small-cn-0.22"
    assert (zh.archive_size, zh.archive_pinned) == (43_898_754, False)
    assert len(zh.files) == 14
    assert sum(size for size, _ in zh.files.values()) == 68_292_271
    assert zh.files["graph/HCLr.fst"][0] == 16_158_762
    assert (en.pinned, en.files, en.purpose) == (False, {}, "dialogue")
    assert (ko.purpose, zh.purpose) == ("test", "dialogue")


def test_korean_pins_are_the_packaged_model() -> None:
    folder = korean_model()
    ko = load_manifest()["ko"]
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert found == set(ko.files)
    assert all((folder / path).stat().st_size == size for path, (size, _) in ko.files.items())


# Installing


def test_install_from_a_folder_writes_the_record(tmp_path: Path, source: Path) -> None:
    store = synthetic_store(tmp_path / "models")
    model = store.install_from("ko", source)
    assert (model.name, model.pinned, model.files) == (NAME, True, len(SYNTHETIC))
    record = json.loads((model.folder / ".xiaoan-model.json").read_text())
    assert set(record) == {"name", "lang", "source", "installed_at", "pinned", "files"}
    assert record["files"]["README"] == {
        "size": len(SYNTHETIC["README"]), "sha256": hashlib.sha256(SYNTHETIC["README"]).hexdigest()
    }  # fmt: skip
    assert store.verify("ko").ok
    assert [m.lang for m in store.installed()] == ["ko"]


@pytest.mark.parametrize("top", [NAME, ""])
def test_install_from_a_zip_with_or_without_a_top_folder(
    tmp_path: Path, source: Path, top: str
) -> None:
    archive = zip_folder(source, tmp_path / "model.zip", top)
    store = synthetic_store(tmp_path / "models")
    model = store.install_from("ko", archive)
    assert (model.folder / "am" / "final.mdl").read_bytes() == SYNTHETIC["am/final.mdl"]
    assert store.verify("ko").ok
    assert leftovers(tmp_path / "models") == []


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/escaped.txt", "am/../../escaped.txt"])
def test_zip_path_traversal_is_refused(tmp_path: Path, source: Path, evil: str) -> None:
    archive = zip_folder(source, tmp_path / "model.zip")
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(evil, b"owned")
    store = synthetic_store(tmp_path / "models")
    with pytest.raises(ModelError, match="outside the model folder"):
        store.install_from("ko", archive)
    assert not (tmp_path / "escaped.txt").exists()
    assert not store.folder("ko").exists()
    assert leftovers(tmp_path / "models") == []


def test_zip_symlink_is_refused(tmp_path: Path, source: Path) -> None:
    archive = zip_folder(source, tmp_path / "model.zip")
    link = zipfile.ZipInfo("graph/link")
    link.external_attr = 0o120777 << 16
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(link, "/etc/passwd")
    with pytest.raises(ModelError, match="symbolic link"):
        synthetic_store(tmp_path / "models").install_from("ko", archive)


def test_a_damaged_zip_is_refused_by_its_crc(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for path, data in SYNTHETIC.items():
            out.writestr(path, data)
    raw = bytearray(archive.read_bytes())
    raw[raw.index(b"mdlmdl") + 3] ^= 0xFF
    archive.write_bytes(bytes(raw))
    store = synthetic_store(tmp_path / "models", pinned=False)
    with pytest.raises(ModelError, match="not a complete, readable zip archive"):
        store.install_from("ko", archive)


def test_a_file_that_is_no_zip_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "model.zip"
    junk.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(ModelError, match="is not a zip archive"):
        synthetic_store(tmp_path / "models").install_from("ko", junk)


def test_a_refused_model_leaves_the_installed_one(tmp_path: Path, source: Path) -> None:
    store = synthetic_store(tmp_path / "models")
    store.install_from("ko", source)
    record = (store.folder("ko") / ".xiaoan-model.json").read_bytes()
    bad = link_tree(source, tmp_path / "bad")
    replace_file(bad / "conf" / "model.conf", SYNTHETIC["conf/model.conf"].upper())
    with pytest.raises(ModelError) as refused:
        store.install_from("ko", bad)
    assert "conf/model.conf: sha256" in str(refused.value)
    assert "the installed model is untouched" in str(refused.value)
    assert store.verify("ko").ok
    assert (store.folder("ko") / ".xiaoan-model.json").read_bytes() == record
    assert leftovers(tmp_path / "models") == []


def test_wrong_sizes_are_refused_before_anything_is_copied(tmp_path: Path, source: Path) -> None:
    (source / "graph" / "Gr.fst").write_bytes(b"short")
    (source / "notes.txt").write_text("mine")
    with pytest.raises(ModelError) as refused:
        synthetic_store(tmp_path / "models").install_from("ko", source)
    message = str(refused.value)
    assert "graph/Gr.fst: 5 bytes, expected 3000" in message
    assert "notes.txt: not part of the model" in message
    assert "nothing was installed" in message


def test_a_zh_archive_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    previous = synthetic_model(models / "zh")
    store = ModelStore(models)
    with pytest.raises(ModelError) as refused:
        store.install_from("zh", fake_zh_zip(tmp_path))
    message = str(refused.value)
    assert "am/final.mdl: sha256" in message
    assert "the installed model is untouched" in message
    assert (previous / "am" / "final.mdl").read_bytes() == SYNTHETIC["am/final.mdl"]
    assert leftovers(models) == []


def test_a_folder_that_is_no_vosk_model_is_refused(tmp_path: Path, source: Path) -> None:
    (source / "graph" / "Gr.fst").unlink()
    with pytest.raises(ModelError, match=r"is not a Vosk model \(graph/Gr.fst: missing"):
        synthetic_store(tmp_path / "models", pinned=False).install_from("ko", source)


def test_an_unpinned_model_installs_with_a_warning_and_its_hashes_recorded(
    tmp_path: Path, source: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = synthetic_store(tmp_path / "models", pinned=False)
    with caplog.at_level(logging.WARNING):
        model = store.install_from("ko", source)
    assert model.pinned is False
    assert any("is unpinned" in record.getMessage() for record in caplog.records)
    record = json.loads((model.folder / ".xiaoan-model.json").read_text())
    assert record["pinned"] is False
    sha = hashlib.sha256(SYNTHETIC["graph/Gr.fst"]).hexdigest()
    assert record["files"]["graph/Gr.fst"]["sha256"] == sha
    report = store.verify("ko")
    assert (report.ok, report.pinned, report.checked) == (True, False, len(SYNTHETIC))
    replace_file(model.folder / "graph" / "Gr.fst", b"GR" * 1500)
    assert [(p.path, p.kind) for p in store.verify("ko").problems] == [("graph/Gr.fst", "sha256")]


def test_an_unpinned_model_without_its_record_cannot_be_verified(
    tmp_path: Path, source: Path
) -> None:
    store = synthetic_store(tmp_path / "models", pinned=False)
    store.install_from("ko", source)
    (store.folder("ko") / ".xiaoan-model.json").unlink()
    report = store.verify("ko")
    assert not report.ok
    assert report.problems[0].path == ".xiaoan-model.json"
    assert "assistant models install ko" in report.problems[0].describe()


def test_an_archive_pinned_by_its_sha256_must_be_that_archive(tmp_path: Path, source: Path) -> None:
    archive = zip_folder(source, tmp_path / "model.zip")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    entry = replace(synthetic_entry(), archive_sha256="0" * 64, archive_pinned=True)
    with pytest.raises(ModelError, match=f"is not the archive of {NAME}.*sha256 {sha}"):
        ModelStore(tmp_path / "models", {"ko": entry}).install_from("ko", archive)
    store = ModelStore(tmp_path / "models", {"ko": replace(entry, archive_sha256=sha)})
    assert store.install_from("ko", archive).pinned


def test_one_command_at_a_time_changes_a_model(tmp_path: Path, source: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    with (models / ".lock-ko").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ModelError, match="wait for it to finish"):
            synthetic_store(models).install_from("ko", source)
    assert synthetic_store(models).install_from("ko", source).name == NAME


# Verification and the fast check


@pytest.fixture
def installed(tmp_path: Path, source: Path) -> ModelStore:
    """A store with the synthetic model installed as ``ko``."""
    store = synthetic_store(tmp_path / "models")
    store.install_from("ko", source)
    return store


def test_verify_names_a_flipped_byte_the_fast_check_cannot_see(installed: ModelStore) -> None:
    mdl = installed.folder("ko") / "am" / "final.mdl"
    data = bytearray(mdl.read_bytes())
    data[1000] ^= 1
    mdl.write_bytes(bytes(data))
    check_model(installed.folder("ko"))  # same size: only hashing finds it
    (problem,) = installed.verify("ko").problems
    assert (problem.path, problem.kind) == ("am/final.mdl", "sha256")
    assert problem.found == hashlib.sha256(bytes(data)).hexdigest()


def test_a_truncated_file_is_refused_by_the_fast_check(installed: ModelStore) -> None:
    ie = installed.folder("ko") / "ivector" / "final.ie"
    ie.write_bytes(SYNTHETIC["ivector/final.ie"][:100])
    with pytest.raises(ModelError) as refused:
        check_model(installed.folder("ko"))
    assert "ivector/final.ie: 100 bytes, expected 600" in str(refused.value)
    assert str(installed.folder("ko")) in str(refused.value)
    (problem,) = installed.verify("ko").problems
    assert (problem.path, problem.kind, problem.found) == ("ivector/final.ie", "size", "100")


def test_a_missing_file_is_refused_and_named(installed: ModelStore) -> None:
    (installed.folder("ko") / "conf" / "mfcc.conf").unlink()
    with pytest.raises(ModelError, match=r"conf/mfcc\.conf: missing"):
        check_model(installed.folder("ko"))
    kinds = {(p.path, p.kind) for p in installed.verify("ko").problems}
    assert kinds == {("conf/mfcc.conf", "missing")}


def test_an_extra_file_is_named(installed: ModelStore) -> None:
    (installed.folder("ko") / "graph" / "HCLG.fst.bak").write_bytes(b"x")
    problems = installed.verify("ko").problems
    assert [(p.path, p.kind) for p in problems] == [("graph/HCLG.fst.bak", "extra")]


def test_a_damaged_record_is_refused(installed: ModelStore) -> None:
    (installed.folder("ko") / ".xiaoan-model.json").write_text("{not json")
    with pytest.raises(ModelError, match="install record is damaged"):
        check_model(installed.folder("ko"))
    assert installed.verify("ko").problems[0].kind == "record"


def test_remove(installed: ModelStore) -> None:
    installed.remove("ko")
    assert installed.installed() == []
    with pytest.raises(ModelError, match="nothing to remove"):
        installed.remove("ko")


# Finding the model to load


def test_resolve_model_says_how_to_install_a_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as refused:
        resolve_model(tmp_path / "models", "zh")
    assert str(refused.value) == (
        f"no speech model for zh in {tmp_path / 'models' / 'zh'}: run `assistant models install "
        "zh` (download) or `assistant models install zh --from FILE.zip` (USB stick)"
    )


def test_resolve_model_takes_a_developer_folder_with_the_structure_check_only(
    tmp_path: Path, source: Path
) -> None:
    assert resolve_model(tmp_path / "models", "zh", str(source)) == source
    (source / "graph" / "HCLr.fst").unlink()
    with pytest.raises(ModelError) as refused:
        resolve_model(tmp_path / "models", "zh", str(source))
    assert "graph/HCLr.fst: missing (a Vosk model needs it)" in str(refused.value)
    assert "assistant models install" not in str(refused.value)
    with pytest.raises(ModelError, match="--model or model_dir"):
        resolve_model(tmp_path / "models", "zh", str(tmp_path / "nowhere"))


def test_resolve_model_accepts_hclg_and_checks_ivector_files(tmp_path: Path, source: Path) -> None:
    (source / "graph" / "HCLr.fst").rename(source / "graph" / "HCLG.fst")
    (source / "graph" / "Gr.fst").unlink()
    check_model(source)
    (source / "ivector" / "splice.conf").unlink()
    with pytest.raises(ModelError, match=r"ivector/splice\.conf: missing"):
        check_model(source)


def test_an_install_cut_short_between_the_renames_is_undone(installed: ModelStore) -> None:
    models = installed.models_dir
    os.rename(models / "ko", models / ".old-ko")
    assert resolve_model(models, "ko") == models / "ko"
    assert installed.verify("ko").ok


def test_a_zip_bomb_is_refused_before_a_byte_is_written(tmp_path: Path, source: Path) -> None:
    """0.4 MB that would expand to 400 MB (issue 15): refused on its headers."""
    archive = zip_folder(source, tmp_path / "model.zip")
    with (
        zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
        out.open("graph/padding.bin", "w", force_zip64=True) as padding,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(400):
            padding.write(block)
    assert archive.stat().st_size < 1_000_000
    store = synthetic_store(tmp_path / "models", pinned=False)
    with pytest.raises(ModelError, match="malicious"):
        store.install_from("ko", archive)
    assert leftovers(tmp_path / "models") == []


def test_a_folder_with_a_symbolic_link_is_refused(tmp_path: Path, source: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private", encoding="utf-8")
    (source / "graph" / "words.txt").unlink(missing_ok=True)
    (source / "graph" / "link.txt").symlink_to(secret)
    store = synthetic_store(tmp_path / "models", pinned=False)
    with pytest.raises(ModelError, match="symbolic link"):
        store.install_from("ko", source)
    assert leftovers(tmp_path / "models") == []


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_at_once(tmp_path: Path, device: str) -> None:
    with pytest.raises(ModelError, match="not a file or a folder"):
        synthetic_store(tmp_path / "models").install_from("ko", Path(device))


def test_a_pipe_is_refused_at_once(tmp_path: Path) -> None:
    pipe = tmp_path / "model.zip"
    os.mkfifo(pipe)
    with pytest.raises(ModelError, match="not a file or a folder"):
        synthetic_store(tmp_path / "models").install_from("ko", pipe)


def test_what_a_cut_install_left_is_removed_on_the_next_start(tmp_path: Path) -> None:
    models = tmp_path / "models"
    left = models / ".install-ko-abc123"
    (left / "graph").mkdir(parents=True)
    (left / "graph" / "HCLr.fst").write_bytes(b"half")
    with pytest.raises(ModelError, match="no speech model"):
        resolve_model(models, "ko")
    assert not left.exists()


def test_a_folder_holding_only_a_link_to_a_model_is_refused(tmp_path: Path, source: Path) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    (stick / "model").symlink_to(source)
    store = synthetic_store(tmp_path / "models", pinned=False)
    with pytest.raises(ModelError, match="symbolic link"):
        store.install_from("ko", stick)
