"""Fan-out: one premiere reminder to N servers under a global rate limit.

The emulator runs in its own process with N generated servers and enforces a global limit
(Discord's is 50 requests/s; the run scales it up, e.g. 500/s, so that 5,000 posts take at
least 10 s). The real bot runs here with FANBOT_GLOBAL_RATE_LIMIT set to the same limit;
every server subscribes to the premiere with milestone "0", and the virtual clock reaches
the premiere a little after start-up. Measured: the rate from the first post to the last
against the limit, 429s, duplicates, and every outbox row `sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, emulator_process, until_ready
from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings
from bot.endpoints import point_discord_at, silence_voice_warnings

PREMIERE = datetime(2023, 8, 3, 7, tzinfo=UTC)
EVENT = "heartstopper/2/premiere"
SHARD_SIZE = 2500


async def run(servers: int = 5000, limit: float = 500.0, lead: float = 20.0) -> dict[str, Any]:
    logging.getLogger("discord").setLevel(logging.ERROR)
    logging.getLogger("bot").setLevel(logging.WARNING)
    shards = max(1, -(-servers // SHARD_SIZE))
    async with emulator_process(servers, shards, rate_limit=limit) as emu:
        with tempfile.TemporaryDirectory() as tmp:
            settings = dataclasses.replace(
                Settings(),
                db_path=Path(tmp) / "fanbot.sqlite3",
                content_dir=REPO / "data" / "content",
                global_rate_limit=limit,
                shard_count=shards,
            )
            point_discord_at(emu.api_base, emu.gateway_url)
            silence_voice_warnings()
            # The premiere comes `lead` real seconds after start: time to connect and subscribe.
            clock = Clock(PREMIERE - timedelta(seconds=lead), 1.0)
            bot = FanBot(settings, clock=clock, guild_ready_timeout=0.5)
            runner = asyncio.create_task(bot.start(emu.token))
            started = time.perf_counter()
            try:
                await until_ready(bot, runner, 120)
                ready = time.perf_counter() - started
                for guild in bot.guilds:
                    channel = next(c for c in guild.text_channels if c.name == "announcements")
                    await bot.store.guilds.subscribe(
                        guild.id,
                        EVENT,
                        channel_id=channel.id,
                        role_id=None,
                        milestones="0",
                        now=clock.now(),
                    )
                await bot.reminders.replan_all()
                subscribed = time.perf_counter() - started
                if clock.now() >= PREMIERE:
                    raise RuntimeError(f"start-up took longer than the {lead:g} s lead")
                deadline = time.perf_counter() + lead + servers / limit * 3 + 30
                while time.perf_counter() < deadline:
                    counts = await bot.store.deliveries.counts(EVENT)
                    if counts.get("sent", 0) + counts.get("failed", 0) >= servers:
                        break
                    await asyncio.sleep(0.25)
                await asyncio.sleep(1.0)
                counts = await bot.store.deliveries.counts(EVENT)
                stats = await emu.stats()
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
    span = (stats["last_message_at"] or 0) - (stats["first_message_at"] or 0)
    posts = stats["messages"]
    rate = (posts - 1) / span if span > 0 else float("nan")
    return {
        "servers": servers,
        "shards": shards,
        "limit_per_s": limit,
        "posts": posts,
        "span_s": round(span, 3),
        "floor_s": round((servers - 1) / limit, 3),
        "achieved_per_s": round(rate, 1),
        "achieved_of_limit": round(rate / limit, 4),
        "rate_limited_429": stats["rate_limited"],
        "duplicates": stats["duplicates"],
        "servers_posted": stats["channels_with_messages"],
        "outbox": counts,
        "ready_s": round(ready, 2),
        "subscribed_s": round(subscribed, 2),
    }


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(json.dumps(asyncio.run(run(n)), indent=2))
