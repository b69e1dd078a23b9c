"""Addresses as they may appear in logs: enough to tell them apart, not to contact anyone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,}[0-9]")
_EMAIL = re.compile(r"([^@\s]*)@([^@\s]+)")
_HIDDEN = "***"


def mask(address: str) -> str:
    """``address`` masked for a log line.

    An e-mail address keeps its first character and its domain (``w***@example.com``),
    a URL its scheme and host (``https://hooks.example.com/…``), a phone number its first
    three and last four digits (``138****5678``); anything else becomes ``***``.
    """
    address = address.strip()
    if "://" in address:
        return _mask_url(address)
    email = _EMAIL.fullmatch(address)
    if email:
        local, domain = email.groups()
        return f"{local[:1]}{_HIDDEN}@{domain}"
    if _PHONE.fullmatch(address):
        digits = re.sub(r"[^0-9]", "", address)
        if len(digits) >= 7:
            sign = "+" if address.startswith("+") else ""
            return f"{sign}{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return _HIDDEN


def _mask_url(url: str) -> str:
    """A URL's scheme and host only: no user, password, port, path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return _HIDDEN
    if not parts.scheme or not host:
        return _HIDDEN
    if ":" in host:
        host = f"[{host}]"  # IPv6
    return f"{parts.scheme}://{host}/…"
