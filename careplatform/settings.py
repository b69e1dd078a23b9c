"""How the platform runs: from the command line and ``XIAOAN_PLATFORM_*`` variables.

``db`` is a database URL: ``sqlite:////var/lib/xiaoan-platform/platform.db`` (the default
is ``platform.db`` in the working folder) or ``postgresql+psycopg://user@host/xiaoan``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from careplatform.db.engine import sqlite_url

ENV_PREFIX = "XIAOAN_PLATFORM_"


@dataclass(frozen=True)
class PlatformSettings:
    """The platform's settings; units in the names."""

    db: str
    host: str = "127.0.0.1"
    port: int = 8787
    admin_token: str = ""
    """The bearer token of ``/v1/admin`` (machine access); empty: a random one nobody
    knows, so that API is closed."""
    heartbeat_s: int = 60
    """How often devices beat; one silent for 3 of these is a problem on the board."""

    @property
    def api_token(self) -> str:
        """The admin token in force."""
        return self.admin_token or _UNGUESSABLE


_UNGUESSABLE = secrets.token_urlsafe(32)


def settings_from(
    db: str | None = None,
    host: str | None = None,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> PlatformSettings:
    """Settings from the options given, else the environment, else the defaults."""
    env = os.environ if env is None else env
    url = db or env.get(ENV_PREFIX + "DB") or sqlite_url(Path("platform.db"))
    if "://" not in url:  # a plain path is a SQLite file
        url = sqlite_url(Path(url))
    return PlatformSettings(
        db=url,
        host=host or env.get(ENV_PREFIX + "HOST", "127.0.0.1"),
        port=8787 if port is None else port,
        admin_token=env.get(ENV_PREFIX + "ADMIN_TOKEN", ""),
    )
