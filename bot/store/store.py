"""The store: the open database and its query groups."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.store.command_syncs import CommandSyncQueries
from bot.store.content import ContentQueries
from bot.store.db import Database
from bot.store.deliveries import DeliveryQueries
from bot.store.guilds import GuildQueries
from bot.store.importer import RemovedPack, import_packs, remove_packs
from bot.store.leases import LeaseQueries
from bot.store.operations import OperationsQueries
from bot.store.server_events import ServerEventQueries

if TYPE_CHECKING:
    from bot.store.packs import Pack


class Store:
    """The open database and its query groups: content, guilds, deliveries, server events..."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.content = ContentQueries(db.conn)
        self.guilds = GuildQueries(db)
        self.deliveries = DeliveryQueries(db)
        self.command_syncs = CommandSyncQueries(db)
        self.server_events = ServerEventQueries(db)
        self.leases = LeaseQueries(db)
        self.operations = OperationsQueries(db)

    @property
    def path(self) -> str:
        """The database file (or ":memory:")."""
        return self.db.path

    @classmethod
    async def open(
        cls, path: Path | str, *, clock: Clock | None = None, lock_patience: float = 0.0
    ) -> Store:
        """Open and migrate the database at `path`, creating it and its folder if needed.

        `lock_patience`: seconds a write waits beyond SQLite's own 5 s for another writer.
        """
        return cls(await Database.open(path, lock_patience=lock_patience), clock or Clock())

    async def close(self) -> None:
        """Close the database connection."""
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def import_pack(self, pack: Pack) -> bool:
        """Import one validated pack; False if the same content is already stored."""
        try:
            [(_, imported)] = await import_packs(self.db, [pack], self.clock.now())
        finally:
            self.content.forget()
        return imported

    async def remove_packs(self, names: Sequence[str]) -> list[RemovedPack]:
        """Remove the named packs and everything imported from them (all or none)."""
        try:
            return await remove_packs(self.db, names)
        finally:
            self.content.forget()

    async def import_dir(self, path: Path | str) -> list[tuple[str, bool]]:
        """Validate every `*.toml` in `path`, then import them all in one transaction.

        Returns (pack name, imported) per file in name order; one bad pack raises `PackError`
        and nothing is imported.
        """
        from bot.store.packs import load_dir  # the validator loads only to import

        try:
            return await import_packs(self.db, load_dir(path), self.clock.now())
        finally:
            self.content.forget()
