"""Read-only queries over the imported content: seasons, cast, storylines, events, notes.

Search (autocomplete, lookups, suggestions) folds the query with `bot.store.text.fold`, splits
it into words, and keeps items whose folded search text contains every word; it never puts
user text into SQL, only into parameters compared with `instr()`.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, get_args

import aiosqlite

from bot.store.models import (
    CastFilter,
    Casting,
    CastStatus,
    CharacterProfile,
    Choice,
    Event,
    EventKind,
    Note,
    PackInfo,
    PersonProfile,
    Quote,
    Season,
    Source,
    Storyline,
    StorylineSummary,
)
from bot.store.text import fold

MAX_CHOICES = 25
CHOICE_LIMIT = 100  # Discord: choice names and values are at most 100 characters
MAX_QUERY = 200  # characters of a query that take part in a search
MAX_TOKENS = 8
_STATUSES: dict[str, CastStatus] = {s: s for s in get_args(CastStatus)}
_KINDS: dict[str, EventKind] = {k: k for k in get_args(EventKind)}


def _source_cols(alias: str, prefix: str) -> str:
    return ", ".join(
        f"{alias}.{col} AS {prefix}{col}"
        for col in ("key", "title", "publisher", "url", "published")
    )


SRC = _source_cols("src", "src_")
SEASON_COLS = f"""se.id AS season_id, sh.key AS show_key, sh.title AS show_title,
    se.number AS season_number, se.title AS season_title, se.synopsis AS season_synopsis,
    sh.platform AS show_platform, se.is_current AS season_current,
    {_source_cols("ssrc", "ssrc_")}"""
SEASON_FROM = """seasons se JOIN shows sh ON sh.id = se.show_id
    JOIN sources ssrc ON ssrc.id = se.source_id"""
CASTING_COLS = f"""p.key AS person_key, p.name AS person_name, c.key AS character_key,
    c.name AS character_name, ca.status, ca.note, {SRC}"""
CASTING_FROM = """castings ca JOIN people p ON p.id = ca.person_id
    LEFT JOIN characters c ON c.id = ca.character_id JOIN sources src ON src.id = ca.source_id"""
EVENT_SELECT = f"""SELECT e.id, e.key, e.kind, e.title, e.starts_at, e.date_text, e.platform,
    e.url, e.description, {SRC}
    FROM events e JOIN sources src ON src.id = e.source_id"""
EVENT_ORDER = "ORDER BY e.sort_key IS NULL, e.sort_key, e.ordinal"


@dataclass(frozen=True, slots=True)
class _Searchable:
    """How to search one kind of item within a season."""

    table: str
    name_col: str
    folded_col: str
    members: str  # SQL: the ids of this kind that belong to season :season
    extra: str  # SQL: the other half of a choice label ("Tao Xu — William Gao"), or NULL


CHARACTERS = _Searchable(
    table="characters",
    name_col="name",
    folded_col="name_folded",
    members="""SELECT character_id FROM castings
               WHERE season_id = :season AND character_id IS NOT NULL
               UNION SELECT sc.character_id FROM storyline_characters sc
               JOIN storylines st ON st.id = sc.storyline_id WHERE st.season_id = :season""",
    extra="""(SELECT group_concat(p.name, ', ') FROM castings ca
               JOIN people p ON p.id = ca.person_id
               WHERE ca.character_id = x.id AND ca.season_id = :season)""",
)
PEOPLE = _Searchable(
    table="people",
    name_col="name",
    folded_col="name_folded",
    members="""SELECT person_id FROM castings WHERE season_id = :season
               UNION SELECT qp.person_id FROM quote_people qp
               JOIN quotes q ON q.id = qp.quote_id WHERE q.season_id = :season""",
    extra="""(SELECT group_concat(c.name, ', ') FROM castings ca
               JOIN characters c ON c.id = ca.character_id
               WHERE ca.person_id = x.id AND ca.season_id = :season)""",
)
STORYLINES = _Searchable(
    table="storylines",
    name_col="title",
    folded_col="title_folded",
    members="SELECT id FROM storylines WHERE season_id = :season",
    extra="NULL",
)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _source(row: sqlite3.Row, prefix: str = "src_") -> Source:
    published = row[f"{prefix}published"]
    return Source(
        key=str(row[f"{prefix}key"]),
        title=str(row[f"{prefix}title"]),
        publisher=_opt(row[f"{prefix}publisher"]),
        url=_opt(row[f"{prefix}url"]),
        published=date.fromisoformat(published) if published else None,
    )


def _season(row: sqlite3.Row) -> Season:
    return Season(
        id=int(row["season_id"]),
        show_key=str(row["show_key"]),
        show_title=str(row["show_title"]),
        number=int(row["season_number"]),
        title=str(row["season_title"]),
        synopsis=str(row["season_synopsis"]),
        platform=_opt(row["show_platform"]),
        is_current=bool(row["season_current"]),
        source=_source(row, "ssrc_"),
    )


def _casting(row: sqlite3.Row) -> Casting:
    return Casting(
        person_key=str(row["person_key"]),
        person_name=str(row["person_name"]),
        character_key=_opt(row["character_key"]),
        character_name=_opt(row["character_name"]),
        status=_STATUSES.get(str(row["status"]), "returning"),
        note=_opt(row["note"]),
        source=_source(row),
    )


def _event(row: sqlite3.Row) -> Event:
    starts_at = row["starts_at"]
    return Event(
        id=int(row["id"]),
        key=str(row["key"]),
        kind=_KINDS.get(str(row["kind"]), "premiere"),
        title=str(row["title"]),
        starts_at=datetime.fromisoformat(starts_at) if starts_at else None,
        date_text=_opt(row["date_text"]),
        platform=_opt(row["platform"]),
        url=_opt(row["url"]),
        description=_opt(row["description"]),
        source=_source(row),
    )


def _quote(row: sqlite3.Row) -> Quote:
    return Quote(
        text=str(row["text"]),
        speaker=str(row["speaker"]),
        context=_opt(row["context"]),
        source=_source(row),
    )


def _clip(text: str, limit: int = CHOICE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _tokens(query: str) -> list[str]:
    return fold(query[:MAX_QUERY]).split()[:MAX_TOKENS]


def _match_sql(column: str, tokens: Sequence[str], params: dict[str, object]) -> str:
    """`AND instr(column, :t0) > 0 AND ...` for every token; fills `params`."""
    parts = []
    for i, token in enumerate(tokens):
        params[f"t{i}"] = token
        parts.append(f" AND instr({column}, :t{i}) > 0")
    return "".join(parts)


def _rank_sql(column: str) -> str:
    """0 exact name, 1 name starts with the query, 2 a word starts with the first token, 3 other."""
    return f"""CASE WHEN {column} = :q THEN 0
        WHEN substr({column}, 1, length(:q)) = :q THEN 1
        WHEN instr(' ' || {column}, ' ' || :t0) > 0 THEN 2
        ELSE 3 END"""


def _closest(text: str, names: Sequence[str], limit: int) -> list[str]:
    """Names that look like `text`, best first: whole-name or single-word similarity."""
    folded = fold(text[:MAX_QUERY])
    if not folded:
        return []
    scored: list[tuple[float, int, str]] = []
    for position, name in enumerate(names):
        candidate = fold(name)
        pieces = [candidate, *candidate.split()]
        score = max(difflib.SequenceMatcher(None, folded, piece).ratio() for piece in pieces)
        if score >= 0.6:
            scored.append((-score, position, name))
    scored.sort()
    return [name for _, _, name in scored[:limit]]


class ContentQueries:
    """Read-only queries over imported content packs. Each method is one or two round trips."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _all(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    # --- seasons --------------------------------------------------------------------------

    async def seasons(self) -> list[Season]:
        """Every loaded season, by show title then season number."""
        rows = await self._all(
            f"SELECT {SEASON_COLS} FROM {SEASON_FROM} ORDER BY sh.title_folded, sh.key, se.number"
        )
        return [_season(row) for row in rows]

    async def season(self, season_id: int) -> Season | None:
        """The season with this id, if it is still loaded."""
        row = await self._one(
            f"SELECT {SEASON_COLS} FROM {SEASON_FROM} WHERE se.id = ?", (season_id,)
        )
        return _season(row) if row else None

    async def resolve_season(
        self, show: str | None = None, season: int | None = None
    ) -> Season | None:
        """The season a command means.

        `show` matches a show's key or its title (folded); without it, the first show
        alphabetically that has a current season. Without `season`: that show's current season,
        or its latest if none is marked current.
        """
        params: dict[str, object] = {}
        where = ["1"]
        if show is not None and show.strip():
            params["key"] = show.strip().lower()[:MAX_QUERY]
            params["folded"] = fold(show[:MAX_QUERY])
            where.append(
                "(sh.key = :key OR sh.title_folded = :folded "
                "OR replace(sh.key, '-', ' ') = :folded)"
            )
        if season is not None:
            params["number"] = season
            where.append("se.number = :number")
        row = await self._one(
            f"""SELECT {SEASON_COLS},
                  EXISTS (SELECT 1 FROM seasons s2 JOIN shows sh2 ON sh2.id = s2.show_id
                          WHERE sh2.key = sh.key AND s2.is_current) AS show_has_current
                FROM {SEASON_FROM} WHERE {" AND ".join(where)}
                ORDER BY show_has_current DESC, sh.title_folded, sh.key,
                         se.is_current DESC, se.number DESC
                LIMIT 1""",
            params,
        )
        return _season(row) if row else None

    async def season_choices(self, query: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Autocomplete for a "show" option.

        Value "heartstopper:2", name "Heartstopper season 2"; current seasons first.
        """
        tokens = _tokens(query)
        params: dict[str, object] = {
            "q": " ".join(tokens),
            "t0": tokens[0] if tokens else "",
            "limit": max(1, min(limit, MAX_CHOICES)),
        }
        label = "(sh.title_folded || ' season ' || se.number)"
        search = f"({label} || ' s' || se.number || ' ' || replace(sh.key, '-', ' '))"
        rows = await self._all(
            f"""SELECT {SEASON_COLS}, {_rank_sql(label)} AS rank FROM {SEASON_FROM}
                WHERE 1 {_match_sql(search, tokens, params)}
                ORDER BY rank, se.is_current DESC, sh.title_folded, sh.key, se.number
                LIMIT :limit""",
            params,
        )
        choices = []
        for row in rows:
            found = _season(row)
            choices.append(
                Choice(name=_clip(found.label), value=_clip(f"{found.show_key}:{found.number}"))
            )
        return choices

    async def season_by_choice(self, value: str) -> Season | None:
        """The season an autocomplete value names ("heartstopper:2").

        Free text typed without picking a choice gets its best match, or None.
        """
        show, sep, number = value.strip().rpartition(":")
        if sep and number.isdigit() and len(number) <= 5 and show:
            return await self.resolve_season(show, int(number))
        best = await self.season_choices(value, 1)
        if not best or not fold(value):
            return None
        show, _, number = best[0].value.rpartition(":")
        return await self.resolve_season(show, int(number))

    # --- cast -----------------------------------------------------------------------------

    async def cast(self, season_id: int, status: CastFilter = "all") -> list[Casting]:
        """Who is in the season, in pack order; `status` keeps only returning or new cast."""
        params: list[object] = [season_id]
        condition = ""
        if status != "all":
            condition = " AND ca.status = ?"
            params.append(status)
        rows = await self._all(
            f"SELECT {CASTING_COLS} FROM {CASTING_FROM} WHERE ca.season_id = ?{condition} "
            "ORDER BY ca.ordinal",
            params,
        )
        return [_casting(row) for row in rows]

    # --- search ---------------------------------------------------------------------------

    async def _search(
        self, kind: _Searchable, season_id: int, query: str, limit: int
    ) -> list[sqlite3.Row]:
        tokens = _tokens(query)
        params: dict[str, object] = {
            "season": season_id,
            "q": " ".join(tokens),
            "t0": tokens[0] if tokens else "",
            "limit": max(1, min(limit, MAX_CHOICES)),
        }
        return await self._all(
            f"""SELECT x.id, x.key, x.{kind.name_col} AS name, {kind.extra} AS extra,
                  {_rank_sql("x." + kind.folded_col)} AS rank
                FROM {kind.table} x
                WHERE x.id IN ({kind.members}) {_match_sql("x.search", tokens, params)}
                ORDER BY rank, x.ordinal
                LIMIT :limit""",
            params,
        )

    async def _choices(
        self, kind: _Searchable, season_id: int, query: str, limit: int
    ) -> list[Choice]:
        rows = await self._search(kind, season_id, query, limit)
        choices = []
        for row in rows:
            name = str(row["name"])
            if row["extra"]:
                name = f"{name} — {row['extra']}"
            choices.append(Choice(name=_clip(name), value=_clip(str(row["key"]))))
        return choices

    async def character_choices(
        self, season_id: int, query: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Autocomplete for a character: name "Tao Xu — William Gao", value the character key."""
        return await self._choices(CHARACTERS, season_id, query, limit)

    async def person_choices(
        self, season_id: int, query: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Autocomplete for a person: name "William Gao — Tao Xu", value the person key."""
        return await self._choices(PEOPLE, season_id, query, limit)

    async def storyline_choices(
        self, season_id: int, query: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Autocomplete for a storyline: name its title, value its key."""
        return await self._choices(STORYLINES, season_id, query, limit)

    async def _find(self, kind: _Searchable, season_id: int, key_or_name: str) -> int | None:
        """The id of the item with this key, else this exact (folded) name, else the only hit."""
        text = key_or_name.strip()[:MAX_QUERY]
        folded = fold(text)
        if not folded:
            return None
        row = await self._one(
            f"""SELECT x.id FROM {kind.table} x
                WHERE x.id IN ({kind.members}) AND (x.key = :key OR x.{kind.folded_col} = :q)
                ORDER BY x.key = :key DESC, x.ordinal LIMIT 1""",
            {"season": season_id, "key": text.lower(), "q": folded},
        )
        if row is not None:
            return int(row["id"])
        hits = await self._search(kind, season_id, text, 2)
        return int(hits[0]["id"]) if len(hits) == 1 else None

    async def _suggest(self, kind: _Searchable, season_id: int, text: str, limit: int) -> list[str]:
        limit = max(0, min(limit, MAX_CHOICES))
        if limit == 0 or not fold(text[:MAX_QUERY]):
            return []
        found = [str(row["name"]) for row in await self._search(kind, season_id, text, limit)]
        if len(found) < limit:
            rows = await self._all(
                f"""SELECT x.{kind.name_col} AS name FROM {kind.table} x
                    WHERE x.id IN ({kind.members}) ORDER BY x.ordinal""",
                {"season": season_id},
            )
            names = [str(row["name"]) for row in rows if str(row["name"]) not in found]
            found.extend(_closest(text, names, limit - len(found)))
        return found[:limit]

    async def suggest_characters(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """Character names close to `text`, for a "did you mean" reply."""
        return await self._suggest(CHARACTERS, season_id, text, limit)

    async def suggest_people(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """People's names close to `text`, for a "did you mean" reply."""
        return await self._suggest(PEOPLE, season_id, text, limit)

    async def suggest_storylines(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """Storyline titles close to `text`, for a "did you mean" reply."""
        return await self._suggest(STORYLINES, season_id, text, limit)

    # --- profiles -------------------------------------------------------------------------

    async def character(self, season_id: int, key_or_name: str) -> CharacterProfile | None:
        """A character of the season by key, exact name, or an unambiguous partial name."""
        character_id = await self._find(CHARACTERS, season_id, key_or_name)
        if character_id is None:
            return None
        row = await self._one(
            f"""SELECT x.key, x.name, x.about, {SRC} FROM characters x
                JOIN sources src ON src.id = x.source_id WHERE x.id = ?""",
            (character_id,),
        )
        if row is None:  # pragma: no cover - deleted between the two statements
            return None
        castings = await self._all(
            f"""SELECT {CASTING_COLS} FROM {CASTING_FROM}
                WHERE ca.season_id = ? AND ca.character_id = ? ORDER BY ca.ordinal""",
            (season_id, character_id),
        )
        stories = await self._all(
            """SELECT st.key, st.title, st.spoiler FROM storylines st
               JOIN storyline_characters sc ON sc.storyline_id = st.id
               WHERE st.season_id = ? AND sc.character_id = ? ORDER BY st.ordinal""",
            (season_id, character_id),
        )
        return CharacterProfile(
            key=str(row["key"]),
            name=str(row["name"]),
            about=_opt(row["about"]),
            castings=tuple(_casting(c) for c in castings),
            storylines=tuple(
                StorylineSummary(str(s["key"]), str(s["title"]), bool(s["spoiler"]))
                for s in stories
            ),
            source=_source(row),
        )

    async def person(self, season_id: int, key_or_name: str) -> PersonProfile | None:
        """A person of the season, with their roles in every loaded season and their quotes.

        The same person in another pack is recognised by the same (folded) name.
        """
        person_id = await self._find(PEOPLE, season_id, key_or_name)
        if person_id is None:
            return None
        row = await self._one(
            f"""SELECT x.key, x.name, x.about, x.name_folded, {SRC} FROM people x
                JOIN sources src ON src.id = x.source_id WHERE x.id = ?""",
            (person_id,),
        )
        if row is None:  # pragma: no cover - deleted between the two statements
            return None
        roles = await self._all(
            f"""SELECT {SEASON_COLS}, {CASTING_COLS} FROM {CASTING_FROM}
                JOIN seasons se ON se.id = ca.season_id JOIN shows sh ON sh.id = se.show_id
                JOIN sources ssrc ON ssrc.id = se.source_id
                WHERE p.name_folded = ?
                ORDER BY sh.title_folded, sh.key, se.number, ca.ordinal""",
            (row["name_folded"],),
        )
        quotes = await self._all(
            f"""SELECT q.text, q.speaker, q.context, {SRC} FROM quotes q
                JOIN quote_people qp ON qp.quote_id = q.id
                JOIN people p ON p.id = qp.person_id
                JOIN seasons se ON se.id = q.season_id JOIN shows sh ON sh.id = se.show_id
                JOIN sources src ON src.id = q.source_id
                WHERE p.name_folded = ?
                ORDER BY sh.title_folded, sh.key, se.number, q.ordinal""",
            (row["name_folded"],),
        )
        return PersonProfile(
            key=str(row["key"]),
            name=str(row["name"]),
            about=_opt(row["about"]),
            castings=tuple((_season(r), _casting(r)) for r in roles),
            quotes=tuple(_quote(q) for q in quotes),
            source=_source(row),
        )

    # --- storylines -----------------------------------------------------------------------

    async def _storylines(self, season_id: int, storyline_id: int | None) -> list[Storyline]:
        condition = "" if storyline_id is None else " AND st.id = :story"
        rows = await self._all(
            f"""SELECT st.id, st.key, st.title, st.summary, st.spoiler, c.name AS character,
                  {SRC}
                FROM storylines st JOIN sources src ON src.id = st.source_id
                LEFT JOIN storyline_characters sc ON sc.storyline_id = st.id
                LEFT JOIN characters c ON c.id = sc.character_id
                WHERE st.season_id = :season{condition}
                ORDER BY st.ordinal, sc.ordinal""",
            {"season": season_id, "story": storyline_id},
        )
        grouped: dict[int, tuple[sqlite3.Row, list[str]]] = {}
        for row in rows:
            _, names = grouped.setdefault(int(row["id"]), (row, []))
            if row["character"] is not None:
                names.append(str(row["character"]))
        return [
            Storyline(
                key=str(row["key"]),
                title=str(row["title"]),
                summary=str(row["summary"]),
                spoiler=bool(row["spoiler"]),
                characters=tuple(names),
                source=_source(row),
            )
            for row, names in grouped.values()
        ]

    async def storylines(self, season_id: int) -> list[Storyline]:
        """The season's storylines in pack order; `characters` holds character names."""
        return await self._storylines(season_id, None)

    async def storyline(self, season_id: int, key_or_name: str) -> Storyline | None:
        """A storyline by key, exact title, or an unambiguous partial title."""
        storyline_id = await self._find(STORYLINES, season_id, key_or_name)
        if storyline_id is None:
            return None
        found = await self._storylines(season_id, storyline_id)
        return found[0] if found else None

    # --- events, notes, quotes, packs -----------------------------------------------------

    async def events(self, season_id: int, kinds: Sequence[EventKind] | None = None) -> list[Event]:
        """The season's events: those with a known time first, by time, then in pack order."""
        params: list[object] = [season_id]
        condition = ""
        if kinds is not None:
            if not kinds:
                return []
            condition = f" AND e.kind IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        rows = await self._all(
            f"{EVENT_SELECT} WHERE e.season_id = ?{condition} {EVENT_ORDER}", params
        )
        return [_event(row) for row in rows]

    async def premiere(self, season_id: int) -> Event | None:
        """The season's premiere, if the pack has one."""
        row = await self._one(
            f"{EVENT_SELECT} WHERE e.season_id = ? AND e.kind = 'premiere' {EVENT_ORDER} LIMIT 1",
            (season_id,),
        )
        return _event(row) if row else None

    async def event(self, event_id: int) -> Event | None:
        """The event with this id, if it is still loaded."""
        row = await self._one(f"{EVENT_SELECT} WHERE e.id = ?", (event_id,))
        return _event(row) if row else None

    async def notes(self, season_id: int) -> list[Note]:
        """Notes about the season, and about its whole show, in pack order."""
        rows = await self._all(
            f"""SELECT n.key, n.text, {SRC} FROM notes n
                JOIN shows sh ON sh.id = n.show_id JOIN sources src ON src.id = n.source_id
                WHERE n.season_id = :season
                   OR (n.season_id IS NULL AND sh.key = (
                       SELECT sh2.key FROM seasons se2 JOIN shows sh2 ON sh2.id = se2.show_id
                       WHERE se2.id = :season))
                ORDER BY n.pack_id, n.ordinal""",
            {"season": season_id},
        )
        return [Note(key=str(r["key"]), text=str(r["text"]), source=_source(r)) for r in rows]

    async def quotes(self, season_id: int) -> list[Quote]:
        """The season's quotes in pack order."""
        rows = await self._all(
            f"""SELECT q.text, q.speaker, q.context, {SRC} FROM quotes q
                JOIN sources src ON src.id = q.source_id
                WHERE q.season_id = ? ORDER BY q.ordinal""",
            (season_id,),
        )
        return [_quote(row) for row in rows]

    async def packs(self) -> list[PackInfo]:
        """Every imported pack with its sources, by name."""
        rows = await self._all(
            f"""SELECT pk.id, pk.name, pk.title, pk.version, pk.content_hash, pk.imported_at,
                  src.id AS src_id, {SRC}
                FROM packs pk LEFT JOIN sources src ON src.pack_id = pk.id
                ORDER BY pk.name, src.ordinal"""
        )
        grouped: dict[int, tuple[sqlite3.Row, list[Source]]] = {}
        for row in rows:
            _, sources = grouped.setdefault(int(row["id"]), (row, []))
            if row["src_id"] is not None:
                sources.append(_source(row))
        return [
            PackInfo(
                name=str(row["name"]),
                title=str(row["title"]),
                version=str(row["version"]),
                content_hash=str(row["content_hash"]),
                imported_at=datetime.fromisoformat(str(row["imported_at"])),
                sources=tuple(sources),
            )
            for row, sources in grouped.values()
        ]
