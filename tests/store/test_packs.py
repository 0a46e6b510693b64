from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.store import PackError, Store, StoreError, load_dir, load_pack
from bot.store.countdown_models import EventRef, PackEventRef, ServerEventRef
from bot.store.pack_files import declared_name
from tests.store.conftest import BUNDLED, CLOCK_START, MINIMAL, TWO_SEASONS

WritePack = Callable[..., Path]


def problems_of(write_pack: WritePack, text: str) -> tuple[Path, list[str]]:
    path = write_pack(text)
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert info.value.problems, "a PackError always lists its problems"
    assert str(info.value).splitlines()[: len(info.value.problems)] == info.value.problems
    for problem in info.value.problems:
        assert problem.startswith(f"{path}: "), problem
    return path, info.value.problems


def replace(old: str, new: str, text: str = MINIMAL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


async def dump(store: Store) -> list[str]:
    """Every row of every table, as SQL: equal dumps mean an identical database."""
    return [line async for line in store.db.conn.iterdump()]


# --- the bundled pack ----------------------------------------------------------------------


def test_bundled_pack_is_valid_and_hashed() -> None:
    pack = load_pack(BUNDLED)
    assert pack.name == "heartstopper-s2"
    assert pack.content_hash == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert pack.show.key == "heartstopper"
    assert pack.show.platform == "Netflix"
    assert [s.number for s in pack.seasons] == [2]
    assert pack.seasons[0].current


def test_bundled_pack_cast_matches_the_article() -> None:
    pack = load_pack(BUNDLED)
    people = {p.key: p.name for p in pack.people}
    characters = {c.key: c.name for c in pack.characters}
    cast = {
        people[c.person]: (characters[c.character] if c.character else None, c.status)
        for c in pack.castings
    }
    assert cast == {
        "Kit Connor": ("Nick Nelson", "returning"),
        "Joe Locke": ("Charlie Spring", "returning"),
        "William Gao": ("Tao Xu", "returning"),
        "Yasmin Finney": ("Elle Argent", "returning"),
        "Corinna Brown": ("Tara Jones", "returning"),
        "Kizzy Edgell": ("Darcy Olsson", "returning"),
        "Tobie Donovan": ("Isaac Henderson", "returning"),
        "Rhea Norwood": ("Imogen Heaney", "returning"),
        "Sebastian Croft": ("Ben Hope", "returning"),
        "Cormac Hyde-Corrin": ("Harry Greene", "returning"),
        "Jenny Walser": ("Tori Spring", "returning"),
        "Olivia Colman": (None, "returning"),
        "Chetna Pandya": ("Coach Singh", "returning"),
        "Bel Priestley": ("Naomi", "new"),
        "Ash Self": ("Felix", "new"),
        "Leila Khan": ("Sahar Zahid", "new"),
        "Thibault de Montalembert": ("Stephane", "new"),
        "Jack Barton": ("David Nelson", "new"),
        "Nima Taleghani": ("Mr. Farouk", "new"),
    }
    colman = next(c for c in pack.castings if c.person == "olivia-colman")
    assert colman.note is not None
    assert "does not name her role" in colman.note
    assert "surprise appearance in season one" in colman.note


def test_bundled_pack_events_sources_and_quotes() -> None:
    pack = load_pack(BUNDLED)
    events = {e.kind: e for e in pack.events}
    assert set(events) == {"premiere", "trailer", "first_look", "first_scene", "announcement"}
    premiere = events["premiere"]
    assert premiere.starts_at == datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
    assert premiere.platform == "Netflix"
    assert events["first_look"].url == "https://pic.twitter.com/5Xz6Dcb7N8"
    assert events["first_look"].date_text == "24 May 2023"
    assert events["announcement"].url == "https://pic.twitter.com/fcQwMsXLQV"
    assert events["announcement"].date_text == "24 April 2023"
    assert events["first_scene"].date_text == "June 2023"
    assert events["first_scene"].description is not None
    assert "Tudum" in events["first_scene"].description
    assert events["trailer"].starts_at is None
    assert events["trailer"].date_text is not None

    article = pack.sources[0]
    assert article.title == "Heartstopper: Here's Everything We Know So Far About Season 2"
    assert article.published == date(2023, 7, 9)
    assert article.url is None
    assert article.publisher is None
    for source in pack.sources:
        assert source.url is None or source.url.startswith("https://")

    texts = [q.text for q in pack.quotes]
    assert any(
        t.startswith("I think Charlie’s mental health will definitely be a main focus")
        for t in texts
    )
    assert "issues [would] become more serious" in texts
    assert any("a lot to juggle" in t for t in texts)
    spoilers = {s.key: s.spoiler for s in pack.storylines}
    assert spoilers["charlie-mental-health"] is True
    assert spoilers["nick-and-charlie"] is False
    notes = " ".join(n.text for n in pack.notes)
    assert "100%" in notes
    assert "Rotten Tomatoes" in notes
    assert "third season" in notes
    assert "2022" in notes


# --- validation ----------------------------------------------------------------------------

INVALID = {
    "unknown key with a hint": (
        replace('name = "Nick Nelson"', 'nmae = "Nick Nelson"'),
        [
            'characters[1] (key "nick"): unknown key "nmae" (did you mean "name"?)',
            'characters[1] (key "nick"): missing required key "name"',
        ],
    ),
    "unknown top-level key": (
        MINIMAL + '\n[[charaters]]\nkey = "x"\n',
        ['unknown top-level key "charaters" (did you mean "characters"?)'],
    ),
    "missing required field": (
        replace('synopsis = "A season."\n', ""),
        ['seasons[1]: missing required key "synopsis"'],
    ),
    "wrong type": (
        replace("number = 1", 'number = "1"'),
        ['seasons[1]: "number" must be a whole number, not a string'],
    ),
    "bool is not a number": (
        replace("season = 1\nstatus", "season = true\nstatus"),
        ['castings[1]: "season" must be a whole number, not true/false'],
    ),
    "empty string": (
        replace('title = "Mini Show"', 'title = "   "'),
        ['show (key "mini-show"): "title" must not be empty'],
    ),
    "duplicate key": (
        MINIMAL + '\n[[people]]\nkey = "kit"\nname = "Another Kit"\n',
        ['people[2] (key "kit"): duplicate key "kit" in [[people]]'],
    ),
    "dangling person": (
        MINIMAL + '\n[[castings]]\nperson = "joe"\nseason = 1\nstatus = "new"\n',
        ['castings[2]: person "joe" is not defined in [[people]]'],
    ),
    "dangling character": (
        replace('character = "nick"', 'character = "charlie"'),
        [
            'castings[1]: character "charlie" is not defined in [[characters]]',
            'characters[1] (key "nick"): appears in no [[castings]] and no [[storylines]]',
        ],
    ),
    "dangling source": (
        replace('status = "returning"', 'status = "returning"\nsource = "nowhere"'),
        ['castings[1]: source "nowhere" is not defined in [[sources]]'],
    ),
    "dangling season": (
        replace("season = 1", "season = 3"),
        ["castings[1]: season 3 is not defined in [[seasons]]"],
    ),
    "dangling storyline character": (
        MINIMAL + '\n[[storylines]]\nkey = "s"\nseason = 1\ntitle = "T"\nsummary = "S"\n'
        'characters = ["nick", "ghost"]\n',
        ['storylines[1] (key "s"): character "ghost" is not defined in [[characters]]'],
    ),
    "repeated storyline character": (
        MINIMAL + '\n[[storylines]]\nkey = "s"\nseason = 1\ntitle = "T"\nsummary = "S"\n'
        'characters = ["nick", "nick"]\n',
        ['storylines[1] (key "s"): "characters" lists "nick" twice'],
    ),
    "bad key syntax": (
        replace('key = "nick"', 'key = "Nick Nelson"'),
        ['characters[1] (key "Nick Nelson"): "key" = "Nick Nelson" is not a valid key'],
    ),
    "key too long": (
        replace('key = "mini-show"', f'key = "{"a" * 65}"'),
        ['"key" is 65 characters long; the limit is 64'],
    ),
    "bad status": (
        replace('status = "returning"', 'status = "back"'),
        ['castings[1]: "status" = "back" must be one of "returning", "new"'],
    ),
    "bad event kind": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "party"\ntitle = "T"\n'
        'date_text = "soon"\n',
        ['events[1] (key "e"): "kind" = "party" must be one of "premiere", "trailer"'],
    ),
    "datetime without offset": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "premiere"\ntitle = "T"\n'
        "starts_at = 2023-08-03T07:00:00\n",
        ['events[1] (key "e"): "starts_at" has no UTC offset; use a date-time with an offset'],
    ),
    "datetime string that is not one": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "premiere"\ntitle = "T"\n'
        'starts_at = "next thursday"\n',
        ['events[1] (key "e"): "starts_at" = "next thursday" is not a date-time'],
    ),
    "date instead of datetime": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "premiere"\ntitle = "T"\n'
        "starts_at = 2023-08-03\n",
        ['events[1] (key "e"): "starts_at" must be a date-time, not a date'],
    ),
    "bad partial date": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "trailer"\ntitle = "T"\n'
        'date = "2023-13"\n',
        ['events[1] (key "e"): "date" = "2023-13" is not a date'],
    ),
    "both starts_at and date": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "trailer"\ntitle = "T"\n'
        "date = 2023-01-01\nstarts_at = 2023-01-01T00:00:00Z\n",
        ['events[1] (key "e"): give either "starts_at" (an exact moment) or "date", not both'],
    ),
    "bad event kind and no time": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "party"\ntitle = "T"\n',
        [
            'events[1] (key "e"): "kind" = "party" must be one of',
            'events[1] (key "e"): needs "starts_at", "date" or "date_text"',
        ],
    ),
    "event with no time at all": (
        MINIMAL + '\n[[events]]\nkey = "e"\nseason = 1\nkind = "trailer"\ntitle = "T"\n',
        ['events[1] (key "e"): needs "starts_at", "date" or "date_text"'],
    ),
    "source date that is not a date": (
        replace('title = "A source"', 'title = "A source"\npublished = "last week"'),
        ['sources[1] (key "src"): "published" must be a date such as 2023-07-09, not a string'],
    ),
    "url that is not a web address": (
        replace('title = "A source"', 'title = "A source"\nurl = "javascript:alert(1)"'),
        ['sources[1] (key "src"): "url" = "javascript:alert(1)" must be a web address'],
    ),
    "two current seasons": (
        MINIMAL + '\n[[seasons]]\nnumber = 2\nsynopsis = "B"\ncurrent = true\n',
        ["seasons: only one season may be current = true; seasons 1, 2 are"],
    ),
    "duplicate season": (
        MINIMAL + '\n[[seasons]]\nnumber = 1\nsynopsis = "B"\n',
        ["seasons[2]: season 1 is listed twice"],
    ),
    "name too long": (
        replace('name = "Kit Connor"', f'name = "{"K" * 201}"'),
        ['people[1] (key "kit"): "name" is 201 characters long; the limit is 200'],
    ),
    "text too long": (
        replace('synopsis = "A season."', f'synopsis = "{"x" * 4001}"'),
        ['seasons[1]: "synopsis" is 4001 characters long; the limit is 4000'],
    ),
    "control character in a name": (
        replace('name = "Kit Connor"', 'name = "Kit\\u0000Connor"'),
        ['people[1] (key "kit"): "name" must not contain line breaks or control characters'],
    ),
    "table instead of array": (
        replace("[[characters]]", "[characters]"),
        ["characters: must be an array of tables, written [[characters]], not a table"],
    ),
    "missing pack table": (
        replace('[pack]\nname = "mini"\ntitle = "Mini"\nversion = "1"\n', ""),
        ["[pack]: missing; every pack needs a [pack] table"],
    ),
    "version as a number": (
        replace('version = "1"', "version = 1.0"),
        ['pack: "version" must be a string, not a number'],
    ),
    "no sources": (
        replace('[[sources]]\nkey = "src"\ntitle = "A source"\n', ""),
        ["[[sources]]: missing; every fact needs a source"],
    ),
    "person in nothing": (
        MINIMAL + '\n[[people]]\nkey = "idle"\nname = "Idle Person"\n',
        ['people[2] (key "idle"): appears in no [[castings]] and no [[quotes]]'],
    ),
    "quote with no speaker": (
        MINIMAL + '\n[[quotes]]\nseason = 1\ntext = "Hello"\n',
        ['quotes[1]: needs "speaker" (who said it) or "people" (their keys)'],
    ),
    "duplicate casting": (
        MINIMAL + '\n[[castings]]\nperson = "kit"\ncharacter = "nick"\nseason = 1\n'
        'status = "new"\n',
        ['castings[2]: "kit" is cast in this role in season 1 twice'],
    ),
    "key list with a non-string": (
        MINIMAL + '\n[[quotes]]\nseason = 1\npeople = ["kit", 3]\ntext = "Hi"\n',
        ['quotes[1]: "people" entry 2 must be a key string, not a whole number'],
    ),
    "duplicate note key": (
        MINIMAL + '\n[[notes]]\nkey = "n"\ntext = "A"\n\n[[notes]]\nkey = "n"\ntext = "B"\n',
        ['notes[2] (key "n"): duplicate key "n" in [[notes]]'],
    ),
}


@pytest.mark.parametrize(("text", "expected"), INVALID.values(), ids=INVALID.keys())
def test_invalid_pack_is_reported_precisely(
    write_pack: WritePack, text: str, expected: list[str]
) -> None:
    path, problems = problems_of(write_pack, text)
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    if expected[0].startswith(("characters", "castings", "people", "seasons", "events")):
        assert any(p.startswith(f"{path}: {expected[0]}") for p in problems), problems


def test_all_problems_are_collected(write_pack: WritePack) -> None:
    text = replace('name = "Kit Connor"', 'name = ""')
    text = replace('status = "returning"', 'status = "maybe"', text)
    text = replace('key = "nick"', 'key = "nick"\nage = 17', text)
    _, problems = problems_of(write_pack, text)
    assert len(problems) == 3
    assert 'people[1] (key "kit"): "name" must not be empty' in problems[0]


def test_a_bad_item_is_reported_once_not_again_where_it_is_used(write_pack: WritePack) -> None:
    text = replace("number = 1", "number = -1")
    text += '\n[[quotes]]\nseason = 1\npeople = ["Kit C"]\ntext = "Hi"\n'
    _, problems = problems_of(write_pack, text)
    assert [p.split(": ", 1)[1] for p in problems] == [
        'seasons[1]: "number" = -1 is out of range (0 to 10000)',
        'quotes[1]: "people" entry 1 ("Kit C") is not a valid key',
    ]


def test_problems_are_capped_at_twenty(write_pack: WritePack) -> None:
    extra = "".join(f'\n[[people]]\nkey = "p{i}"\nname = "Person {i}"\n' for i in range(30))
    path = write_pack(MINIMAL + extra)
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert len(info.value.problems) == 20
    assert info.value.omitted == 10
    assert str(info.value).splitlines()[-1] == "... and 10 more problems"


def test_toml_syntax_error_gives_line_and_column(write_pack: WritePack) -> None:
    path = write_pack('[pack]\nname = "x"\ntitle = \n')
    with pytest.raises(PackError) as info:
        load_pack(path)
    message = str(info.value)
    assert message.startswith(f"{path}: TOML syntax error: ")
    assert "line 3, column" in message


def test_not_utf8(write_pack: WritePack) -> None:
    path = write_pack("")
    path.write_bytes(b'[pack]\nname = "caf\xe9"\n')
    with pytest.raises(PackError, match="is not UTF-8 text"):
        load_pack(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="no such file"):
        load_pack(tmp_path / "nope.toml")
    with pytest.raises(PackError, match="is a folder, not a pack file"):
        load_pack(tmp_path)
    with pytest.raises(PackError, match="is not a folder of content packs"):
        load_dir(tmp_path / "missing")


def test_datetimes_are_normalised_to_utc(write_pack: WritePack) -> None:
    base = '\n[[events]]\nkey = "{key}"\nseason = 1\nkind = "premiere"\ntitle = "T"\n'
    text = MINIMAL
    for key, value in [
        ("native", "2023-08-03T09:00:00+02:00"),
        ("zulu-string", '"2023-08-03T07:00:00Z"'),
        ("offset-string", '"2023-08-03T00:00:00-07:00"'),
    ]:
        text += base.format(key=key) + f"starts_at = {value}\n"
    pack = load_pack(write_pack(text))
    moments = {e.key: e.starts_at for e in pack.events}
    expected = datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
    assert moments == {"native": expected, "zulu-string": expected, "offset-string": expected}


def test_partial_dates(write_pack: WritePack) -> None:
    base = '\n[[events]]\nkey = "{key}"\nseason = 1\nkind = "trailer"\ntitle = "T"\n'
    text = MINIMAL
    for key, value in [("day", "2023-05-24"), ("month", '"2023-06"'), ("year", '"2024"')]:
        text += base.format(key=key) + f"date = {value}\n"
    text += base.format(key="told") + 'date = "2023-06"\ndate_text = "Early June"\n'
    pack = load_pack(write_pack(text))
    assert [(e.date_text, e.sort_key, e.starts_at) for e in pack.events] == [
        ("24 May 2023", "2023-05-24", None),
        ("June 2023", "2023-06", None),
        ("2024", "2024", None),
        ("Early June", "2023-06", None),
    ]


def test_defaults(write_pack: WritePack) -> None:
    pack = load_pack(write_pack(MINIMAL))
    assert pack.seasons[0].title == "Season 1"
    assert pack.castings[0].source == "src"  # the first source is the default
    assert pack.show.source == "src"


def test_load_dir_reports_every_bad_file(write_pack: WritePack) -> None:
    write_pack(MINIMAL, "a.toml")
    bad1 = write_pack(replace('status = "returning"', 'status = "x"'), "b.toml")
    bad2 = write_pack("not toml at all", "c.toml")
    with pytest.raises(PackError) as info:
        load_dir(bad1.parent)
    text = str(info.value)
    assert str(bad1) in text
    assert str(bad2) in text


def test_load_dir_refuses_duplicate_pack_names_and_seasons(write_pack: WritePack) -> None:
    write_pack(MINIMAL, "a.toml")
    other = write_pack(replace("number = 1", "number = 1", MINIMAL), "b.toml")
    with pytest.raises(PackError) as info:
        load_dir(other.parent)
    assert f'{other}: [pack] name "mini" is already used by' in str(info.value)
    assert f'{other}: season 1 of show "mini-show" is already defined in' in str(info.value)


# --- import --------------------------------------------------------------------------------


async def count(store: Store, table: str) -> int:
    [row] = await store.db.conn.execute_fetchall(f"SELECT count(*) FROM {table}")
    return int(row[0])


async def test_import_is_skipped_when_unchanged(store: Store) -> None:
    pack = load_pack(BUNDLED)
    assert await store.import_pack(pack) is True
    before = await dump(store)
    assert await store.import_pack(load_pack(BUNDLED)) is False
    assert await dump(store) == before
    [info] = await store.content.packs()
    assert info.content_hash == pack.content_hash
    assert info.imported_at >= CLOCK_START
    assert info.imported_at.tzinfo is not None
    assert await count(store, "castings") == 19


async def test_changed_pack_replaces_old_rows_and_keeps_ids(
    store: Store, write_pack: WritePack
) -> None:
    path = write_pack(TWO_SEASONS)
    await store.import_pack(load_pack(path))
    content = store.content
    season = await content.resolve_season("test-show", 2)
    assert season is not None
    premiere = await content.premiere(season.id)
    assert premiere is not None
    assert await content.character(season.id, "beta") is not None

    changed = TWO_SEASONS.replace('name = "Beta"', 'name = "Gamma"').replace(
        'version = "2.0"', 'version = "2.1"'
    )
    path.write_text(changed, encoding="utf-8")
    assert await store.import_pack(load_pack(path)) is True

    assert await content.character_choices(season.id, "Beta") == []  # old rows gone
    gamma = await content.character(season.id, "Gamma")
    assert gamma is not None
    assert gamma.key == "beta"
    assert [p.version for p in await content.packs()] == ["2.1"]
    assert await count(store, "characters") == 3
    assert await count(store, "packs") == 1
    # Season and event ids survive a re-import.
    again = await content.resolve_season("test-show", 2)
    assert again is not None
    assert again.id == season.id
    new_premiere = await content.premiere(season.id)
    assert new_premiere is not None
    assert new_premiere.id == premiere.id


async def test_failing_import_leaves_database_exactly_as_before(
    store: Store, write_pack: WritePack
) -> None:
    path = write_pack(TWO_SEASONS)
    await store.import_pack(load_pack(path))
    # A real SQLite failure half-way through the import, after the old rows were deleted.
    await store.db.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON quotes BEGIN SELECT RAISE(ABORT, 'nope'); END"
    )
    before = await dump(store)
    path.write_text(TWO_SEASONS.replace("Things happen.", "Other things."), encoding="utf-8")
    with pytest.raises(sqlite3.IntegrityError, match="nope"):
        await store.import_pack(load_pack(path))
    assert not store.db.conn.in_transaction
    assert await dump(store) == before


async def test_clash_with_another_pack_is_refused_atomically(
    store: Store, write_pack: WritePack
) -> None:
    await store.import_pack(load_pack(write_pack(MINIMAL, "a.toml")))
    before = await dump(store)
    clash = replace('name = "mini"', 'name = "mini-copy"')
    path = write_pack(clash, "b.toml")
    with pytest.raises(PackError) as info:
        await store.import_pack(load_pack(path))
    assert str(info.value) == (
        f'{path}: season 1 of show "mini-show" is already loaded from pack "mini"'
    )
    assert await dump(store) == before


async def test_import_dir_is_all_or_nothing(store: Store, write_pack: WritePack) -> None:
    write_pack(MINIMAL, "a.toml")
    write_pack(TWO_SEASONS, "b.toml")
    bad = write_pack(replace('name = "mini"', 'name = "Bad Name"'), "c.toml")
    with pytest.raises(PackError, match=str(bad)):
        await store.import_dir(bad.parent)
    assert await store.content.packs() == []

    bad.unlink()
    (bad.parent / ".#a.toml").symlink_to("nowhere")  # an editor's lock file is ignored
    assert await store.import_dir(bad.parent) == [("mini", True), ("two", True)]
    assert await store.import_dir(bad.parent) == [("mini", False), ("two", False)]


async def test_import_dir_of_bundled_content(store: Store) -> None:
    results = dict(await store.import_dir(BUNDLED.parent))
    assert results["heartstopper-s2"] is True


# --- removing packs ------------------------------------------------------------------------


async def pack_rows(store: Store) -> int:
    """Rows of every content table that belong to some pack."""
    tables = ("sources", "shows", "seasons", "people", "characters", "castings", "storylines")
    tables += ("events", "quotes", "notes")
    total = 0
    for table in tables:
        total += await count(store, table)
    return total


async def test_removing_a_pack_takes_out_what_it_imported(
    store: Store, write_pack: WritePack
) -> None:
    await store.import_pack(load_pack(write_pack(MINIMAL, "a.toml")))
    only_mini = await pack_rows(store), await count(store, "search_items")
    await store.import_pack(load_pack(write_pack(TWO_SEASONS, "b.toml")))
    season = await store.content.resolve_season("test-show", 2)
    assert season is not None
    assert await store.content.character_choices(season.id, "Alpha") != []
    ref, now = "test-show/2/premiere-2", datetime(2024, 6, 1, tzinfo=UTC)
    await store.guilds.subscribe(1, ref, channel_id=10, role_id=None, milestones="0", now=now)

    [removed] = await store.remove_packs(["two"])

    assert removed.name == "two"
    assert removed.seasons == ("Test Show season 1", "Test Show season 2")
    assert removed.countdowns == 1
    assert [p.name for p in await store.content.packs()] == ["mini"]
    assert await store.content.resolve_season("test-show", 2) is None
    assert await store.content.character_choices(season.id, "Alpha") == []
    assert (await pack_rows(store), await count(store, "search_items")) == only_mini
    assert await store.guilds.get(1, ref) is not None  # the countdown is kept, not dropped


async def test_a_removed_pack_counts_only_the_live_countdowns_to_its_own_seasons(
    store: Store, write_pack: WritePack
) -> None:
    twelve = replace('name = "mini"', 'name = "twelve"')
    twelve = replace('key = "mini-show"', 'key = "test-show"', twelve)  # test-show season 12
    twelve = replace('title = "Mini Show"', 'title = "Test Show"', twelve)
    twelve = replace("number = 1\n", "number = 12\n", twelve)
    twelve = replace("season = 1\n", "season = 12\n", twelve)
    await store.import_pack(load_pack(write_pack(TWO_SEASONS, "two.toml")))
    await store.import_pack(load_pack(write_pack(twelve, "twelve.toml")))
    now = datetime(2024, 6, 1, tzinfo=UTC)

    async def countdown(guild: int, ref: EventRef) -> None:
        await store.guilds.subscribe(
            guild, ref, channel_id=10, role_id=None, milestones="0", now=now
        )

    await countdown(1, PackEventRef("test-show", 1, "premiere-1"))
    await countdown(2, PackEventRef("test-show", 2, "premiere-2"))
    await store.guilds.pause(2, "no access", now)  # paused countdowns count
    await countdown(3, PackEventRef("test-show", 2, "premiere-2"))
    await store.guilds.stop(3, PackEventRef("test-show", 2, "premiere-2"), now)  # stopped: not
    await countdown(1, PackEventRef("test-show", 12, "premiere"))  # season 12, not 1
    await countdown(1, PackEventRef("test-show-2", 1, "premiere"))  # another show
    await countdown(1, ServerEventRef(1))

    removed = await store.remove_packs(["two", "twelve"])

    assert [(r.name, r.seasons, r.countdowns) for r in removed] == [
        ("two", ("Test Show season 1", "Test Show season 2"), 2),
        ("twelve", ("Test Show season 12",), 1),
    ]


async def test_removing_a_pack_that_is_not_loaded_removes_nothing(store: Store) -> None:
    await store.import_pack(load_pack(BUNDLED))
    before = await dump(store)
    with pytest.raises(StoreError) as info:
        await store.remove_packs(["heartstopper-s2", "nope"])
    assert str(info.value) == (
        "no content pack named 'nope' is loaded (loaded: heartstopper-s2); nothing was removed"
    )
    assert await dump(store) == before


async def test_a_removed_season_comes_back_with_its_pack(
    store: Store, write_pack: WritePack
) -> None:
    path = write_pack(TWO_SEASONS)
    await store.import_pack(load_pack(path))
    await store.remove_packs(["two"])
    assert await store.import_pack(load_pack(path)) is True
    season = await store.content.resolve_season("test-show", 2)
    assert season is not None
    assert await store.content.character(season.id, "beta") is not None


def test_declared_name_reads_only_the_pack_table(write_pack: WritePack) -> None:
    assert declared_name(write_pack(MINIMAL)) == "mini"
    assert declared_name(write_pack("[pack]\nname = 'half'\n[[people]]\nkey = 1\n")) == "half"
    assert declared_name(write_pack("[pack\nname = 'broken'")) is None
    assert declared_name(write_pack("title = 'no pack table'")) is None
