"""One bot in a process of its own, for the memory benchmark: prints one JSON line.

`python -m benchmarks.memchild bare|fanbot API_BASE GATEWAY_URL TOKEN SHARDS DB_FOLDER`
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import sys
import time
from pathlib import Path

import discord

from benchmarks.common import REPO, rss_kib, until_ready
from bot.endpoints import point_discord_at, silence_voice_warnings

# The bare client's process imports discord.py only: fanbot's modules (store, APScheduler,
# aiosqlite, cogs) are imported only for the fanbot run and count against it.


async def main(kind: str, api: str, gateway: str, token: str, shards: int, folder: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    point_discord_at(api, gateway)
    silence_voice_warnings()
    gc.collect()
    before = rss_kib()  # discord.py imported, the bot not yet
    client: discord.Client
    if kind == "bare":
        client = discord.AutoShardedClient(intents=discord.Intents(guilds=True), shard_count=shards)
    else:
        from bot.client import FanBot
        from bot.config import Settings

        settings = dataclasses.replace(
            Settings(),
            db_path=Path(folder) / "fanbot.sqlite3",
            content_dir=REPO / "data" / "content",
            shard_count=shards,
        )
        client = FanBot(settings)
    started = time.perf_counter()
    runner = asyncio.create_task(client.start(token))
    try:
        await until_ready(client, runner, 300)
        ready = time.perf_counter() - started
        guilds = len(client.guilds)
        await asyncio.sleep(1.0)
        gc.collect()
        after = rss_kib()
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    print(
        json.dumps(
            {
                "kind": kind,
                "guilds": guilds,
                "ready_s": round(ready, 2),
                "rss_before_kib": before,
                "rss_ready_kib": after,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    kind, api, gateway, token, shards, folder = sys.argv[1:7]
    asyncio.run(main(kind, api, gateway, token, int(shards), folder))
