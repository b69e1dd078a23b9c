"""The platform's ASGI application: ``create_app(platform)``.

Routes: ``/v1/…`` the device contract (``careplatform.web.device_api``); ``/healthz`` for
a load balancer; every other path is the console's (``careplatform.web.console``). While
it runs, a thread delivers the notices to families (``careplatform.notifying``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from careplatform.runtime import Platform
from careplatform.web.console import Console
from careplatform.web.device_api import DeviceApi

_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def create_app(platform: Platform) -> Starlette:
    """The application serving ``platform``."""
    device_api = DeviceApi(platform.contract, platform.settings.api_token, platform.clock)

    async def healthz(request: Request) -> Response:
        del request
        return JSONResponse({"ok": True})

    console = Console(platform.accounts, platform.sessions, platform.care, platform.contract)
    routes = [
        Route("/v1/{rest:path}", device_api.handle, methods=_METHODS),
        Route("/v1", device_api.handle, methods=_METHODS),
        Route("/healthz", healthz),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        *console.routes(),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        stop = threading.Event()
        sender = threading.Thread(
            target=platform.notifier.run, args=(stop,), daemon=True, name="notices"
        )
        sender.start()
        try:
            yield
        finally:
            stop.set()
            sender.join(30)

    return Starlette(routes=routes, lifespan=lifespan)
