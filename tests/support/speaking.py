"""An assistant fed utterances on stdin (``assistant run --json``), as tests speak to it.

::

    speaker = Speaker(env)
    assert speaker.say("救命")[0] == "emergency.recorded"
    errors = speaker.stop()
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.chaos import PipeLines


class Speaker:
    """``assistant run --json`` with utterances on stdin; each reply as its JSON object."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--json"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self._lines = PipeLines(self.proc.stdout)
        self.said_at = 0.0
        self.answered_in = 0.0
        """Seconds from the last utterance to its first reply."""

    def say(self, text: str) -> list[str]:
        """Say ``text``; the keys of the replies (those that come within 20 s)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{text}\n".encode())
        self.proc.stdin.flush()
        self.said_at = time.monotonic()
        first = self._lines.next(20.0)
        self.answered_in = time.monotonic() - self.said_at
        assert first is not None, "no reply"
        keys = [json.loads(first)["key"]]
        while (more := self._lines.next(0.3)) is not None:
            keys.append(json.loads(more)["key"])
        return keys

    def hears(self, timeout_s: float) -> str | None:
        """The key of the next thing said unprompted (None: nothing within ``timeout_s``)."""
        line = self._lines.next(timeout_s)
        return json.loads(line)["key"] if line is not None else None

    def stop(self) -> str:
        """End the input; what the assistant wrote on stderr."""
        assert self.proc.stdin is not None
        assert self.proc.stderr is not None
        self.proc.stdin.close()
        self.proc.wait(30)
        return self.proc.stderr.read().decode("utf-8", "replace")
