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

import uvicorn

from careplatform.db.engine import sqlite_url
from careplatform.runtime import Platform, open_platform
from careplatform.settings import PlatformSettings
from careplatform.store.contract import ContractStore
from careplatform.web.app import create_app
from tests.support.platform_fixture import ADMIN_TOKEN, DEVICE_ID, DEVICE_SECRET


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
