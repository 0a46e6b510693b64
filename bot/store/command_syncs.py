"""Which slash commands were last registered with Discord, per application and target."""

from __future__ import annotations

from datetime import datetime

from bot.moments import to_db_time
from bot.store.db import Database


class CommandSyncQueries:
    """The `command_syncs` table: one payload hash per scope."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_hash(self, scope: str) -> str | None:
        """The hash of the commands last registered for `scope`, if any."""
        async with self._db.conn.execute(
            "SELECT payload_hash FROM command_syncs WHERE scope = ?", (scope,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row["payload_hash"])

    async def record(self, scope: str, payload_hash: str, now: datetime) -> None:
        """Remember that the commands hashing to `payload_hash` are registered for `scope`."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """INSERT INTO command_syncs (scope, payload_hash, synced_at) VALUES (?, ?, ?)
                   ON CONFLICT (scope) DO UPDATE
                   SET payload_hash = excluded.payload_hash, synced_at = excluded.synced_at""",
                (scope, payload_hash, to_db_time(now)),
            )
