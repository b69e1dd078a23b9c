"""The platform's ASGI application: ``create_app(platform)``.

Routes: ``/v1/…`` the device contract (``careplatform.web.device_api``); ``/healthz`` for
a load balancer. Every other path is the console's (added by ``careplatform.web.console``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from careplatform.runtime import Platform
from careplatform.web.device_api import DeviceApi

_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def create_app(platform: Platform) -> Starlette:
    """The application serving ``platform``."""
    device_api = DeviceApi(platform.contract, platform.settings.api_token, platform.clock)

    async def healthz(request: Request) -> Response:
        del request
        return JSONResponse({"ok": True})

    routes = [
        Route("/v1/{rest:path}", device_api.handle, methods=_METHODS),
        Route("/v1", device_api.handle, methods=_METHODS),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes)
