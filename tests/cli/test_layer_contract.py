"""The layer contract (``[tool.importlinter]`` in pyproject.toml, run by ``make lint``) holds
on the tree, and fails on a wrong import: a copy of the packages with a value module that
imports a command module is refused, naming the import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

PACKAGES = ("assistant", "intents", "audio", "skills", "bench", "tests")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages found in ``tree``, with the project's contracts."""
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(command), "--no-cache"], cwd=tree, env={"PYTHONPATH": str(tree)},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def copy_packages(tree: Path) -> None:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    done = lint_imports(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_wrong_import_breaks_the_layers(tmp_path: Path) -> None:
    copy_packages(tmp_path)
    values = tmp_path / "assistant" / "values" / "records.py"
    values.write_text(values.read_text(encoding="utf-8") + "\nimport assistant.cli.main\n",
                      encoding="utf-8")  # fmt: skip
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert "BROKEN" in done.stdout
    assert "assistant.values.records -> assistant.cli.main" in done.stdout
