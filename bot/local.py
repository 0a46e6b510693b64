"""The real bot against the in-process emulator: for the playground, tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import Emulator
from bot.endpoints import point_discord_at, silence_voice_warnings

READY_TIMEOUT_SECONDS = 30.0


class BotStartError(RuntimeError):
    """The bot stopped before it became ready; the cause is chained."""


@contextlib.asynccontextmanager
async def running_bot(
    emulator: Emulator, settings: Settings, *, clock: Clock | None = None
) -> AsyncIterator[FanBot]:
    """Start a FanBot connected to `emulator`; yield it once ready; close it on exit."""
    point_discord_at(emulator.api_base, emulator.gateway_url)
    silence_voice_warnings()
    bot = FanBot(settings, clock=clock, guild_ready_timeout=0.05)
    runner = asyncio.create_task(bot.start(emulator.token), name="fanbot")
    ready = asyncio.create_task(bot.wait_until_ready(), name="fanbot-ready")
    try:
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=READY_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if runner in done:
            raise BotStartError("the bot stopped while starting") from runner.exception()
        if ready not in done:
            raise BotStartError(f"the bot was not ready within {READY_TIMEOUT_SECONDS:g} s")
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
