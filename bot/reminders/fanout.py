"""Sending many posts at once: every row at once, its requests through a bounded pool.

Pacing is not done here: every REST request waits at the bot's one `RestGate`
(`bot/limits.py`), and the fan-out's requests wait there in the `bulk` lane, so a burst of
setups and a fan-out share the global limit instead of each pacing on its own.

The pool bounds the posts being prepared and sent (each request waits its turn at the
gate, and aiohttp's timeout runs while it waits), not the store work after Discord has
answered: a post gives up its slot before its row is recorded, so a store slow to take
the write lock (another process committing) never leaves the gate's slots unused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from bot.limits import BULK, lane

T = TypeVar("T")
Slot = contextlib.AbstractAsyncContextManager[object]

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 16


async def fan_out(
    items: Iterable[T],
    send: Callable[[T, Slot], Awaitable[None]],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    """Run `send(item, slot)` for every item; return how many failed.

    `send` holds `slot` until Discord has answered; at most `concurrency` hold one at once.
    One item's failure never delays or stops the others: an exception `send` lets out is
    logged in one line with its item and counted, and the rest go on.
    """
    pool = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(item: T) -> None:
        nonlocal failed
        try:
            await send(item, pool)
        except Exception as exc:  # one item's error must not stop the rest
            failed += 1
            log.error("fan-out: %s failed: %s: %s", item, type(exc).__name__, exc)

    with lane(BULK):  # the tasks gather creates copy this context
        await asyncio.gather(*(one(item) for item in items))
    return failed
