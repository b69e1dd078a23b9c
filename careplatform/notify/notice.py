"""What the notifier receives (a :class:`Notice`) and what a delivery gives back.

A delivery's outcome is a value, never an exception: :class:`Delivered`, or
:class:`NotDelivered` saying whether trying again later may help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, get_args

ChannelName: TypeAlias = Literal["webhook", "email"]
"""How a notice travels."""

_ID = re.compile(r"[A-Za-z0-9._:+=-]{1,200}")
"""A notice id: printable ASCII without spaces, so it fits a header and a Message-ID."""


@dataclass(frozen=True)
class Notice:
    """One message for a family member, kept by the platform until it is delivered.

    ``id`` is stable and unique per notice: it is the idempotency key, so a retry is
    recognisable. ``address`` is a URL (webhook) or an e-mail address (email); ``data``
    is a small JSON-able dict of structured fields. A bad ``id`` or ``channel`` is a
    programming error (``ValueError``); a bad ``address`` is a delivery outcome.
    """

    id: str
    channel: ChannelName
    address: str
    subject: str
    text: str
    data: dict[str, Any]

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise ValueError("a notice id is 1-200 characters of [A-Za-z0-9._:+=-]")
        if self.channel not in get_args(ChannelName):
            raise ValueError(f"unknown channel {self.channel!r}")


@dataclass(frozen=True)
class Delivered:
    """The receiving side accepted the notice (an HTTP 2xx, or the SMTP server's 250)."""

    notice_id: str
    detail: str


@dataclass(frozen=True)
class NotDelivered:
    """The notice was not delivered.

    ``retry`` is True when trying later may succeed (a connection error, a timeout,
    HTTP 5xx/408/429, SMTP 4xx) and False when it cannot (HTTP 4xx, SMTP 5xx for this
    recipient or message, a malformed address). ``reason`` never holds the address,
    subject, text or data.
    """

    notice_id: str
    reason: str
    retry: bool


Outcome: TypeAlias = Delivered | NotDelivered
"""The result of one delivery attempt."""


class Channel(Protocol):
    """Anything that can try to deliver a notice once."""

    def deliver(self, notice: Notice) -> Outcome:
        """Try once to deliver ``notice``; never raise for a delivery failure."""
        ...
