"""Two bot processes, each running half the shards, on one database: every guild served once."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.emulator import Emulator
from bot.emulator.crowd import add_crowd, shard_of
from bot.store import Store
from bot.store.countdown_models import PackEventRef
from tests.conftest import BUNDLED_CONTENT, REPO
from tests.test_cli import cli_env

PREMIERE = datetime(2023, 8, 3, 7, tzinfo=UTC)
EVENT = PackEventRef("heartstopper", 2, "premiere")
GUILDS = 40
SHARDS = 2
POSTED = re.compile(r"posted 0 for heartstopper/2/premiere in guild (\d+)")


async def start_shard(
    emulator: Emulator, tmp_path: Path, db: Path, start: str, shard: int, log_level: str
) -> asyncio.subprocess.Process:
    """`fanbot run` for shard `shard` of SHARDS on `db`, its clock starting at `start`."""
    env = cli_env(
        tmp_path,
        DISCORD_TOKEN=emulator.token,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
        FANBOT_DB=str(db),
        FANBOT_CLOCK_START=start,
        FANBOT_CLOCK_SPEED="1",
        FANBOT_SHARD_COUNT=str(SHARDS),
        FANBOT_SHARD_IDS=str(shard),
        FANBOT_LOG_LEVEL=log_level,
        PYTHONPATH=str(REPO),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_two_processes_post_to_every_guild_exactly_once(tmp_path: Path) -> None:
    emulator = Emulator(shard_count=SHARDS)
    await emulator.start()
    guilds = add_crowd(emulator, GUILDS)
    channels = {g.id: emulator.channel(g, "announcements") for g in guilds}
    db = tmp_path / "fanbot.sqlite3"
    async with await Store.open(db) as store:
        await store.import_dir(BUNDLED_CONTENT)
        for guild in guilds:
            await store.guilds.subscribe(
                guild.id,
                EVENT,
                channel_id=channels[guild.id].id,
                role_id=None,
                milestones="0",
                now=PREMIERE - timedelta(days=1),
            )
    start = (PREMIERE - timedelta(seconds=5)).isoformat()
    processes = [
        await start_shard(emulator, tmp_path, db, start, shard, "DEBUG")  # a post: a DEBUG line
        for shard in range(SHARDS)
    ]
    # Read stderr as it comes: at DEBUG a full pipe would block the bots.
    readers = [asyncio.create_task(p.stderr.read()) for p in processes if p.stderr is not None]
    try:
        for _ in range(1200):  # the premiere is 5 s after each process starts
            if sum(len(emulator.channel_messages(c)) for c in channels.values()) >= GUILDS:
                break
            if any(p.returncode is not None for p in processes):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # time for a (wrong) second post to show up
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            await asyncio.wait_for(process.wait(), 30)
        logs = [(await asyncio.wait_for(reader, 30)).decode() for reader in readers]
        await emulator.stop()
    emulator.assert_no_breaches()

    for shard, process in enumerate(processes):
        assert process.returncode == 0, logs[shard]
    for guild in guilds:
        assert len(emulator.channel_messages(channels[guild.id])) == 1, guild.name
    for shard, log in enumerate(logs):
        served = [int(found) for found in POSTED.findall(log)]
        assert served, log
        assert {shard_of(g, SHARDS) for g in served} == {shard}
    served_by = [int(found) for log in logs for found in POSTED.findall(log)]
    assert sorted(served_by) == sorted(g.id for g in guilds)
    async with await Store.open(db) as store:
        assert await store.deliveries.counts(EVENT) == {"sent": GUILDS}


async def test_two_processes_started_together_on_a_new_database_share_the_limit(
    tmp_path: Path,
) -> None:
    """Shards 0 and 1 of 2, started at the same moment on no database, under 50/s.

    Each paces at half the token's limit (unshared, the two would post at twice it); the
    servers set up their countdowns through the running bots, then the premiere comes.
    """
    emulator = Emulator(shard_count=SHARDS, global_rate_limit=50)
    await emulator.start()
    guilds = add_crowd(emulator, 80)
    channels = {g.id: emulator.channel(g, "announcements") for g in guilds}
    db = tmp_path / "fanbot.sqlite3"
    start = (PREMIERE - timedelta(seconds=30)).isoformat()
    processes = [
        await start_shard(emulator, tmp_path, db, start, shard, "INFO") for shard in range(SHARDS)
    ]
    logs: list[str] = []
    try:
        for _ in range(600):  # both connected, commands registered
            if len(emulator.gateway.live_shard_ids()) == SHARDS and emulator.commands.listing(None):
                break
            if any(p.returncode is not None for p in processes):
                break
            await asyncio.sleep(0.05)
        for guild in guilds:
            reply = await emulator.slash(
                "countdown setup", in_guild=guild, channel=channels[guild.id], milestones="0"
            )
            assert "Countdown set" in reply.content, reply.content
        for _ in range(1200):  # the premiere is 30 s after start
            if all(
                any(m.interaction_id is None for m in emulator.channel_messages(c))
                for c in channels.values()
            ):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # time for a (wrong) second post to show up
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            _, err = await asyncio.wait_for(process.communicate(), 30)
            logs.append(err.decode())
        await emulator.stop()
    emulator.assert_no_breaches()

    for shard, process in enumerate(processes):
        assert process.returncode == 0, logs[shard]
    assert emulator.limits.rate_limited == 0, "\n".join(logs)
    for guild in guilds:
        ours = [
            m for m in emulator.channel_messages(channels[guild.id]) if m.interaction_id is None
        ]
        assert len(ours) == 1, guild.name
    async with await Store.open(db) as store:
        assert await store.deliveries.counts(EVENT) == {"sent": len(guilds)}
