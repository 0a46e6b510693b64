"""Answers shaped as Discord shapes them: JSON bodies, error bodies and 429s."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.emulator.state import Json


class ApiError(Exception):
    """An error answer, with Discord's status, JSON error code and message."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer, with the exact Content-Type discord.py expects."""
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


def error_response(
    status: int, code: int, message: str, errors: Json | None = None
) -> web.Response:
    """Discord's JSON error body: `{"message": ..., "code": ...}`, with `errors` if any."""
    body: Json = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def rate_limited(retry_after: float, *, is_global: bool) -> tuple[Json, dict[str, str]]:
    """The body and headers of a 429: discord.py trusts one only with `Via` and this body."""
    body: Json = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return body, headers


@web.middleware
async def discord_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn `ApiError` and the router's 404 and 405 into Discord's JSON error bodies."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.errors)
    except web.HTTPNotFound:
        return error_response(404, 0, "404: Not Found")
    except web.HTTPMethodNotAllowed as exc:
        response = error_response(405, 0, "405: Method Not Allowed")
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
