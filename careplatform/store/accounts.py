"""Accounts of the people who use the console: a name, a role (operator, provider,
family, admin), a password kept only as an argon2 hash, a provider for a provider's
accounts and the elders (devices) a family account may see."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant.refplatform.store import iso_utc
from careplatform.db.engine import Database
from careplatform.db.schema import ROLES, audit, family_devices, providers, users

MIN_PASSWORD = 10
_HASHER = PasswordHasher()


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the message says why and the fix."""


@dataclass(frozen=True)
class Account:
    """A console account (never its password)."""

    id: int
    name: str
    role: str
    provider: str | None
    active: bool


class AccountStore:
    """The ``users``, ``providers`` and ``family_devices`` tables."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def add(
        self,
        name: str,
        role: str,
        password: str,
        *,
        provider: str | None = None,
        devices: tuple[str, ...] = (),
        actor: str = "cli",
    ) -> Account:
        """Make an account; ``AccountError`` if the name is taken or a value is wrong."""
        _check(name, role, password, provider)
        now = iso_utc(self._clock())
        with self._db.write() as conn:
            provider_id = None
            if provider:
                provider_id = conn.execute(
                    select(providers.c.id).where(providers.c.name == provider)
                ).scalar()
                if provider_id is None:
                    provider_id = conn.execute(
                        insert(providers)
                        .values(name=provider, created_at=now)
                        .returning(providers.c.id)
                    ).scalar_one()
            try:
                user_id = conn.execute(
                    insert(users)
                    .values(
                        name=name,
                        role=role,
                        password_hash=_HASHER.hash(password),
                        provider_id=provider_id,
                        created_at=now,
                    )
                    .returning(users.c.id)
                ).scalar_one()
            except IntegrityError as err:
                raise AccountError(f"an account named {name!r} exists already") from err
            for device_id in devices:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(family_devices).values(user_id=user_id, device_id=device_id)
                        )
                except IntegrityError as err:
                    raise AccountError(
                        f"no device {device_id!r}: a family account names "
                        "devices that paired or were registered"
                    ) from err
            conn.execute(
                insert(audit).values(
                    at=now, actor=actor, action="account.add", target=name, detail={"role": role}
                )
            )
        return Account(int(user_id), name, role, provider, True)

    def verify(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is its password (and it is active), else None."""
        with self._db.read() as conn:
            row = conn.execute(
                select(users, providers.c.name.label("provider_name"))
                .outerjoin(providers, users.c.provider_id == providers.c.id)
                .where(users.c.name == name)
            ).first()
        if row is None:
            _HASHER.hash(password)  # the same work as a known name: no timing oracle
            return None
        try:
            _HASHER.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            with self._db.write() as conn:
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(password_hash=_HASHER.hash(password))
                )
        if not row.active:
            return None
        return Account(row.id, row.name, row.role, row.provider_name, bool(row.active))

    def provider_id(self, user_id: int) -> int | None:
        """The provider a provider's account works for."""
        with self._db.read() as conn:
            found = conn.execute(select(users.c.provider_id).where(users.c.id == user_id)).scalar()
        return None if found is None else int(found)

    def elders_of(self, user_id: int) -> list[str]:
        """The devices (elders) a family account may see."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(family_devices.c.device_id).where(family_devices.c.user_id == user_id)
            )
            return sorted(str(r.device_id) for r in rows)


def _check(name: str, role: str, password: str, provider: str | None) -> None:
    if not name or len(name) > 100 or not name.isprintable() or name != name.strip():
        raise AccountError("a name is 1-100 printable characters, no spaces around it")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if role == "provider" and not provider:
        raise AccountError("a provider's account names its provider: --provider NAME")
