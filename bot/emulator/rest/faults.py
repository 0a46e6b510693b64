"""Discord's bad days on demand: canned failures, 429s and delays for matching requests.

A test injects a fault for the next requests whose method and path (below the API prefix)
match; `set_chaos` fails a share of them at random. Every fault produced is counted by kind
in the emulator's `faults_injected`.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.emulator.rest.answers import json_response, rate_limited
from bot.emulator.rest.context import api_path
from bot.emulator.state import Json


@dataclass(slots=True)
class Fault:
    """A canned failure the next matching REST requests receive.

    `after`: the request takes effect first and only its answer is lost (as when Discord
    commits a message and then fails); `delay`: seconds to wait before answering normally.
    """

    method: str
    path: re.Pattern[str]
    status: int
    remaining: int
    body: Json
    kind: str
    after: bool = False
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault is still waiting for a request like this one."""
        return self.remaining > 0 and self.method in (method, "*") and bool(self.path.search(path))

    def response(self) -> web.Response:
        """The failure as the client receives it."""
        response = json_response(self.body, self.status)
        response.headers.update(self.headers)
        return response


def _error_fault(method: str, path: str, status: int, times: int, after: bool) -> Fault:
    body = {"message": f"{status}: injected", "code": 0}
    return Fault(method.upper(), re.compile(path), status, times, body, str(status), after)


def _rate_limit_fault(
    method: str, path: str, retry_after: float, is_global: bool, times: int
) -> Fault:
    body, headers = rate_limited(retry_after, is_global=is_global)
    kind = "429 global" if is_global else "429 route"
    return Fault(method.upper(), re.compile(path), 429, times, body, kind, headers=headers)


def _delay_fault(method: str, path: str, seconds: float, times: int) -> Fault:
    return Fault(method.upper(), re.compile(path), 0, times, {}, "slow", delay=seconds)


class FaultInjector:
    """The faults waiting for matching requests, and the chaos setting."""

    def __init__(self, faults_injected: Counter[str]) -> None:
        self.faults_injected = faults_injected
        self._faults: list[Fault] = []
        self._chaos: tuple[str, re.Pattern[str], float, random.Random] | None = None

    def inject_fault(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: Json | None = None,
        after: bool = False,
    ) -> None:
        """Answer the next `times` requests matching `method` and the `path` regex with `status`.

        With `after`, each request takes effect first and only its answer is the failure.
        """
        fault = _error_fault(method, path, status, times, after)
        if body is not None:
            fault.body = body
        self._faults.append(fault)

    def inject_rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: float = 0.25,
        is_global: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with a 429 shaped as Discord sends it."""
        self._faults.append(_rate_limit_fault(method, path, retry_after, is_global, times))

    def inject_delay(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` matching requests normally, but `seconds` late."""
        self._faults.append(_delay_fault(method, path, seconds, times))

    def set_chaos(self, method: str, path: str, rate: float, *, seed: int | None = None) -> None:
        """From now on, fail a share `rate` of the matching requests at random.

        Each unlucky request gets one of: a route or global 429, a 500, a 502 after the
        request took effect, a 503, or a 0.3 s delay.
        """
        self._chaos = (method.upper(), re.compile(path), rate, random.Random(seed))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer with the fault waiting for this request, if any, instead of (or after) it."""
        fault = self._take(request.method, api_path(request))
        if fault is None:
            return await handler(request)
        self.faults_injected[fault.kind] += 1
        if fault.delay:
            await asyncio.sleep(fault.delay)
            return await handler(request)
        if fault.after:
            await handler(request)
        return fault.response()

    def _take(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        if self._chaos is None:
            return None
        want, pattern, rate, dice = self._chaos
        if want not in (method, "*") or not pattern.search(path) or dice.random() >= rate:
            return None
        pick = dice.randrange(6)
        if pick < 2:
            return _rate_limit_fault(method, path, 0.2, pick == 1, 1)
        if pick == 5:
            return _delay_fault(method, path, 0.3, 1)
        status = (500, 502, 503)[pick - 2]
        return _error_fault(method, path, status, 1, after=status == 502)
