"""Benchmark of the care platform's signature check (``assistant.refplatform.server``).

Starts the reference platform on 127.0.0.1 with a temporary database and sends, over one
keep-alive connection, N requests of each class:

* valid: correctly signed (submit a request, list by key, heartbeat, in turn);
* tampered: signed, then one random byte of the body, of the query or of the signature
  changed;
* replayed: a valid request sent a second time, byte for byte (only the second counts);
* stale: correctly signed with a timestamp 305 s to a day off, either way.

Prints, per class, how many were sent, accepted (2xx), refused (401) and other, with the
refusal codes. The goal is valid 100 % accepted and every other class 100 % refused; the
exit status is 1 when it is missed.

    python bench/signatures.py [--n 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import string
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and its intents.py would shadow the
# `intents` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from assistant.refplatform.server import PlatformServer, ServerConfig  # noqa: E402
from assistant.relay.signing import SignedFields, new_nonce, signed_headers  # noqa: E402

DEVICE_ID = "xiaoan-bench-0001"
SECRET = bytes.fromhex("5e" * 32)
MIN_STALE_S, MAX_STALE_S = 305, 86_400


@dataclass(frozen=True)
class Prepared:
    """A request ready to go on the wire."""

    method: str
    target: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Tally:
    """The outcomes of one class."""

    sent: int = 0
    accepted: int = 0
    refused: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def other(self) -> int:
        """Neither 2xx nor 401."""
        return self.sent - self.accepted - self.refused


def signed(
    method: str, target: str, body: bytes = b"", key: str = "", offset_s: int = 0
) -> Prepared:
    """A request signed with the bench device's secret."""
    fields = SignedFields(
        method, target, int(time.time()) + offset_s, new_nonce(), body, key, DEVICE_ID
    )
    headers = signed_headers(SECRET, fields)
    if body:
        headers["Content-Type"] = "application/json"
    return Prepared(method, target, body, headers)


def submission(i: int) -> bytes:
    """The body of the ``i``-th request."""
    body = {
        "kind": "callback",
        "created_at": "2026-11-22T10:00:00+08:00",
        "priority": 5,
        "summary": f"老人王秀英（3栋2单元501）请社区回电 #{i}",
        "fields": {"topic": "bench", "n": i},
        "lang": "zh",
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def valid(i: int, offset_s: int = 0) -> Prepared:
    """A correctly signed request, one of three endpoints."""
    key = str(uuid.uuid4())
    if i % 3 == 0:
        return signed("POST", "/v1/requests", submission(i), key, offset_s)
    if i % 3 == 1:
        return signed("GET", f"/v1/requests?kind=callback&key={key}", offset_s=offset_s)
    beat = json.dumps({"uptime_s": i, "outbox_backlog": 0}).encode()
    return signed("POST", "/v1/heartbeat", beat, offset_s=offset_s)


def tampered(i: int, rng: random.Random) -> Prepared:
    """A signed request with one byte of its body, query or signature changed."""
    what = rng.choice(("body", "path", "signature"))
    if what == "body":
        p = signed("POST", "/v1/requests", submission(i), str(uuid.uuid4()))
        body = bytearray(p.body)
        at = rng.randrange(len(body))
        body[at] = rng.choice([b for b in range(256) if b != body[at]])
        return Prepared(p.method, p.target, bytes(body), p.headers)
    if what == "path":
        p = signed("GET", f"/v1/requests?kind=callback&key={uuid.uuid4()}")
        start = p.target.index("?") + 1
        at = rng.randrange(start, len(p.target))
        new = rng.choice([c for c in string.ascii_letters + string.digits if c != p.target[at]])
        return Prepared(p.method, p.target[:at] + new + p.target[at + 1 :], p.body, p.headers)
    p = valid(i)
    signature = p.headers["X-Signature"]
    at = rng.randrange(len(signature))
    new = rng.choice([c for c in "0123456789abcdef" if c != signature[at]])
    headers = {**p.headers, "X-Signature": signature[:at] + new + signature[at + 1 :]}
    return Prepared(p.method, p.target, p.body, headers)


def stale(i: int, rng: random.Random) -> Prepared:
    """A correctly signed request whose timestamp is too far off."""
    return valid(i, rng.choice((-1, 1)) * rng.randint(MIN_STALE_S, MAX_STALE_S))


class Client:
    """One keep-alive HTTP connection to the platform."""

    def __init__(self, host: str, port: int) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=10)

    def send(self, p: Prepared, tally: Tally) -> None:
        """Send, and count the answer in ``tally``."""
        started = time.perf_counter()
        self._conn.request(p.method, p.target, body=p.body or None, headers=p.headers)
        reply = self._conn.getresponse()
        payload = reply.read()
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        tally.sent += 1
        if 200 <= reply.status < 300:
            tally.accepted += 1
            return
        if reply.status == 401:
            tally.refused += 1
        tally.codes[f"{reply.status} {json.loads(payload).get('error', '?')}"] += 1

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def run(n: int, seed: int, url_host: str, port: int) -> dict[str, Tally]:
    """Send ``n`` requests of each class; the tallies."""
    rng = random.Random(seed)
    client = Client(url_host, port)
    tallies = {name: Tally() for name in ("valid", "tampered", "replayed", "stale")}
    makers: dict[str, Callable[[int], Prepared]] = {
        "valid": valid,
        "tampered": lambda i: tampered(i, rng),
        "stale": lambda i: stale(i, rng),
    }
    try:
        for i in range(n):
            for name, make in makers.items():
                client.send(make(i), tallies[name])
            first = valid(i)
            client.send(first, Tally())
            client.send(first, tallies["replayed"])
    finally:
        client.close()
    return tallies


def report(tallies: dict[str, Tally]) -> bool:
    """Print the table; whether the goal was met."""

    def pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:7.1f} %" if whole else "      - "

    print(f"{'class':<10}{'sent':>6}{'accepted':>12}{'refused':>11}{'other':>11}{'median ms':>11}")
    met = True
    for name, t in tallies.items():
        median = statistics.median(t.latencies_ms) if t.latencies_ms else 0.0
        print(
            f"{name:<10}{t.sent:>6}{pct(t.accepted, t.sent):>12}{pct(t.refused, t.sent):>11}"
            f"{pct(t.other, t.sent):>11}{median:>11.2f}"
        )
        goal = t.accepted if name == "valid" else t.refused
        met = met and goal == t.sent
    print()
    for name, t in tallies.items():
        codes = ", ".join(f"{code} × {count}" for code, count in t.codes.most_common())
        print(f"{name:<10}{codes or '-'}")
    print()
    print("goal met: valid 100 % accepted, others 100 % refused" if met else "GOAL MISSED")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=500, help="requests per class (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the tampering")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        config = ServerConfig(
            db=Path(tmp) / "platform.db",
            admin_token=uuid.uuid4().hex,
            devices={DEVICE_ID: SECRET},
        )
        with PlatformServer(config) as server:
            started = time.perf_counter()
            tallies = run(args.n, args.seed, config.host, server.port)
            elapsed = time.perf_counter() - started
    met = report(tallies)
    total = sum(t.sent for t in tallies.values()) + args.n
    print(f"{total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s, one connection)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
