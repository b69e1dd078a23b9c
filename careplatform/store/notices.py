"""Notices to families, kept until delivered: made in the same transaction as the request
that calls for them (a missed dose, a missed check-in, no activity, an alarm no person
answered), so none is lost; claimed one at a time for an attempt (a lease in the row, so
two app processes never send the same one at once); retried by the notifier's policy;
given up (``failed``) only after its last attempt, which stays on record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant.refplatform.store import JSONObject, SubmittedRequest, iso_utc
from careplatform.db.engine import Database
from careplatform.db.schema import contacts, devices, notices
from careplatform.notify import Notice

LEASE_S = 600.0
"""A claimed notice is free again after this long (its attempt died with its process).
An attempt ends long before (each network step has a 10 s timeout); one that outlives its
lease has its result ignored, and the family's service can tell a second delivery by its
``Idempotency-Key`` (webhook) or ``Message-ID`` (e-mail)."""
SUBJECTS = {
    "medicine_event": "【小安】{elder}漏服药提醒",
    "checkin_missed": "【小安】{elder}今天没有签到",
    "inactivity_alert": "【小安】{elder}长时间没有动静",
    "emergency_escalation": "【小安·紧急】{elder}的呼救还没有人回应",
}
"""The requests a family is told of, and the subject it gets."""


def calls_for_notice(request: SubmittedRequest) -> bool:
    """Whether a family is told of this request."""
    if request.kind == "medicine_event":
        return request.fields.get("event") == "missed"
    return request.kind in SUBJECTS


def make_notices(
    conn: Connection, device_id: str, seq: int, request: SubmittedRequest, now: float
) -> int:
    """Write the notices a request calls for (one per contact of the device); how many."""
    if not calls_for_notice(request):
        return 0
    elder = (
        conn.execute(select(devices.c.elder_name).where(devices.c.device_id == device_id)).scalar()
        or device_id
    )
    rows = conn.execute(select(contacts).where(contacts.c.device_id == device_id)).all()
    subject = SUBJECTS[request.kind].format(elder=elder)
    text = f"{request.summary}\n（{request.created_at}，R{seq:06d}）"
    for contact in rows:
        conn.execute(
            insert(notices).values(
                id=f"R{seq:06d}:{contact.id}",
                request_seq=seq,
                device_id=device_id,
                channel=contact.channel,
                address=contact.address,
                subject=subject,
                text=text,
                data={"request": f"R{seq:06d}", "kind": request.kind, "fields": request.fields},
                state="pending",
                attempts=0,
                next_at=now,
                created_at=iso_utc(now),
            )
        )
    return len(rows)


class ContactError(ValueError):
    """A contact cannot be added as asked (an unknown device)."""


@dataclass(frozen=True)
class Claimed:
    """A notice claimed for one attempt."""

    notice: Notice
    attempts: int
    """Attempts made before this one."""
    lease_until: float
    """The lease this attempt holds: its result is recorded only while it holds it."""


class NoticeStore:
    """The ``notices`` and ``contacts`` tables."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def add_contact(self, device_id: str, name: str, channel: str, address: str) -> int:
        """A family member to tell (``channel`` webhook or email); its id."""
        values = {
            "device_id": device_id,
            "name": name,
            "channel": channel,
            "address": address,
            "created_at": iso_utc(self._clock()),
        }
        try:
            with self._db.write() as conn:
                return int(
                    conn.execute(
                        insert(contacts).values(**values).returning(contacts.c.id)
                    ).scalar_one()
                )
        except IntegrityError as err:
            raise ContactError(f"no device {device_id!r}: pair or register it first") from err

    def claim(self) -> Claimed | None:
        """The next due notice, leased for one attempt (None: none due)."""
        now = self._clock()
        with self._db.write() as conn:
            row = conn.execute(
                select(notices)
                .where(
                    notices.c.state == "pending",
                    notices.c.next_at <= now,
                )
                .order_by(notices.c.next_at)
                .limit(1)
            ).first()
            if row is None:
                return None
            taken = conn.execute(
                update(notices)
                .where(
                    notices.c.id == row.id,
                    notices.c.next_at == row.next_at,
                )
                .values(next_at=now + LEASE_S)
                .returning(notices.c.id)
            ).first()
            if taken is None:
                return None  # another process claimed it first
        notice = Notice(row.id, row.channel, row.address, row.subject, row.text, dict(row.data))
        return Claimed(notice, int(row.attempts), now + LEASE_S)

    def delivered(self, notice_id: str, lease_until: float | None = None) -> bool:
        """The attempt delivered it; False if its lease had passed (not recorded)."""
        return self._set(
            notice_id,
            lease_until,
            state="delivered",
            delivered_at=iso_utc(self._clock()),
            last_error=None,
            attempts=notices.c.attempts + 1,
        )

    def retry(
        self, notice_id: str, reason: str, delay_s: float, lease_until: float | None = None
    ) -> bool:
        """The attempt failed; try again in ``delay_s`` (False: the lease had passed)."""
        return self._set(
            notice_id,
            lease_until,
            next_at=self._clock() + delay_s,
            last_error=reason[:500],
            attempts=notices.c.attempts + 1,
        )

    def failed(self, notice_id: str, reason: str, lease_until: float | None = None) -> bool:
        """Given up: a permanent refusal, or the last attempt failed (False: the lease had
        passed)."""
        return self._set(
            notice_id,
            lease_until,
            state="failed",
            last_error=reason[:500],
            attempts=notices.c.attempts + 1,
        )

    def of_request(self, request_id: str) -> list[JSONObject]:
        """A request's notices (for the console and tests)."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(notices).where(notices.c.id.like(f"{request_id}:%")).order_by(notices.c.id)
            ).all()
        return [
            {
                "id": r.id,
                "channel": r.channel,
                "state": r.state,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "delivered_at": r.delivered_at,
            }
            for r in rows
        ]

    def _set(self, notice_id: str, lease_until: float | None, **values: Any) -> bool:
        query = update(notices).where(notices.c.id == notice_id, notices.c.state == "pending")
        if lease_until is not None:  # still ours: nobody claimed it again meanwhile
            query = query.where(notices.c.next_at == lease_until)
        with self._db.write() as conn:
            return conn.execute(query.values(**values).returning(notices.c.id)).first() is not None
