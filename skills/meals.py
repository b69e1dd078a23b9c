"""The community canteen: what it serves, orders (count and diet confirmed first), and
cancelling an order this device sent (confirmed first).

Offline: the menu comes from the last copy read (XiaoAn says how old it is); an order or
a cancellation is committed to the outbox and sent when the platform is reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from assistant.values.platform import Lookup, Outgoing
from skills.base import Ask, Confirm, Handled, Outcome, Reply, Skill, SkillRequest

MEAL_PRIORITY = 4
LAST_ORDER_HOUR = {"breakfast": 7, "lunch": 11, "dinner": 17}
"""Today's meal can be ordered until this hour, unless the menu gives its ``order_by``;
after it, a meal asked for without a date is for tomorrow."""
MEALS = ("breakfast", "lunch", "dinner")


class MealSkill(Skill):
    """``order_meal``, ``meal_menu`` and ``cancel_meal``."""

    intents = ("order_meal", "meal_menu", "cancel_meal")
    offline = "orders through the outbox; the menu from the last copy read"

    def handle(self, request: SkillRequest) -> Outcome:
        """Dispatch on the intent."""
        if request.intent == "order_meal":
            return self._order(request)
        if request.intent == "cancel_meal":
            return self._cancel(request)
        return self._menu(request)

    def _cancel(self, request: SkillRequest) -> Outcome:
        """The newest open order of the meal (and day) said; today's and later only, and
        not one the platform refused (parked)."""
        meal, day = request.slots.get("meal"), request.slots.get("date")
        today = request.ctx.now.date().isoformat()
        open_ = [
            o for o in request.ctx.state.meal_orders()
            if not o.cancelled and o.state != "parked" and o.date >= today
            and (meal is None or o.meal == meal) and (day is None or o.date == day)
        ]  # fmt: skip
        if not open_:
            return Handled(Reply("meal.cancel_none", {"meal": meal or "", "date": day or ""}))
        order = open_[0]
        values = {"meal": order.meal, "date": order.date, "count": order.count}
        fields = {**values, "order_key": order.key, "order_id": order.platform_id}
        return Confirm(
            Reply("meal.cancel_confirm", values),
            on_yes=Handled(
                Reply("meal.cancel_recorded", values),
                Outgoing("meal_cancel", fields, MEAL_PRIORITY, after=(order.key,)),
            ),
            on_no=Handled(Reply("meal.cancel_kept", values)),
        )

    def _order(self, request: SkillRequest) -> Outcome:
        slots = dict(request.slots)
        meal = slots.get("meal")
        if meal is None:
            return Ask(Reply("meal.ask_meal"), request.intent, slots, "meal")
        now = request.ctx.now
        today = now.date().isoformat()
        late = _too_late(str(meal), now, request.ctx.platform.menu(today).data)
        said = slots.get("date")
        if said is not None and (str(said) < today or (str(said) == today and late)):
            slots.pop("date")
            key = "meal.date_past" if str(said) < today else "meal.too_late"
            values_ = {"meal": meal, "order_by": late or ""}
            return Ask(Reply(key, values_), request.intent, slots, "date")
        tomorrow = (now.date() + timedelta(days=1)).isoformat()
        day = str(said or (tomorrow if late else today))
        count = int(slots.get("count", 1))
        diet = str(slots.get("diet", "regular"))
        items = _items(request.ctx.platform.menu(day).data, str(meal))
        values: dict[str, Any] = {"meal": meal, "date": day, "count": count, "diet": diet}
        fields = dict(values)
        if items:
            values["items"] = items
        return Confirm(
            Reply("meal.confirm_items" if items else "meal.confirm", values),
            on_yes=Handled(
                Reply("meal.recorded", values), Outgoing("meal_order", fields, MEAL_PRIORITY)
            ),
            on_no=Handled(Reply("meal.not_ordered")),
            intent=request.intent,
            slots={**slots, "date": day, "count": count, "diet": diet},
        )

    def _menu(self, request: SkillRequest) -> Outcome:
        day = str(request.slots.get("date") or request.ctx.now.date().isoformat())
        look = request.ctx.platform.menu(day)
        if look.data is None:
            return Handled(Reply("meal.menu_unknown", {"date": day}))
        asked = request.slots.get("meal")
        meals = [str(asked)] if asked else [m for m in MEALS if _items(look.data, m)]
        lines = [(m, _items(look.data, m)) for m in meals]
        lines = [(m, items) for m, items in lines if items]
        if not lines:
            return Handled(Reply("meal.menu_none", _aged(look, {"date": day, "meal": asked or ""})))
        meal, items = lines[0]
        values = _aged(look, {"date": day, "meal": meal, "items": items})
        if len(lines) > 1:
            values["more"] = [m for m, _ in lines[1:]]
        return Handled(Reply("meal.menu", values))


def _too_late(meal: str, now: datetime, menu: Mapping[str, Any] | None) -> str:
    """The order-by time (HH:MM) of today's ``meal`` when it has passed, else ""."""
    order_by = f"{LAST_ORDER_HOUR.get(meal, 24):02d}:00"
    for entry in (menu or {}).get("meals", []):
        if isinstance(entry, Mapping) and entry.get("meal") == meal and entry.get("order_by"):
            order_by = str(entry["order_by"])
    return order_by if now.strftime("%H:%M") >= order_by else ""


def _items(menu: Mapping[str, Any] | None, meal: str) -> list[str]:
    if not menu:
        return []
    for entry in menu.get("meals", []):
        if isinstance(entry, Mapping) and entry.get("meal") == meal:
            return [str(i) for i in entry.get("items", [])]
    return []


def _aged(look: Lookup, values: dict[str, Any]) -> dict[str, Any]:
    if look.age_s is not None:
        values["age_s"] = look.age_s
    return values
