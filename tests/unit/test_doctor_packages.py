"""The doctor's package check loads each package's native libraries without importing the
package: a library built for another processor, or damaged, is named; a missing package
too."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service.doctor import _unloadable


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))


def test_a_package_whose_library_loads_is_usable() -> None:
    assert _unloadable("vosk") == ""
    assert _unloadable("hassil") == ""  # pure Python: nothing to load


def test_a_missing_package_is_named() -> None:
    assert _unloadable("xiaoan_no_such_package") == "not installed"


def test_a_damaged_native_library_is_named(on_path: Path) -> None:
    package = on_path / "xiaoan_broken_native"
    package.mkdir()
    (package / "__init__.py").write_text("raise SystemExit('the package must not be run')\n")
    (package / "libthing.so").write_bytes(b"not an ELF file at all")
    problem = _unloadable("xiaoan_broken_native")
    assert "libthing.so" in problem
