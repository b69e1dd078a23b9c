"""Home services: book (asks what is missing, confirms first), cancel, and status.

Offline: a booking or cancellation is committed to the outbox and sent when the platform
is reachable; status answers from the last copy read, saying how old it is.
"""

from __future__ import annotations

from assistant.values.platform import Outgoing
from assistant.values.slots import in_past
from skills.base import Ask, Booking, Confirm, Handled, Outcome, Reply, Skill, SkillRequest

SERVICE_PRIORITY = 3
STATUSES = frozenset({"received", "accepted", "completed", "cancelled", "rejected"})
"""The platform's statuses (``docs/platform-api.md``); any other is said as no news."""


class ServiceSkill(Skill):
    """``book_service``, ``cancel_service``, ``service_status``."""

    intents = ("book_service", "cancel_service", "service_status")
    offline = "books and cancels through the outbox; status from the last copy read"

    def handle(self, request: SkillRequest) -> Outcome:
        """Dispatch on the intent."""
        if request.intent == "book_service":
            return self._book(request)
        if request.intent == "cancel_service":
            return self._cancel(request)
        return self._status(request)

    def _book(self, request: SkillRequest) -> Outcome:
        slots = dict(request.slots)
        service = slots.get("service")
        if service is None:
            return Ask(Reply("booking.ask_service"), request.intent, slots, "service")
        when = slots.get("when")
        if when is None or in_past(str(when), request.ctx.now):
            key = "booking.ask_when" if when is None else "booking.when_past"
            slots.pop("when", None)
            return Ask(Reply(key, {"service": service}), request.intent, slots, "when")
        fields = {"service": service, "when": when}
        if "note" in slots:
            fields["note"] = slots["note"]
        values = {"service": service, "when": when}
        return Confirm(
            Reply("booking.confirm", values),
            on_yes=Handled(
                Reply("booking.recorded", values),
                Outgoing("service_booking", fields, SERVICE_PRIORITY),
            ),
            on_no=Ask(Reply("booking.what_to_change", values), request.intent, slots, ""),
            on_cancel=Handled(Reply("booking.not_booked")),
            intent=request.intent,
            slots=slots,
        )

    def _cancel(self, request: SkillRequest) -> Outcome:
        service = request.slots.get("service")
        open_ = _open(request.ctx.state.bookings(str(service) if service else None))
        if not open_:
            return Handled(Reply("cancel_service.none", {"service": service or ""}))
        booking = open_[0]
        values = {"service": booking.service, "when": booking.when}
        fields = {"service": booking.service, "booking_key": booking.key,
                  "booking_id": booking.platform_id, "when": booking.when}  # fmt: skip
        return Confirm(
            Reply("cancel_service.confirm", values),
            on_yes=Handled(
                Reply("cancel_service.recorded", values),
                Outgoing("service_cancel", fields, SERVICE_PRIORITY, after=(booking.key,)),
            ),
            on_no=Handled(Reply("cancel_service.kept", values)),
        )

    def _status(self, request: SkillRequest) -> Outcome:
        service = request.slots.get("service")
        open_ = _open(request.ctx.state.bookings(str(service) if service else None))
        if not open_:
            return Handled(Reply("status.none", {"service": service or ""}))
        booking = open_[0]
        values: dict[str, object] = {"service": booking.service, "when": booking.when}
        if booking.state != "delivered":
            return Handled(Reply(f"status.{booking.state}", values))
        look = request.ctx.platform.request(booking.platform_id)
        if look.data is None:
            key = "status.not_found" if look.missing else "status.unknown"
            return Handled(Reply(key, values))
        status = str(look.data.get("status", ""))
        if status not in STATUSES:
            status = "other"
        provider = look.data.get("provider")
        if status == "accepted" and provider:
            status, values["provider"] = "accepted_provider", provider
        if look.age_s is not None:
            values["age_s"] = look.age_s
        return Handled(Reply(f"status.{status}", values))


def _open(bookings: list[Booking]) -> list[Booking]:
    return [b for b in bookings if not b.cancelled and b.state != "dropped"]
