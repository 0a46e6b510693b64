"""The store at scale: a generated pack of N people and N characters.

Reported: the time to load (parse and validate) and import the pack, the database size,
and autocomplete latency in-process (`character_choices` / `person_choices`, cache off)
against the raw sqlite3 statement it runs, on the same database, query by query. The query
mix is what fans type: every prefix of 300 names as it is typed, plus surname fragments,
names in the other word order and misses. Short misses (one or two letters that match
fewer than 25 names) are the slow case and are reported on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import summary_ms
from benchmarks.genpack import write_pack
from bot.store import Store, load_pack
from bot.store.content import CHARACTERS, MAX_CHOICES, PEOPLE, _search_sql, _tokens
from bot.store.text import fold

CONSONANTS = "bcdfghjklmnpqrstvwxz"


def query_mix(names: list[str], rng: random.Random, typed: int) -> list[str]:
    queries: list[str] = []
    for name in rng.sample(names, min(typed, len(names))):
        folded = fold(name)
        queries += [folded[:cut] for cut in range(1, len(folded) + 1)]
    for name in rng.sample(names, min(typed // 3, len(names))):
        words = fold(name).split()
        last = words[-1]
        start = rng.randint(0, max(0, len(last) - 3))
        queries.append(last[start : start + rng.randint(3, 5)])
        queries.append(" ".join(reversed(words)))
    queries += ["".join(rng.choice(CONSONANTS) for _ in range(4)) for _ in range(typed // 6)]
    rng.shuffle(queries)
    return queries


def short_misses(conn: sqlite3.Connection, season: int) -> list[str]:
    """Two-letter queries that match fewer than 25 characters: the scan's worst case."""
    found = []
    for a in CONSONANTS:
        for b in CONSONANTS:
            q = a + b
            (hits,) = conn.execute(
                "SELECT count(*) FROM search_items WHERE season_id = ? AND kind = 'character' "
                "AND instr(search, ?) > 0",
                (season, q),
            ).fetchone()
            if hits < MAX_CHOICES:
                found.append(q)
    return found[:20]


async def run(people: int = 100_000, characters: int = 100_000, typed: int = 300) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, person_names, character_names = write_pack(folder / "content", people, characters)
        db = folder / "fanbot.sqlite3"
        pack_bytes = path.stat().st_size
        started = time.perf_counter()
        pack = load_pack(path)
        loaded = time.perf_counter() - started
        store = await Store.open(db)
        try:
            started = time.perf_counter()
            await store.import_pack(pack)
            imported = time.perf_counter() - started
            await store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = db.stat().st_size
            [season] = await store.content.seasons()
            store.content.cache_size = 0  # measure the queries, not the cache
            raw = sqlite3.connect(db)
            fts_bytes = None
            with contextlib.suppress(sqlite3.Error):
                (fts_bytes,) = raw.execute(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_trigrams%'"
                ).fetchone()
            rng = random.Random(5)
            ours: list[float] = []
            theirs: list[float] = []
            kinds = (
                (CHARACTERS, character_names, store.content.character_choices),
                (PEOPLE, person_names, store.content.person_choices),
            )
            for kind, names, choices in kinds:
                for query in query_mix(names, rng, typed // 2):
                    t0 = time.perf_counter()
                    await choices(season.id, query)
                    t1 = time.perf_counter()
                    params: dict[str, object] = {
                        "season": season.id,
                        "kind": kind.kind,
                        "limit": MAX_CHOICES,
                    }
                    sql = _search_sql(kind, _tokens(query), params)
                    t2 = time.perf_counter()
                    raw.execute(sql, params).fetchall()
                    t3 = time.perf_counter()
                    ours.append(t1 - t0)
                    theirs.append(t3 - t2)
            misses = short_misses(raw, season.id)
            slow: list[float] = []
            for query in misses:
                t0 = time.perf_counter()
                await store.content.character_choices(season.id, query)
                slow.append(time.perf_counter() - t0)
            raw.close()
        finally:
            await store.close()
    mine, base = summary_ms(ours), summary_ms(theirs)
    return {
        "people": people,
        "characters": characters,
        "pack_mb": round(pack_bytes / 1e6, 1),
        "load_s": round(loaded, 2),
        "import_s": round(imported, 2),
        "db_mb": round(size / 1e6, 1),
        "fts_mb": round(fts_bytes / 1e6, 1) if fts_bytes else None,
        "queries": len(ours),
        "autocomplete": mine,
        "raw_sqlite3": base,
        "median_ratio": round(mine["median_ms"] / base["median_ms"], 3),
        "p99_ratio": round(mine["p99_ms"] / base["p99_ms"], 3),
        "short_misses": summary_ms(slow) if slow else None,
    }


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(asyncio.run(run(n, n)), indent=2))
