"""``assistant doctor``: one screen that checks everything, and what to do about each failure.

Exit code 0 when no part fails (warnings allowed), 1 when one does. ``--json`` prints one
object: ``{"healthy", "seconds", "checks": [{"part", "status", "detail", "fix"}]}``.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

_MARKS = {"ok": "  ok", "warn": "warn", "fail": "FAIL", "skip": "  --"}
"""How each ``assistant.service.doctor`` status is printed."""


def register(app: typer.Typer) -> None:
    """Add ``doctor`` to the ``assistant`` command."""
    app.command("doctor")(run_doctor)


def run_doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Check every part and say what to do about each failure.

    Packages, audio devices, model, settings, schedule, platform, registration, clock,
    disk, outbox, service. Exit code 0: healthy (warnings allowed); 1: a part fails.
    """
    from assistant.service import doctor

    started = time.monotonic()  # the checks' own time (the whole command: bench/startup.py)
    findings = doctor.examine(doctor.context())
    healthy = doctor.healthy(findings)
    seconds = round(time.monotonic() - started, 2)
    if as_json:
        checks = [f.to_json() for f in findings]
        typer.echo(json.dumps({"healthy": healthy, "seconds": seconds, "checks": checks},
                              ensure_ascii=False))  # fmt: skip
    else:
        width = max(len(f.part) for f in findings)
        for f in findings:
            typer.echo(f"{_MARKS[f.status]}  {f.part:<{width}}  {f.detail}")
            if f.fix and f.status in (doctor.FAIL, doctor.WARN):
                typer.echo(f"      {'':<{width}}  → {f.fix}")
        failing = [f.part for f in findings if f.status == doctor.FAIL]
        verdict = "healthy" if healthy else "NOT healthy: " + ", ".join(dict.fromkeys(failing))
        typer.echo(f"\nXiaoAn is {verdict} ({seconds:.1f} s)")
    raise typer.Exit(0 if healthy else 1)
