"""Console sessions and the login limits, in the database (several app processes share
them; a logout or a disabled account ends a session everywhere at once).

A session is a random token in an HttpOnly cookie, kept here only as its SHA-256, with a
CSRF token every form and every changing call must carry. Failed logins are counted per
account and per source (``attempts``); either limit refuses further tries for a while,
never the whole platform.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from careplatform.db.engine import Database
from careplatform.db.schema import attempts, providers, sessions, users
from careplatform.store.accounts import Account
from careplatform.store.upsert import lock_scope

SESSION_S = 12 * 3600
"""A session lasts a working shift."""
LOGIN_WINDOW_S = 900
ACCOUNT_FAILURES = 5
"""Failed logins on one account within the window before it waits."""
SOURCE_FAILURES = 20
"""Failed logins from one address within the window before it waits."""


@dataclass(frozen=True)
class Session:
    """A logged-in account and its CSRF token."""

    account: Account
    csrf: str
    expires_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """The ``sessions`` table and the login side of ``attempts``."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def open(self, account: Account) -> tuple[str, Session]:
        """A new session for ``account``: the cookie's token and the session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock()
        with self._db.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
            conn.execute(
                insert(sessions).values(
                    token_sha256=_digest(token),
                    user_id=account.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + SESSION_S,
                )
            )
        return token, Session(account, csrf, now + SESSION_S)

    def find(self, token: str) -> Session | None:
        """The live session of a cookie's token (None: none, expired, account disabled)."""
        if not token or len(token) > 100:
            return None
        with self._db.read() as conn:
            row = conn.execute(
                select(
                    sessions.c.csrf_token,
                    sessions.c.expires_at,
                    users.c.id,
                    users.c.name,
                    users.c.role,
                    users.c.active,
                    providers.c.name.label("provider"),
                )
                .join(users, users.c.id == sessions.c.user_id)
                .outerjoin(providers, providers.c.id == users.c.provider_id)
                .where(sessions.c.token_sha256 == _digest(token))
            ).first()
        if row is None or row.expires_at <= self._clock() or not row.active:
            return None
        account = Account(row.id, row.name, row.role, row.provider, bool(row.active))
        return Session(account, row.csrf_token, row.expires_at)

    def close(self, token: str) -> None:
        """End a session (logout)."""
        with self._db.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_sha256 == _digest(token)))

    def login_slot(self, name: str, source: str) -> tuple[float, list[int]]:
        """Before a password is checked: (seconds to wait, []) while the account or the
        source is over its limit; else (0, the failure rows recorded at once), which
        ``login_succeeded`` takes back. Counting and recording are one transaction, so
        parallel tries cannot slip past the limit."""
        now = self._clock()
        limits = (
            (f"login-account:{name}", ACCOUNT_FAILURES),
            (f"login-source:{source}", SOURCE_FAILURES),
        )
        with self._db.write() as conn:
            conn.execute(
                delete(attempts).where(
                    attempts.c.scope.like("login-%"), attempts.c.failed_at <= now - LOGIN_WINDOW_S
                )
            )
            for scope, _ in limits:
                lock_scope(conn, scope)
            wait = 0.0
            for scope, most in limits:
                count, oldest = conn.execute(
                    select(func.count(), func.min(attempts.c.failed_at)).where(
                        attempts.c.scope == scope, attempts.c.failed_at > now - LOGIN_WINDOW_S
                    )
                ).one()
                if count >= most:
                    wait = max(wait, float(oldest) + LOGIN_WINDOW_S - now)
            if wait > 0:
                return wait, []
            ids = [
                conn.execute(
                    insert(attempts).values(scope=scope, failed_at=now).returning(attempts.c.id)
                ).scalar_one()
                for scope, _ in limits
            ]
        return 0.0, [int(i) for i in ids]

    def login_succeeded(self, slot: list[int]) -> None:
        """The password was right: the failures recorded for the try are taken back."""
        with self._db.write() as conn:
            conn.execute(delete(attempts).where(attempts.c.id.in_(slot)))

    def close_all(self, user_id: int) -> None:
        """End every session of an account (a password changed, an account disabled)."""
        with self._db.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
