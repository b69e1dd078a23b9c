"""The care centre's console: server-rendered pages (Jinja2) for operators, providers and
families, live by polling (the board refreshes every second; nothing is kept in the
process, so several app processes serve it alike).

Receives browser requests with a session cookie; emits pages. Every change is a POST
carrying the session's CSRF token, goes through ``careplatform.store.care`` and lands in
the request's audit trail. Roles: ``careplatform.web.roles``.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from ruamel.yaml import YAML
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from assistant.refplatform.app import new_pairing_code
from assistant.refplatform.checks import (
    DEVICE_ID,
    DIETS,
    MEALS,
    PAIRING_TTL_S,
    InvalidRequest,
    parse_date,
    parse_meals,
)
from careplatform.store.accounts import AccountStore
from careplatform.store.care import CareError, CareStore
from careplatform.store.contract import ContractStore
from careplatform.store.sessions import Session, SessionStore
from careplatform.web.roles import FAMILY, HOME, PROVIDER, STAFF
from careplatform.web.schedule_text import ScheduleTextError, parse_schedule
from careplatform.web.words import LANGS, Words

_LOGGER = logging.getLogger(__name__)
CENTRE_TZ = ZoneInfo("Asia/Shanghai")
"""Where the care centre is: what "today" is on the menus page."""
COOKIE = "xiaoan_session"
LOGIN_CSRF = "xiaoan_login"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Endpoint = Callable[[Request], Awaitable[Response]]


class Console:
    """The console's routes over the platform's stores."""

    def __init__(
        self,
        accounts: AccountStore,
        sessions: SessionStore,
        care: CareStore,
        contract: ContractStore,
    ) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._care = care
        self._contract = contract
        folder = resources.files("careplatform.web").joinpath("templates")
        self._jinja = Environment(
            loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(default=True)
        )

    def routes(self) -> list[Route | Mount]:
        """The console's routes (everything but ``/v1``)."""
        static = resources.files("careplatform.web").joinpath("static")
        return [
            Route("/", self.home),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/board", self._staff(self.board)),
            Route("/board/live", self._staff(self.board_live)),
            Route("/requests/{id}", self._staff(self.request_page)),
            Route("/requests/{id}/{action}", self._staff(self.request_action), methods=["POST"]),
            Route("/devices", self._staff(self.devices)),
            Route("/pairing-codes", self._staff(self.pairing_code), methods=["POST"]),
            Route("/devices/{id}/schedule", self._staff(self.schedule_page), methods=["GET"]),
            Route("/devices/{id}/schedule", self._staff(self.schedule_save), methods=["POST"]),
            Route("/menus", self._staff(self.menu_page), methods=["GET"]),
            Route("/menus", self._staff(self.menu_save), methods=["POST"]),
            Route("/jobs", self._role(PROVIDER, self.jobs)),
            Route("/jobs/{id}/{answer}", self._role(PROVIDER, self.job_answer), methods=["POST"]),
            Route("/family", self._role(FAMILY, self.family)),
            Mount("/static", StaticFiles(directory=str(static)), name="static"),
        ]

    # Sessions and roles

    async def _session(self, request: Request) -> Session | None:
        token = request.cookies.get(COOKIE, "")
        return await run_in_threadpool(self._sessions.find, token) if token else None

    def _role(
        self, roles: Sequence[str], endpoint: Callable[[Request, Session], Awaitable[Response]]
    ) -> Endpoint:
        async def guarded(request: Request) -> Response:
            session = await self._session(request)
            if session is None:
                return RedirectResponse("/login", status_code=303)
            if session.account.role not in roles:
                return self._page(request, "message.html", session, status=403, key="forbidden")
            if request.method == "POST":
                form = await request.form()
                if any("\x00" in str(value) for _, value in form.multi_items()):
                    return self._page(
                        request,
                        "message.html",
                        session,
                        status=400,
                        text="a NUL character is no text",
                    )
                if not secrets.compare_digest(str(form.get("csrf", "")), session.csrf):
                    return self._page(request, "message.html", session, status=403, key="forbidden")
                request.state.form = form
            return await endpoint(request, session)

        return guarded

    def _staff(self, endpoint: Callable[[Request, Session], Awaitable[Response]]) -> Endpoint:
        return self._role(STAFF, endpoint)

    def _words(self, request: Request) -> Words:
        lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
        return Words(lang if lang in LANGS else "zh")

    def _page(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        words = self._words(request)
        html = self._jinja.get_template(template).render(
            t=words.t,
            kind=words.kind,
            ago=words.ago,
            lang=words.lang,
            session=session,
            csrf=session.csrf if session else "",
            path=request.url.path,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        if "lang" in request.query_params and words.lang == request.query_params["lang"]:
            response.set_cookie("lang", words.lang, max_age=365 * 86400, samesite="strict")
        return response

    # Logging in and out

    async def home(self, request: Request) -> Response:
        session = await self._session(request)
        where = HOME[session.account.role] if session else "/login"
        return RedirectResponse(where, status_code=303)

    async def login_page(
        self, request: Request, key: str = "", status: int = 200, **values: object
    ) -> Response:
        token = secrets.token_urlsafe(24)
        message = self._words(request).t(key, **values) if key else ""
        response = self._page(
            request, "login.html", None, status=status, login_csrf=token, message=message
        )
        response.set_cookie(
            LOGIN_CSRF,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))[:1000]
        cookie = request.cookies.get(LOGIN_CSRF, "")
        if not cookie or not secrets.compare_digest(cookie, str(form.get("csrf", ""))):
            return await self.login_page(request, "forbidden", 403)
        source = request.client.host if request.client else ""
        wait, slot = await run_in_threadpool(self._sessions.login_slot, name, source)
        if wait > 0:
            return await self.login_page(request, "login_wait", 429, minutes=int(wait // 60) + 1)
        account = await run_in_threadpool(self._accounts.verify, name, password)
        if account is None:  # the failure was recorded before the check
            _LOGGER.info("a login failed (account %d characters long)", len(name))
            return await self.login_page(request, "login_failed", 401)
        await run_in_threadpool(self._sessions.login_succeeded, slot)
        token, _ = await run_in_threadpool(self._sessions.open, account)
        _LOGGER.info("account %s logged in (%s)", account.id, account.role)
        response = RedirectResponse(HOME[account.role], status_code=303)
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )
        response.delete_cookie(LOGIN_CSRF)
        return response

    async def logout(self, request: Request) -> Response:
        session = await self._session(request)
        form = await request.form()
        if session is not None and not secrets.compare_digest(
            str(form.get("csrf", "")), session.csrf
        ):
            return self._page(request, "message.html", session, status=403, key="forbidden")
        if session is not None:
            await run_in_threadpool(self._sessions.close, request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    # The operators' pages

    async def board(self, request: Request, session: Session) -> Response:
        board = await run_in_threadpool(self._care.board)
        return self._page(request, "board.html", session, board=board, now=self._care.now())

    async def board_live(self, request: Request, session: Session) -> Response:
        board = await run_in_threadpool(self._care.board)
        return self._page(request, "_board.html", session, board=board, now=self._care.now())

    async def request_page(self, request: Request, session: Session) -> Response:
        found = await run_in_threadpool(self._care.request, request.path_params["id"])
        if found is None:
            return self._page(request, "message.html", session, status=404, key="not_found")
        record, events = found
        providers = await run_in_threadpool(self._care.providers)
        return self._page(
            request,
            "request.html",
            session,
            record=record,
            events=events,
            providers=providers,
            now=self._care.now(),
        )

    async def request_action(self, request: Request, session: Session) -> Response:
        request_id, action = request.path_params["id"], request.path_params["action"]
        form: FormData = request.state.form
        actor = session.account.name
        care = self._care
        calls: dict[str, Callable[[], object]] = {
            "acknowledge": lambda: care.acknowledge(
                request_id, actor, str(form.get("note", "")).strip() or None
            ),
            "dispatch": lambda: care.dispatch(request_id, actor, _int(form.get("provider"))),
            "note": lambda: care.add_note(request_id, actor, str(form.get("note", ""))),
            "close": lambda: care.close(
                request_id, actor, str(form.get("status", "")), str(form.get("outcome", ""))
            ),
        }
        if action not in calls:
            return self._page(request, "message.html", session, status=404, key="not_found")
        try:
            await run_in_threadpool(calls[action])
        except CareError as err:
            return self._page(request, "message.html", session, status=400, text=str(err))
        _LOGGER.info("request %s: %s by account %s", request_id, action, session.account.id)
        back = "/board" if action == "acknowledge" and form.get("back") == "board" else None
        return RedirectResponse(back or f"/requests/{request_id}", status_code=303)

    async def devices(self, request: Request, session: Session) -> Response:
        found = await run_in_threadpool(self._care.devices)
        return self._page(request, "devices.html", session, devices=found, code=None)

    async def pairing_code(self, request: Request, session: Session) -> Response:
        device_id = str(request.state.form.get("device_id", "")).strip()
        if not DEVICE_ID.fullmatch(device_id):
            return self._page(
                request,
                "message.html",
                session,
                status=400,
                text="device id: 1-64 of A-Z a-z 0-9 . _ -",
            )
        code = new_pairing_code()
        while (
            await run_in_threadpool(self._contract.put_pairing_code, device_id, code, PAIRING_TTL_S)
            is None
        ):
            code = new_pairing_code()
        await run_in_threadpool(
            self._care.audit,
            session.account.name,
            "pairing_code.make",
            device_id,
            {"valid_s": PAIRING_TTL_S},
        )
        _LOGGER.info("pairing code made for device %s by account %s", device_id, session.account.id)
        found = await run_in_threadpool(self._care.devices)
        return self._page(request, "devices.html", session, devices=found, code=(device_id, code))

    def _device_or_none(self, request: Request) -> str | None:
        device_id = str(request.path_params["id"])
        return device_id if DEVICE_ID.fullmatch(device_id) else None

    async def schedule_page(
        self, request: Request, session: Session, text: str | None = None, error: str = ""
    ) -> Response:
        device_id = self._device_or_none(request)
        if device_id is None:
            return self._page(request, "message.html", session, status=404, key="not_found")
        stored = await run_in_threadpool(self._contract.get_schedule, device_id)
        if text is None:
            text = _yaml(stored.schedule) if stored else ""
        return self._page(
            request,
            "schedule.html",
            session,
            device_id=device_id,
            stored=stored,
            text=text,
            error=error,
            status=400 if error else 200,
        )

    async def schedule_save(self, request: Request, session: Session) -> Response:
        device_id = self._device_or_none(request)
        if device_id is None:
            return self._page(request, "message.html", session, status=404, key="not_found")
        text = str(request.state.form.get("schedule", ""))
        try:
            schedule = parse_schedule(text)
        except ScheduleTextError as err:
            return await self.schedule_page(request, session, text, str(err))
        version = await run_in_threadpool(self._contract.put_schedule, device_id, schedule)
        await run_in_threadpool(
            self._care.audit, session.account.name, "schedule.put", device_id, {"version": version}
        )
        _LOGGER.info(
            "schedule of %s is now version %d (account %s)", device_id, version, session.account.id
        )
        return RedirectResponse(f"/devices/{device_id}/schedule", status_code=303)

    async def menu_page(
        self, request: Request, session: Session, error: str = "", day: str | None = None
    ) -> Response:
        day = day or request.query_params.get("date") or _today(self._care.now())
        try:
            day = parse_date(day)
        except InvalidRequest:
            day = _today(self._care.now())
        meals = await run_in_threadpool(self._contract.get_menu, day) or []
        by_meal = {m["meal"]: m for m in meals}
        return self._page(
            request,
            "menus.html",
            session,
            day=day,
            by_meal=by_meal,
            meals=MEALS,
            diets=DIETS,
            error=error,
            status=400 if error else 200,
        )

    async def menu_save(self, request: Request, session: Session) -> Response:
        form: FormData = request.state.form
        day = str(form.get("date", ""))
        try:
            day = parse_date(day)
            meals = parse_meals(
                [_meal(form, name) for name in MEALS if str(form.get(f"{name}_items", "")).strip()]
            )
            if not meals:
                raise InvalidRequest("give at least one meal's dishes")
        except InvalidRequest as err:
            return await self.menu_page(request, session, str(err), day)
        await run_in_threadpool(self._contract.put_menu, day, meals)
        await run_in_threadpool(
            self._care.audit, session.account.name, "menu.put", day, {"meals": len(meals)}
        )
        return RedirectResponse(f"/menus?date={day}", status_code=303)

    # Providers

    async def jobs(self, request: Request, session: Session) -> Response:
        provider_id = await run_in_threadpool(self._accounts.provider_id, session.account.id)
        found = await run_in_threadpool(self._care.provider_jobs, provider_id or -1)
        return self._page(request, "jobs.html", session, jobs=found)

    async def job_answer(self, request: Request, session: Session) -> Response:
        provider_id = await run_in_threadpool(self._accounts.provider_id, session.account.id)
        form: FormData = request.state.form
        try:
            await run_in_threadpool(
                self._care.provider_answer,
                request.path_params["id"],
                provider_id or -1,
                session.account.name,
                request.path_params["answer"],
                str(form.get("text", "")),
            )
        except CareError:
            return self._page(request, "message.html", session, status=404, key="not_found")
        return RedirectResponse("/jobs", status_code=303)

    # Families

    async def family(self, request: Request, session: Session) -> Response:
        elders = await run_in_threadpool(self._accounts.elders_of, session.account.id)
        views = await run_in_threadpool(self._care.family_views, elders)
        return self._page(request, "family.html", session, views=views)


def _meal(form: FormData, name: str) -> dict[str, Any]:
    """One meal of the menu form: items split at 、，, or new lines; the price in yuan."""
    items = [
        i.strip() for i in re.split(r"[、，,\n]", str(form.get(f"{name}_items", ""))) if i.strip()
    ]
    found = re.fullmatch(
        r"([0-9]{1,5})(?:\.([0-9]{1,2}))?", str(form.get(f"{name}_price", "0")).strip() or "0"
    )
    price = int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0")) if found else -1
    return {
        "meal": name,
        "items": items,
        "diets": form.getlist(f"{name}_diets"),
        "price_cents": price,
        "order_by": str(form.get(f"{name}_order_by", "")).strip(),
    }


def _today(now: float) -> str:
    return datetime.fromtimestamp(now, CENTRE_TZ).date().isoformat()


def _yaml(data: object) -> str:
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(data, out)
    return out.getvalue()


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1
