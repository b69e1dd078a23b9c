"""Running ``assistant`` as a technician would: a subprocess with its own ``XIAOAN_HOME``.

::

    env = assistant_env(tmp_path, XIAOAN_LANG="en")
    done = assistant(env, "doctor", "--json")
    assert done.returncode == 0, done.stderr
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FAKE_AUDIO = "tests.fake_sounddevice"
"""The stand-in for ``sounddevice`` (``XIAOAN_AUDIO_BACKEND``): CI has no sound hardware."""


def assistant_env(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any ``XIAOAN_`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    env.update(XIAOAN_HOME=str(home), **settings)
    return env


def assistant(
    env: dict[str, str], *args: str, stdin: str = "", timeout_s: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assistant ARGS`` and wait for it to end."""
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=timeout_s,
                          check=False)  # fmt: skip
