"""Many guilds at once, spread evenly over the shards: for benchmarks and sharding tests.

Discord routes a guild to shard `(guild_id >> 22) % shard_count`; the top bits of an id are
its creation time in milliseconds. Guilds made in a tight loop would share a few
milliseconds and so land on a few shards; `add_crowd` stamps guild `i` with a millisecond
of its own (in the past), so the guilds fall round-robin on any number of shards.
"""

from __future__ import annotations

import time

from bot.emulator.server import Emulator
from bot.emulator.state import DISCORD_EPOCH_MS, Guild, Snowflakes, User


class _Stamped(Snowflakes):
    """Snowflakes with a chosen millisecond (the low bits keep them unique)."""

    def __init__(self, millis: int) -> None:
        super().__init__()
        self.millis = millis
        self._serial = 0

    def next(self) -> int:
        self._serial += 1
        return (self.millis << 22) | (self._serial & 0x3FFFFF)


def add_crowd(
    emulator: Emulator,
    count: int,
    *,
    name: str = "Fan server",
    owner: User | None = None,
    channels: tuple[str, ...] = ("general", "announcements"),
) -> list[Guild]:
    """Add `count` guilds named "`name` 1".. with one shared owner; guild i is on shard i % n."""
    owner = owner or emulator.add_user("crowd-owner")
    start = int(time.time() * 1000) - DISCORD_EPOCH_MS - count - 1000
    usual, stamped = emulator.ids, _Stamped(start)
    emulator.ids = stamped
    guilds: list[Guild] = []
    try:
        for i in range(count):
            stamped.millis = start + i
            guilds.append(emulator.add_guild(f"{name} {i + 1}", owner=owner, channels=channels))
    finally:
        emulator.ids = usual
    return guilds


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count
