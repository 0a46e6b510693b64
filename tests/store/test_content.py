from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.records import Season, SeasonChoice
from bot.store import Store, load_pack
from bot.store.text import fold
from tests.store.conftest import BUNDLED, MINIMAL, TWO_SEASONS

WritePack = Callable[..., Path]
Runner = asyncio.Runner

HOSTILE = [
    "%",
    "_",
    "%%%___",
    "'",
    "';",
    "'; DROP TABLE characters; --",
    "\\",
    "\\%",
    '" OR 1=1 --',
    "tao%",
    "%tao",
    "t_o",
    "\x00",
    "tao\x00xu",
    "🍂",
    "🏳️‍🌈 tao",
    "x" * 10_000,
    "tao " * 3_000,
    " ",
    "\n\t",
    "ǅ",
    "ﬁ",
    "İstanbul",
    "\u200b",
]


# --- fold ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Thibàult  de MONTALEMBERT!", "thibault de montalembert"),
        ("Mr. Farouk", "mr farouk"),
        ("Cormac Hyde-Corrin", "cormac hyde corrin"),
        ("  ", ""),
        ("%_';\\", ""),
        ("Straße", "strasse"),
        ("ﬁlm", "film"),
        ("Zoë\x00Élan", "zoe elan"),
        ("🍂 Tao 🍂", "tao"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@given(st.text())
def test_fold_is_idempotent_and_clean(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip()
    assert "  " not in once


# --- seasons -------------------------------------------------------------------------------


async def test_seasons_and_default(loaded: Store, season: Season) -> None:
    assert await loaded.content.seasons() == [season]
    assert season.label == "Heartstopper season 2"
    assert season.is_current
    assert season.platform == "Netflix"
    assert await loaded.content.resolve_season() == season
    assert await loaded.content.resolve_season("Heartstopper") == season
    assert await loaded.content.resolve_season("  HEARTSTOPPER ") == season
    assert await loaded.content.resolve_season(None, 2) == season
    assert await loaded.content.resolve_season("heartstopper", 1) is None
    assert await loaded.content.resolve_season("Call My Agent") is None


async def test_resolve_season_across_shows(store: Store, write_pack: WritePack) -> None:
    no_current = MINIMAL.replace("current = true\n", "").replace(
        'title = "Mini Show"', 'title = "Aardvark Show"'
    )
    no_current += '\n[[seasons]]\nnumber = 4\nsynopsis = "Later."\n'
    await store.import_pack(load_pack(write_pack(no_current, "a.toml")))
    await store.import_pack(load_pack(write_pack(TWO_SEASONS, "b.toml")))
    content = store.content
    default = await content.resolve_season()
    assert default is not None
    # "Aardvark Show" sorts first but has no current season: the default is Test Show's.
    assert (default.show_key, default.number) == ("test-show", 2)
    latest = await content.resolve_season("mini-show")
    assert latest is not None
    assert latest.number == 4  # no current season: the latest
    by_title = await content.resolve_season("aardvark show", 1)
    assert by_title is not None
    assert (by_title.show_key, by_title.number) == ("mini-show", 1)
    first = await content.resolve_season(None, 1)
    assert first is not None
    assert first.show_key == "test-show"  # the show with a current season wins
    labels = [s.label for s in await content.seasons()]
    assert labels == [
        "Aardvark Show season 1",
        "Aardvark Show season 4",
        "Test Show season 1",
        "Test Show season 2",
    ]


async def test_season_choices(store: Store, write_pack: WritePack) -> None:
    await store.import_pack(load_pack(BUNDLED))
    await store.import_pack(load_pack(write_pack(TWO_SEASONS)))
    content = store.content
    everything = await content.season_choices("")
    assert [c.value for c in everything][:2] == ["heartstopper:2", "test-show:2"]  # current first
    assert {c.value for c in everything} == {"heartstopper:2", "test-show:1", "test-show:2"}
    [heart] = await content.season_choices("heart")
    assert (heart.name, heart.value) == ("Heartstopper season 2", "heartstopper:2")
    assert [c.value for c in await content.season_choices("test 1")] == ["test-show:1"]
    assert [c.value for c in await content.season_choices("s1")] == ["test-show:1"]
    assert await content.season_choices("nothing like it") == []
    assert len(await content.season_choices("", limit=1)) == 1

    season = await content.season_by_choice("heartstopper:2")
    assert season is not None
    assert season.label == "Heartstopper season 2"
    typed = await content.season_by_choice("Heartstopper")
    assert typed == season
    assert await content.season_by_choice("heartstopper:9") is None
    for junk in ["x:y", ":", "", "%", "nope:1", "heartstopper:99999999999", "🍂", "x:²"]:
        assert await content.season_by_choice(junk) is None, junk


def test_a_season_choice_is_written_and_read_by_one_type() -> None:
    choice = SeasonChoice("heartstopper", 2)
    assert str(choice) == "heartstopper:2"
    assert SeasonChoice.parse(" heartstopper:2 ") == choice
    assert SeasonChoice.parse("a:b:3") == SeasonChoice("a:b", 3)
    for other in ["heartstopper", ":2", "heartstopper:", "x:y", "x:-1", "x:123456", "x:²"]:
        assert SeasonChoice.parse(other) is None, other


# --- cast ----------------------------------------------------------------------------------


async def test_cast_in_pack_order_with_filter(loaded: Store, season: Season) -> None:
    everyone = await loaded.content.cast(season.id)
    assert len(everyone) == 19
    assert everyone[0].person_name == "Kit Connor"
    assert everyone[0].character_name == "Nick Nelson"
    returning = await loaded.content.cast(season.id, "returning")
    new = await loaded.content.cast(season.id, "new")
    assert len(returning) == 13
    assert [c.person_name for c in new] == [
        "Bel Priestley", "Ash Self", "Leila Khan", "Thibault de Montalembert", "Jack Barton",
        "Nima Taleghani",
    ]  # fmt: skip
    thibault = new[3]
    assert (thibault.character_key, thibault.character_name, thibault.status) == (
        "stephane",
        "Stephane",
        "new",
    )
    colman = next(c for c in returning if c.person_name == "Olivia Colman")
    assert colman.character_key is None
    assert colman.character_name is None
    assert colman.note is not None
    assert all(c.source.title for c in everyone)


# --- autocomplete --------------------------------------------------------------------------


async def test_empty_query_lists_in_pack_order(loaded: Store, season: Season) -> None:
    content = loaded.content
    characters = await content.character_choices(season.id, "")
    assert len(characters) == 18
    assert characters[0].name == "Nick Nelson — Kit Connor"
    assert characters[0].value == "nick-nelson"
    assert characters[-1].name == "Mr. Farouk — Nima Taleghani"
    people = await content.person_choices(season.id, "")
    assert len(people) == 19
    assert people[2].name == "William Gao — Tao Xu"
    colman = next(c for c in people if c.value == "olivia-colman")
    assert colman.name == "Olivia Colman"
    assert len(await content.person_choices(season.id, "", limit=5)) == 5
    assert len(await content.person_choices(season.id, "", limit=500)) == 19
    stories = await content.storyline_choices(season.id, "")
    assert stories[0].value == "nick-and-charlie"
    assert await content.character_choices(season.id, "?!...") == characters


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tao", "Tao Xu — William Gao"),
        ("Tao", "Tao Xu — William Gao"),
        ("xu tao", "Tao Xu — William Gao"),
        ("montalembert", "Stephane — Thibault de Montalembert"),
        ("THIBAULT", "Stephane — Thibault de Montalembert"),
        ("thibault", "Stephane — Thibault de Montalembert"),
        ("Thibàult", "Stephane — Thibault de Montalembert"),
        ("farouk", "Mr. Farouk — Nima Taleghani"),
        ("mr farouk", "Mr. Farouk — Nima Taleghani"),
        ("hyde corrin", "Harry Greene — Cormac Hyde-Corrin"),
        ("nelson", "Nick Nelson — Kit Connor"),
        ("ARGENT", "Elle Argent — Yasmin Finney"),
    ],
)
async def test_character_choices_match(
    loaded: Store, season: Season, query: str, first: str
) -> None:
    choices = await loaded.content.character_choices(season.id, query)
    assert choices
    assert choices[0].name == first


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tao", "William Gao — Tao Xu"),
        ("william", "William Gao — Tao Xu"),
        ("montalembert", "Thibault de Montalembert — Stephane"),
        ("de mont", "Thibault de Montalembert — Stephane"),
        ("colman", "Olivia Colman"),
        ("jOe", "Joe Locke — Charlie Spring"),
    ],
)
async def test_person_choices_match(loaded: Store, season: Season, query: str, first: str) -> None:
    choices = await loaded.content.person_choices(season.id, query)
    assert choices
    assert choices[0].name == first


async def test_ties_keep_pack_order(loaded: Store, season: Season) -> None:
    names = [c.name for c in await loaded.content.character_choices(season.id, "nelson")]
    assert names == ["Nick Nelson — Kit Connor", "David Nelson — Jack Barton"]


async def test_ranking(store: Store, write_pack: WritePack) -> None:
    extra = "".join(
        f'\n[[characters]]\nkey = "c{i}"\nname = "{name}"\n'
        f'\n[[castings]]\nperson = "kit"\ncharacter = "c{i}"\nseason = 1\nstatus = "new"\n'
        for i, name in enumerate(["Joanne", "Mary Ann", "Annabel", "Ann"])
    )
    await store.import_pack(load_pack(write_pack(MINIMAL + extra)))
    season = await store.content.resolve_season()
    assert season is not None
    names = [c.name for c in await store.content.character_choices(season.id, "ann")]
    # exact, then prefix, then a word starting with it, then anywhere
    assert names == [
        "Ann — Kit Connor",
        "Annabel — Kit Connor",
        "Mary Ann — Kit Connor",
        "Joanne — Kit Connor",
    ]


async def test_storyline_choices(loaded: Store, season: Season) -> None:
    choices = await loaded.content.storyline_choices(season.id, "paris")
    assert [c.value for c in choices] == ["exams-paris-prom"]
    # character names are searchable too
    darcy = await loaded.content.storyline_choices(season.id, "darcy")
    assert [c.value for c in darcy] == ["tara-and-darcy"]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_queries_are_safe(loaded: Store, season: Season, query: str) -> None:
    content = loaded.content
    for choices in (
        await content.character_choices(season.id, query),
        await content.person_choices(season.id, query),
        await content.storyline_choices(season.id, query),
        await content.season_choices(query),
    ):
        assert len(choices) <= 25
        for choice in choices:
            assert 0 < len(choice.name) <= 100
            assert 0 < len(choice.value) <= 100
    await content.character(season.id, query)
    await content.person(season.id, query)
    await content.storyline(season.id, query)
    await content.suggest_characters(season.id, query)
    await content.season_by_choice(query)
    await content.resolve_season(query)
    assert len(await content.cast(season.id)) == 19  # nothing was dropped


async def test_punctuation_only_is_like_empty(loaded: Store, season: Season) -> None:
    empty = await loaded.content.character_choices(season.id, "")
    for query in ["%", "_", "'", "\\", "\x00", "🍂", " - "]:
        assert await loaded.content.character_choices(season.id, query) == empty, query


async def test_long_names_are_clipped(store: Store, write_pack: WritePack) -> None:
    long_name = "Bartholomew " * 16  # 192 characters
    text = MINIMAL.replace('name = "Nick Nelson"', f'name = "{long_name.strip()}"')
    text = text.replace('name = "Kit Connor"', f'name = "{long_name.strip()} Senior"')
    await store.import_pack(load_pack(write_pack(text)))
    season = await store.content.resolve_season()
    assert season is not None
    [choice] = await store.content.character_choices(season.id, "bartholomew")
    assert len(choice.name) == 100
    assert choice.name.endswith("…")
    [person] = await store.content.person_choices(season.id, "senior")
    assert len(person.name) <= 100


@pytest.fixture(scope="module")
def sync_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int, Runner]]:
    runner = asyncio.Runner()
    path = tmp_path_factory.mktemp("hypothesis") / "fanbot.sqlite3"

    async def setup() -> tuple[Store, int]:
        store = await Store.open(path)
        await store.import_pack(load_pack(BUNDLED))
        season = await store.content.resolve_season()
        assert season is not None
        return store, season.id

    store, season_id = runner.run(setup())
    yield store, season_id, runner
    runner.run(store.close())
    runner.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=300))
def test_any_text_is_a_safe_query(sync_store: tuple[Store, int, Runner], query: str) -> None:
    store, season_id, runner = sync_store

    async def check() -> None:
        for choices in (
            await store.content.character_choices(season_id, query),
            await store.content.person_choices(season_id, query),
            await store.content.storyline_choices(season_id, query),
        ):
            assert len(choices) <= 25
            assert all(0 < len(c.name) <= 100 and 0 < len(c.value) <= 100 for c in choices)
        await store.content.character(season_id, query)
        await store.content.suggest_people(season_id, query)

    runner.run(check())


# --- lookups -------------------------------------------------------------------------------


async def test_character_lookup(loaded: Store, season: Season) -> None:
    content = loaded.content
    by_key = await content.character(season.id, "tao-xu")
    assert by_key is not None
    assert by_key.name == "Tao Xu"
    assert await content.character(season.id, "TAO XU") == by_key
    assert await content.character(season.id, "xu") == by_key  # the only hit
    assert await content.character(season.id, "william gao") == by_key  # via the actor
    assert [c.person_name for c in by_key.castings] == ["William Gao"]
    assert [s.key for s in by_key.storylines] == ["tao-and-elle"]
    stephane = await content.character(season.id, "montalembert")
    assert stephane is not None
    assert stephane.name == "Stephane"
    assert stephane.about == "Nick's father."
    assert stephane.castings[0].status == "new"
    charlie = await content.character(season.id, "charlie spring")
    assert charlie is not None
    assert [(s.key, s.spoiler) for s in charlie.storylines] == [
        ("nick-and-charlie", False),
        ("charlie-mental-health", True),
    ]
    assert await content.character(season.id, "nelson") is None  # two hits
    assert await content.character(season.id, "nobody at all") is None
    assert await content.character(season.id, "") is None
    assert await content.character(season.id + 999, "tao-xu") is None


async def test_person_lookup(loaded: Store, season: Season) -> None:
    content = loaded.content
    kit = await content.person(season.id, "Kit Connor")
    assert kit is not None
    assert kit.key == "kit-connor"
    [(kit_season, role)] = kit.castings
    assert kit_season == season
    assert role.character_name == "Nick Nelson"
    assert len(kit.quotes) == 2
    assert kit.quotes[0].text.startswith("I think Charlie’s mental health")
    joe = await content.person(season.id, "joe-locke")
    assert joe is not None
    assert [q.speaker for q in joe.quotes] == ["Kit Connor and Joe Locke"]
    colman = await content.person(season.id, "olivia colman")
    assert colman is not None
    [(_, casting)] = colman.castings
    assert casting.character_name is None
    thibault = await content.person(season.id, "Thibàult")
    assert thibault is not None
    assert thibault.name == "Thibault de Montalembert"
    assert thibault.about == "Star of Call My Agent."


async def test_person_across_seasons_and_packs(store: Store, write_pack: WritePack) -> None:
    await store.import_pack(load_pack(write_pack(TWO_SEASONS, "a.toml")))
    # Another show, another pack, the same actor.
    other = MINIMAL.replace('name = "Kit Connor"', 'name = "Ann Actor"').replace(
        'name = "mini"', 'name = "other"'
    )
    await store.import_pack(load_pack(write_pack(other, "b.toml")))
    content = store.content
    s2 = await content.resolve_season("test-show", 2)
    assert s2 is not None
    ann = await content.person(s2.id, "ann")
    assert ann is not None
    assert [(s.label, c.character_name, c.status) for s, c in ann.castings] == [
        ("Mini Show season 1", "Nick Nelson", "returning"),
        ("Test Show season 1", "Alpha", "new"),
        ("Test Show season 2", "Alpha", "returning"),
    ]
    assert [q.text for q in ann.quotes] == ["Season one was fun."]
    writer = await content.person(s2.id, "wendy")  # quoted, never cast
    assert writer is not None
    assert writer.castings == ()
    assert [q.context for q in writer.quotes] == ["At a panel."]
    # Characters and people belong to the seasons they appear in.
    assert await content.character(s2.id, "only-one") is None
    s1 = await content.resolve_season("test-show", 1)
    assert s1 is not None
    assert await content.character(s1.id, "only-one") is not None
    assert [c.value for c in await content.person_choices(s1.id, "")] == ["ann", "bob"]
    bob = await content.character(s2.id, "beta")
    assert bob is not None
    assert bob.castings[0].note == "Bob plays someone else now."
    assert [c.name for c in await content.character_choices(s2.id, "")] == [
        "Alpha — Ann Actor",
        "Beta — Bob Builder",
    ]


async def test_storyline_lookup(loaded: Store, season: Season) -> None:
    content = loaded.content
    story = await content.storyline(season.id, "tao-and-elle")
    assert story is not None
    assert story.characters == ("Tao Xu", "Elle Argent")
    assert not story.spoiler
    assert await content.storyline(season.id, "Tao and Elle: more than friends?") == story
    assert await content.storyline(season.id, "mental") is not None
    assert await content.storyline(season.id, "zzz") is None
    stories = await content.storylines(season.id)
    assert [s.key for s in stories] == [
        "nick-and-charlie", "charlie-mental-health", "tara-and-darcy", "tao-and-elle",
        "exams-paris-prom",
    ]  # fmt: skip
    assert stories[-1].characters == ()
    assert stories[1].spoiler
    assert stories[1].source.publisher == "HuffPost"


async def test_suggestions(loaded: Store, season: Season) -> None:
    content = loaded.content
    assert await content.suggest_characters(season.id, "nik") == ["Nick Nelson"]
    assert (await content.suggest_characters(season.id, "Charly"))[0] == "Charlie Spring"
    nelsons = await content.suggest_characters(season.id, "nelson")
    assert nelsons[:2] == ["Nick Nelson", "David Nelson"]  # search hits, then look-alikes
    assert await content.suggest_people(season.id, "olivia colmann") == ["Olivia Colman"]
    assert (await content.suggest_people(season.id, "Wiliam"))[0] == "William Gao"
    assert await content.suggest_storylines(season.id, "pariss") == [
        "Exams, a school trip to Paris, and prom"
    ]
    assert await content.suggest_characters(season.id, "qqqqqqq") == []
    assert await content.suggest_characters(season.id, "") == []
    assert await content.suggest_characters(season.id, "%%") == []
    assert len(await content.suggest_characters(season.id, "e", limit=2)) == 2
    assert await content.suggest_characters(season.id, "tao", limit=0) == []


# --- events, notes, quotes, packs ----------------------------------------------------------


async def test_events(loaded: Store, season: Season) -> None:
    content = loaded.content
    events = await content.events(season.id)
    assert [e.kind for e in events] == [
        "announcement", "first_look", "first_scene", "premiere", "trailer",
    ]  # fmt: skip
    premiere = await content.premiere(season.id)
    assert premiere is not None
    assert premiere.starts_at == datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
    assert premiere.starts_at.utcoffset() is not None
    assert premiere.platform == "Netflix"
    assert premiere == events[3]
    only = await content.events(season.id, ["first_look", "trailer"])
    assert [e.kind for e in only] == ["first_look", "trailer"]
    assert only[0].url == "https://pic.twitter.com/5Xz6Dcb7N8"
    assert await content.events(season.id, []) == []


async def test_events_order_and_premiere_per_season(store: Store, write_pack: WritePack) -> None:
    await store.import_pack(load_pack(write_pack(TWO_SEASONS)))
    content = store.content
    s1 = await content.resolve_season("test-show", 1)
    s2 = await content.resolve_season("test-show", 2)
    assert s1 is not None
    assert s2 is not None
    assert [e.key for e in await content.events(s2.id)] == ["look", "premiere-2", "undated"]
    first = await content.premiere(s1.id)
    assert first is not None
    assert first.starts_at == datetime(2024, 1, 1, 19, 0, tzinfo=UTC)
    assert s1.title == "The first"
    assert s2.source.title == "A blog"


async def test_notes_quotes_and_packs(loaded: Store, season: Season) -> None:
    content = loaded.content
    notes = {n.key: n.text for n in await content.notes(season.id)}
    assert set(notes) == {"rotten-tomatoes", "best-of-2022", "third-season", "main-cast-returns"}
    kit = await content.person(season.id, "kit-connor")
    assert kit is not None
    assert [q.speaker for q in kit.quotes] == ["Kit Connor", "Kit Connor and Joe Locke"]
    [pack] = await content.packs()
    assert pack.name == "heartstopper-s2"
    assert pack.version == "1.0.0"
    assert pack.sources[0].key == "article"
    assert pack.imported_at.tzinfo is not None


async def test_show_notes_apply_to_every_season(store: Store, write_pack: WritePack) -> None:
    await store.import_pack(load_pack(write_pack(TWO_SEASONS)))
    content = store.content
    s1 = await content.resolve_season("test-show", 1)
    s2 = await content.resolve_season("test-show", 2)
    assert s1 is not None
    assert s2 is not None
    assert [n.key for n in await content.notes(s1.id)] == ["show-wide", "s1-only"]
    assert [n.key for n in await content.notes(s2.id)] == ["show-wide", "s2-only"]
    [(pack)] = await content.packs()
    assert pack.sources[0].published is not None
    assert pack.sources[0].url == "https://example.org/paper"
