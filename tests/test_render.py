"""bot/render.py: whatever a pack holds, every embed stays inside Discord's limits."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.content.records import (
    Casting,
    CharacterProfile,
    Event,
    Note,
    PackInfo,
    PersonProfile,
    Quote,
    Season,
    Source,
    Storyline,
    StorylineSummary,
)
from bot.emulator.rules import embed_problems

text = st.text(min_size=1, max_size=5000)
short = st.text(min_size=1, max_size=400)
NOW = datetime(2023, 7, 9, 12, tzinfo=UTC)


def fits(embed: discord.Embed) -> None:
    assert embed_problems([embed.to_dict()]) == []  # type: ignore[list-item]


sources = st.builds(
    Source,
    key=st.just("s"),
    title=short,
    publisher=st.none() | short,
    url=st.none(),
    published=st.none() | st.dates(date(2000, 1, 1), date(2030, 1, 1)),
)
seasons = st.builds(
    Season,
    id=st.just(1),
    show_key=st.just("show"),
    show_title=short,
    number=st.integers(1, 99),
    title=short,
    synopsis=text,
    platform=st.none() | short,
    is_current=st.just(True),
    source=sources,
)
castings = st.builds(
    Casting,
    person_key=st.just("p"),
    person_name=short,
    character_key=st.none() | st.just("c"),
    character_name=st.none() | short,
    status=st.sampled_from(["returning", "new"]),
    note=st.none() | text,
    source=sources,
)
storylines = st.builds(
    Storyline,
    key=st.just("k"),
    title=short,
    summary=text,
    spoiler=st.booleans(),
    characters=st.lists(short, max_size=30).map(tuple),
    source=sources,
)
quotes = st.builds(Quote, text=text, speaker=short, context=st.none() | short, source=sources)
events = st.builds(
    Event,
    id=st.just(1),
    key=st.just("e"),
    kind=st.sampled_from(["premiere", "trailer", "first_look", "first_scene", "announcement"]),
    title=short,
    starts_at=st.none() | st.just(NOW + timedelta(days=3)),
    date_text=st.none() | short,
    platform=st.none() | short,
    url=st.none() | st.just("https://example.org/watch"),
    description=st.none() | text,
    source=sources,
)


@settings(max_examples=40, deadline=None)
@given(seasons, st.lists(castings, max_size=60), st.integers(0, 5))
def test_cast_pages_fit(season: Season, cast: list[Casting], page: int) -> None:
    fits(render.cast_page(season, cast, "all", page))


@settings(max_examples=40, deadline=None)
@given(
    seasons, short, st.none() | text, st.lists(castings, max_size=30), st.lists(short, max_size=40)
)
def test_character_fits(
    season: Season, name: str, about: str | None, cast: list[Casting], titles: list[str]
) -> None:
    summaries = tuple(
        StorylineSummary(key=str(i), title=t, spoiler=i % 2 == 0) for i, t in enumerate(titles)
    )
    profile = CharacterProfile(
        key="c",
        name=name,
        about=about,
        castings=tuple(cast),
        storylines=summaries,
        source=season.source,
    )
    fits(render.character(season, profile))


@settings(max_examples=40, deadline=None)
@given(
    seasons, short, st.none() | text, st.lists(castings, max_size=30), st.lists(quotes, max_size=5)
)
def test_person_fits(
    season: Season, name: str, about: str | None, cast: list[Casting], said: list[Quote]
) -> None:
    profile = PersonProfile(
        key="p",
        name=name,
        about=about,
        castings=tuple((season, c) for c in cast),
        quotes=tuple(said),
        source=season.source,
    )
    fits(render.person(profile))


@settings(max_examples=40, deadline=None)
@given(seasons, st.lists(storylines, max_size=30), st.lists(short, max_size=30))
def test_plot_fits(season: Season, threads: list[Storyline], facts: list[str]) -> None:
    notes = [Note(key=str(i), text=f, source=season.source) for i, f in enumerate(facts)]
    fits(render.synopsis(season, threads, notes))
    for thread in threads:
        fits(render.storyline(season, thread))


@settings(max_examples=40, deadline=None)
@given(seasons, st.none() | events, st.lists(events, max_size=30))
def test_dates_fit(season: Season, premiere: Event | None, shown: list[Event]) -> None:
    fits(render.premiere(season, premiere, NOW))
    fits(render.trailers(season, shown))


@settings(max_examples=20, deadline=None)
@given(st.lists(seasons, max_size=30), st.lists(st.lists(sources, max_size=40), max_size=10))
def test_about_fits(loaded: list[Season], pack_sources: list[list[Source]]) -> None:
    packs = [
        PackInfo(
            name=f"p{i}",
            title="Pack",
            version="1",
            content_hash="hash",
            imported_at=NOW,
            sources=tuple(s),
        )
        for i, s in enumerate(pack_sources)
    ]
    fits(render.about("1.0", packs, loaded))


def test_cut_keeps_words_whole() -> None:
    assert render.cut("a short line", 100) == "a short line"
    cut = render.cut("the quick brown fox jumps over the lazy dog", 20)
    assert len(cut) <= 20
    assert cut.endswith("…")
    assert cut == "the quick brown fox…"


def test_spoiler_wraps_within_the_limit() -> None:
    wrapped = render.spoiler("x " * 3000, 4096)
    assert wrapped.startswith("||")
    assert wrapped.endswith("||")
    assert len(wrapped) <= 4096


def test_countdown_phrases() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)
    assert render.countdown_phrase(premiere, premiere - timedelta(days=7)) == "7 days to go"
    assert render.countdown_phrase(premiere, premiere - timedelta(days=1)) == "1 day to go"
    assert (
        render.countdown_phrase(premiere, premiere - timedelta(hours=5)) == "Less than a day to go!"
    )
    assert render.countdown_phrase(premiere, premiere + timedelta(hours=1)).startswith("Out now")
    assert "3 days ago" in render.countdown_phrase(premiere, premiere + timedelta(days=3))
    assert "364 days ago" in render.countdown_phrase(premiere, premiere + timedelta(days=364))
    assert "1 year ago" in render.countdown_phrase(premiere, premiere + timedelta(days=400))
    assert "3 years ago" in render.countdown_phrase(premiere, premiere + timedelta(days=1210))


def test_echo_escapes_markdown_and_flattens() -> None:
    assert render.echo("**hi**\n\nthere") == "\\*\\*hi\\*\\* there"
    assert render.echo("   ") == "(nothing)"


def test_timestamps_are_discord_markup() -> None:
    moment = datetime(2023, 8, 3, 7, tzinfo=UTC)
    assert render.timestamp(moment, "F") == "<t:1691046000:F>"


def _profile(season: Season, about: str) -> CharacterProfile:
    casting = Casting(
        person_key="kit",
        person_name="Kit Connor",
        character_key="nick",
        character_name="Nick Nelson",
        status="returning",
        source=season.source,
    )
    storyline = StorylineSummary(key="nc", title="Nick and Charlie", spoiler=False)
    return CharacterProfile(
        key="nick",
        name="Nick Nelson",
        about=about,
        castings=(casting,),
        storylines=(storyline,),
        source=season.source,
    )


SEASON = Season(
    id=1,
    show_key="show",
    show_title="Show",
    number=2,
    title="Show 2",
    synopsis="A synopsis.",
    platform=None,
    is_current=True,
    source=Source(key="s", title="Src"),
)


def test_a_character_card() -> None:
    card = render.character(SEASON, _profile(SEASON, "Loved up."))
    assert card.title == "Nick Nelson" and card.description == "Loved up."
    assert [f.name for f in card.fields] == ["Played by Kit Connor", "Storylines"]


def test_render_loads_records_without_the_store() -> None:
    loaded = "sorted({'aiosqlite', 'bot.store.packs', 'pydantic'} & {*sys.modules})"
    script = f"import bot.render, sys; print({loaded})"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
