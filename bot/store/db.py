"""The SQLite connection: pragmas, migrations and transactions."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# sqlite3.OperationalError messages that are about the file, not about our SQL.
_ENVIRONMENT = re.compile(r"locked|readonly|read-only|full|disk I/O|busy|unable to open")


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step: `bot/store/migrations/NNNN_name.sql`."""

    number: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every migration shipped with this fanbot, in order; numbers must run 1, 2, 3 ...

    Each file is run as one script inside `BEGIN IMMEDIATE` ... `COMMIT` together with the
    `PRAGMA user_version` bump, so it must not contain transaction statements of its own.
    """
    folder = resources.files("bot.store").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match and entry.is_file():
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise StoreError(
                f"migration {migration.name} is out of sequence: expected number {expected:04d}"
            )
    return found


def _is_memory(path: str) -> bool:
    return path == ":memory:" or path.startswith("file:")


class Database:
    """One open aiosqlite connection, in autocommit mode, with explicit transactions.

    Writers that change more than one row use `transaction()`, which serialises them on this
    connection and rolls back on any error.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating file and folder if needed) and migrate the database at `path`."""
        name = str(path)
        if not _is_memory(name):
            try:
                Path(name).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for database {name}: {exc.strerror or exc}"
                ) from exc
        try:
            conn = await aiosqlite.connect(
                name, timeout=5.0, isolation_level=None, uri=name.startswith("file:")
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {name}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        db = cls(conn, name)
        try:
            await db._configure()
            await db._migrate(load_migrations())
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection (waiting for any running statement)."""
        await self.conn.close()

    async def schema_version(self) -> int:
        """The `PRAGMA user_version`: how many migrations this database has had."""
        async with self.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`BEGIN IMMEDIATE` ... `COMMIT`, or `ROLLBACK` if the block raises.

        A database that is locked, read-only, full or failing raises `StoreError` saying so.
        """
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._unwritable(exc) from exc
            try:
                yield self.conn
            except BaseException as exc:
                if self.conn.in_transaction:  # SQLite may already have rolled back
                    await self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and _ENVIRONMENT.search(str(exc)):
                    raise self._unwritable(exc) from exc
                raise
            try:
                await self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise self._unwritable(exc) from exc

    def _unwritable(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"database {self.path} cannot be written ({exc}); is another program holding it, "
            "is the file or its folder read-only, or is the disk full?"
        )

    async def _configure(self) -> None:
        try:
            await self.conn.execute("PRAGMA busy_timeout = 5000")
            await self.conn.execute("PRAGMA foreign_keys = ON")
            await self.conn.execute("PRAGMA journal_mode = WAL")
            await self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"database {self.path} cannot be used ({exc}); is it a fanbot SQLite file? "
                "Point FANBOT_DB elsewhere or move the file away"
            ) from exc

    async def _migrate(self, migrations: list[Migration]) -> None:
        current = await self.schema_version()
        known = len(migrations)
        if current > known:
            raise StoreError(
                f"database {self.path} was written by a newer fanbot (schema {current}, "
                f"this one knows {known}); upgrade fanbot or point FANBOT_DB elsewhere"
            )
        for migration in migrations[current:]:
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                f"PRAGMA user_version = {migration.number};\nCOMMIT;"
            )
            try:
                await self.conn.executescript(script)
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise StoreError(
                    f"database {self.path}: migration {migration.name} failed: {exc}"
                ) from exc
