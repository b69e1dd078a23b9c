"""A real PostgreSQL for the care platform's store tests: Debian's ``postgresql`` package,
a throwaway cluster (``initdb`` in a temporary folder, ``pg_ctl`` on a free port, a
Unix socket beside it, trust authentication for the local user). Run as root, the cluster
runs as the ``postgres`` user, as PostgreSQL insists. Each test gets a database of its own.

::

    with postgres_cluster(tmp) as cluster:
        url = cluster.new_database()   # postgresql+psycopg://…
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"no {name}: `apt-get install postgresql` (.ci/run does)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster."""

    socket_dir: Path
    port: int
    user: str
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        name = f"care_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=self.user,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@/{name}?host={self.socket_dir}&port={self.port}"


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """Start a cluster for the ``with`` block; stop and remove it after."""
    root = Path(tempfile.mkdtemp(prefix="xiaoan-pg-"))
    data, sockets = root / "data", root / "sockets"
    data.mkdir()
    sockets.mkdir()
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else os.environ.get("USER", "postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres")
        for folder in (data, sockets):
            shutil.chown(folder, "postgres")
    port = _free_port()
    subprocess.run(
        [
            *prefix,
            _bin("initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            user,
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [
            *prefix,
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            str(root / "log"),
            "start",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield Cluster(sockets, port, user)
    finally:
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)
