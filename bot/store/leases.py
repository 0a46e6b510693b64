"""Which process serves which shards: a lease row per running bot process.

Two processes serving the same shards on one database would both receive every event and
both post every reminder. A process takes a lease for its shards when it starts, renews it
while it runs and drops it when it stops; a lease not renewed within `stale_after` (its
process died on another machine) or held by a process of this host that no longer exists
(killed) is taken over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.moments import from_db_time, to_db_time
from bot.store.countdown_models import Shards
from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class Lease:
    """One process's claim on some shards (`shards` None: every shard)."""

    owner: str
    host: str
    pid: int
    shards: Shards | None
    renewed_at: datetime

    def overlaps(self, other: Shards | None) -> bool:
        """Whether this lease and `other` would serve a guild in common."""
        if self.shards is None or other is None:
            return True
        (count, ids), (other_count, other_ids) = self.shards, other
        return count != other_count or bool(ids & other_ids)

    def describe(self) -> str:
        """'shards 0, 1 of 4' or 'every shard'."""
        if self.shards is None:
            return "every shard"
        count, ids = self.shards
        return f"shard{'s' if len(ids) > 1 else ''} {', '.join(map(str, sorted(ids)))} of {count}"


class LeaseQueries:
    """The `shard_leases` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(
        self,
        mine: Lease,
        *,
        stale_after: timedelta,
        alive: Callable[[str, int], bool],
    ) -> Lease | None:
        """Take the lease `mine`, or return the live lease of another process in the way.

        Overlapping leases that are stale, or whose process `alive(host, pid)` says is gone,
        are removed (taken over) in the same transaction.
        """
        async with self._db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "SELECT owner, host, pid, shard_count, shard_ids, renewed_at FROM shard_leases"
            )
            for row in rows:
                other = _lease(row)
                if other.owner == mine.owner or not other.overlaps(mine.shards):
                    continue
                live = other.renewed_at > mine.renewed_at - stale_after
                if live and alive(other.host, other.pid):
                    return other
                await conn.execute("DELETE FROM shard_leases WHERE owner = ?", (other.owner,))
            count, ids = (None, None) if mine.shards is None else mine.shards
            stamp = to_db_time(mine.renewed_at)
            await conn.execute(
                """INSERT INTO shard_leases
                       (owner, host, pid, shard_count, shard_ids, started_at, renewed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (owner) DO UPDATE SET renewed_at = excluded.renewed_at""",
                (
                    mine.owner,
                    mine.host,
                    mine.pid,
                    count,
                    None if ids is None else ",".join(map(str, sorted(ids))),
                    stamp,
                    stamp,
                ),
            )
        return None

    async def renew(self, owner: str, now: datetime) -> bool:
        """Renew a lease; False when it is gone (another process took it over)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE shard_leases SET renewed_at = ? WHERE owner = ?", (to_db_time(now), owner)
            )
            return cursor.rowcount > 0

    async def release(self, owner: str) -> None:
        """Drop a lease (the process stops)."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM shard_leases WHERE owner = ?", (owner,))

    async def all(self) -> list[Lease]:
        """Every lease, oldest renewal first (for `fanbot status`)."""
        rows = await self._db.conn.execute_fetchall(
            "SELECT owner, host, pid, shard_count, shard_ids, renewed_at FROM shard_leases "
            "ORDER BY renewed_at"
        )
        return [_lease(row) for row in rows]


def _lease(r: aiosqlite.Row) -> Lease:
    ids, count = r["shard_ids"], r["shard_count"]
    shards: Shards | None = None
    if count is not None and ids is not None:
        shards = (int(count), frozenset(int(i) for i in str(ids).split(",") if i))
    return Lease(
        owner=str(r["owner"]),
        host=str(r["host"]),
        pid=int(r["pid"]),
        shards=shards,
        renewed_at=from_db_time(r["renewed_at"]),
    )
