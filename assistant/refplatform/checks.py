"""Checks of the care platform's request bodies (``docs/platform-api.md``).

Receives values already decoded from JSON (and path parameters such as a menu's date) and
emits them checked and normalised: a ``SubmittedRequest``, a heartbeat, a date, a menu's
meals, a pairing code order, a pairing attempt. A value that breaks the contract raises
``InvalidRequest`` with a message naming the field; ``assistant.refplatform.app`` answers it as
400 ``invalid_request``. No HTTP, no storage.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NoReturn

from assistant.refplatform.store import JSONObject, SubmittedRequest

KINDS = (
    "emergency", "emergency_cancel", "emergency_escalation", "service_booking",
    "service_cancel", "meal_order", "meal_cancel", "callback", "health_report",
    "medicine_event", "rating", "checkin_missed", "inactivity_alert",
)  # fmt: skip
LANGS = ("zh", "en")
MEALS = ("breakfast", "lunch", "dinner")
DIETS = ("soft", "low_salt", "low_sugar", "vegetarian")
MAX_SUMMARY = 500
PAIRING_TTL_S = 900
"""How long a pairing code lasts when ``ttl_s`` is not given (seconds)."""
MIN_PAIRING_TTL_S, MAX_PAIRING_TTL_S = 60, 86_400
DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class InvalidRequest(Exception):
    """A body (or path parameter) that breaks the contract; the message names the field."""


def _invalid(message: str) -> NoReturn:
    raise InvalidRequest(message)


def parse_submission(obj: object) -> SubmittedRequest:
    """A ``POST /v1/requests`` body, checked (``InvalidRequest`` naming the field)."""
    if not isinstance(obj, dict):
        _invalid("the body must be a JSON object")
    for name in ("kind", "created_at", "priority", "summary", "fields", "lang"):
        if name not in obj:
            _invalid(f"missing field {name!r}")
    kind, created_at, priority = obj["kind"], obj["created_at"], obj["priority"]
    summary, fields, lang = obj["summary"], obj["fields"], obj["lang"]
    if kind not in KINDS:
        _invalid(f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(created_at, str) or not _is_aware_datetime(created_at):
        _invalid("created_at must be an ISO 8601 date and time with a UTC offset")
    if type(priority) is not int or not 0 <= priority <= 9:
        _invalid("priority must be an integer 0 (emergency) .. 9")
    if not isinstance(summary, str) or not summary.strip():
        _invalid("summary must be a non-empty string")
    if len(summary) > MAX_SUMMARY or summary.splitlines() != [summary]:  # "a\n" is two
        _invalid(f"summary must be one line of at most {MAX_SUMMARY} characters")
    if not isinstance(fields, dict):
        _invalid("fields must be an object")
    if lang not in LANGS:
        _invalid(f"lang must be one of {', '.join(LANGS)}")
    if kind == "emergency_cancel" and not isinstance(fields.get("emergency_key", ""), str):
        _invalid("fields.emergency_key must be a string (the emergency's Idempotency-Key)")
    return SubmittedRequest(kind, created_at, priority, summary, fields, lang)


def parse_heartbeat(obj: JSONObject) -> JSONObject:
    """A heartbeat body, checked: every field is optional."""
    counts = ("outbox_backlog", "parked", "disk_free_mb")
    texts = ("last_error", "model", "version")
    known = ("uptime_s", *counts, *texts, "problems", "disk_full")
    obj = {k: v for k, v in obj.items() if k in known}
    problems = obj.get("problems", [])
    if (
        not isinstance(problems, list)
        or len(problems) > 20
        or not all(isinstance(p, str) and len(p) <= 500 for p in problems)
    ):
        _invalid("problems must be a list of at most 20 strings of at most 500 characters")
    if not isinstance(obj.get("disk_full", False), bool):
        _invalid("disk_full must be true or false")
    uptime = obj.get("uptime_s", 0)
    if not isinstance(uptime, int | float) or isinstance(uptime, bool) or uptime < 0:
        _invalid("uptime_s must be a number of seconds")
    for name in counts:
        value = obj.get(name, 0)
        if value is not None and (type(value) is not int or value < 0):
            _invalid(f"{name} must be a non-negative integer or null (not known)")
    for name in texts:
        if not isinstance(obj.get(name), str | None):
            _invalid(f"{name} must be a string or null")
    return obj


def parse_pairing_order(obj: JSONObject) -> tuple[str, int]:
    """A ``POST /v1/admin/pairing-codes`` body: the device id and the code's ``ttl_s``."""
    obj = _only(obj, {"device_id", "ttl_s"})
    device_id, ttl_s = obj.get("device_id"), obj.get("ttl_s", PAIRING_TTL_S)
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        _invalid("device_id must be 1-64 of A-Z a-z 0-9 . _ -")
    if type(ttl_s) is not int or not MIN_PAIRING_TTL_S <= ttl_s <= MAX_PAIRING_TTL_S:
        _invalid(f"ttl_s must be an integer {MIN_PAIRING_TTL_S}..{MAX_PAIRING_TTL_S} (seconds)")
    return device_id, ttl_s


def parse_pairing(obj: JSONObject) -> str:
    """A ``POST /v1/pair`` body: the code as sent (``model``, ``version`` optional strings;
    other members are ignored)."""
    code = obj.get("code")
    if not isinstance(code, str):
        _invalid("code must be a string (the pairing code)")
    for name in ("model", "version"):
        if not isinstance(obj.get(name, ""), str):
            _invalid(f"{name} must be a string")
    return code


def parse_date(text: str) -> str:
    """A ``YYYY-MM-DD`` date, checked."""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        _invalid("date must be a date YYYY-MM-DD")


def parse_meals(meals: object) -> list[JSONObject]:
    """The meals of a menu, checked."""
    if not isinstance(meals, list):
        _invalid("meals must be a list")
    checked: list[JSONObject] = []
    for i, meal in enumerate(meals):
        where = f"meals[{i}]"
        if not isinstance(meal, dict):
            _invalid(f"{where} must be an object")
        meal = _only(meal, {"meal", "items", "diets", "price_cents", "order_by"}, where)
        name, items, diets = meal.get("meal"), meal.get("items"), meal.get("diets", [])
        price, order_by = meal.get("price_cents"), meal.get("order_by")
        if name not in MEALS or any(m["meal"] == name for m in checked):
            _invalid(f"{where}.meal must be one of {', '.join(MEALS)}, each at most once")
        if not isinstance(items, list) or not items or not all(_text(x) for x in items):
            _invalid(f"{where}.items must be a non-empty list of strings")
        if not isinstance(diets, list) or not all(d in DIETS for d in diets):
            _invalid(f"{where}.diets must be a list of {', '.join(DIETS)}")
        if type(price) is not int or price < 0:
            _invalid(f"{where}.price_cents must be a non-negative integer")
        if not isinstance(order_by, str) or not _HHMM.fullmatch(order_by):
            _invalid(f"{where}.order_by must be a time HH:MM")
        diets = [d for d in DIETS if d in diets]
        meal = {"meal": name, "items": items, "diets": diets, "price_cents": price}
        checked.append({**meal, "order_by": order_by})
    return checked


def _only(obj: JSONObject, names: set[str], where: str = "the body") -> JSONObject:
    unknown = sorted(set(obj) - names)
    if unknown:
        _invalid(f"unknown field {unknown[0]!r} in {where}")
    return obj


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_aware_datetime(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


MAX_SCHEDULE_DEPTH = 16
"""A schedule nests 4 deep; the device refuses more than 16 (its YAML limit)."""


def depth_of(value: object, most: int = 64) -> int:
    """How deep lists and objects nest in ``value`` (counted without recursion; stops
    counting past ``most``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth <= most:
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
