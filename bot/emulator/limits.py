"""What answers a REST request before a route does: rate limits and injected faults.

The global limit counts requests over a sliding second (Discord's is 50/s, the emulator's is
off unless set); each route bucket allows `limit` requests per fixed window, with Discord's
X-RateLimit headers on every answer. Interaction callbacks and webhooks are exempt from the
global limit, as on Discord.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from aiohttp import web

from bot.emulator.routes import json_response
from bot.emulator.state import Json


@dataclass(slots=True)
class Fault:
    """A canned failure the next matching REST requests receive.

    `after`: the request takes effect first and only its answer is lost (as when Discord
    commits a message and then fails); `delay`: seconds to wait before answering.
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


@dataclass(slots=True)
class Bucket:
    """One rate-limit bucket: `limit` requests per fixed window of `per` seconds."""

    limit: int
    per: float
    window_start: float = 0.0
    used: int = 0

    def take(self, now: float) -> bool:
        """Count one request; False when the window is already used up."""
        if now - self.window_start >= self.per:
            self.window_start, self.used = now, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def reset_after(self, now: float) -> float:
        """Seconds until the window resets."""
        return max(0.0, self.window_start + self.per - now)


def rate_limit_fault(
    method: str, path: str, retry_after: float, is_global: bool, times: int
) -> Fault:
    """A 429 shaped as Discord sends it: Via header, JSON retry_after and global."""
    body: Json = {"message": "You are being rate limited.", "retry_after": retry_after}
    body["global"] = is_global
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    kind = "429 global" if is_global else "429 route"
    return Fault(method.upper(), re.compile(path), 429, times, body, kind, headers=headers)


_MAJOR = ("channels", "guilds", "webhooks", "interactions")


def bucket_route(method: str, path: str) -> tuple[str, str]:
    """(bucket hash, major parameters) of a request, as Discord groups its rate limits.

    Ids are parameters; a channel, guild, webhook (with its token) or interaction id is a
    major parameter: each value has its own bucket.
    """
    parts = path.strip("/").split("/")
    template: list[str] = []
    major: list[str] = []
    for i, part in enumerate(parts):
        before = parts[i - 1] if i >= 1 else ""
        two_before = parts[i - 2] if i >= 2 else ""
        if (before in _MAJOR and i == 1) or (two_before in ("webhooks", "interactions") and i == 2):
            major.append(part)
            template.append("{major}")
        elif part.isdigit():
            template.append("{id}")
        else:
            template.append(part)
    route = f"{method} /" + "/".join(template)
    return hashlib.sha1(route.encode()).hexdigest()[:16], "/".join(major)


@dataclass(slots=True)
class Admission:
    """A request the limits let through: its bucket, and a fault that replaces its answer."""

    bucket: Bucket
    bucket_hash: str
    now: float
    fault_after: Fault | None


class RestLimits:
    """The global and per-route limits, and the faults waiting for matching requests."""

    def __init__(
        self,
        global_rate_limit: float | None,
        route_limit: tuple[int, float],
        faults_injected: Counter[str],
    ) -> None:
        self.global_rate_limit = global_rate_limit
        self.route_limit = route_limit
        self.route_limits: list[tuple[str, re.Pattern[str], int, float]] = []
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.faults: list[Fault] = []
        self.chaos: tuple[str, re.Pattern[str], float, random.Random] | None = None
        self.rate_limited = 0  # 429s the limits (not injected faults) answered
        self.faults_injected = faults_injected
        self._recent_requests: deque[float] = deque()

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
        default = {"message": f"{status}: injected", "code": 0}
        fault = Fault(
            method.upper(), re.compile(path), status, times, body or default, str(status), after
        )
        self.faults.append(fault)

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
        self.faults.append(rate_limit_fault(method, path, retry_after, is_global, times))

    def inject_delay(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` matching requests normally, but `seconds` late."""
        fault = Fault(method.upper(), re.compile(path), 0, times, {}, "slow", delay=seconds)
        self.faults.append(fault)

    def clear_faults(self) -> None:
        """Forget every fault not yet used, and stop any chaos."""
        self.faults.clear()
        self.chaos = None

    def set_chaos(self, method: str, path: str, rate: float, *, seed: int | None = None) -> None:
        """From now on, fail a share `rate` of the matching requests at random.

        Each unlucky request gets one of: a route or global 429, a 500, a 502 after the
        request took effect, a 503, or a 0.3 s delay.
        """
        self.chaos = (method.upper(), re.compile(path), rate, random.Random(seed))

    def set_route_limit(self, method: str, path: str, limit: int, per: float) -> None:
        """Give the buckets of requests matching `method` and the `path` regex this limit."""
        self.route_limits.append((method.upper(), re.compile(path), limit, per))

    async def admit(self, method: str, path: str, *, exempt: bool) -> web.Response | Admission:
        """An answer that stops the request here (a fault, a 429), or its admission."""
        fault = self._take_fault(method, path)
        if fault is not None:
            self.faults_injected[fault.kind] += 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            elif not fault.after:
                return self._fault_response(fault)
        if not exempt and self._over_global_limit():
            self.rate_limited += 1
            return self._too_many_requests()
        bucket_hash, major = bucket_route(method, path)
        bucket = self._bucket(method, path, bucket_hash, major)
        now = time.monotonic()
        if not bucket.take(now):
            self.rate_limited += 1
            return self._route_limited(bucket, bucket_hash, now)
        after = fault if fault is not None and fault.after else None
        return Admission(bucket, bucket_hash, now, after)

    def answer(self, admission: Admission, response: web.Response) -> web.Response:
        """The route's `response` with its bucket's headers, or the fault that replaces it."""
        if admission.fault_after is not None:
            return self._fault_response(admission.fault_after)
        self._bucket_headers(response, admission.bucket, admission.bucket_hash, admission.now)
        return response

    def _fault_response(self, fault: Fault) -> web.Response:
        response = json_response(fault.body, fault.status)
        response.headers.update(fault.headers)
        return response

    def _bucket(self, method: str, path: str, bucket_hash: str, major: str) -> Bucket:
        bucket = self.buckets.get((bucket_hash, major))
        if bucket is None:
            limit, per = self.route_limit
            for want_method, pattern, want_limit, want_per in self.route_limits:
                if want_method in (method, "*") and pattern.search(path):
                    limit, per = want_limit, want_per
            bucket = self.buckets[(bucket_hash, major)] = Bucket(limit, per)
        return bucket

    @staticmethod
    def _bucket_headers(
        response: web.Response, bucket: Bucket, bucket_hash: str, now: float
    ) -> None:
        reset_after = bucket.reset_after(now)
        response.headers["X-RateLimit-Limit"] = str(bucket.limit)
        response.headers["X-RateLimit-Remaining"] = str(max(0, bucket.limit - bucket.used))
        response.headers["X-RateLimit-Reset-After"] = f"{reset_after:.3f}"
        response.headers["X-RateLimit-Reset"] = f"{time.time() + reset_after:.3f}"
        response.headers["X-RateLimit-Bucket"] = bucket_hash

    def _route_limited(self, bucket: Bucket, bucket_hash: str, now: float) -> web.Response:
        retry_after = round(bucket.reset_after(now), 3)
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body["global"] = False
        response = json_response(body, 429)
        self._bucket_headers(response, bucket, bucket_hash, now)
        response.headers["Via"] = "1.1 google"
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
        response.headers["X-RateLimit-Scope"] = "user"
        return response

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.path.search(path) and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        if self.chaos is not None:
            want, pattern, rate, dice = self.chaos
            if want in (method, "*") and pattern.search(path) and dice.random() < rate:
                pick = dice.randrange(6)
                if pick < 2:
                    return rate_limit_fault(method, path, 0.2, pick == 1, 1)
                if pick == 5:
                    return Fault(method, re.compile(path), 0, 1, {}, "slow", delay=0.3)
                status = (500, 502, 503)[pick - 2]
                body = {"message": f"{status}: injected", "code": 0}
                return Fault(method, re.compile(path), status, 1, body, str(status), status == 502)
        return None

    def _over_global_limit(self) -> bool:
        if self.global_rate_limit is None:
            return False
        now = time.monotonic()
        while self._recent_requests and now - self._recent_requests[0] >= 1.0:
            self._recent_requests.popleft()
        if len(self._recent_requests) >= self.global_rate_limit:
            return True
        self._recent_requests.append(now)
        return False

    def _too_many_requests(self) -> web.Response:
        # Until enough of the window has slid by for one more request (the limit may have
        # just been lowered below what the window holds).
        limit = max(1, int(self.global_rate_limit or 1))
        frees = self._recent_requests[max(0, len(self._recent_requests) - limit)]
        retry_after = round(max(0.001, 1.0 - (time.monotonic() - frees)), 3)
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": True,
        }
        response = json_response(body, 429)
        response.headers["Via"] = "1.1 google"
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
        response.headers["X-RateLimit-Global"] = "true"
        response.headers["X-RateLimit-Scope"] = "global"
        return response
