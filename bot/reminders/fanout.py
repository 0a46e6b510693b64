"""Sending many posts at once without tripping Discord's global rate limit.

discord.py only reacts to a global 429 (it holds every request for `retry_after`) and
gives up after five tries, so a burst of hundreds of sends loses some. `Pacer` spaces the
starts of requests a little under the limit instead; Discord's window slides, so pacing at
exactly the limit still draws 429s.

The margin is 0.97: any one-second window then holds at most 97% of the limit, plus a
small catch-up burst after a pause (the dispatcher claims rows in batches, and the gap
between batches would otherwise be lost). At Discord's 50/s that is 48.5/s plus one; the
rest of the limit absorbs jitter between our clock and Discord's and other REST calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

PACING_MARGIN = 0.97
DEFAULT_CONCURRENCY = 16


class Pacer:
    """Lets callers start at most `rate * margin` operations per second, evenly spaced.

    After a pause the pacer may run up to `burst` slots behind schedule and catch up at
    once, so any one-second window holds at most `rate * margin + burst + 1` starts. The
    default burst is an eighth of the margin's slack: 2 at 500/s, none at 50/s.
    """

    def __init__(
        self, rate: float, margin: float = PACING_MARGIN, burst: int | None = None
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / (rate * margin)
        self.burst = round(rate * (1 - margin) / 8) if burst is None else max(0, burst)
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return at the caller's turn."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            slot = max(now - self.burst * self.interval, self._next)
            self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


async def fan_out(
    items: Iterable[T],
    send: Callable[[T], Awaitable[None]],
    pacer: Pacer,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> None:
    """Run `send` for every item, paced by `pacer`, at most `concurrency` at a time.

    `send` handles its own failures: one item's error never delays or stops the others.
    """
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> None:
        async with gate:
            await pacer.wait()
            await send(item)

    await asyncio.gather(*(one(item) for item in items))
