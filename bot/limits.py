"""One owner of Discord's limits: every REST request the bot makes waits at one gate.

Discord allows a bot token 50 requests per second (a sliding window) over every route but
interaction callbacks and interaction webhooks, and bans an IP for an hour after 10,000
invalid requests (401, 403, 429) in ten minutes. discord.py keeps the per-route buckets but
only reacts to a global 429. `RestGate` paces every request start under the global limit
and counts invalid answers; `GatedConnector` puts it in front of discord.py's aiohttp
session (`FanBot.login`), so every try of every request passes it, retries included,
whoever made the call.

Two lanes share the gate: `interactive` (the default: setups, scheduled events, command
sync, lookups) and `bulk` (the reminder fan-out, entered with `with lane(BULK)`). While both
have requests waiting they take turns, slot for slot, so a burst of setups costs a fan-out
at most half its rate and an interactive request waits behind at most one fan-out request;
a lane alone takes every slot.

A fleet of processes on one token shares the budget statically: each process paces at
`limit * shards it serves / shard count` (`fleet_share`), which holds across machines with
no coordination (docs/limits.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import aiohttp
import discord
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

log = logging.getLogger(__name__)

Lane = Literal["interactive", "bulk"]
INTERACTIVE: Lane = "interactive"
BULK: Lane = "bulk"

PACING_MARGIN = 0.97  # Discord's window slides: pacing at exactly the limit draws 429s
# A process holding a share: the fleet's processes stall independently (a busy event loop
# sends a few gated requests late, bunched), and their windows add up, so more slack.
# A late gate may make up slots (MAX_CATCH_UP at most: a burst of 4 drew a 429) as long as
# its worst window stays this far under the limit: requests reach Discord with jitter (a
# busy loop at either end), and a window that is full at the gate overflows on the wire.
MAX_CATCH_UP = 2.0
WINDOW_MARGIN = 0.99
FLEET_WINDOW_MARGIN = 0.94  # at 0.96 (a catch-up of 2 at 125/s) 4 processes drew 14 and 36 429s
FLEET_MARGIN = 0.93  # at 0.97 and 0.95 a 2-process benchmark drew 429s (docs/performance.md)
INVALID_WINDOW_SECONDS = 600.0  # Discord counts invalid requests over ten minutes
DISCORD_INVALID_BAN = 10_000  # ... and bans the IP for an hour at this many
INVALID_HOLD_THRESHOLD = 5_000  # we hold the fan-out at half of it
HOLD_RECHECK_SECONDS = 5.0  # how often a held fan-out looks again
INVALID_STATUSES = frozenset({401, 403, 429})
BUCKET_SWEEP_SECONDS = 60.0  # discord.py drops a route bucket after 300 s idle
# Interaction callbacks and interaction webhooks (follow-ups) are not under the global limit.
_EXEMPT = re.compile(r"^/(interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+)")

_lane: ContextVar[Lane] = ContextVar("fanbot_rest_lane", default=INTERACTIVE)


@contextlib.contextmanager
def lane(name: Lane) -> Iterator[None]:
    """Requests made inside this block (and tasks it creates) wait in lane `name`."""
    token = _lane.set(name)
    try:
        yield
    finally:
        _lane.reset(token)


def current_lane() -> Lane:
    """The lane requests made here wait in."""
    return _lane.get()


def fleet_share(limit: float, shard_count: int | None, shard_ids: tuple[int, ...] | None) -> float:
    """A process's share of the token's global limit, by the shards it serves."""
    if shard_count is None or shard_ids is None:
        return limit
    return limit * len(set(shard_ids)) / shard_count


def is_exempt(path: str) -> bool:
    """Whether a REST path (after the API base) is outside Discord's global limit."""
    return _EXEMPT.match(path) is not None


@dataclass(frozen=True, slots=True)
class GateStatus:
    """What the gate can tell an operator (`fanbot status`, the logs)."""

    rate: float  # request starts per second this process allows itself
    limit: float  # its share of the token's global limit
    sent: int  # requests that passed the gate since start
    waiting: dict[str, int]  # requests waiting, by lane
    invalid_last_10_min: int  # 401, 403 and 429 answers over the last ten minutes
    invalid_threshold: int
    holding: bool  # the fan-out is held because of invalid requests


class RestGate:
    """Paces request starts under a share of the global limit; counts invalid answers.

    Starts are spaced `1 / rate` apart. A slot handed out late (the event loop was busy,
    its timer fired a millisecond late) counts from when it was due, up to `burst` slots
    behind, so that lateness is not lost for good; any one-second window then holds at
    most `rate + burst + 1` starts, kept a little under `limit` for the wire's jitter.
    `rate` is `limit * margin`, lower (`FLEET_MARGIN`) for a process that holds only part of
    the token's limit, so that a fleet's windows, each under its share, add up to under
    the token's limit.
    """

    def __init__(
        self,
        limit: float,
        *,
        whole: bool = True,
        margin: float = PACING_MARGIN,
        burst: float | None = None,
        invalid_threshold: int = INVALID_HOLD_THRESHOLD,
    ) -> None:
        if limit <= 0:
            raise ValueError("rate must be positive")
        self.limit = limit
        # Other processes fill the rest of a fleet's window, each with its own jitter.
        rate = max(limit / 2, min(limit * (margin if whole else FLEET_MARGIN), limit - 1))
        if burst is None:  # what the window leaves beyond the wire's jitter, up to a cap
            window = limit * (WINDOW_MARGIN if whole else FLEET_WINDOW_MARGIN)
            burst = min(MAX_CATCH_UP, max(0.0, window - rate - 1))
        self.burst = max(0.0, burst)
        self.rate = rate
        self.interval = 1.0 / rate
        self.invalid_threshold = invalid_threshold
        self._queues: dict[Lane, deque[asyncio.Future[None]]] = {
            INTERACTIVE: deque(),
            BULK: deque(),
        }
        self._last: Lane = BULK
        self._next = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._sent = 0
        self._invalid: deque[float] = deque()
        self._warned = False
        self._held = False

    # ------------------------------------------------------------------ pacing

    async def wait(self, lane_name: Lane | None = None) -> None:
        """Return at the caller's turn (in its lane).

        The hold for invalid requests is not applied here: a request waiting here is inside
        aiohttp's timeout, and a hold lasts minutes. The fan-out checks `holding` before it
        claims rows and before each post.
        """
        which = lane_name or current_lane()
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self._queues[which].append(turn)
        self._pump()
        try:
            await turn
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._queues[which].remove(turn)
            raise

    def _pump(self) -> None:
        """Hand out every slot that is due, lane by lane; keep one timer for the next one."""
        loop = asyncio.get_running_loop()
        while True:
            which = self._pick()
            if which is None:
                return
            now = loop.time()
            slot = max(now - self.burst * self.interval, self._next)
            if slot > now:
                if self._timer is None:  # a timer already set fires at or before `slot`
                    self._timer = loop.call_at(slot, self._on_timer)
                return
            turn = self._queues[which].popleft()
            self._next = slot + self.interval
            self._last = which
            self._sent += 1
            turn.set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()

    def _pick(self) -> Lane | None:
        """The lane whose turn it is: alternate while both wait, else whichever waits."""
        for queue in self._queues.values():
            while queue and queue[0].done():  # its waiter was cancelled
                queue.popleft()
        interactive, bulk = self._queues[INTERACTIVE], self._queues[BULK]
        if interactive and bulk:
            return INTERACTIVE if self._last == BULK else BULK
        if interactive:
            return INTERACTIVE
        return BULK if bulk else None

    # ------------------------------------------------------------------ invalid requests

    def record(self, status: int, scope: str | None = None) -> None:
        """Count an answer: 401, 403 and 429 (but a shared-scope 429) are invalid."""
        if status not in INVALID_STATUSES or (status == 429 and scope == "shared"):
            return
        self._invalid.append(time.monotonic())
        count = self.invalid_count()
        if count == self.invalid_threshold // 10 and not self._warned:
            self._warned = True
            log.warning(
                "%d invalid requests (401/403/429) in the last 10 minutes; the fan-out is "
                "held at %d, Discord bans the IP for an hour at %d",
                count,
                self.invalid_threshold,
                DISCORD_INVALID_BAN,
            )
        if count >= self.invalid_threshold and not self._held:
            self._held = True
            log.error(
                "%d invalid requests (401/403/429) in the last 10 minutes, Discord bans the "
                "IP at %d: holding the reminder fan-out until the count falls below %d",
                count,
                DISCORD_INVALID_BAN,
                self.invalid_threshold,
            )

    def invalid_count(self) -> int:
        """401, 403 and 429 answers over the last ten minutes (sliding)."""
        horizon = time.monotonic() - INVALID_WINDOW_SECONDS
        while self._invalid and self._invalid[0] <= horizon:
            self._invalid.popleft()
        return len(self._invalid)

    @property
    def holding(self) -> bool:
        """Whether non-essential requests (the fan-out) are held; re-checked on each ask."""
        if self._held and self.invalid_count() < self.invalid_threshold:
            self._held = False
            self._warned = False
            log.warning(
                "invalid requests fell to %d in the last 10 minutes: the fan-out goes on",
                self.invalid_count(),
            )
        return self._held

    def status(self) -> GateStatus:
        """The gate's figures, for `fanbot status` and the logs."""
        holding = self.holding
        return GateStatus(
            rate=self.rate,
            limit=self.limit,
            sent=self._sent,
            waiting={name: len(queue) for name, queue in self._queues.items()},
            invalid_last_10_min=self.invalid_count(),
            invalid_threshold=self.invalid_threshold,
            holding=holding,
        )


class GatedConnector(aiohttp.TCPConnector):
    """discord.py's connector with the gate in front of it.

    aiohttp asks its connector for a connection once per try of every request, retries
    included, so gating here gates every request start whoever made the call, and costs an
    exempt request (an interaction callback) one string check: an aiohttp trace would run
    its signal machinery on every request and every response chunk (docs/performance.md).
    """

    def __init__(self, gate: RestGate) -> None:
        super().__init__(limit=0)  # discord.py's own default: no pool limit
        self._gate = gate
        self._response_class = _counting_response(gate)

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's own signature)
    ) -> Connection:
        """Wait for the gate (REST requests under the global limit), then connect."""
        path = _rest_path(str(req.url))
        if path is not None:
            # The request builds its response after it has a connection: have it count.
            req.response_class = self._response_class
            if not is_exempt(path):
                await self._gate.wait()
        return await super().connect(req, traces, timeout)


def _counting_response(gate: RestGate) -> type[aiohttp.ClientResponse]:
    """A response class that reports each REST answer's status to `gate`."""

    class CountedResponse(aiohttp.ClientResponse):
        async def start(self, connection: Connection) -> aiohttp.ClientResponse:
            response = await super().start(connection)
            gate.record(self.status, self.headers.get("X-RateLimit-Scope"))
            return response

    return CountedResponse


def amortize_bucket_sweep(http: discord.http.HTTPClient) -> None:
    """Let discord.py drop idle per-route buckets once a minute, not at every new bucket.

    Once it holds 256 buckets, discord.py scans them all each time it makes a new one, and
    a fan-out makes one per channel: posting to n channels costs O(n²) checks (12.5 million,
    about 5 s of CPU, for 5,000 servers; at 50,000 a post would cost more than its 20-ms
    slot). A bucket is dropped only after 300 s idle, so a sweep a minute keeps memory as
    bounded and makes the cost linear. The buckets themselves are untouched.
    """
    sweep = http._try_clear_expired_ratelimits
    last = time.monotonic()

    def at_most_once_a_minute() -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= BUCKET_SWEEP_SECONDS:
            last = now
            sweep()

    http._try_clear_expired_ratelimits = at_most_once_a_minute  # type: ignore[method-assign]


def _rest_path(url: str) -> str | None:
    """The path after discord.py's API base, or None for anything that is not REST."""
    base = discord.http.Route.BASE
    if not url.startswith(base):
        return None
    return url[len(base) :].split("?", 1)[0]


def gate_for(limit: float, shard_count: int | None, shard_ids: tuple[int, ...] | None) -> RestGate:
    """The gate of one process serving `shard_ids` of `shard_count` under `limit`."""
    share = fleet_share(limit, shard_count, shard_ids)
    # Discord counts invalid requests per IP, and a fleet's processes may share one: each
    # holds at its share of the threshold, so together they hold at it.
    threshold = max(1, round(INVALID_HOLD_THRESHOLD * share / limit))
    return RestGate(share, whole=share >= limit, invalid_threshold=threshold)
