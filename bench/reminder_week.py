"""A simulated week of reminders, with XiaoAn killed (``kill -9``) at random moments.

The parent writes a schedule of about 1,000 reminders for the week, then runs the real
assistant (``assistant.wiring.app.build``: real SQLite file, real dialogue and skills) in a child
process on a simulated clock, and kills it again and again. Each kill is followed by time
off (seconds to hours), then a restart from where the clock was. In the child, the loop
ticks on a 0.2 s grid (the text loop's period) and jumps over the spans where nothing is
due; a simulated elder answers most reminders (吃过了), snoozes some, and ignores others.

Afterwards the database is compared with due times the parent computes on its own (plain
date arithmetic, not the planner): every reminder must be said, or reported missed, or
taken early; none may be settled or first said twice. Used by ``bench/reminders.py``
(a week) and ``tests/cli/test_reminder_week.py`` (a short one).
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.chaos import PipeLines

TZ = ZoneInfo("Asia/Shanghai")
TICK_S = 0.2
LATE_FIRE_MIN = 30.0
SETTLING = ("medicine_taken", "medicine_missed", "checkin_answered", "checkin_missed")


@dataclass(frozen=True)
class WeekResult:
    """What a simulated week found."""

    reminders: int
    on_time: int
    """Said first within 1 s of the due time, the device running."""
    running_lateness_s: list[float]
    """First saying minus due time (plus the tick's own run time), the device running from
    the due time to the saying."""
    late_after_restart: list[float]
    """Lateness of reminders with a stop between their due time and their first saying
    (fired on start, less than ``late_fire_min`` late)."""
    cut_by_kill: int
    """First saying committed but the process killed before it was out: heard at the
    repeat said on restart."""
    taken: int
    reported_missed: int
    missed_device_off: int
    skipped: int
    """Neither said nor reported nor taken, or left open at the end: must be 0."""
    duplicated: int
    """Settled twice, or said for the first time twice: must be 0."""
    kills: int
    seconds: float
    problems: list[str]


def schedule_text(medicines: int, per_day: int, rng: random.Random) -> str:
    """A schedule of ``medicines`` × ``per_day`` daily doses (06:00–21:59), and a check-in."""
    lines = ["medicines:"]
    for number in range(1, medicines + 1):
        minutes = sorted(rng.sample(range(6 * 60, 22 * 60), per_day))
        times = ", ".join(f'"{m // 60:02d}:{m % 60:02d}"' for m in minutes)
        lines.append(f"  - {{name: 药{number:02d}, dose: 一片, times: [{times}]}}")
    lines += [
        'checkin: {time: "09:30"}',
        'quiet_hours: {from: "22:30", to: "05:30"}',
        f"reminding: {{repeats: 2, repeat_every_min: 5, late_fire_min: {LATE_FIRE_MIN:g}}}",
    ]
    return "\n".join(lines) + "\n"


def expected(text: str, first: date, days: int) -> dict[str, float]:
    """Occurrence id → due time, by plain arithmetic on the schedule text (not the planner)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if "name:" in line:
            name = line.split("name: ")[1].split(",")[0]
            times = line.split("[")[1].split("]")[0].replace('"', "").split(", ")
            for day in range(days):
                for hhmm in times:
                    out[f"med/{name}/{first + timedelta(days=day)}T{hhmm}"] = _at(first, day, hhmm)
    for day in range(days):
        out[f"checkin/{first + timedelta(days=day)}T09:30"] = _at(first, day, "09:30")
    return out


def _at(first: date, day: int, hhmm: str) -> float:
    hour, minute = (int(x) for x in hhmm.split(":"))
    moment = datetime(first.year, first.month, first.day, hour, minute, tzinfo=TZ)
    return (moment + timedelta(days=day)).timestamp()


def run_week(
    workdir: Path, medicines: int = 36, per_day: int = 4, days: int = 7, kills: int = 30,
    seed: int = 1,
) -> WeekResult:  # fmt: skip
    """Run the week with ``kills`` kills; returns what the database shows."""
    rng = random.Random(seed)
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    text = schedule_text(medicines, per_day, rng)
    (home / "schedule.yaml").write_text(text, encoding="utf-8")
    first = date(2026, 12, 7)
    start = datetime(2026, 12, 7, tzinfo=TZ).timestamp() + rng.random() * TICK_S
    end = start + days * 86400.0
    finish = end + 3600.0  # the last reminders run out their repeats
    began = time.monotonic()
    prompts: list[dict[str, Any]] = []
    off: list[tuple[float, float]] = []
    clock, done, killed = start, False, 0
    while not done:
        kill_at = None  # a random simulated moment, spread over what is left of the week
        if killed < kills:
            kill_at = clock + rng.uniform(0.0, 2 * (finish - clock) / (kills - killed + 1))
        last, done = _run_child(home, clock, finish, rng.randrange(1 << 30), kill_at, prompts)
        if not done:
            killed += 1
            gap = _time_off(rng)
            off.append((last, last + gap))
            clock = last + gap
    seconds = time.monotonic() - began
    return _analyse(home, expected(text, first, days), prompts, off, killed, seconds)


def _time_off(rng: random.Random) -> float:
    """Seconds the device stays off after a kill: mostly short, sometimes hours."""
    roll = rng.random()
    if roll < 0.7:
        return rng.uniform(1.0, 20 * 60.0)
    if roll < 0.9:
        return rng.uniform(20 * 60.0, 60 * 60.0)
    return rng.uniform(3600.0, 4 * 3600.0)


def _run_child(
    home: Path, start: float, finish: float, seed: int, kill_at: float | None,
    prompts: list[dict[str, Any]],
) -> tuple[float, bool]:  # fmt: skip
    """One life of the child, killed once its simulated clock reaches ``kill_at`` (while it
    acts on that moment); returns the last simulated time it announced and whether it
    finished (False: it was killed). Kill moments are simulated times, so a faster or
    slower machine makes the same number of kills."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.reminder_week", str(home), repr(start), repr(finish),
         str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    lines, last = PipeLines(proc.stdout), start
    while True:
        line = lines.next(120.0)
        if line is None:
            proc.wait(60)
            return last, proc.returncode == 0
        event = json.loads(line)
        last = max(last, float(event["t"]))
        if "prompt" in event or "snoozed" in event:
            prompts.append(event)
        if kill_at is not None and last >= kill_at:
            proc.kill()
            proc.wait(30)
            return last, False


def _analyse(
    home: Path, due: dict[str, float], prompts: list[dict[str, Any]],
    off: list[tuple[float, float]], kills: int, seconds: float,
) -> WeekResult:  # fmt: skip
    conn = sqlite3.connect(home / "data" / "xiaoan.db")
    conn.row_factory = sqlite3.Row
    rows = {r["id"]: r for r in conn.execute("SELECT * FROM occurrences")}
    settled: Counter[str] = Counter()
    twice: Counter[tuple[str, str]] = Counter()
    relayed: dict[str, str] = {}
    for record in conn.execute(
        f"SELECT kind, data, outbox_key FROM records WHERE kind IN ({','.join('?' * 4)})",
        SETTLING,
    ):
        ident = json.loads(record["data"]).get("occurrence")
        if ident:
            settled[ident] += 1
            twice[ident, record["kind"]] += 1
            if record["kind"].endswith("_missed"):
                relayed[ident] = record["outbox_key"]
    keys = {r[0] for r in conn.execute("SELECT key FROM outbox")}
    good = conn.execute("SELECT value FROM state WHERE name = 'schedule.good'").fetchone()
    conn.close()
    # reminders are owed from the moment the schedule came into force (and the first start
    # still fires what is less than late_fire_min late)
    since = json.loads(good[0])["installed_at"] - 60.0 * LATE_FIRE_MIN if good else float("inf")
    due = {ident: at for ident, at in due.items() if at >= since}
    heard: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in prompts:  # a first saying after a snooze starts the count again
        for ident in event.get("prompt", ()):
            heard[ident].append(event)
        for ident in event.get("snoozed", ()):
            heard[ident].append({**event, "saying": -1})
    problems: list[str] = []
    on_time, running, after_restart = 0, [], []
    cut = taken = missed = missed_off = duplicated = skipped = 0
    for ident, due_at in sorted(due.items(), key=lambda item: item[1]):
        row = rows.get(ident)
        if row is None or row["state"] != "done" or settled[ident] == 0:
            skipped += 1
            problems.append(f"{ident}: {'no row' if row is None else dict(row)}")
            continue
        said = heard.get(ident, [])
        firsts = [e for i, e in enumerate(said) if e["saying"] == 1 and not (
            i and said[i - 1]["saying"] == -1)]  # fmt: skip
        doubled = [kind for (i, kind), n in twice.items() if i == ident and n > 1]
        if doubled or len(firsts) > 1:  # missed, then taken late, is one of each
            duplicated += 1
            problems.append(f"{ident}: {doubled} twice, first said {len(firsts)}×")
        outcome = row["outcome"]
        if twice[ident, "medicine_missed"] or twice[ident, "checkin_missed"]:
            missed += 1
            missed_off += row["reason"] == "device_off"
            if relayed.get(ident) not in keys:
                skipped += 1
                problems.append(f"{ident}: missed but not relayed")
        if outcome in ("medicine_taken", "checkin_answered"):
            taken += 1
        if row["first_said_at"] is None:
            continue
        if not firsts:
            cut += 1
            continue
        heard_at = float(firsts[0]["t"])
        late = heard_at - due_at + float(firsts[0]["tick_s"])
        if any(a <= heard_at and due_at <= b for a, b in off):  # a stop between due and said
            after_restart.append(late)
        else:
            running.append(late)
            on_time += late <= 1.0
            if late > 1.0:
                problems.append(f"{ident}: {late:.1f} s late while running: {said}")
    return WeekResult(len(due), on_time, running, after_restart, cut, taken, missed, missed_off,
                      skipped, duplicated, kills, seconds, problems)  # fmt: skip


# --- the child ------------------------------------------------------------------------


class _SimClock:
    def __init__(self, start: float) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


def child(home: Path, start: float, finish: float, seed: int) -> None:
    """Run XiaoAn on a simulated clock from ``start`` to ``finish``; print JSON lines."""
    from assistant.config import Paths, Settings
    from assistant.wiring.app import build

    rng = random.Random(seed)
    clock = _SimClock(start)
    assistant = build(Settings(log_level="ERROR"), Paths(home), lambda _: None, clock)
    dialogue, reminders = assistant.dialogue, assistant.reminders
    elder: list[tuple[float, str]] = []
    grid = start
    while clock.value < finish:
        wake = reminders.next_wakeup()
        target = min(w for w in (wake, elder[0][0] if elder else None, finish) if w is not None)
        steps = max(1, math.ceil((target - grid) / TICK_S - 1e-9))
        grid += steps * TICK_S
        _emit({"t": grid})  # before acting: the parent never thinks the clock is behind
        clock.value = grid
        says = []
        while elder and elder[0][0] <= grid:
            sounding = [s.occurrence.id for s in reminders.sounding()]
            answer = dialogue.hear(elder.pop(0)[1])
            if any(say.key == "snooze.ok" for say in answer):
                _emit({"t": grid, "snoozed": sounding})
            says += answer
        began = time.perf_counter()
        says += dialogue.tick()
        took = time.perf_counter() - began
        for say in says:
            if say.reminders:
                _emit({"t": grid, "prompt": list(say.reminders), "saying": say.saying,
                       "tick_s": took})  # fmt: skip
                _react(say.reminders, grid, rng, elder)


def _react(ids: tuple[str, ...], now: float, rng: random.Random,
           elder: list[tuple[float, str]]) -> None:  # fmt: skip
    """The simulated elder: mostly 吃过了, sometimes 等会儿 or 好的, sometimes nothing."""
    roll = rng.random()
    if ids[0].startswith("checkin/"):
        answer = "挺好的" if roll < 0.9 else ""
    else:
        answer = "吃过了" if roll < 0.7 else "等会儿再提醒我" if roll < 0.8 else \
            "好的" if roll < 0.85 else ""  # fmt: skip
    if answer:
        elder.append((now + rng.uniform(2.0, 180.0), answer))
        elder.sort()


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def summary(result: WeekResult) -> dict[str, Any]:
    """The figures, as printed by ``bench/reminders.py``."""
    running = sorted(result.running_lateness_s)
    late = sorted(result.late_after_restart)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

    return {
        "reminders": result.reminders,
        "fired_on_time": result.on_time,
        "lateness_running_p50_s": round(statistics.median(running), 3) if running else 0.0,
        "lateness_running_p99_s": round(pct(running, 0.99), 3),
        "lateness_running_max_s": round(running[-1], 3) if running else 0.0,
        "fired_late_after_restart": len(late),
        "late_after_restart_median_s": round(statistics.median(late), 1) if late else 0.0,
        "late_after_restart_max_s": round(late[-1], 1) if late else 0.0,
        "first_saying_cut_by_kill": result.cut_by_kill,
        "taken_or_answered": result.taken,
        "reported_missed": result.reported_missed,
        "reported_missed_device_off": result.missed_device_off,
        "silently_skipped": result.skipped,
        "duplicated": result.duplicated,
        "kills": result.kills,
        "seconds": round(result.seconds, 1),
    }


if __name__ == "__main__":
    child(Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
