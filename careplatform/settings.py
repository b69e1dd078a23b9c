"""How the platform runs: from the command line and ``XIAOAN_PLATFORM_*`` variables
(``DB``, ``HOST``, ``ADMIN_TOKEN``, ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_SENDER``,
``SMTP_USERNAME``, ``SMTP_PASSWORD``, ``SMTP_STARTTLS``, ``WEBHOOK_SECRET``).

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
    smtp_host: str = ""
    """The mail server families' e-mails go through (empty: no e-mail)."""
    smtp_port: int = 25
    smtp_sender: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    webhook_secret: str = ""
    """Signs webhooks (``X-XiaoAn-Signature``, HMAC-SHA256) when set."""

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
        smtp_host=env.get(ENV_PREFIX + "SMTP_HOST", ""),
        smtp_port=_port(env.get(ENV_PREFIX + "SMTP_PORT", "25")),
        smtp_sender=env.get(ENV_PREFIX + "SMTP_SENDER", ""),
        smtp_username=env.get(ENV_PREFIX + "SMTP_USERNAME", ""),
        smtp_password=env.get(ENV_PREFIX + "SMTP_PASSWORD", ""),
        smtp_starttls=env.get(ENV_PREFIX + "SMTP_STARTTLS", "") in ("1", "true", "yes"),
        webhook_secret=env.get(ENV_PREFIX + "WEBHOOK_SECRET", ""),
    )


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{ENV_PREFIX}SMTP_PORT must be a port number, not {text!r}")
    return int(text)
