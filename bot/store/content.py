"""Read-only queries over the imported content: seasons, cast, storylines, events, notes.

Search (autocomplete, lookups, suggestions) folds the query with `bot.store.text.fold`, splits
it into words, and keeps items whose folded search text contains every word; it never puts
user text into SQL, only into parameters (compared with `instr()`, or quoted as FTS5 strings).

Items, shows and seasons are searched in `search_items` (migration 0003): an index on folded
names serves exact and prefix matches, and an FTS5 trigram index finds substrings of three
characters or more. Each rank (exact, prefix, word prefix, substring) is its own query that
stops at the first `limit` rows in pack order, so a search costs about the same with 30 or
100,000 names in a season.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import functools
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.content.records import (
    CastFilter,
    Casting,
    CharacterProfile,
    Choice,
    Event,
    EventKind,
    Note,
    PackInfo,
    PersonProfile,
    Quote,
    Season,
    SeasonChoice,
    Source,
    Storyline,
    StorylineSummary,
)
from bot.moments import to_db_time
from bot.store import tables
from bot.store.pack_files import PackClaim
from bot.store.text import fold

MAX_CHOICES = 25
CHOICE_LIMIT = 100  # Discord: choice names and values are at most 100 characters
MAX_QUERY = 200  # characters of a query that take part in a search
MAX_TOKENS = 8


SRC = tables.SOURCES.select("src", "src_")
SEASON_COLS = f"""se.id AS season_id, {tables.SHOWS.select("sh", "show_")},
    {tables.SEASONS.select("se", "season_")}, se.is_current AS season_current,
    {tables.SOURCES.select("ssrc", "ssrc_")}"""
SEASON_FROM = """seasons se JOIN shows sh ON sh.id = se.show_id
    JOIN sources ssrc ON ssrc.id = se.source_id"""
CASTING_COLS = f"""p.key AS person_key, p.name AS person_name, c.key AS character_key,
    c.name AS character_name, {tables.CASTINGS.select("ca")}, {SRC}"""
CASTING_FROM = """castings ca JOIN people p ON p.id = ca.person_id
    LEFT JOIN characters c ON c.id = ca.character_id JOIN sources src ON src.id = ca.source_id"""
EVENT_SELECT = f"""SELECT e.id, {tables.EVENTS.select("e")}, {SRC}
    FROM events e JOIN sources src ON src.id = e.source_id"""
EVENT_ORDER = "ORDER BY e.sort_key IS NULL, e.sort_key, e.ordinal"


@dataclass(frozen=True, slots=True)
class _Searchable:
    """How to search one kind of item within a season."""

    kind: str  # search_items.kind
    table: str
    name_col: str
    extra: str  # SQL: the other half of a choice label ("Tao Xu — William Gao"), or NULL


CHARACTERS = _Searchable(
    kind="character",
    table="characters",
    name_col="name",
    extra="""(SELECT group_concat(p.name, ', ') FROM castings ca
               JOIN people p ON p.id = ca.person_id
               WHERE ca.character_id = x.id AND ca.season_id = :season)""",
)
PEOPLE = _Searchable(
    kind="person",
    table="people",
    name_col="name",
    extra="""(SELECT group_concat(c.name, ', ') FROM castings ca
               JOIN characters c ON c.id = ca.character_id
               WHERE ca.person_id = x.id AND ca.season_id = :season)""",
)
STORYLINES = _Searchable(
    kind="storyline",
    table="storylines",
    name_col="title",
    extra="NULL",
)
MIN_TRIGRAM = 3  # FTS5's trigram tokenizer matches words of at least three characters
CACHE_SIZE = 4096  # answers kept in memory (content is read-only between imports)
CACHE_CHECK_SECONDS = 1.0  # how often the cache asks whether another process imported packs
P = ParamSpec("P")
R = TypeVar("R")


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _source(row: sqlite3.Row, prefix: str = "src_") -> Source:
    return Source(**tables.SOURCES.read(row, prefix))


def _season(row: sqlite3.Row) -> Season:
    show = tables.SHOWS.read(row, "show_")
    return Season(
        id=int(row["season_id"]),
        show_key=show["key"],
        show_title=show["title"],
        platform=show["platform"],
        is_current=bool(row["season_current"]),
        source=_source(row, "ssrc_"),
        **tables.SEASONS.read(row, "season_"),
    )


def _casting(row: sqlite3.Row) -> Casting:
    return Casting(
        person_key=str(row["person_key"]),
        person_name=str(row["person_name"]),
        character_key=_opt(row["character_key"]),
        character_name=_opt(row["character_name"]),
        source=_source(row),
        **tables.CASTINGS.read(row),
    )


def _event(row: sqlite3.Row) -> Event:
    return Event(id=int(row["id"]), source=_source(row), **tables.EVENTS.read(row))


def _quote(row: sqlite3.Row) -> Quote:
    return Quote(source=_source(row), **tables.QUOTES.read(row))


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


def _after_prefix(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix` (non-empty)."""
    code = ord(prefix[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored: skip to the next character
        code = 0xE000
    return prefix[:-1] + chr(code)


def _search_sql(kind: _Searchable, tokens: Sequence[str], params: dict[str, object]) -> str:
    """One statement: the first `:limit` items by rank, then pack order; fills `params`.

    Each rank is a query of its own that reads rows in id order (= pack order within a
    season and kind) and stops at `:limit`: exact and prefix matches come from the index on
    folded names, the others from the FTS5 trigram index when a word is long enough for it
    (else from the season's rows in order, which stops early unless matches are rare).
    """
    scope = "s.season_id = :season AND s.kind = :kind"
    columns = "SELECT s.id, s.item_id"
    if not tokens:
        ranked = (
            f"SELECT * FROM ({columns}, 0 AS rank FROM search_items s WHERE {scope} ORDER BY s.id)"
        )
    else:
        query = " ".join(tokens)
        params.update(q=query, q_end=_after_prefix(query), word=" " + tokens[0])
        params.update({f"t{i}": token for i, token in enumerate(tokens)})
        contains = "".join(f" AND instr(s.search, :t{i}) > 0" for i in range(len(tokens)))
        prefix = "(s.name_folded >= :q AND s.name_folded < :q_end)"
        word = "instr(' ' || s.name_folded, :word) > 0"
        long_words = [t for t in tokens if len(t) >= MIN_TRIGRAM]
        if long_words:
            params["match"] = " AND ".join(f'"{t}"' for t in long_words)
            source = """search_trigrams f JOIN search_items s ON s.id = f.rowid
                WHERE search_trigrams MATCH :match AND"""
            order = "f.rowid"
        else:
            source = "search_items s WHERE"
            order = "s.id"
        arms = [
            f"{columns}, 0 AS rank FROM search_items s WHERE {scope} AND s.name_folded = :q "
            "ORDER BY s.id LIMIT :limit",
            f"{columns}, 1 AS rank FROM search_items s WHERE {scope} "
            "AND s.name_folded > :q AND s.name_folded < :q_end ORDER BY s.id LIMIT :limit",
            f"{columns}, 2 AS rank FROM {source} {scope}{contains} AND {word} AND NOT {prefix} "
            f"ORDER BY {order} LIMIT :limit",
            f"{columns}, 3 AS rank FROM {source} {scope}{contains} AND NOT {word} "
            f"AND NOT {prefix} ORDER BY {order} LIMIT :limit",
        ]
        # SQLite runs the arms of a UNION ALL in order and stops at the LIMIT, so the later
        # (costlier) ranks run only when the earlier ones found fewer than `limit` rows.
        ranked = " UNION ALL ".join(f"SELECT * FROM ({arm})" for arm in arms)
    return f"""SELECT x.id, x.key, x.{kind.name_col} AS name, {kind.extra} AS extra
        FROM ({ranked} LIMIT :limit) h
        JOIN {kind.table} x ON x.id = h.item_id
        ORDER BY h.rank, h.id"""


SIMILAR = 0.6  # difflib ratio from which a name counts as "close"


def _closest(text: str, names: Sequence[str], limit: int) -> list[str]:
    """Names that look like `text`, best first: whole-name or single-word similarity."""
    folded = fold(text[:MAX_QUERY])
    if not folded:
        return []
    # SequenceMatcher keeps what it learnt about its second sequence, and its cheap upper
    # bounds skip most names before the full ratio: thousands of names stay fast.
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(folded)
    scored: list[tuple[float, int, str]] = []
    for position, name in enumerate(names):
        candidate = fold(name)
        best = 0.0
        for piece in (candidate, *candidate.split()):
            matcher.set_seq1(piece)
            if (
                matcher.real_quick_ratio() >= SIMILAR
                and matcher.quick_ratio() >= SIMILAR
                and (score := matcher.ratio()) > best
            ):
                best = score
        if best >= SIMILAR:
            scored.append((-best, position, name))
    scored.sort()
    return [name for _, _, name in scored[:limit]]


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _cached(
    method: Callable[Concatenate[ContentQueries, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[ContentQueries, P], Coroutine[Any, Any, R]]:
    """Keep the method's answers in the content cache, keyed by its arguments."""

    @functools.wraps(method)
    async def answer(self: ContentQueries, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.cache_size <= 0:
            return await method(self, *args, **kwargs)
        key: tuple[object, ...] = (method.__name__, *map(_hashable, args))
        if kwargs:
            key += tuple(sorted((k, _hashable(v)) for k, v in kwargs.items()))
        if time.monotonic() - self._checked >= CACHE_CHECK_SECONDS:
            await self._check_generation()
        try:
            found = self._cache[key]
            self._cache.move_to_end(key)
        except KeyError:
            found = await method(self, *args, **kwargs)
            self._cache[key] = found
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        # Records are frozen; a list is copied so that a caller cannot change the cached one.
        return list(found) if isinstance(found, list) else found  # type: ignore[return-value]

    return answer


async def read_pack_claims(conn: aiosqlite.Connection) -> dict[str, PackClaim]:
    """What each imported pack takes (its name, show and seasons), by content hash."""
    rows = await conn.execute_fetchall(
        """SELECT pk.content_hash, pk.name, sh.key AS show_key, se.number
           FROM packs pk JOIN shows sh ON sh.pack_id = pk.id
           LEFT JOIN seasons se ON se.show_id = sh.id
           ORDER BY pk.name, se.number"""
    )
    claims: dict[str, PackClaim] = {}
    for row in rows:
        digest = str(row["content_hash"])
        claim = claims.get(digest) or PackClaim(None, str(row["name"]), str(row["show_key"]), ())
        number = () if row["number"] is None else (int(row["number"]),)
        claims[digest] = dataclasses.replace(claim, seasons=claim.seasons + number)
    return claims


class ContentQueries:
    """Read-only queries over imported content packs. Each method is one or two round trips."""

    def __init__(self, conn: aiosqlite.Connection, *, cache_size: int = CACHE_SIZE) -> None:
        self._conn = conn
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._generation: tuple[tuple[object, ...], ...] | None = None
        self._checked = -CACHE_CHECK_SECONDS

    def forget(self) -> None:
        """Drop every cached answer (after an import in this process)."""
        self._cache.clear()
        self._generation = None
        self._checked = -CACHE_CHECK_SECONDS

    async def _check_generation(self) -> None:
        """Empty the cache if the imported packs changed (callers ask at most once a second)."""
        now = time.monotonic()
        self._checked = now
        rows = await self._conn.execute_fetchall(
            "SELECT name, content_hash FROM packs ORDER BY name"
        )
        generation = tuple(tuple(row) for row in rows)
        if generation != self._generation:
            self._cache.clear()
            self._generation = generation

    async def _all(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        # One hop to SQLite's thread (execute, fetch and close at once), not three.
        return list(await self._conn.execute_fetchall(sql, params))

    async def _one(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> sqlite3.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    # --- seasons --------------------------------------------------------------------------

    @_cached
    async def seasons(self) -> list[Season]:
        """Every loaded season, by show title then season number."""
        rows = await self._all(
            f"SELECT {SEASON_COLS} FROM {SEASON_FROM} ORDER BY sh.title_folded, sh.key, se.number"
        )
        return [_season(row) for row in rows]

    @_cached
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

    async def next_premiere_season(self, now: datetime) -> Season | None:
        """The season whose premiere comes next after `now`, if any is still to come.

        Not cached: the answer depends on the moment asked.
        """
        row = await self._one(
            f"""SELECT {SEASON_COLS} FROM {SEASON_FROM}
                JOIN events e ON e.season_id = se.id AND e.kind = 'premiere'
                WHERE e.starts_at > ? ORDER BY e.starts_at, sh.key LIMIT 1""",
            (to_db_time(now),),
        )
        return _season(row) if row else None

    @_cached
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
            choices.append(Choice(name=_clip(found.label), value=_clip(str(found.choice))))
        return choices

    @_cached
    async def season_by_choice(self, value: str) -> Season | None:
        """The season an autocomplete value names ("heartstopper:2").

        Free text typed without picking a choice gets its best match, or None.
        """
        named = SeasonChoice.parse(value)
        if named is None and fold(value):
            best = await self.season_choices(value, 1)
            named = SeasonChoice.parse(best[0].value) if best else None
        return await self.resolve_season(*named) if named is not None else None

    # --- cast -----------------------------------------------------------------------------

    @_cached
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
        params: dict[str, object] = {
            "season": season_id,
            "kind": kind.kind,
            "limit": max(1, min(limit, MAX_CHOICES)),
        }
        return await self._all(_search_sql(kind, _tokens(query), params), params)

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

    @_cached
    async def character_choices(
        self, season_id: int, query: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Autocomplete for a character: name "Tao Xu — William Gao", value the character key."""
        return await self._choices(CHARACTERS, season_id, query, limit)

    @_cached
    async def person_choices(
        self, season_id: int, query: str, limit: int = MAX_CHOICES
    ) -> list[Choice]:
        """Autocomplete for a person: name "William Gao — Tao Xu", value the person key."""
        return await self._choices(PEOPLE, season_id, query, limit)

    @_cached
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
            """SELECT item_id FROM (
                  SELECT s.item_id, 0 AS found, s.id FROM search_items s
                  WHERE s.season_id = :season AND s.kind = :kind AND s.key = :key
                  UNION ALL
                  SELECT s.item_id, 1 AS found, s.id FROM search_items s
                  WHERE s.season_id = :season AND s.kind = :kind AND s.name_folded = :q)
                ORDER BY found, id LIMIT 1""",
            {"season": season_id, "kind": kind.kind, "key": text.lower(), "q": folded},
        )
        if row is not None:
            return int(row["item_id"])
        hits = await self._search(kind, season_id, text, 2)
        return int(hits[0]["id"]) if len(hits) == 1 else None

    async def _suggest(self, kind: _Searchable, season_id: int, text: str, limit: int) -> list[str]:
        limit = max(0, min(limit, MAX_CHOICES))
        if limit == 0 or not fold(text[:MAX_QUERY]):
            return []
        found = [str(row["name"]) for row in await self._search(kind, season_id, text, limit)]
        if len(found) < limit:
            rows = await self._all(
                f"""SELECT x.{kind.name_col} AS name FROM search_items s
                    JOIN {kind.table} x ON x.id = s.item_id
                    WHERE s.season_id = :season AND s.kind = :kind ORDER BY s.id""",
                {"season": season_id, "kind": kind.kind},
            )
            names = [str(row["name"]) for row in rows if str(row["name"]) not in found]
            # off the event loop: a large cast takes a noticeable moment
            found.extend(await asyncio.to_thread(_closest, text, names, limit - len(found)))
        return found[:limit]

    @_cached
    async def suggest_characters(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """Character names close to `text`, for a "did you mean" reply."""
        return await self._suggest(CHARACTERS, season_id, text, limit)

    @_cached
    async def suggest_people(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """People's names close to `text`, for a "did you mean" reply."""
        return await self._suggest(PEOPLE, season_id, text, limit)

    @_cached
    async def suggest_storylines(self, season_id: int, text: str, limit: int = 3) -> list[str]:
        """Storyline titles close to `text`, for a "did you mean" reply."""
        return await self._suggest(STORYLINES, season_id, text, limit)

    # --- profiles -------------------------------------------------------------------------

    @_cached
    async def character(self, season_id: int, key_or_name: str) -> CharacterProfile | None:
        """A character of the season by key, exact name, or an unambiguous partial name."""
        character_id = await self._find(CHARACTERS, season_id, key_or_name)
        if character_id is None:
            return None
        row = await self._one(
            f"""SELECT {tables.CHARACTERS.select("x")}, {SRC} FROM characters x
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
            castings=tuple(_casting(c) for c in castings),
            storylines=tuple(
                StorylineSummary(
                    key=str(s["key"]), title=str(s["title"]), spoiler=bool(s["spoiler"])
                )
                for s in stories
            ),
            source=_source(row),
            **tables.CHARACTERS.read(row),
        )

    @_cached
    async def person(self, season_id: int, key_or_name: str) -> PersonProfile | None:
        """A person of the season, with their roles in every loaded season and their quotes.

        The same person in another pack is recognised by the same (folded) name.
        """
        person_id = await self._find(PEOPLE, season_id, key_or_name)
        if person_id is None:
            return None
        row = await self._one(
            f"""SELECT {tables.PEOPLE.select("x")}, x.name_folded, {SRC} FROM people x
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
            f"""SELECT {tables.QUOTES.select("q")}, {SRC} FROM quotes q
                JOIN quote_people qp ON qp.quote_id = q.id
                JOIN people p ON p.id = qp.person_id
                JOIN seasons se ON se.id = q.season_id JOIN shows sh ON sh.id = se.show_id
                JOIN sources src ON src.id = q.source_id
                WHERE p.name_folded = ?
                ORDER BY sh.title_folded, sh.key, se.number, q.ordinal""",
            (row["name_folded"],),
        )
        return PersonProfile(
            castings=tuple((_season(r), _casting(r)) for r in roles),
            quotes=tuple(_quote(q) for q in quotes),
            source=_source(row),
            **tables.PEOPLE.read(row),
        )

    # --- storylines -----------------------------------------------------------------------

    async def _storylines(self, season_id: int, storyline_id: int | None) -> list[Storyline]:
        condition = "" if storyline_id is None else " AND st.id = :story"
        rows = await self._all(
            f"""SELECT st.id, {tables.STORYLINES.select("st")}, c.name AS character, {SRC}
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
            Storyline(characters=tuple(names), source=_source(row), **tables.STORYLINES.read(row))
            for row, names in grouped.values()
        ]

    @_cached
    async def storylines(self, season_id: int) -> list[Storyline]:
        """The season's storylines in pack order; `characters` holds character names."""
        return await self._storylines(season_id, None)

    @_cached
    async def storyline(self, season_id: int, key_or_name: str) -> Storyline | None:
        """A storyline by key, exact title, or an unambiguous partial title."""
        storyline_id = await self._find(STORYLINES, season_id, key_or_name)
        if storyline_id is None:
            return None
        found = await self._storylines(season_id, storyline_id)
        return found[0] if found else None

    # --- events, notes, quotes, packs -----------------------------------------------------

    @_cached
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

    @_cached
    async def premiere(self, season_id: int) -> Event | None:
        """The season's premiere, if the pack has one."""
        row = await self._one(
            f"{EVENT_SELECT} WHERE e.season_id = ? AND e.kind = 'premiere' {EVENT_ORDER} LIMIT 1",
            (season_id,),
        )
        return _event(row) if row else None

    @_cached
    async def notes(self, season_id: int) -> list[Note]:
        """Notes about the season, and about its whole show, in pack order."""
        rows = await self._all(
            f"""SELECT {tables.NOTES.select("n")}, {SRC} FROM notes n
                JOIN shows sh ON sh.id = n.show_id JOIN sources src ON src.id = n.source_id
                WHERE n.season_id = :season
                   OR (n.season_id IS NULL AND sh.key = (
                       SELECT sh2.key FROM seasons se2 JOIN shows sh2 ON sh2.id = se2.show_id
                       WHERE se2.id = :season))
                ORDER BY n.pack_id, n.ordinal""",
            {"season": season_id},
        )
        return [Note(source=_source(row), **tables.NOTES.read(row)) for row in rows]

    async def pack_claims(self) -> dict[str, PackClaim]:
        """What each imported pack takes (its name, show and seasons), by content hash."""
        return await read_pack_claims(self._conn)

    @_cached
    async def packs(self) -> list[PackInfo]:
        """Every imported pack with its sources, by name."""
        rows = await self._all(
            f"""SELECT pk.id, {tables.PACKS.select("pk")}, pk.content_hash, pk.imported_at,
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
                **tables.PACKS.read(row),
                content_hash=str(row["content_hash"]),
                imported_at=datetime.fromisoformat(str(row["imported_at"])),
                sources=tuple(sources),
            )
            for row, sources in grouped.values()
        ]
