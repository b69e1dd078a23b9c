"""The platform's ASGI application (Starlette on uvicorn): the device contract under
``/v1`` and, beside it, the care centre's console."""
