from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.content.records import Season
from bot.store import Store, load_pack
from bot.store.db import load_migrations

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "content" / "heartstopper-s2.toml"
CLOCK_START = datetime(2023, 7, 10, 12, 0, tzinfo=UTC)

# The smallest valid pack; tests append to it or replace parts of it.
MINIMAL = """\
[pack]
name = "mini"
title = "Mini"
version = "1"

[[sources]]
key = "src"
title = "A source"

[show]
key = "mini-show"
title = "Mini Show"

[[seasons]]
number = 1
synopsis = "A season."
current = true

[[people]]
key = "kit"
name = "Kit Connor"

[[characters]]
key = "nick"
name = "Nick Nelson"

[[castings]]
person = "kit"
character = "nick"
season = 1
status = "returning"
"""

# Two seasons of one show, for cross-season behaviour.
TWO_SEASONS = """\
[pack]
name = "two"
title = "Two seasons"
version = "2.0"

[[sources]]
key = "paper"
title = "The Paper"
publisher = "Paper Co"
url = "https://example.org/paper"
published = 2024-01-02

[[sources]]
key = "blog"
title = "A blog"

[show]
key = "test-show"
title = "Test Show"
platform = "Stream+"

[[seasons]]
number = 1
title = "The first"
synopsis = "One."

[[seasons]]
number = 2
synopsis = "Two."
current = true
source = "blog"

[[people]]
key = "ann"
name = "Ann Actor"

[[people]]
key = "bob"
name = "Bob Builder"

[[people]]
key = "writer"
name = "Wendy Writer"

[[characters]]
key = "alpha"
name = "Alpha"

[[characters]]
key = "only-one"
name = "Only In One"

[[characters]]
key = "beta"
name = "Beta"

[[castings]]
person = "ann"
character = "alpha"
season = 1
status = "new"

[[castings]]
person = "ann"
character = "alpha"
season = 2
status = "returning"

[[castings]]
person = "bob"
character = "only-one"
season = 1
status = "new"

[[castings]]
person = "bob"
character = "beta"
season = 2
status = "new"
note = "Bob plays someone else now."

[[storylines]]
key = "alpha-plot"
season = 2
title = "Alpha's plot"
summary = "Things happen."
characters = ["alpha", "beta"]

[[events]]
key = "premiere-1"
season = 1
kind = "premiere"
title = "Season 1 premiere"
starts_at = 2024-01-01T20:00:00+01:00

[[events]]
key = "undated"
season = 2
kind = "trailer"
title = "A trailer"
date_text = "Some day"

[[events]]
key = "premiere-2"
season = 2
kind = "premiere"
title = "Season 2 premiere"
starts_at = "2025-03-01T00:00:00Z"

[[events]]
key = "look"
season = 2
kind = "first_look"
title = "First look"
date = "2025-02"

[[quotes]]
season = 1
people = ["ann"]
text = "Season one was fun."

[[quotes]]
season = 2
people = ["writer"]
text = "Season two is bigger."
context = "At a panel."
source = "blog"

[[notes]]
key = "show-wide"
text = "About the whole show."

[[notes]]
key = "s1-only"
season = 1
text = "About season one."

[[notes]]
key = "s2-only"
season = 2
text = "About season two."
"""


@pytest.fixture
def write_pack(tmp_path: Path) -> Callable[..., Path]:
    """Write TOML text to tmp_path/packs/<name> and return the path."""

    def write(text: str, name: str = "pack.toml") -> Path:
        folder = tmp_path / "packs"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "db" / "fanbot.sqlite3", clock=Clock(CLOCK_START))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def loaded(store: Store) -> Store:
    """A store holding the bundled Heartstopper pack."""
    await store.import_dir(BUNDLED.parent)
    return store


@pytest.fixture
async def season(loaded: Store) -> Season:
    found = await loaded.content.resolve_season("heartstopper", 2)
    assert found is not None
    return found


async def old_database(path: Path, schema: int, packs: Sequence[Path]) -> None:
    """A database at `schema`, built by its first migrations, holding the rows that importing
    `packs` writes today (in the tables and columns that schema has): what an older fanbot
    left behind, for upgrade tests."""
    current = path.with_name(f"{path.name}.current")
    async with await Store.open(current, clock=Clock(CLOCK_START)) as store:
        for pack in packs:
            await store.import_pack(load_pack(pack))
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for migration in load_migrations()[:schema]:
            conn.executescript(
                f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.number};COMMIT;"
            )
        conn.execute("ATTACH DATABASE ? AS current", (str(current),))
        tables = conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'table'")
        found = dict(tables.fetchall())
        virtual = [name for name, sql in found.items() if sql.startswith("CREATE VIRTUAL")]
        conn.execute("BEGIN")
        for table in found:
            if table.startswith("sqlite_") or table.startswith(tuple(virtual)):
                continue  # SQLite's own, and full-text indexes (their triggers fill them)
            columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM current.{table}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE current")
    current.unlink()
