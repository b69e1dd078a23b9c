"""Fixtures of the care platform's tests: the real servers notices go to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.notify_servers import HookServers, SmtpServers, hook_servers, smtp_servers
from tests.support.platform_fixture import FakeClock
from tests.support.postgres import Cluster


@pytest.fixture
def clock() -> FakeClock:
    """The platform's clock, moved by the test."""
    return FakeClock()


@pytest.fixture
def hook_server() -> Iterator[HookServers]:
    """Starts webhook servers (``hook_server(status=200, hold=False)``); stops them after."""
    with hook_servers() as start:
        yield start


@pytest.fixture
def smtp_server() -> Iterator[SmtpServers]:
    """Starts SMTP servers (``smtp_server(rcpt_reply=None, auth=False)``); stops them after."""
    with smtp_servers() as start:
        yield start


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """The care platform's database: a SQLite file (None) or a PostgreSQL database."""
    if request.param == "sqlite":
        return None
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
