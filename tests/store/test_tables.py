"""bot/store/tables.py: every facts field has its column and reaches the record unchanged."""

from __future__ import annotations

from bot.content.records import Season
from bot.store import Store, load_pack, tables
from bot.store.tables import Table
from tests.store.conftest import BUNDLED

TABLES = [value for value in vars(tables).values() if isinstance(value, Table)]


def facts(table: Table, item: object) -> dict[str, object]:
    return {column: getattr(item, column) for column in table.columns}


async def test_every_facts_field_has_its_column(store: Store) -> None:
    assert len(TABLES) == 11
    for table in TABLES:
        rows = await store.db.conn.execute_fetchall(f"PRAGMA table_info({table.name})")
        assert set(table.columns) <= {row[1] for row in rows}, table.name


async def test_what_a_pack_says_is_what_the_records_show(loaded: Store, season: Season) -> None:
    pack = load_pack(BUNDLED)
    content = loaded.content
    [entry] = pack.seasons
    assert facts(tables.SEASONS, entry) == facts(tables.SEASONS, season)
    assert facts(tables.SHOWS, pack.show) == {  # a season names its show's facts itself
        "key": season.show_key,
        "title": season.show_title,
        "platform": season.platform,
    }
    events = {event.key: event for event in await content.events(season.id)}
    for event in pack.events:
        assert facts(tables.EVENTS, event) == facts(tables.EVENTS, events[event.key])
        assert events[event.key].source.key == event.source
    stories = await content.storylines(season.id)
    assert [facts(tables.STORYLINES, s) for s in pack.storylines] == [
        facts(tables.STORYLINES, s) for s in stories
    ]
    notes = await content.notes(season.id)
    assert [facts(tables.NOTES, n) for n in pack.notes] == [facts(tables.NOTES, n) for n in notes]
    nick = await content.character(season.id, "nick-nelson")
    assert nick is not None
    [entry] = [c for c in pack.characters if c.key == "nick-nelson"]
    assert facts(tables.CHARACTERS, entry) == facts(tables.CHARACTERS, nick)
    assert [facts(tables.CASTINGS, c) for c in pack.castings if c.character == "nick-nelson"] == [
        facts(tables.CASTINGS, c) for c in nick.castings
    ]
    [info] = await content.packs()
    assert facts(tables.PACKS, pack) == facts(tables.PACKS, info)
    assert [facts(tables.SOURCES, s) for s in pack.sources] == [
        facts(tables.SOURCES, s) for s in info.sources
    ]
