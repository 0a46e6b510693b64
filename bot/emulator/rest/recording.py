"""Every REST request the bot sent, with its JSON body, for tests to read and check.

The recorder reads the body once (JSON, or a multipart form's `payload_json`), keeps the
request and shows it to its listeners, such as the tests' check against Discord's API
description, before any other middleware runs; the handler of the same request reads the
body the recorder parsed with `request_body()`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, NamedTuple

import orjson
from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Handler

from bot.emulator.rest.context import api_path


class RecordedRequest(NamedTuple):
    """A REST request as the bot sent it: method, path below the API prefix, JSON body."""

    method: str
    path: str
    body: Any


RequestListener = Callable[[RecordedRequest], None]

# aiohttp runs each request in its own task, so this is the body of the request at hand.
_body: ContextVar[Any] = ContextVar("request_body")


def request_body() -> Any:
    """The JSON body of the request being handled (None when it has none)."""
    return _body.get()


async def read_body(request: web.Request) -> Any:
    """The request's JSON body: the JSON itself, or a multipart form's `payload_json`."""
    if not request.can_read_body:
        return None
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        payload: Any = None
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "payload_json":
                payload = orjson.loads(await part.text())
        return payload
    raw = await request.read()
    if request.headers.get("Content-Type") == "application/json" and raw:
        return orjson.loads(raw)
    return None


class RequestRecorder:
    """The requests the REST API received, oldest first, and who wants to see each one."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._listeners: list[RequestListener] = []

    def listen(self, listener: RequestListener) -> None:
        """Call `listener` with every request from now on, before it is answered."""
        self._listeners.append(listener)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the request and hand its body on to the handler."""
        body = await read_body(request)
        recorded = RecordedRequest(request.method, api_path(request), body)
        self.requests.append(recorded)
        for listener in self._listeners:
            listener(recorded)
        _body.set(body)
        return await handler(request)
