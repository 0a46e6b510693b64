"""Discord's rate limits: per-route buckets and the global limit, with their headers.

Each route bucket allows `limit` requests per fixed window, counted per top-level resource
(a channel, guild, webhook or interaction), and every answer carries Discord's X-RateLimit
headers. The global limit counts requests over a sliding second (Discord's is 50/s, the
emulator's is off unless set); interaction endpoints are outside it, as on Discord.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.emulator.rest.answers import json_response, rate_limited
from bot.emulator.rest.context import api_path, is_interaction_endpoint, route_template

DEFAULT_ROUTE_LIMIT = (50, 1.0)  # requests per window of seconds, unless a test sets one
# The path parameters of Discord's top-level resources: each value has its own buckets.
TOP_LEVEL_PARAMETERS = (
    "channel_id",
    "guild_id",
    "webhook_id",
    "webhook_token",
    "interaction_id",
    "interaction_token",
)


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


def bucket_of(method: str, template: str, parameters: Mapping[str, str]) -> tuple[str, str]:
    """(bucket hash, top-level resource) of a request to the route `method template`.

    The hash names the route, not the resource (Discord's `X-RateLimit-Bucket`); requests
    to one route for two channels share the hash but not the bucket.
    """
    bucket_hash = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
    resource = "/".join(parameters[name] for name in TOP_LEVEL_PARAMETERS if name in parameters)
    return bucket_hash, resource


class RateLimits:
    """The global and per-route limits, and how many 429s they answered."""

    def __init__(self, global_rate_limit: float | None) -> None:
        self.global_rate_limit = global_rate_limit
        self.rate_limited = 0
        self._route_limits: list[tuple[str, re.Pattern[str], int, float]] = []
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._recent_requests: deque[float] = deque()

    def set_route_limit(self, method: str, path: str, limit: int, per: float) -> None:
        """Give the buckets of requests matching `method` and the `path` regex this limit."""
        self._route_limits.append((method.upper(), re.compile(path), limit, per))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer 429 over a limit; else the route's answer with its bucket's headers."""
        if not is_interaction_endpoint(request) and self._over_global_limit():
            self.rate_limited += 1
            return self._global_limit_reached()
        template = route_template(request)
        if template is None:  # an unknown route has no bucket
            return await handler(request)
        bucket_hash, resource = bucket_of(request.method, template, request.match_info)
        bucket = self._bucket(request.method, api_path(request), bucket_hash, resource)
        now = time.monotonic()
        if not bucket.take(now):
            self.rate_limited += 1
            retry_after = round(bucket.reset_after(now), 3)
            body, headers = rate_limited(retry_after, is_global=False)
            limited = json_response(body, 429)
            limited.headers.update(headers)
            self._bucket_headers(limited, bucket, bucket_hash, now)
            return limited
        response = await handler(request)
        self._bucket_headers(response, bucket, bucket_hash, now)
        return response

    def _bucket(self, method: str, path: str, bucket_hash: str, resource: str) -> Bucket:
        bucket = self._buckets.get((bucket_hash, resource))
        if bucket is None:
            limit, per = DEFAULT_ROUTE_LIMIT
            for want_method, pattern, want_limit, want_per in self._route_limits:
                if want_method in (method, "*") and pattern.search(path):
                    limit, per = want_limit, want_per
            bucket = self._buckets[(bucket_hash, resource)] = Bucket(limit, per)
        return bucket

    @staticmethod
    def _bucket_headers(
        response: web.StreamResponse, bucket: Bucket, bucket_hash: str, now: float
    ) -> None:
        reset_after = bucket.reset_after(now)
        response.headers["X-RateLimit-Limit"] = str(bucket.limit)
        response.headers["X-RateLimit-Remaining"] = str(max(0, bucket.limit - bucket.used))
        response.headers["X-RateLimit-Reset-After"] = f"{reset_after:.3f}"
        response.headers["X-RateLimit-Reset"] = f"{time.time() + reset_after:.3f}"
        response.headers["X-RateLimit-Bucket"] = bucket_hash

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

    def _global_limit_reached(self) -> web.Response:
        # Until enough of the window has slid by for one more request (the limit may have
        # just been lowered below what the window holds).
        limit = max(1, int(self.global_rate_limit or 1))
        frees = self._recent_requests[max(0, len(self._recent_requests) - limit)]
        retry_after = round(max(0.001, 1.0 - (time.monotonic() - frees)), 3)
        body, headers = rate_limited(retry_after, is_global=True)
        response = json_response(body, 429)
        response.headers.update(headers)
        return response
