"""Benchmark of the care platform under a district's load (issue 17): one
``xiaoan-platform serve`` process, on SQLite and on PostgreSQL (a throwaway cluster from
Debian's package), with ``--devices`` simulated devices heartbeating every 60 s and
bursts of ``--rate`` requests a second for ``--seconds``, every call signed as a device
signs it; an operator's board polled every second, as the console's page does.

Every request is retried with its idempotency key until the platform answers 201 (as
the device's outbox does); afterwards each key must be stored exactly once.

Prints per database: requests sent / stored / lost / duplicated; request latency
(p50, p95, max) of submissions and heartbeats; emergency → visible on the open board
(p50, p95, max: from the submission to the first poll showing it).

    python bench/platform_load.py [--devices 1000] [--rate 50] [--seconds 60]
                                  [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from assistant.relay.signing import SignedFields, new_nonce, signed_headers
from bench.chaos import serving
from tests.support.postgres import postgres_cluster

TOKEN = "load-admin"
EMERGENCY_EVERY = 50
"""One request in this many is an emergency (one a second at 50 requests a second)."""
KINDS = ("service_booking", "meal_order", "health_report", "callback", "medicine_event")


@dataclass
class Figures:
    """What one run measured."""

    submit_ms: list[float] = field(default_factory=list)
    beat_ms: list[float] = field(default_factory=list)
    visible_s: list[float] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    """Idempotency key → device id of every request sent."""
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def platform(db: str, workdir: Path) -> AbstractContextManager[str]:
    """``xiaoan-platform serve`` in its own process; its URL."""
    env = {**os.environ, "XIAOAN_PLATFORM_ADMIN_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "careplatform.cli", "serve", "--port", "0", "--db", db]
    return serving(command, env=env, cwd=workdir, start_s=60.0)


def secret_of(device: int) -> bytes:
    return device.to_bytes(4, "big") * 8


def device_id(device: int) -> str:
    return f"load-{device:05d}"


def signed_post(
    session: requests.Session,
    url: str,
    path: str,
    device: int,
    body: Mapping[str, object],
    key: str = "",
) -> requests.Response:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    fields = SignedFields("POST", path, int(time.time()), new_nonce(), raw, key, device_id(device))
    headers = {**signed_headers(secret_of(device), fields), "Content-Type": "application/json"}
    return session.post(url + path, data=raw, headers=headers, timeout=30)


def submit(
    url: str,
    device: int,
    kind: str,
    figures: Figures,
    local: threading.local,
    emergencies: dict[str, float],
) -> None:
    """One request, retried with its key until stored (as the outbox does); an
    emergency's first send is noted for the board's watch."""
    session = _session(local)
    key = str(uuid.uuid4())
    body = {
        "kind": kind,
        "created_at": "2026-12-05T10:00:00+08:00",
        "priority": 0 if kind == "emergency" else 5,
        "lang": "zh",
        "summary": f"负载测试 {kind} {key[:8]}",
        "fields": {"load": True},
    }
    with figures.lock:
        figures.keys[key] = device_id(device)
        if kind == "emergency":
            emergencies[key[:8]] = time.monotonic()
    for _ in range(20):
        started = time.monotonic()
        try:
            reply = signed_post(session, url, "/v1/requests", device, body, key)
        except requests.RequestException:
            with figures.lock:
                figures.errors += 1
            continue
        elapsed = (time.monotonic() - started) * 1000
        if reply.status_code == 201:
            with figures.lock:
                figures.submit_ms.append(elapsed)
            return
        with figures.lock:
            figures.errors += 1


def beat(url: str, device: int, figures: Figures, local: threading.local) -> None:
    started = time.monotonic()
    try:
        reply = signed_post(_session(local), url, "/v1/heartbeat", device, {"uptime_s": 60})
        ok = reply.status_code == 200
    except requests.RequestException:
        ok = False
    with figures.lock:
        if ok:
            figures.beat_ms.append((time.monotonic() - started) * 1000)
        else:
            figures.errors += 1


def _session(local: threading.local) -> requests.Session:
    if not hasattr(local, "session"):
        local.session = requests.Session()
    return local.session  # type: ignore[no-any-return]


def board_watch(
    url: str,
    figures: Figures,
    sent: dict[str, float],
    stop: threading.Event,
    operator: requests.Session,
) -> None:
    """Poll the board every second like the page; note when each emergency shows."""
    seen: set[str] = set()
    while not stop.wait(1.0):
        text = operator.get(url + "/board/live", timeout=30).text
        now = time.monotonic()
        for summary in re.findall(r"负载测试 emergency ([0-9a-f]{8})", text):
            if summary not in seen and summary in sent:
                seen.add(summary)
                figures.visible_s.append(now - sent[summary])


def run(url: str, devices: int, rate: int, seconds: int, operator: requests.Session) -> Figures:
    """The load: heartbeats spread over each minute, ``rate`` requests a second."""
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {TOKEN}"
    for n in range(devices):
        admin.put(
            f"{url}/v1/admin/devices/{device_id(n)}",
            timeout=30,
            data=json.dumps({"secret": secret_of(n).hex()}),
        ).raise_for_status()
    figures, local = Figures(), threading.local()
    emergencies: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=board_watch, args=(url, figures, emergencies, stop, operator))
    watcher.start()
    rng = random.Random(1)
    plan: list[tuple[float, str, int]] = []
    for n in range(devices):
        first = n * 60.0 / devices
        plan += [
            (first + 60.0 * k, "beat", n)
            for k in range(max(1, seconds // 60 + 1))
            if first + 60.0 * k < seconds
        ]
    plan += [(i / rate, "submit", rng.randrange(devices)) for i in range(rate * seconds)]
    plan.sort()
    started, submitted = time.monotonic(), 0
    with ThreadPoolExecutor(max_workers=64) as pool:
        for at, what, device in plan:
            delay = started + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the load's own clock (a benchmark, not a test)
            if what == "beat":
                pool.submit(beat, url, device, figures, local)
                continue
            submitted += 1
            kind = "emergency" if submitted % EMERGENCY_EVERY == 1 else rng.choice(KINDS)
            pool.submit(submit, url, device, kind, figures, local, emergencies)
    time.sleep(2.5)  # the last emergencies reach the board's next polls
    stop.set()
    watcher.join(30)
    return figures


def check(url: str, figures: Figures) -> tuple[int, int, int]:
    """Stored, lost, duplicated: every key sent against what the platform holds."""
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {TOKEN}"
    stored = admin.get(url + "/v1/admin/requests", timeout=120).json()["requests"]
    counts: dict[str, int] = {}
    for row in stored:
        counts[row["idempotency_key"]] = counts.get(row["idempotency_key"], 0) + 1
    lost = sum(1 for key in figures.keys if key not in counts)
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    return len(stored), lost, duplicated


def spread(values: list[float]) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.0f}  p95 {p95:.0f}  max {ordered[-1]:.0f}"


def operator_session(url: str) -> requests.Session:
    """An operator logged in to the console (the account made beforehand)."""
    session = requests.Session()
    page = session.get(url + "/login", timeout=30).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    session.post(
        url + "/login",
        data={"name": "值班员", "password": "load-test-password", "csrf": token[1]},
        timeout=30,
    ).raise_for_status()
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp, _database(backend, Path(tmp)) as db:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "careplatform.cli",
                    "user",
                    "add",
                    "值班员",
                    "--role",
                    "operator",
                    "--db",
                    db,
                ],
                input="load-test-password\n",
                text=True,
                check=True,
                capture_output=True,
            )
            with platform(db, Path(tmp)) as url:
                figures = run(url, args.devices, args.rate, args.seconds, operator_session(url))
                stored, lost, duplicated = check(url, figures)
        print(f"{backend}: {args.devices} devices, {args.rate} requests/s for {args.seconds} s")
        print(
            f"  sent {len(figures.keys)}, stored {stored}, lost {lost}, duplicated {duplicated}"
            f" (failed attempts retried: {figures.errors})"
        )
        print(f"  submit ms    {spread(figures.submit_ms)}")
        print(f"  heartbeat ms {spread(figures.beat_ms)}  ({len(figures.beat_ms)} beats)")
        shown = spread([v * 1000 for v in figures.visible_s])
        print(f"  emergency → on the open board, ms: {shown} ({len(figures.visible_s)} shown)")


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(folder / "platform.db")
        return
    with postgres_cluster() as cluster:
        yield cluster.new_database()


if __name__ == "__main__":
    main()
