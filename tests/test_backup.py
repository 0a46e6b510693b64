"""`fanbot backup` and the copy kept before a migration, through the real command line."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

from bot.store.db import load_migrations
from tests.hardening.crash_harness import CrashRun
from tests.test_cli import PACK, fanbot

WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
n = 0
while True:
    n += 1
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO command_syncs (scope, payload_hash, synced_at) VALUES (?, ?, ?)",
        (f"writer/{n}", "h" * 64, "2023-08-03T00:00:00+00:00"),
    )
    conn.execute("COMMIT")
    if n == 20:
        print("writing", flush=True)
    time.sleep(0.001)
"""


def names(folder: Path, pattern: str) -> list[str]:
    return sorted(p.name for p in folder.glob(pattern))


def query(path: Path, sql: str) -> object:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


async def imported_database(tmp_path: Path) -> Path:
    code, _out, err = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0, err
    return tmp_path / "fanbot.sqlite3"


async def test_backup_while_another_process_writes_then_restore(tmp_path: Path) -> None:
    db = await imported_database(tmp_path)
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(db), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        assert await asyncio.wait_for(writer.stdout.readline(), 30) == b"writing\n"
        copies = []
        for i in range(3):
            target = tmp_path / f"copy-{i}.sqlite3"
            code, out, err = await fanbot(tmp_path, "backup", str(target))
            assert code == 0, err
            assert err == ""
            assert len(out.strip().splitlines()) == 1
            assert f"to {target}:" in out
            assert "KiB" in out or "MiB" in out
            copies.append(target)
    finally:
        writer.kill()
        await writer.wait()

    written = query(db, "SELECT count(*) FROM command_syncs")
    counts = []
    for copy in copies:
        assert query(copy, "PRAGMA quick_check") == "ok"
        assert query(copy, "PRAGMA user_version") == len(load_migrations())
        assert query(copy, "PRAGMA journal_mode") == "delete"  # one file, nothing beside it
        assert names(tmp_path, f"{copy.name}-*") == []
        counts.append(query(copy, "SELECT count(*) FROM command_syncs"))
    assert isinstance(written, int)
    assert 20 <= counts[0] <= counts[1] <= counts[2] <= written

    # Restore: with the bot stopped, copy the backup back in place of the database.
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(copies[-1], db)
    code, out, err = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0, err
    assert out.startswith("unchanged:")  # the pack came back with the copy
    assert query(db, "SELECT count(*) FROM command_syncs") == counts[-1]


async def test_backup_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    await imported_database(tmp_path)
    target = tmp_path / "kept.bak"
    target.write_text("an older backup")
    code, out, err = await fanbot(tmp_path, "backup", str(target))
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"fanbot: {target} already exists: choose another name, or add --force"
    ]
    assert target.read_text() == "an older backup"
    code, out, err = await fanbot(tmp_path, "backup", "--force", str(target))
    assert code == 0, err
    assert query(target, "PRAGMA quick_check") == "ok"
    assert names(tmp_path, ".kept.bak.partial*") == []


async def test_backup_without_a_database_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "copy.bak"
    code, _out, err = await fanbot(tmp_path, "backup", str(target))
    assert code == 2
    assert "there is no database at" in err
    assert "Traceback" not in err
    assert not target.exists()
    assert not (tmp_path / "fanbot.sqlite3").exists()


async def test_an_upgrade_keeps_the_old_database_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "fanbot.sqlite3"
    migrations = load_migrations()
    old = len(migrations) - 1
    conn = sqlite3.connect(db, isolation_level=None)
    for migration in migrations[:old]:
        conn.executescript(
            f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.number};COMMIT;"
        )
    conn.execute(
        "INSERT INTO packs (name, title, version, content_hash, imported_at) "
        "VALUES ('old', 'Old', '1', 'h', '2023-01-01T00:00:00+00:00')"
    )
    conn.close()

    code, _out, err = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0, err
    kept = tmp_path / f"fanbot.sqlite3.before-v{len(migrations)}.bak"
    assert f"A copy as it was is kept at {kept}" in err
    assert query(kept, "PRAGMA user_version") == old
    assert query(kept, "SELECT name FROM packs") == "old"
    assert query(db, "PRAGMA user_version") == len(migrations)

    # A second start finds nothing to migrate and keeps no second copy.
    code, _out, err = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0, err
    assert "kept at" not in err
    assert names(tmp_path, "*.bak") == [kept.name]


async def test_backups_taken_while_the_bot_fans_out_are_consistent(tmp_path: Path) -> None:
    run = CrashRun(tmp_path, servers=60, kills=0, storm=False, seed=7)
    await run.emulator.start()
    copies: list[Path] = []
    try:
        await run.subscribe_everyone()  # "1h" due three seconds after the bot starts
        await run.start_bot()
        while run.total_posts() < run.report.servers and len(copies) < 40:
            if run.total_posts():  # the fan-out is under way: back up in the middle of it
                target = tmp_path / f"mid-{len(copies)}.sqlite3"
                code, _, err = await fanbot(tmp_path, "backup", str(target))
                assert code == 0, err
                copies.append(target)
            else:
                await asyncio.sleep(0.05)
    finally:
        await run.stop_bot(signal.SIGTERM)
        await run.emulator.stop()
    assert copies, "no backup was taken during the fan-out"
    for copy in copies:
        assert query(copy, "PRAGMA quick_check") == "ok"
        # A consistent snapshot: every row the copy holds as sent has its message.
        assert query(copy, "SELECT count(*) FROM deliveries WHERE status = 'sent' "
                           "AND message_id IS NULL") == 0  # fmt: skip
        assert query(copy, "SELECT count(*) FROM deliveries") == 2 * run.report.servers
