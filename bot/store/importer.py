"""Writing validated content packs into the database, and taking them out again.

`import_packs` writes packs in one transaction: a pack whose content hash is already stored
is skipped, a changed one replaces its old rows, and any error leaves the database exactly
as it was. `remove_packs` deletes packs by name, also in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import aiosqlite

from bot.store.db import Database, StoreError
from bot.store.models import season_label
from bot.store.packs import CharacterSpec, Pack, PackError, PersonSpec, cross_pack_problems
from bot.store.text import fold


async def import_packs(
    db: Database, packs: Sequence[Pack], now: datetime
) -> list[tuple[str, bool]]:
    """Import `packs` in one transaction; (name, imported) each, False when unchanged."""
    clashes = cross_pack_problems(packs)
    if clashes:
        raise PackError(clashes)
    imported_at = now.astimezone(UTC).replace(microsecond=0).isoformat()
    async with db.transaction() as conn:
        return [(pack.name, await _import_one(conn, pack, imported_at)) for pack in packs]


@dataclass(frozen=True, slots=True)
class RemovedPack:
    """A pack `remove_packs` took out, with what depended on it."""

    name: str
    seasons: tuple[str, ...]  # "Heartstopper season 2"
    countdowns: int  # servers' countdowns (active or paused) to events of those seasons


async def remove_packs(db: Database, names: Sequence[str]) -> list[RemovedPack]:
    """Remove the named packs and everything imported from them, all or none.

    Countdowns are kept: they name events as "<show>/<season>/<event>", so their next posts
    are recorded as failed ("the event is no longer in any pack") and `/countdown status`
    shows why, while importing that season again brings them back.
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
            countdowns = 0
            for season in seasons:
                prefix = f"{season['key']}/{season['number']}/"
                [row] = await _fetch(
                    conn,
                    """SELECT COUNT(*) AS n FROM subscriptions
                       WHERE status != 'stopped' AND substr(event_ref, 1, ?) = ?""",
                    len(prefix),
                    prefix,
                )
                countdowns += int(row["n"])
            await conn.execute("DELETE FROM packs WHERE id = ?", (pack["id"],))
            labels = tuple(season_label(s["title"], s["number"]) for s in seasons)
            removed.append(RemovedPack(name, labels, countdowns))
    return removed


async def _fetch(conn: aiosqlite.Connection, sql: str, *params: object) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _insert(conn: aiosqlite.Connection, sql: str, *params: object) -> int:
    async with conn.execute(sql, params) as cursor:
        row_id = cursor.lastrowid
    if row_id is None:  # pragma: no cover - SQLite always reports it after an INSERT
        raise StoreError("INSERT reported no row id")
    return row_id


async def _import_one(conn: aiosqlite.Connection, pack: Pack, imported_at: str) -> bool:
    old = await _fetch(conn, "SELECT id, content_hash FROM packs WHERE name = ?", pack.name)
    old_id: int | None = old[0]["id"] if old else None
    if old and old[0]["content_hash"] == pack.content_hash:
        return False

    taken = await _fetch(
        conn,
        """SELECT se.number, p.name FROM seasons se
           JOIN shows sh ON sh.id = se.show_id JOIN packs p ON p.id = se.pack_id
           WHERE sh.key = ? AND p.name != ?""",
        pack.show.key,
        pack.name,
    )
    owners = {int(row["number"]): str(row["name"]) for row in taken}
    clashes = [
        f'{pack.path}: season {s.number} of show "{pack.show.key}" is already loaded from '
        f'pack "{owners[s.number]}"'
        for s in pack.seasons
        if s.number in owners
    ]
    if clashes:
        raise PackError(clashes)

    # Keep the ids of seasons and events that survive a re-import: other tables (guild
    # settings, reminders) may hold them.
    season_ids: dict[int, int] = {}
    event_ids: dict[tuple[int, str], int] = {}
    if old_id is not None:
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
        await conn.execute("DELETE FROM packs WHERE id = ?", (old_id,))

    pack_id = await _insert(
        conn,
        """INSERT INTO packs (name, title, version, content_hash, imported_at)
           VALUES (?, ?, ?, ?, ?)""",
        pack.name,
        pack.title,
        pack.version,
        pack.content_hash,
        imported_at,
    )
    src: dict[str, int] = {}
    for ordinal, source in enumerate(pack.sources):
        src[source.key] = await _insert(
            conn,
            """INSERT INTO sources (pack_id, key, ordinal, title, publisher, url, published)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            pack_id,
            source.key,
            ordinal,
            source.title,
            source.publisher,
            source.url,
            source.published.isoformat() if source.published else None,
        )
    show_id = await _insert(
        conn,
        """INSERT INTO shows (pack_id, source_id, key, title, title_folded, platform)
           VALUES (?, ?, ?, ?, ?, ?)""",
        pack_id,
        src[pack.show.source],
        pack.show.key,
        pack.show.title,
        fold(pack.show.title),
        pack.show.platform,
    )
    seasons: dict[int, int] = {}
    for season in pack.seasons:
        seasons[season.number] = await _insert(
            conn,
            """INSERT INTO seasons
               (id, pack_id, show_id, source_id, number, title, synopsis, is_current)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            season_ids.get(season.number),
            pack_id,
            show_id,
            src[season.source],
            season.number,
            season.title,
            season.synopsis,
            int(season.current),
        )

    person_name = {p.key: p.name for p in pack.people}
    character_name = {c.key: c.name for c in pack.characters}
    folding = _Folding()
    roles: dict[str, list[str]] = {}
    actors: dict[str, list[str]] = {}
    for casting in pack.castings:
        if casting.character is not None:
            roles.setdefault(casting.person, []).append(character_name[casting.character])
            actors.setdefault(casting.character, []).append(person_name[casting.person])
    people = await _insert_named(conn, "people", pack_id, src, pack.people, roles, folding)
    characters = await _insert_named(
        conn, "characters", pack_id, src, pack.characters, actors, folding
    )
    await conn.executemany(
        """INSERT INTO castings
           (pack_id, source_id, season_id, person_id, character_id, ordinal, status, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                pack_id,
                src[c.source],
                seasons[c.season],
                people[c.person],
                characters[c.character] if c.character is not None else None,
                ordinal,
                c.status,
                c.note,
            )
            for ordinal, c in enumerate(pack.castings)
        ],
    )
    for ordinal, story in enumerate(pack.storylines):
        story_id = await _insert(
            conn,
            """INSERT INTO storylines (pack_id, source_id, season_id, key, ordinal, title,
               title_folded, search, summary, spoiler) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            pack_id,
            src[story.source],
            seasons[story.season],
            story.key,
            ordinal,
            story.title,
            fold(story.title),
            fold(" ".join([story.title, *(character_name[k] for k in story.characters)])),
            story.summary,
            int(story.spoiler),
        )
        await conn.executemany(
            """INSERT INTO storyline_characters (storyline_id, character_id, ordinal)
               VALUES (?, ?, ?)""",
            [(story_id, characters[k], i) for i, k in enumerate(story.characters)],
        )
    await conn.executemany(
        """INSERT INTO events (id, pack_id, source_id, season_id, key, ordinal, kind, title,
           starts_at, date_text, sort_key, platform, url, description)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                event_ids.get((e.season, e.key)),
                pack_id,
                src[e.source],
                seasons[e.season],
                e.key,
                ordinal,
                e.kind,
                e.title,
                e.starts_at.isoformat() if e.starts_at else None,
                e.date_text,
                e.sort_key,
                e.platform,
                e.url,
                e.description,
            )
            for ordinal, e in enumerate(pack.events)
        ],
    )
    for ordinal, quote in enumerate(pack.quotes):
        quote_id = await _insert(
            conn,
            """INSERT INTO quotes (pack_id, source_id, season_id, ordinal, speaker, text, context)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            pack_id,
            src[quote.source],
            seasons[quote.season],
            ordinal,
            quote.speaker,
            quote.text,
            quote.context,
        )
        await conn.executemany(
            "INSERT INTO quote_people (quote_id, person_id) VALUES (?, ?)",
            [(quote_id, people[k]) for k in quote.people],
        )
    await conn.executemany(
        """INSERT INTO notes (pack_id, source_id, show_id, season_id, key, ordinal, text)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                pack_id,
                src[n.source],
                show_id,
                seasons[n.season] if n.season is not None else None,
                n.key,
                ordinal,
                n.text,
            )
            for ordinal, n in enumerate(pack.notes)
        ],
    )
    # A database still at schema 1 or 2 (built on purpose by upgrade tests) has no search
    # index yet; migration 0003 builds it from the imported rows.
    if await _fetch(conn, "SELECT 1 FROM sqlite_master WHERE name = 'search_items'"):
        for statement in SEARCH_ITEMS:
            await conn.execute(statement, {"pack": pack_id})
    return True


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
    conn: aiosqlite.Connection,
    table: Literal["people", "characters"],
    pack_id: int,
    src: dict[str, int],
    items: Sequence[PersonSpec | CharacterSpec],
    other_side: dict[str, list[str]],
    folding: _Folding,
) -> dict[str, int]:
    """Insert people or characters in pack order; their ids by key.

    `other_side` holds, per key, the names on the other side of their castings (an actor's
    roles, a character's actors): search finds a person by a role and a role by its actor.
    Ids are given here rather than read back row by row, so that the table is one
    executemany: about ten times faster for a cast of thousands.
    """
    ids = await _next_ids(conn, table, [item.key for item in items])
    await conn.executemany(
        f"""INSERT INTO {table}
            (id, pack_id, source_id, key, ordinal, name, name_folded, search, about)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                ids[item.key],
                pack_id,
                src[item.source],
                item.key,
                ordinal,
                item.name,
                folding(item.name),
                folding.search(item.name, other_side.get(item.key, [])),
                item.about,
            )
            for ordinal, item in enumerate(items)
        ],
    )
    return ids


async def _next_ids(conn: aiosqlite.Connection, table: str, keys: Sequence[str]) -> dict[str, int]:
    """Fresh row ids for `keys`, in order, above every id in `table` (inside the transaction)."""
    rows = await _fetch(conn, f"SELECT coalesce(max(id), 0) AS top FROM {table}")
    top = int(rows[0]["top"])
    return {key: top + i for i, key in enumerate(keys, start=1)}
