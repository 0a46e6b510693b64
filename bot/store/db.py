"""The SQLite connection: pragmas, migrations and transactions."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# sqlite3.OperationalError messages that are about the file, not about our SQL.
_ENVIRONMENT = re.compile(r"locked|readonly|read-only|full|disk I/O|busy|unable to open")
# ... and those that pass: another connection holds the write lock for now.
_TRANSIENT = re.compile(r"locked|busy")
BUSY_TIMEOUT_MS = 5000  # SQLite's own wait for a lock, per statement
RETRY_FIRST_SECONDS = 0.05
RETRY_MAX_SECONDS = 1.0


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying that another connection holds a lock for now."""
    return isinstance(exc, sqlite3.OperationalError) and bool(_TRANSIENT.search(str(exc)))


def split_statements(script: str) -> list[str]:
    """A migration script as single statements (`;` inside strings and triggers kept)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                statements.append(pending.strip())
            pending = ""
    return statements


def _has_sql(text: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in text.splitlines())
    return any(line and line != ";" for line in lines)


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


@dataclass(frozen=True, slots=True)
class Backup:
    """A finished copy of a database: where, how big, at which schema version."""

    path: Path
    size: int
    schema: int


def backup_database(source: Path, target: Path, *, force: bool = False) -> Backup:
    """Copy the database at `source` to `target` with SQLite's online backup API.

    Safe while the bot runs and writes: the copy is one consistent snapshot (in WAL mode the
    file alone is not, since recent commits may still be in `-wal`). The copy is written
    beside `target` under a temporary name, checked, switched to a single-file journal and
    only then renamed into place, so `target` is never half-written. An existing `target`
    is replaced only with `force`.
    """
    if not source.is_file():
        raise StoreError(f"there is no database at {source}: nothing to back up")
    if target.is_dir():
        raise StoreError(f"{target} is a folder: name the backup file, e.g. {target / 'x.bak'}")
    if target.exists() and not force:
        raise StoreError(f"{target} already exists: choose another name, or add --force")
    if target.resolve() == source.resolve():
        raise StoreError(f"{target} is the database itself: choose another name")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=5.0)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: a single read transaction, a consistent snapshot
                dst.execute("PRAGMA journal_mode = DELETE")
                (verdict,) = dst.execute("PRAGMA quick_check").fetchone()
                (schema,) = dst.execute("PRAGMA user_version").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
        if verdict != "ok":
            raise StoreError(f"the copy of {source} failed SQLite's check ({verdict})")
        partial.replace(target)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {source} to {target}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size, int(schema))


def pre_migration_backup_path(db_path: Path, version: int) -> Path:
    """Where the copy kept before migrating `db_path` to schema `version` goes.

    `fanbot.sqlite3.before-v5.bak` beside the database; if that name is taken (an earlier,
    interrupted upgrade), the next free `….before-v5.1.bak`, so no older copy is lost.
    """
    candidate = db_path.with_name(f"{db_path.name}.before-v{version}.bak")
    n = 0
    while candidate.exists():
        n += 1
        candidate = db_path.with_name(f"{db_path.name}.before-v{version}.{n}.bak")
    return candidate


def _is_memory(path: str) -> bool:
    return path == ":memory:" or path.startswith("file:")


class Database:
    """One open aiosqlite connection, in autocommit mode, with explicit transactions.

    Writers that change more than one row use `transaction()`, which serialises them on this
    connection and rolls back on any error. Taking the write lock waits `BUSY_TIMEOUT_MS`
    in SQLite and then, for up to `lock_patience` more seconds, retries with backoff (the
    bot is patient; a CLI command reports the lock soon).
    """

    def __init__(self, conn: aiosqlite.Connection, path: str, lock_patience: float = 0.0) -> None:
        self.conn = conn
        self.path = path
        self.lock_patience = lock_patience
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, lock_patience: float = 0.0) -> Database:
        """Open (creating file and folder if needed) and migrate the database at `path`.

        Safe when several processes open one new database at once: one migrates, the
        others wait for its lock and find the work done.
        """
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
        db = cls(conn, name, lock_patience)
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
                await self._patiently("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._unwritable(exc) from exc
            except BaseException:
                # Cancelled (a task stopped at shutdown) while BEGIN ran on aiosqlite's
                # thread: it still began there, and would leave the next caller "within a
                # transaction". Statements run in order, so this waits for it.
                await self._rollback_if_open()
                raise
            try:
                yield self.conn
            except BaseException as exc:
                if self.conn.in_transaction:  # SQLite may already have rolled back
                    await self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and _ENVIRONMENT.search(str(exc)):
                    raise self._unwritable(exc) from exc
                raise
            try:
                await self._patiently("COMMIT")  # a busy COMMIT leaves the transaction open
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise self._unwritable(exc) from exc

    async def _rollback_if_open(self) -> None:
        await self.conn.execute("SELECT 1")  # after whatever is still queued
        if self.conn.in_transaction:
            await self.conn.execute("ROLLBACK")

    async def _patiently(self, statement: str, patience: float | None = None) -> None:
        """Run a statement that needs the write lock, retrying while another holds it."""
        patience = self.lock_patience if patience is None else patience
        deadline = time.monotonic() + patience
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await self.conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
                if delay == RETRY_FIRST_SECONDS:
                    log.warning(
                        "database %s is locked by another writer; waiting up to %.0f s",
                        self.path,
                        patience,
                    )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    def _unwritable(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"database {self.path} cannot be written ({exc}); is another program holding it, "
            "is the file or its folder read-only, or is the disk full?"
        )

    async def _configure(self) -> None:
        try:
            await self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await self.conn.execute("PRAGMA foreign_keys = ON")
            # Switching to WAL needs the file to itself: another process starting at the
            # same moment may be doing it too (SQLite does not always wait for that lock).
            await self._patiently("PRAGMA journal_mode = WAL", max(self.lock_patience, 10.0))
            await self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            if is_transient(exc):
                raise self._unwritable(exc) from exc
            raise StoreError(
                f"database {self.path} cannot be used ({exc}); is it a fanbot SQLite file? "
                "Point FANBOT_DB elsewhere or move the file away"
            ) from exc

    async def _migrate(self, migrations: list[Migration]) -> None:
        """Apply the migrations this database lacks, each in its own write transaction.

        The version is read again inside each `BEGIN IMMEDIATE`, so of several processes
        starting together on one database one applies each step and the others, once they
        have the lock, find it done.
        """
        known = len(migrations)
        current = await self.schema_version()  # most starts stop here, without a lock
        if current > known:
            raise StoreError(
                f"database {self.path} was written by a newer fanbot (schema {current}, "
                f"this one knows {known}); upgrade fanbot or point FANBOT_DB elsewhere"
            )
        backed_up = current == 0 or _is_memory(self.path)
        for migration in migrations[current:]:
            async with self.transaction() as conn:
                current = await self.schema_version()
                if current >= migration.number:
                    continue  # another process applied it while we waited
                if not backed_up:  # under our write lock: nobody migrates meanwhile
                    await self._backup_before_migrating(current, known)
                    backed_up = True
                try:
                    for statement in split_statements(migration.sql):
                        await conn.execute(statement)
                    await conn.execute(f"PRAGMA user_version = {migration.number}")
                except sqlite3.Error as exc:
                    if is_transient(exc) or _ENVIRONMENT.search(str(exc)):
                        raise
                    raise StoreError(
                        f"database {self.path}: migration {migration.name} failed: {exc}"
                    ) from exc

    async def _backup_before_migrating(self, current: int, target: int) -> None:
        """Keep a copy of the database as it is before migrations touch it."""
        db_path = Path(self.path)
        where = pre_migration_backup_path(db_path, target)
        try:
            backup = await asyncio.to_thread(backup_database, db_path, where)
        except StoreError as exc:
            raise StoreError(
                f"database {self.path} needs migrating from schema {current} to {target}, "
                f"but the backup kept before migrating failed: {exc}. Nothing was changed"
            ) from exc
        log.warning(
            "database %s is at schema %d; migrating it to %d. A copy as it was is kept at %s (%s)",
            self.path,
            current,
            target,
            backup.path,
            human_size(backup.size),
        )


def human_size(size: int) -> str:
    """A byte count as people read it: 812 bytes, 40.0 KiB, 3.2 MiB."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"
