"""Sending many posts at once: a bounded pool whose requests wait in the gate's bulk lane.

Pacing is not done here: every REST request waits at the bot's one `RestGate`
(`bot/limits.py`), and the fan-out's requests wait there in the `bulk` lane, so a burst of
setups and a fan-out share the global limit instead of each pacing on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from bot.limits import BULK, lane

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 16


async def fan_out(
    items: Iterable[T],
    send: Callable[[T], Awaitable[None]],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    """Run `send` for every item, at most `concurrency` at a time; return how many failed.

    One item's failure never delays or stops the others: an exception `send` lets out is
    logged in one line with its item and counted, and the rest go on.
    """
    pool = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(item: T) -> None:
        nonlocal failed
        async with pool:
            try:
                await send(item)
            except Exception as exc:  # one item's error must not stop the rest
                failed += 1
                log.error("fan-out: %s failed: %s: %s", item, type(exc).__name__, exc)

    with lane(BULK):  # the tasks gather creates copy this context
        await asyncio.gather(*(one(item) for item in items))
    return failed
