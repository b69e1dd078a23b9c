"""The device carries no web stack (issue 17): the care platform's libraries are an extra
(``pip install '.[platform]'``), and nothing the device runs imports them."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.support.paths import ROOT

WEB_STACK = ("starlette", "uvicorn", "sqlalchemy", "alembic", "jinja2", "argon2", "psycopg")


def test_the_web_stack_is_only_in_the_platform_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("[")[0].strip().lower() for d in project["dependencies"]]
    assert not [n for n in names if n.startswith(WEB_STACK)], names
    extra = " ".join(project["optional-dependencies"]["platform"]).lower()
    assert all(lib in extra for lib in WEB_STACK)


def test_the_assistant_imports_none_of_it() -> None:
    code = (
        "import sys, assistant.cli.main, assistant.wiring.app, assistant.service.supervisor\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_STACK!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "[]"
