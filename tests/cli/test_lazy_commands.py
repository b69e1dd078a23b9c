"""Commands import lazily: a technician's command loads only what it uses, so ``assistant
outbox list`` or ``status`` never loads the dialogue, the intent parser, Vosk or the
network stack (start-up figures: ``bench/startup.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.commands import assistant_env

HEAVY = ("assistant.dialogue", "assistant.wiring", "skills", "intents", "audio", "vosk",
         "cn2an", "requests", "sounddevice", "numpy", "hassil")  # fmt: skip

_PROBE = """
import json, sys
from assistant.cli.main import main
try:
    main(sys.argv[1:])
finally:
    sys.__stdout__.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_by(home: Path, *args: str) -> set[str]:
    """The modules a whole ``assistant ARGS`` run imported."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], env=assistant_env(home),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


COMMANDS = [("--help",), ("outbox", "list"), ("config", "show"), ("status",), ("logs",),
            ("reminders", "history"), ("reminders", "list"), ("outbox", "--help")]  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS)
def test_a_technician_command_loads_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    loaded = loaded_by(tmp_path, *args)
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == []


def test_parse_does_load_the_intent_parser(tmp_path: Path) -> None:
    """The probe sees imports at all: ``parse`` needs the parser and gets it."""
    assert "intents.parser" in loaded_by(tmp_path, "parse", "几点了")
