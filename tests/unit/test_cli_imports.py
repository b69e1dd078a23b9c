"""Command modules import lazily: at their top only the standard library, typer and what
the command line shares (``assistant.cli.shared``, and the root module its commands);
everything else inside the command (``docs/architecture.md``). Names imported for
annotations sit under ``if TYPE_CHECKING:``, which never runs."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

CLI = sorted((ROOT / "assistant" / "cli").glob("*.py"))
ALLOWED = {"typer", "assistant.cli.shared"}


def top_level_imports(path: Path) -> list[str]:
    """The modules ``path`` imports when it is imported (not under ``TYPE_CHECKING``)."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def allowed(module: str, path: Path) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or module == "__future__" or module in ALLOWED:
        return True
    # the root module gathers the command modules, and the version from the package root
    return path.name in ("main.py", "__init__.py") and module in ("assistant", "assistant.cli")


@pytest.mark.parametrize("path", CLI, ids=lambda p: p.name)
def test_a_command_module_imports_its_core_inside_the_command(path: Path) -> None:
    heavy = [m for m in top_level_imports(path) if not allowed(m, path)]
    assert heavy == []


def test_command_modules_do_not_import_each_other() -> None:
    commands = {p.stem for p in CLI} - {"main", "shared", "__init__"}
    for path in CLI:
        source = path.read_text(encoding="utf-8")
        for other in commands - {path.stem}:
            assert f"assistant.cli.{other}" not in source or path.name == "main.py", (path, other)
