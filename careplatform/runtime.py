"""One running platform's parts, built once from its settings and handed to the web
application and the commands: the database, the stores, the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from careplatform.db.engine import Database, open_database
from careplatform.db.migrate import upgrade
from careplatform.notify import Channel, EmailChannel, WebhookChannel
from careplatform.notifying import NoticeSender
from careplatform.settings import PlatformSettings
from careplatform.store.accounts import AccountStore
from careplatform.store.care import CareStore
from careplatform.store.contract import ContractStore
from careplatform.store.notices import NoticeStore
from careplatform.store.sessions import SessionStore


@dataclass
class Platform:
    """The platform's parts."""

    settings: PlatformSettings
    db: Database
    clock: Callable[[], float] = time.time
    contract: ContractStore = field(init=False)
    accounts: AccountStore = field(init=False)
    sessions: SessionStore = field(init=False)
    care: CareStore = field(init=False)
    notices: NoticeStore = field(init=False)
    notifier: NoticeSender = field(init=False)

    def __post_init__(self) -> None:
        self.contract = ContractStore(self.db, clock=self.clock)
        self.accounts = AccountStore(self.db, self.clock)
        self.sessions = SessionStore(self.db, self.clock)
        self.care = CareStore(self.db, self.contract, self.settings.heartbeat_s, self.clock)
        self.notices = NoticeStore(self.db, self.clock)
        self.notifier = NoticeSender(self.notices, channels(self.settings))

    def close(self) -> None:
        """Close the database's connections."""
        self.db.dispose()


def channels(settings: PlatformSettings) -> dict[str, Channel]:
    """The notifier's channels the settings allow: webhooks always, e-mail with a server."""
    found: dict[str, Channel] = {
        "webhook": WebhookChannel(secret=settings.webhook_secret.encode() or None)
    }
    if settings.smtp_host:
        found["email"] = EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender or "xiaoan@localhost",
            settings.smtp_username or None,
            settings.smtp_password or None,
            settings.smtp_starttls,
        )
    return found


def open_platform(settings: PlatformSettings, clock: Callable[[], float] = time.time) -> Platform:
    """Open the database (migrated to the newest tables) and build the parts."""
    db = open_database(settings.db)
    upgrade(db)
    return Platform(settings, db, clock)
