"""The search index (migration 0003): same answers as the plain ranking rule, at any size."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.genpack import write_pack
from bot.clock import Clock
from bot.store import Store, load_pack
from bot.store.content import MAX_QUERY, MAX_TOKENS
from bot.store.db import load_migrations
from bot.store.text import _fold_any, fold
from tests.store.conftest import BUNDLED, CLOCK_START, old_database

Item = tuple[int, str, str, str]  # ordinal, key, name_folded, search


def reference(items: list[Item], query: str, limit: int = 25) -> list[str]:
    """The ranking rule, by brute force: exact, prefix, word prefix, substring; pack order."""
    tokens = fold(query[:MAX_QUERY]).split()[:MAX_TOKENS]
    if not tokens:
        return [key for _, key, _, _ in sorted(items)][:limit]
    whole = " ".join(tokens)
    hits = []
    for ordinal, key, name, search in items:
        if not all(token in search for token in tokens):
            continue
        if name == whole:
            rank = 0
        elif name.startswith(whole):
            rank = 1
        elif " " + tokens[0] in " " + name:
            rank = 2
        else:
            rank = 3
        hits.append((rank, ordinal, key))
    return [key for _, _, key in sorted(hits)[:limit]]


def queries(names: list[str], rng: random.Random) -> list[str]:
    found = ["", "a", "e", "zz", "qx", "xyzzy", "ell", "an el", "Ángel", "ZOË", "o k", "1"]
    for name in rng.sample(names, 60):
        folded = fold(name)
        cut = rng.randint(1, len(folded))
        found.append(folded[:cut])
        start = rng.randint(0, len(folded) - 1)
        found.append(folded[start : start + rng.randint(1, 5)])
        words = name.split()
        found.append(" ".join(reversed(words)))
        found.append(words[-1][:2] + " " + words[0][:2])
    return found


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    folder = tmp_path_factory.mktemp("big")
    return write_pack(folder, people=1500, characters=1200, seed=11)


async def test_big_pack_answers_like_the_rule(
    tmp_path: Path, big: tuple[Path, list[str], list[str]]
) -> None:
    path, people, characters = big
    async with await Store.open(tmp_path / "db.sqlite3", clock=Clock(CLOCK_START)) as store:
        await store.import_pack(load_pack(path))
        [season] = await store.content.seasons()
        conn = store.db.conn
        for kind, names, choices in (
            ("characters", characters, store.content.character_choices),
            ("people", people, store.content.person_choices),
        ):
            rows = await conn.execute_fetchall(
                f"SELECT ordinal, key, name_folded, search FROM {kind}"
            )
            items = [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]
            for query in queries(names, random.Random(kind)):
                for limit in (25, 3):
                    got = [c.value for c in await choices(season.id, query, limit)]
                    assert got == reference(items, query, limit), (kind, query, limit)


async def test_reimport_keeps_the_index_in_step(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with await Store.open(db, clock=Clock(CLOCK_START)) as store:
        await store.import_pack(load_pack(BUNDLED))
        edited = tmp_path / "edited.toml"
        edited.write_text(
            BUNDLED.read_text(encoding="utf-8").replace("Nick Nelson", "Nicholas Nelson"),
            encoding="utf-8",
        )
        assert await store.import_pack(load_pack(edited))
        [season] = await store.content.seasons()
        assert [c.value for c in await store.content.character_choices(season.id, "nicho")] == [
            "nick-nelson"
        ]
        assert await store.content.character_choices(season.id, "nick nel") == []
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO search_trigrams (search_trigrams) VALUES ('integrity-check')")
        stale = conn.execute(
            """SELECT count(*) FROM search_items s WHERE NOT EXISTS
               (SELECT 1 FROM characters c WHERE c.id = s.item_id) AND s.kind = 'character'"""
        ).fetchone()[0]
        assert stale == 0


async def test_upgrade_from_schema_2_builds_the_index(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await old_database(path, 2, [BUNDLED])
    async with await Store.open(path, clock=Clock(CLOCK_START)) as store:
        assert await store.db.schema_version() == len(load_migrations()) >= 3
        [season] = await store.content.seasons()
        [tao] = await store.content.character_choices(season.id, "tao")
        assert tao.name == "Tao Xu — William Gao"
        assert (await store.content.character(season.id, "Tao Xu")) is not None
        assert len(await store.content.person_choices(season.id, "")) == 19


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_folds_like_the_general_rule(text: str) -> None:
    assert fold(text) == _fold_any(text)


@given(st.lists(st.text(), max_size=4))
def test_names_fold_one_by_one_like_together(names: list[str]) -> None:
    # bot.store.importer folds each name once and joins them for the `search` column
    assert fold(" ".join(names)) == " ".join(f for f in map(fold, names) if f)


async def test_cached_answers_follow_imports_here_and_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import content as content_module

    monkeypatch.setattr(content_module, "CACHE_CHECK_SECONDS", 0.0)
    db = tmp_path / "db.sqlite3"
    edited = tmp_path / "edited.toml"
    edited.write_text(
        BUNDLED.read_text(encoding="utf-8").replace("Nick Nelson", "Nicholas Nelson"),
        encoding="utf-8",
    )
    async with (
        await Store.open(db, clock=Clock(CLOCK_START)) as here,
        await Store.open(db, clock=Clock(CLOCK_START)) as elsewhere,
    ):
        await here.import_pack(load_pack(BUNDLED))
        [season] = await here.content.seasons()
        assert [c.name for c in await here.content.character_choices(season.id, "nick n")] == [
            "Nick Nelson — Kit Connor"
        ]
        await elsewhere.import_pack(load_pack(edited))  # another process, say `fanbot import`
        assert await here.content.character_choices(season.id, "nick n") == []
        await here.import_pack(load_pack(BUNDLED))
        assert len(await here.content.character_choices(season.id, "nick n")) == 1
