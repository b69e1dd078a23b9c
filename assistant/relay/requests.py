"""A request for the care platform as it is committed to the outbox: the body of
``POST /v1/requests`` (``docs/platform-api.md``) made from a skill's ``Outgoing``.

Receives the ``Outgoing`` value, the moment, the one-line summary (worded by the dialogue's
replies in the platform's language) and the elder's language; emits the JSON body. The
outbox adds the idempotency key; the sender signs and sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.config import Settings
from assistant.values.platform import Outgoing


def request_body(outgoing: Outgoing, now: datetime, summary: str, lang: str) -> dict[str, Any]:
    """The request's body: kind, time, priority, summary, fields, the elder's language."""
    return {
        "kind": outgoing.kind,
        "created_at": now.isoformat(timespec="seconds"),
        "priority": outgoing.priority,
        "summary": summary,
        "fields": dict(outgoing.fields),
        "lang": lang,
    }


def who(settings: Settings) -> str:
    """Who asks, for the summary a person at the platform reads: the elder's name and
    address, or what stands in for them when the settings have none."""
    zh = settings.platform_lang == "zh"
    name = settings.elder_name or ("（未登记姓名）" if zh else "(name not registered)")
    home = settings.elder_address or (
        f"设备 {settings.device_id}" if zh else f"device {settings.device_id}"
    )
    return f"老人{name}（{home}）" if zh else f"{name} ({home})"
