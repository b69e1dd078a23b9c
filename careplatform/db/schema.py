"""The platform's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Everything two app processes must agree on lives here, never in a process's memory:
devices and their secrets, the nonces seen, idempotency records, requests and every
change to them (``request_events``, the audit trail), menus, schedules, heartbeats,
pairing codes (SHA-256 digests only), the attempts that rate limits count (per account,
per code, per source), accounts, sessions, notices to families and counters.

Times the contract shows (``received_at``…) are stored as the ISO 8601 text it shows;
times the platform computes with (expiry, lease, next attempt) as Unix seconds (float).
The tables change only through Alembic migrations (``careplatform/db/migrations``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ROLES = ("operator", "provider", "family", "admin")

devices = Table(
    "devices", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
    Column("elder_name", Text, nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)  # fmt: skip

nonces = Table(
    "nonces", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("seen_at", Float, nullable=False, index=True),
)  # fmt: skip

idempotency = Table(
    "idempotency", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("key", String(36), primary_key=True),
    Column("body_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("status_code", Integer),
    Column("response", JSON),
    CheckConstraint("state IN ('processing', 'done')", name="state"),
)  # fmt: skip

providers = Table(
    "providers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
)  # fmt: skip

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("provider_id", Integer, ForeignKey("providers.id")),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", Text, nullable=False),
    CheckConstraint("role IN ('operator', 'provider', 'family', 'admin')", name="role"),
)  # fmt: skip

family_devices = Table(
    "family_devices", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("device_id", String(64), ForeignKey("devices.device_id", ondelete="CASCADE"),
           primary_key=True),
)  # fmt: skip

requests = Table(
    "requests", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("device_id", String(64), nullable=False),
    Column("idempotency_key", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("summary", Text, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    Column("received_ts", Float, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("note", Text),
    Column("provider", Text),
    Column("eta", Text),
    Column("provider_id", Integer, ForeignKey("providers.id")),
    Column("acknowledged_at", Text),
    Column("acknowledged_by", String(100)),
    Column("outcome", Text),
    UniqueConstraint("device_id", "idempotency_key"),
    Index("ix_requests_device_kind", "device_id", "kind"),
    Index("ix_requests_status", "status"),
)  # fmt: skip

request_events = Table(
    "request_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("request_seq", BigInteger, ForeignKey("requests.seq"), nullable=False, index=True),
    Column("at", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
)  # fmt: skip

menus = Table(
    "menus", metadata,
    Column("date", String(10), primary_key=True),
    Column("meals", JSON, nullable=False),
    Column("updated_at", Text, nullable=False),
)  # fmt: skip

schedules = Table(
    "schedules", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("schedule", JSON, nullable=False),
    Column("updated_at", Text, nullable=False),
)  # fmt: skip

heartbeats = Table(
    "heartbeats", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("received_at", Text, nullable=False),
    Column("received_ts", Float, nullable=False),
    Column("body", JSON, nullable=False),
)  # fmt: skip

pairing_codes = Table(
    "pairing_codes", metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False, index=True),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Text),
)  # fmt: skip

attempts = Table(
    "attempts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("scope", String(200), nullable=False),
    Column("failed_at", Float, nullable=False),
    Index("ix_attempts_scope_failed_at", "scope", "failed_at"),
)  # fmt: skip
"""Failed logins and pairings, by scope: ``login-account:NAME``, ``login-source:IP``,
``pair-code:DIGEST``, ``pair-source:IP``."""

sessions = Table(
    "sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)  # fmt: skip

contacts = Table(
    "contacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("devices.device_id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
)  # fmt: skip
"""Who in the family is told of a missed dose or an unanswered alarm, and how."""

notices = Table(
    "notices", metadata,
    Column("id", String(100), primary_key=True),
    Column("request_seq", BigInteger, ForeignKey("requests.seq")),
    Column("device_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", Float, nullable=False, index=True),
    Column("last_error", Text),
    Column("created_at", Text, nullable=False),
    Column("delivered_at", Text),
    CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
)  # fmt: skip

audit = Table(
    "audit", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", JSON, nullable=False),
)  # fmt: skip
"""Changes that are not to a request (accounts, devices, menus, schedules, pairing codes)."""

counters = Table(
    "counters", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)  # fmt: skip
