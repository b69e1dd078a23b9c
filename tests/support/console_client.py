"""A person at the care platform's console, over HTTP (``requests``), as the console
tests drive it: log in, read pages, post forms with the session's CSRF token.

::

    operator = ConsoleUser(care.url).login("小张", PASSWORD)
    operator.post(f"/requests/{rid}/acknowledge", note="王医生十分钟到")
"""

from __future__ import annotations

import re

import requests

from tests.support.platform_fixture import TIMEOUT_S

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class ConsoleUser:
    """One browser-like session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD) -> ConsoleUser:
        """Log in; ``AssertionError`` if it fails."""
        reply = self.try_login(name, password)
        assert reply.status_code == 200, reply.text[:300]
        assert not reply.url.endswith("/login"), reply.text[:300]
        return self

    def try_login(self, name: str, password: str) -> requests.Response:
        """The answer to a login (followed to the landing page)."""
        page = self.session.get(self.url + "/login", timeout=TIMEOUT_S)
        token = _CSRF.search(page.text)
        assert token is not None, page.text[:300]
        form = {"name": name, "password": password, "csrf": token[1]}
        reply = self.session.post(self.url + "/login", data=form, timeout=TIMEOUT_S)
        self._remember(reply)
        return reply

    def get(self, path: str, **params: str) -> requests.Response:
        """A page (redirects followed)."""
        reply = self.session.get(self.url + path, params=params, timeout=TIMEOUT_S)
        self._remember(reply)
        return reply

    def post(self, path: str, csrf: str | None = None, **form: str) -> requests.Response:
        """A form, with the session's CSRF token unless ``csrf`` is given."""
        data = {"csrf": self.csrf if csrf is None else csrf, **form}
        reply = self.session.post(self.url + path, data=data, timeout=TIMEOUT_S)
        self._remember(reply)
        return reply

    def _remember(self, reply: requests.Response) -> None:
        found = _CSRF.search(reply.text)
        if found and "/login" not in reply.url:
            self.csrf = found[1]
