"""The records the bot shows: frozen, typed, no I/O. Renderers and cogs use only these.

Each content table has one "facts" class: what a pack says about an item and the bot shows
as it is. The pack's entry (`bot.content.schema`) and the record both extend it, and the store
copies its fields column by column (`bot.store.tables`): adding a field to a facts class is
all it takes for packs to accept it and records to carry it, given a migration for the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from bot.content.fields import (
    CastStatus,
    Day,
    EventKind,
    Flag,
    Key,
    Kind,
    LongText,
    Moment,
    Name,
    Number,
    Status,
    Title,
    Url,
    Version,
)

__all__ = [
    "CastFilter", "CastStatus", "Casting", "CastingFacts", "CharacterProfile", "Choice",
    "Event", "EventFacts", "EventKind", "NamedFacts", "Note", "NoteFacts", "PackFacts",
    "PackInfo", "PersonProfile", "Quote", "QuoteFacts", "Season", "SeasonChoice",
    "SeasonFacts", "ShowFacts", "Source", "Storyline", "StorylineFacts", "StorylineSummary",
    "season_label",
]  # fmt: skip

CastFilter = Literal["all", "returning", "new"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a fact comes from: an article, a post, an interview."""

    key: Key
    title: Title
    publisher: Name | None = None
    url: Url | None = None
    published: Day | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowFacts:
    """What a pack says about its show; a `Season` carries it as show_key, show_title, platform."""

    key: Key
    title: Name
    platform: Name | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonFacts:
    """What a pack says about a season."""

    number: Number
    title: Name
    synopsis: LongText


@dataclass(frozen=True, slots=True, kw_only=True)
class Season(SeasonFacts):
    """One season of one show, with the show's own fields folded in."""

    id: int
    show_key: str
    show_title: str
    platform: str | None
    is_current: bool
    source: Source

    @property
    def label(self) -> str:
        """How people name it: "Heartstopper season 2"."""
        return season_label(self.show_title, self.number)

    @property
    def choice(self) -> SeasonChoice:
        """The season as a `show` option's value."""
        return SeasonChoice(self.show_key, self.number)


class SeasonChoice(NamedTuple):
    """A season as a `show` option's value: its show's key and its number, "heartstopper:2"."""

    show_key: str
    number: int

    def __str__(self) -> str:
        return f"{self.show_key}:{self.number}"

    @classmethod
    def parse(cls, value: str) -> SeasonChoice | None:
        """The season a value names, or None for anything else (free text typed by hand)."""
        show, colon, number = value.strip().rpartition(":")
        if colon and show and number.isascii() and number.isdigit() and len(number) <= 5:
            return cls(show, int(number))
        return None


def season_label(show_title: str, number: int) -> str:
    """How people name a season: "Heartstopper season 2"."""
    return f"{show_title} season {number}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedFacts:
    """What a pack says about a person or a character."""

    key: Key
    name: Name
    about: LongText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CastingFacts:
    """What a pack says about one person in one role."""

    status: Status
    note: LongText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Casting(CastingFacts):
    """One person in one role in one season. `character_*` is None when no source names it."""

    person_key: str
    person_name: str
    character_key: str | None
    character_name: str | None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class StorylineSummary:
    """A storyline's key and title, as listed under a character."""

    key: str
    title: str
    spoiler: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteFacts:
    """Words someone said, with who said them and where."""

    speaker: Name
    text: LongText
    context: LongText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote(QuoteFacts):
    """A quote as the bot shows it."""

    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class CharacterProfile(NamedFacts):
    """What a season's sources say about one character."""

    castings: tuple[Casting, ...]
    storylines: tuple[StorylineSummary, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonProfile(NamedFacts):
    """What the sources say about one actor, and every role they have in loaded seasons."""

    castings: tuple[tuple[Season, Casting], ...]
    quotes: tuple[Quote, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class StorylineFacts:
    """What a pack says about a thread of a season's plot."""

    key: Key
    title: Name
    summary: LongText
    spoiler: Flag = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Storyline(StorylineFacts):
    """A thread of a season's plot; `characters` holds their names."""

    characters: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFacts:
    """What a pack says about a dated happening: the premiere, a trailer, a first look.

    `starts_at` is an aware UTC datetime when the source gives an exact moment; otherwise
    `date_text` says what it does give ("June 2023") and `starts_at` is None.
    """

    key: Key
    kind: Kind
    title: Name
    starts_at: Moment | None = None
    date_text: Name | None = None
    platform: Name | None = None
    url: Url | None = None
    description: LongText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(EventFacts):
    """An event as the bot shows it; `id` is its row, kept across re-imports."""

    id: int
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteFacts:
    """A fact about the show or season that is not a person, plot or event (records, renewals)."""

    key: Key
    text: LongText


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(NoteFacts):
    """A note as the bot shows it."""

    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class PackFacts:
    """What a pack says about itself."""

    name: Key
    title: Name
    version: Version


@dataclass(frozen=True, slots=True, kw_only=True)
class PackInfo(PackFacts):
    """A content pack as imported: for /about and the import log."""

    content_hash: str
    imported_at: datetime
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """An autocomplete answer: what the user sees and the value the command receives."""

    name: str
    value: str
