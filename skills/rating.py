"""Ratings: stars for the last completed service.

Offline: the rating waits in the outbox; without a known completed service it is sent
without an id and the platform attaches it to the device's last completed service.
"""

from __future__ import annotations

from assistant.values.platform import Outgoing
from skills.base import Ask, Handled, Outcome, Reply, Skill, SkillRequest

RATING_PRIORITY = 7


class RatingSkill(Skill):
    """``rate_service``."""

    intents = ("rate_service",)
    offline = "the rating waits in the outbox"

    def handle(self, request: SkillRequest) -> Outcome:
        """Attach the stars to the last completed service."""
        stars = request.slots.get("stars")
        if stars is None:
            return Ask(Reply("rate.ask_stars"), request.intent, dict(request.slots), "stars")
        fields: dict[str, object] = {"stars": int(stars)}
        values: dict[str, object] = {"stars": int(stars)}
        done = _last_completed(request)
        if done is not None:
            fields.update(request_id=done[0], service=done[1])
            values["service"] = done[1]
        key = "rate.recorded_service" if done else "rate.recorded"
        return Handled(Reply(key, values), Outgoing("rating", fields, RATING_PRIORITY))


def _last_completed(request: SkillRequest) -> tuple[str, str] | None:
    look = request.ctx.platform.requests("service_booking")
    for entry in (look.data or {}).get("requests", []):
        if isinstance(entry, dict) and entry.get("status") == "completed":
            fields = entry.get("fields") or {}
            return str(entry.get("id", "")), str(fields.get("service", ""))
    return None
