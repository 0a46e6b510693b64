"""The stand-alone emulator answers heartbeats as Discord does, over a real network.

discord.py measures a heartbeat's latency from a send time its keep-alive thread records
only after the send completed; an ACK read before that (a local process answering at once)
makes it report the whole interval and warn "Can't keep up ... websocket is 41.3s behind" at
every heartbeat. The emulator answers after a short round trip instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import discord

from bot.endpoints import point_discord_at
from tests.conftest import REPO

HEARTBEAT_MS = 500  # discord.py warns only past 10 s; the latency itself tells


@contextlib.asynccontextmanager
async def standalone_emulator(
    *args: str,
) -> AsyncIterator[tuple[dict[str, str], asyncio.subprocess.Process]]:
    """`python -m bot.emulator` in another process: the settings it printed, and it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--quiet",
        *args,
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        settings: dict[str, str] = {}
        while len(settings) < 3:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "the emulator exited before printing its settings"
            name, equals, value = line.decode().strip().partition("=")
            if equals and name.startswith("DISCORD_"):
                settings[name] = value
        yield settings, process
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def test_heartbeat_latency_is_a_round_trip_not_the_interval() -> None:
    async with standalone_emulator("--heartbeat-ms", str(HEARTBEAT_MS)) as (env, _):
        point_discord_at(env["DISCORD_API_BASE"], env["DISCORD_GATEWAY_URL"])
        client = discord.AutoShardedClient(intents=discord.Intents(guilds=True))
        async with client:
            runner = asyncio.create_task(client.start(env["DISCORD_TOKEN"]))
            await asyncio.wait_for(client.wait_until_ready(), 30)
            latencies: list[float] = []
            for _ in range(8 * HEARTBEAT_MS // 50):  # each of eight heartbeats' latency
                await asyncio.sleep(0.05)
                latencies.extend(latency for _, latency in client.latencies)
            await client.close()
            await runner
    assert latencies
    # Without the round trip a heartbeat's latency is the whole interval, most times.
    assert max(latencies) < HEARTBEAT_MS / 1000 / 2, sorted(set(latencies))
