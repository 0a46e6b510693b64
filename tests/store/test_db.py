from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store import Store, StoreError
from bot.store import db as db_module
from bot.store.db import Database, Migration, load_migrations

TABLES = {
    "packs", "sources", "shows", "seasons", "people", "characters", "castings", "storylines",
    "storyline_characters", "events", "quotes", "quote_people", "notes",
}  # fmt: skip


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


async def scalar(conn: aiosqlite.Connection, sql: str) -> object:
    [row] = await conn.execute_fetchall(sql)
    return row[0]


def test_migrations_are_numbered_from_one() -> None:
    migrations = load_migrations()
    assert [m.number for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_init.sql"
    assert "CREATE TABLE packs" in migrations[0].sql


async def test_fresh_database_creates_folder_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "fanbot.sqlite3"
    store = await Store.open(path)
    try:
        assert store.path == str(path)
        conn = store.db.conn
        assert await scalar(conn, "PRAGMA foreign_keys") == 1
        assert await scalar(conn, "PRAGMA journal_mode") == "wal"
        assert await scalar(conn, "PRAGMA busy_timeout") == 5000
        [row] = await conn.execute_fetchall("SELECT 1 AS one")
        assert row["one"] == 1  # row factory gives named columns
        assert await store.db.schema_version() == len(load_migrations())
    finally:
        await store.close()
    assert path.is_file()
    assert tables(path) >= TABLES
    assert user_version(path) == len(load_migrations())


async def test_memory_database() -> None:
    async with await Store.open(":memory:") as store:
        assert store.path == ":memory:"
        assert await store.content.seasons() == []
        assert await store.content.packs() == []


async def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "fanbot.sqlite3"
    store = await Store.open(path)
    await store.db.conn.execute(
        "INSERT INTO packs (name, title, version, content_hash, imported_at) "
        "VALUES ('p', 'P', '1', 'h', '2023-01-01T00:00:00+00:00')"
    )
    await store.close()
    store = await Store.open(path)
    try:
        assert [p.name for p in await store.content.packs()] == ["p"]
    finally:
        await store.close()
    assert user_version(path) == len(load_migrations())


async def test_upgrades_empty_version_zero_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # an existing file at user_version 0, no tables
        conn.execute("PRAGMA user_version = 0")
    assert tables(path) == set()
    store = await Store.open(path)
    await store.close()
    assert tables(path) >= TABLES
    assert user_version(path) == len(load_migrations())


async def test_upgrades_older_schema_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "fanbot.sqlite3"
    store = await Store.open(path)  # schema 1 with a row in it
    await store.db.conn.execute(
        "INSERT INTO packs (name, title, version, content_hash, imported_at) "
        "VALUES ('kept', 'Kept', '1', 'h', '2023-01-01T00:00:00+00:00')"
    )
    await store.close()

    real = load_migrations()
    extra = Migration(len(real) + 1, "9999_extra.sql", "CREATE TABLE extra (x INTEGER);")
    monkeypatch.setattr(db_module, "load_migrations", lambda: [*real, extra])
    store = await Store.open(path)
    try:
        assert await store.db.schema_version() == len(real) + 1
        assert [p.name for p in await store.content.packs()] == ["kept"]
    finally:
        await store.close()
    assert "extra" in tables(path)


async def test_failed_migration_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "fanbot.sqlite3"
    await (await Database.open(path)).close()
    real = load_migrations()
    broken = Migration(
        len(real) + 1, "9999_broken.sql", "CREATE TABLE half (x INTEGER);\nNOT VALID SQL;"
    )
    monkeypatch.setattr(db_module, "load_migrations", lambda: [*real, broken])
    with pytest.raises(StoreError, match=r"migration 9999_broken\.sql failed"):
        await Store.open(path)
    assert user_version(path) == len(real)
    assert "half" not in tables(path)


async def test_refuses_database_from_newer_fanbot(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    known = len(load_migrations())
    with pytest.raises(StoreError) as info:
        await Store.open(path)
    assert str(info.value) == (
        f"database {path} was written by a newer fanbot (schema 99, this one knows {known}); "
        "upgrade fanbot or point FANBOT_DB elsewhere"
    )
    assert user_version(path) == 99
    assert tables(path) == set()


async def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not sqlite at all, just some text " * 100)
    with pytest.raises(StoreError, match="cannot be used"):
        await Store.open(path)


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    try:

        async def failing() -> None:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO packs (name, title, version, content_hash, imported_at) "
                    "VALUES ('gone', 'G', '1', 'h', 'x')"
                )
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await failing()
        assert not db.conn.in_transaction
        assert await scalar(db.conn, "SELECT count(*) FROM packs") == 0
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO packs (name, title, version, content_hash, imported_at) "
                "VALUES ('kept', 'K', '1', 'h', 'x')"
            )
        async with db.conn.execute("SELECT name FROM packs") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["kept"]
    finally:
        await db.close()


async def test_a_writer_cancelled_at_begin_leaves_no_transaction_open(tmp_path: Path) -> None:
    # A task stopped at shutdown (the heartbeat, the lease) while its BEGIN IMMEDIATE was
    # queued on aiosqlite's thread: BEGIN still runs there, and used to leave the next
    # writer "cannot start a transaction within a transaction".
    db = await Database.open(tmp_path / "t.sqlite3")
    try:

        async def writer() -> None:
            async with db.transaction() as conn:
                await conn.execute("SELECT 1")

        for _ in range(20):
            task = asyncio.create_task(writer())
            await asyncio.sleep(0)  # it holds the lock and has queued its BEGIN
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO packs (name, title, version, content_hash, imported_at) "
                    "VALUES ('p' || (SELECT count(*) FROM packs), 'P', '1', 'h', 'x')"
                )
        assert await scalar(db.conn, "SELECT count(*) FROM packs") == 20
    finally:
        await db.close()


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.db.conn.execute(
            "INSERT INTO sources (pack_id, key, ordinal, title) VALUES (12345, 'k', 0, 't')"
        )


async def test_unusable_folder_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder for database"):
        await Store.open(blocker / "fanbot.sqlite3")
