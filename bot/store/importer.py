"""Writing validated content packs into the database, and taking them out again.

`import_packs` writes packs in one transaction: a pack whose content hash is already stored
is skipped, a changed one replaces its old rows, and any error leaves the database exactly
as it was. `remove_packs` deletes packs by name, also in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.content.records import season_label
from bot.store.content import read_pack_claims
from bot.store.countdown_models import PackEventRef, parse_event_ref
from bot.store.db import Database, StoreError
from bot.store.pack_files import (
    PackClaim,
    PackError,
    cross_pack_problems,
    import_order,
    seasons_held,
)
from bot.store.tables import (
    CASTINGS,
    CHARACTERS,
    EVENTS,
    NOTES,
    PACKS,
    PEOPLE,
    QUOTES,
    SEASONS,
    SHOWS,
    SOURCES,
    STORYLINES,
    Table,
)
from bot.store.text import fold

if TYPE_CHECKING:
    from bot.content.schema import CharacterEntry, PersonEntry
    from bot.store.packs import Pack


async def import_packs(
    db: Database, packs: Sequence[Pack], now: datetime
) -> list[tuple[str, bool]]:
    """Import `packs` in one transaction; (name, imported) each, False when unchanged."""
    clashes = cross_pack_problems([pack.claim for pack in packs])
    if clashes:
        raise PackError(clashes)
    imported_at = now.astimezone(UTC).replace(microsecond=0).isoformat()
    async with db.transaction() as conn:
        order = import_order(packs, (await read_pack_claims(conn)).values())
        done = {pack.name: await _import_one(conn, pack, imported_at) for pack in order}
    return [(pack.name, done[pack.name]) for pack in packs]


@dataclass(frozen=True, slots=True)
class RemovedPack:
    """A pack `remove_packs` took out, with what depended on it."""

    name: str
    seasons: tuple[str, ...]  # "Heartstopper season 2"
    countdowns: int  # servers' countdowns (active or paused) to events of those seasons


async def remove_packs(db: Database, names: Sequence[str]) -> list[RemovedPack]:
    """Remove the named packs and everything imported from them, all or none.

    Countdowns are kept: they name events by show, season and event key (`PackEventRef`), so
    their next posts are recorded as failed ("the event is no longer in any pack") and
    `/countdown status` shows why, while importing that season again brings them back.
    """
    async with db.transaction() as conn:
        loaded = {
            str(row["name"]): row
            for row in await _fetch(conn, "SELECT id, name FROM packs ORDER BY name")
        }
        unknown = [name for name in names if name not in loaded]
        if unknown:
            have = ", ".join(loaded) or "none"
            raise StoreError(
                f"no content pack named {', '.join(map(repr, unknown))} is loaded "
                f"(loaded: {have}); nothing was removed"
            )
        countdowns_by_season = await _countdowns_by_season(conn)
        removed: list[RemovedPack] = []
        for name in dict.fromkeys(names):
            pack = loaded[name]
            seasons = await _fetch(
                conn,
                """SELECT sh.key, sh.title, se.number FROM seasons se
                   JOIN shows sh ON sh.id = se.show_id
                   WHERE se.pack_id = ? ORDER BY sh.key, se.number""",
                pack["id"],
            )
            await conn.execute("DELETE FROM packs WHERE id = ?", (pack["id"],))
            labels = tuple(season_label(s["title"], s["number"]) for s in seasons)
            count = sum(countdowns_by_season[str(s["key"]), int(s["number"])] for s in seasons)
            removed.append(RemovedPack(name, labels, count))
    return removed


async def _countdowns_by_season(conn: aiosqlite.Connection) -> Counter[tuple[str, int]]:
    """Countdowns (active or paused) to pack events, by show key and season number."""
    by_season: Counter[tuple[str, int]] = Counter()
    for row in await _fetch(
        conn,
        """SELECT event_ref, COUNT(*) AS n FROM subscriptions
           WHERE status != 'stopped' GROUP BY event_ref""",
    ):
        ref = parse_event_ref(str(row["event_ref"]))
        if isinstance(ref, PackEventRef):
            by_season[ref.show_key, ref.season_number] += int(row["n"])
    return by_season


async def _fetch(conn: aiosqlite.Connection, sql: str, *params: object) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _insert(conn: aiosqlite.Connection, sql: str, *params: object) -> int:
    async with conn.execute(sql, params) as cursor:
        row_id = cursor.lastrowid
    if row_id is None:  # pragma: no cover - SQLite always reports it after an INSERT
        raise StoreError("INSERT reported no row id")
    return row_id


@dataclass(slots=True)
class _Import:
    """One pack being written: the connection and the row ids its items link to."""

    conn: aiosqlite.Connection
    pack: Pack
    pack_id: int = 0
    show_id: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    seasons: dict[int, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    characters: dict[str, int] = field(default_factory=dict)

    async def many(self, table: Table, links: Sequence[str], rows: Sequence[EntryRow]) -> None:
        """Insert items into `table`: each its link values, then its facts' columns."""
        await self.conn.executemany(
            table.insert_sql(links), [(*values, *table.values(item)) for values, item in rows]
        )

    async def one(
        self, table: Table, links: Sequence[str], values: Sequence[object], item: object
    ) -> int:
        """Insert one item into `table`; its row id."""
        return await _insert(self.conn, table.insert_sql(links), *values, *table.values(item))


EntryRow = tuple[Sequence[object], object]  # link values, the entry
LINKS = ("pack_id", "source_id")


async def _import_one(conn: aiosqlite.Connection, pack: Pack, imported_at: str) -> bool:
    old = await _fetch(conn, "SELECT id, content_hash FROM packs WHERE name = ?", pack.name)
    if old and old[0]["content_hash"] == pack.content_hash:
        return False
    await _refuse_taken_seasons(conn, pack)
    # Keep the ids of seasons and events that survive a re-import: other tables (guild
    # settings, reminders) may hold them.
    season_ids: dict[int, int] = {}
    event_ids: dict[tuple[int, str], int] = {}
    if old:
        season_ids, event_ids = await _kept_ids(conn, int(old[0]["id"]), pack)
        await conn.execute("DELETE FROM packs WHERE id = ?", (old[0]["id"],))
    into = _Import(conn, pack)
    await _insert_head(into, imported_at)
    for season in pack.seasons:
        into.seasons[season.number] = await into.one(
            SEASONS,
            ("id", *LINKS, "show_id", "is_current"),
            (season_ids.get(season.number), into.pack_id, into.sources[season.source],
             into.show_id, int(season.current)),
            season,
        )  # fmt: skip
    await _insert_cast(into)
    await _insert_storylines(into)
    await into.many(
        EVENTS,
        ("id", *LINKS, "season_id", "ordinal", "sort_key"),
        [
            ((event_ids.get((e.season, e.key)), into.pack_id, into.sources[e.source],
              into.seasons[e.season], ordinal, e.sort_key), e)
            for ordinal, e in enumerate(pack.events)
        ],
    )  # fmt: skip
    await _insert_quotes(into)
    await into.many(
        NOTES,
        (*LINKS, "show_id", "season_id", "ordinal"),
        [
            ((into.pack_id, into.sources[n.source], into.show_id,
              into.seasons[n.season] if n.season is not None else None, ordinal), n)
            for ordinal, n in enumerate(pack.notes)
        ],
    )  # fmt: skip
    for statement in SEARCH_ITEMS:
        await conn.execute(statement, {"pack": into.pack_id})
    return True


async def _refuse_taken_seasons(conn: aiosqlite.Connection, pack: Pack) -> None:
    """Raise `PackError` if another loaded pack holds one of this pack's seasons."""
    taken = await _fetch(
        conn,
        """SELECT se.number, p.name FROM seasons se
           JOIN shows sh ON sh.id = se.show_id JOIN packs p ON p.id = se.pack_id
           WHERE sh.key = ? AND p.name != ? ORDER BY se.number""",
        pack.show.key,
        pack.name,
    )
    holders = [
        PackClaim(None, str(row["name"]), pack.show.key, (int(row["number"]),)) for row in taken
    ]
    if clashes := seasons_held(pack.claim, holders):
        raise PackError(clashes)


async def _kept_ids(
    conn: aiosqlite.Connection, old_id: int, pack: Pack
) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
    """The row ids of the old import's seasons (by number) and events (by season and key)."""
    season_ids: dict[int, int] = {}
    event_ids: dict[tuple[int, str], int] = {}
    for row in await _fetch(
        conn,
        """SELECT se.number, se.id, e.key AS event_key, e.id AS event_id FROM seasons se
           JOIN shows sh ON sh.id = se.show_id LEFT JOIN events e ON e.season_id = se.id
           WHERE se.pack_id = ? AND sh.key = ?""",
        old_id,
        pack.show.key,
    ):
        season_ids[int(row["number"])] = int(row["id"])
        if row["event_id"] is not None:
            event_ids[(int(row["number"]), str(row["event_key"]))] = int(row["event_id"])
    return season_ids, event_ids


async def _insert_head(into: _Import, imported_at: str) -> None:
    """The pack's row, its sources and its show."""
    pack = into.pack
    into.pack_id = await into.one(
        PACKS, ("content_hash", "imported_at"), (pack.content_hash, imported_at), pack
    )
    for ordinal, source in enumerate(pack.sources):
        into.sources[source.key] = await into.one(
            SOURCES, ("pack_id", "ordinal"), (into.pack_id, ordinal), source
        )
    into.show_id = await into.one(
        SHOWS,
        (*LINKS, "title_folded"),
        (into.pack_id, into.sources[pack.show.source], fold(pack.show.title)),
        pack.show,
    )


async def _insert_cast(into: _Import) -> None:
    """People, characters and castings; search finds a person by a role and a role by its actor."""
    pack = into.pack
    person_name = {p.key: p.name for p in pack.people}
    character_name = {c.key: c.name for c in pack.characters}
    folding = _Folding()
    roles: dict[str, list[str]] = {}
    actors: dict[str, list[str]] = {}
    for casting in pack.castings:
        if casting.character is not None:
            roles.setdefault(casting.person, []).append(character_name[casting.character])
            actors.setdefault(casting.character, []).append(person_name[casting.person])
    into.people = await _insert_named(into, PEOPLE, pack.people, roles, folding)
    into.characters = await _insert_named(into, CHARACTERS, pack.characters, actors, folding)
    await into.many(
        CASTINGS,
        (*LINKS, "season_id", "person_id", "character_id", "ordinal"),
        [
            ((into.pack_id, into.sources[c.source], into.seasons[c.season],
              into.people[c.person],
              into.characters[c.character] if c.character is not None else None, ordinal), c)
            for ordinal, c in enumerate(pack.castings)
        ],
    )  # fmt: skip


async def _insert_storylines(into: _Import) -> None:
    """Storylines, each with its characters in order."""
    character_name = {c.key: c.name for c in into.pack.characters}
    for ordinal, story in enumerate(into.pack.storylines):
        search = " ".join([story.title, *(character_name[k] for k in story.characters)])
        story_id = await into.one(
            STORYLINES,
            (*LINKS, "season_id", "ordinal", "title_folded", "search"),
            (into.pack_id, into.sources[story.source], into.seasons[story.season], ordinal,
             fold(story.title), fold(search)),
            story,
        )  # fmt: skip
        await into.conn.executemany(
            """INSERT INTO storyline_characters (storyline_id, character_id, ordinal)
               VALUES (?, ?, ?)""",
            [(story_id, into.characters[k], i) for i, k in enumerate(story.characters)],
        )


async def _insert_quotes(into: _Import) -> None:
    """Quotes, each with the people who said it."""
    for ordinal, quote in enumerate(into.pack.quotes):
        quote_id = await into.one(
            QUOTES,
            (*LINKS, "season_id", "ordinal"),
            (into.pack_id, into.sources[quote.source], into.seasons[quote.season], ordinal),
            quote,
        )
        await into.conn.executemany(
            "INSERT INTO quote_people (quote_id, person_id) VALUES (?, ?)",
            [(quote_id, into.people[k]) for k in quote.people],
        )


# One row per searchable item and season it belongs to, in pack order (see migration 0003).
SEARCH_ITEMS = (
    """INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
       SELECT m.season_id, 'character', x.id, x.key, x.ordinal, x.name_folded, x.search
       FROM (SELECT season_id, character_id AS item_id FROM castings
             WHERE pack_id = :pack AND character_id IS NOT NULL
             UNION SELECT st.season_id, sc.character_id FROM storyline_characters sc
                   JOIN storylines st ON st.id = sc.storyline_id WHERE st.pack_id = :pack) m
       JOIN characters x ON x.id = m.item_id
       ORDER BY m.season_id, x.ordinal""",
    """INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
       SELECT m.season_id, 'person', x.id, x.key, x.ordinal, x.name_folded, x.search
       FROM (SELECT season_id, person_id AS item_id FROM castings WHERE pack_id = :pack
             UNION SELECT q.season_id, qp.person_id FROM quote_people qp
                   JOIN quotes q ON q.id = qp.quote_id WHERE q.pack_id = :pack) m
       JOIN people x ON x.id = m.item_id
       ORDER BY m.season_id, x.ordinal""",
    """INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
       SELECT season_id, 'storyline', id, key, ordinal, title_folded, search FROM storylines
       WHERE pack_id = :pack ORDER BY season_id, ordinal""",
)


class _Folding:
    """`fold` with a memo, for one import: a big cast folds each name once."""

    def __init__(self) -> None:
        self._folded: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        found = self._folded.get(name)
        if found is None:
            found = self._folded[name] = fold(name)
        return found

    def search(self, name: str, others: Sequence[str]) -> str:
        """The search text of `name` and `others`: their folded forms, space-separated."""
        # fold(" ".join(names)) == the folded names joined by spaces (empty ones dropped)
        return " ".join(f for f in (self(n) for n in (name, *others)) if f)


async def _insert_named(
    into: _Import,
    table: Table,
    items: Sequence[PersonEntry | CharacterEntry],
    other_side: dict[str, list[str]],
    folding: _Folding,
) -> dict[str, int]:
    """Insert people or characters in pack order; their ids by key.

    `other_side` holds, per key, the names on the other side of their castings (an actor's
    roles, a character's actors): search finds a person by a role and a role by its actor.
    Ids are given here rather than read back row by row, so that the table is one
    executemany: about ten times faster for a cast of thousands.
    """
    ids = await _next_ids(into.conn, table.name, [item.key for item in items])
    await into.many(
        table,
        ("id", *LINKS, "ordinal", "name_folded", "search"),
        [
            ((ids[item.key], into.pack_id, into.sources[item.source], ordinal,
              folding(item.name), folding.search(item.name, other_side.get(item.key, []))), item)
            for ordinal, item in enumerate(items)
        ],
    )  # fmt: skip
    return ids


async def _next_ids(conn: aiosqlite.Connection, table: str, keys: Sequence[str]) -> dict[str, int]:
    """Fresh row ids for `keys`, in order, above every id in `table` (inside the transaction)."""
    rows = await _fetch(conn, f"SELECT coalesce(max(id), 0) AS top FROM {table}")
    top = int(rows[0]["top"])
    return {key: top + i for i, key in enumerate(keys, start=1)}
