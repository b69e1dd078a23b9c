"""The care platform (``careplatform``) in-process for tests: uvicorn on 127.0.0.1 in a
thread, its database in ``tmp_path``, a clock the test may hold.

::

    with running_careplatform(tmp_path) as platform:
        device = DeviceClient(platform.url)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from assistant.refplatform.server import PlatformServer
from careplatform.db.engine import sqlite_url
from careplatform.runtime import Platform, open_platform
from careplatform.settings import PlatformSettings
from careplatform.store.contract import ContractStore
from careplatform.web.app import create_app
from tests.support.platform_fixture import ADMIN_TOKEN, DEVICE_ID, DEVICE_SECRET, running_platform


@dataclass(frozen=True)
class CareServerConfig:
    """What the reference server's tests read of a running server's configuration."""

    db: Path | None
    """The SQLite file (None: a PostgreSQL database)."""


@dataclass
class CareServer:
    """A running care platform."""

    platform: Platform
    port: int
    config: CareServerConfig

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> ContractStore:
        return self.platform.contract


@contextmanager
def running_careplatform(
    tmp_path: Path,
    devices: Mapping[str, bytes] | None = None,
    *,
    admin_token: str = ADMIN_TOKEN,
    clock: Callable[[], float] = time.time,
    db_url: str | None = None,
) -> Iterator[CareServer]:
    """The care platform on a free port; ``devices`` default to ``{DEVICE_ID: DEVICE_SECRET}``."""
    path = tmp_path / "care.db"
    settings = PlatformSettings(db=db_url or sqlite_url(path), port=0, admin_token=admin_token)
    platform = open_platform(settings, clock)
    for device_id, secret in (
        devices if devices is not None else {DEVICE_ID: DEVICE_SECRET}
    ).items():
        platform.contract.put_device(device_id, secret)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(create_app(platform), log_config=None, access_log=False,
                            timeout_graceful_shutdown=5)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield CareServer(
            platform, sock.getsockname()[1], CareServerConfig(None if db_url else path)
        )
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        platform.close()


@contextmanager
def contract_server(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: Callable[[], float],
    devices: Mapping[str, bytes] | None = None,
) -> Iterator[PlatformServer | CareServer]:
    """The server a contract test's parameter names: ``reference``, or the care platform
    on SQLite (``care``) or PostgreSQL (``care-postgresql``). A test marked
    ``reference_only`` (fault injection, the reference's own HTTP layer) is skipped on
    the care platform."""
    if request.param == "reference":
        with running_platform(tmp_path, devices, clock=clock) as server:
            yield server
        return
    if request.node.get_closest_marker("reference_only"):
        pytest.skip("the reference server's own: fault injection or its HTTP layer")
    url = None
    if request.param == "care-postgresql":
        url = request.getfixturevalue("pg_cluster").new_database()
    with running_careplatform(tmp_path, devices, clock=clock, db_url=url) as care:
        yield care
