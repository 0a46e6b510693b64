"""Fan-out: one premiere reminder to N servers under one token's global rate limit.

The emulator runs in its own process with N generated servers and enforces a global limit
over a sliding second (Discord's is 50 requests/s; the run scales it up, e.g. 500/s, so that
5,000 posts take at least 10 s). `processes` bot processes (each `python -m
benchmarks.bench_fanout --child ...`, the real FanBot) share one database and the token:
one process serves every shard, several serve one shard each
(`FANBOT_SHARD_COUNT`/`FANBOT_SHARD_IDS`) and so each paces at its share of the limit. Every
server subscribes to the premiere with milestone "0"; the processes' clocks reach the
premiere at the same wall-clock moment, after start-up. Measured: the combined rate from the
first post to the last against the limit, 429s, duplicates, and every outbox row `sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import sqlite3
import sys
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
from bot.store import Store
from bot.store.countdown_models import PackEventRef

PREMIERE = datetime(2023, 8, 3, 7, tzinfo=UTC)
EVENT = PackEventRef("heartstopper", 2, "premiere")
SHARD_SIZE = 2500


async def run(
    servers: int = 5000, limit: float = 500.0, lead: float = 20.0, processes: int = 1
) -> dict[str, Any]:
    """One fan-out by `processes` bot processes; the premiere `lead` s after they start."""
    shards = max(processes, -(-servers // SHARD_SIZE))
    async with emulator_process(servers, shards, rate_limit=limit) as emu:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "fanbot.sqlite3"
            premiere_at = time.time() + lead  # wall clock: every process's clock agrees
            children = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benchmarks.bench_fanout",
                    "--child",
                    json.dumps(
                        {
                            "api_base": emu.api_base,
                            "gateway_url": emu.gateway_url,
                            "token": emu.token,
                            "db": str(db),
                            "limit": limit,
                            "shard_count": shards,
                            "shard_ids": None if processes == 1 else [i],
                            "premiere_at": premiere_at,
                            "servers": servers,
                        }
                    ),
                    cwd=REPO,
                    stdout=asyncio.subprocess.PIPE,
                )
                for i in range(processes)
            ]
            outs = await asyncio.gather(*(c.communicate() for c in children))
            for child, _ in zip(children, outs, strict=True):
                if child.returncode != 0:
                    raise RuntimeError(f"a fan-out process failed (exit {child.returncode})")
            reports = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outs]
            stats = await emu.stats()
            async with await Store.open(db) as store:
                counts = await store.deliveries.counts(EVENT)
            per_shard = _per_shard(db, shards)
    span = (stats["last_message_at"] or 0) - (stats["first_message_at"] or 0)
    posts = stats["messages"]
    rate = (posts - 1) / span if span > 0 else float("nan")
    return {
        "servers": servers,
        "processes": processes,
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
        "ready_s": max(r["ready_s"] for r in reports),
        "subscribed_s": max(r["subscribed_s"] for r in reports),
        "paced_per_s": [r["paced_per_s"] for r in reports],
        "per_shard": per_shard,
        "cpu_s": {"bots": [r["cpu_s"] for r in reports], "emulator": stats["cpu_s"]},
    }


def _per_shard(db: Path, shards: int) -> list[dict[str, Any]]:
    """Each shard's posts, its first post against the fleet's first, and its own rate.

    A post's time is its message id's (the emulator stamps ids when it creates a message).
    """
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT (guild_id >> 22) % ?, count(*), min(message_id >> 22), max(message_id >> 22)"
            " FROM deliveries WHERE event_ref = ? AND message_id IS NOT NULL GROUP BY 1",
            (shards, str(EVENT)),
        ).fetchall()
    first = min((row[2] for row in rows), default=0)
    return [
        {
            "shard": shard,
            "posts": posts,
            "starts_after_s": (start - first) / 1000,
            "span_s": (end - start) / 1000,
            "per_s": round((posts - 1) / ((end - start) / 1000), 1) if end > start else None,
        }
        for shard, posts, start, end in rows
    ]


async def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One bot process of the fan-out: subscribe its servers, post, report."""
    logging.getLogger("discord").setLevel(logging.ERROR)
    logging.getLogger("bot").setLevel(logging.ERROR)
    ids = spec["shard_ids"]
    settings = dataclasses.replace(
        Settings(),
        db_path=Path(spec["db"]),
        content_dir=REPO / "data" / "content",
        global_rate_limit=spec["limit"],
        shard_count=spec["shard_count"],
        shard_ids=None if ids is None else tuple(ids),
    )
    point_discord_at(spec["api_base"], spec["gateway_url"])
    silence_voice_warnings()
    clock = Clock(PREMIERE - timedelta(seconds=spec["premiere_at"] - time.time()), 1.0)
    bot = FanBot(settings, clock=clock, guild_ready_timeout=0.5)
    runner = asyncio.create_task(bot.start(spec["token"]))
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
            raise RuntimeError("start-up took longer than the lead")
        servers = spec["servers"]
        deadline = spec["premiere_at"] + servers / spec["limit"] * 3 + 30
        while time.time() < deadline:
            counts = await bot.store.deliveries.counts(EVENT)
            if counts.get("sent", 0) + counts.get("failed", 0) >= servers:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    return {
        "ready_s": round(ready, 2),
        "subscribed_s": round(subscribed, 2),
        "paced_per_s": round(bot.gate.rate, 2),
        "cpu_s": round(time.process_time(), 2),  # start-up and subscribing included
    }


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(child(json.loads(sys.argv[2])))))
    else:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
        p = int(sys.argv[2]) if len(sys.argv) > 2 else 1
        print(json.dumps(asyncio.run(run(n, processes=p)), indent=2))
