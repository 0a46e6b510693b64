"""Plain records the store returns: frozen, typed, no I/O. Renderers and cogs use only these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

CastStatus = Literal["returning", "new"]
CastFilter = Literal["all", "returning", "new"]
EventKind = Literal["premiere", "trailer", "first_look", "first_scene", "announcement"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from: an article, a post, an interview."""

    key: str
    title: str
    publisher: str | None = None
    url: str | None = None
    published: date | None = None


@dataclass(frozen=True, slots=True)
class Season:
    """One season of one show, with the show's own fields folded in."""

    id: int
    show_key: str
    show_title: str
    number: int
    title: str
    synopsis: str
    platform: str | None
    is_current: bool
    source: Source

    @property
    def label(self) -> str:
        """How people name it: "Heartstopper season 2"."""
        return season_label(self.show_title, self.number)


def season_label(show_title: str, number: int) -> str:
    """How people name a season: "Heartstopper season 2"."""
    return f"{show_title} season {number}"


@dataclass(frozen=True, slots=True)
class Casting:
    """One person in one role in one season. `character_*` is None when no source names it."""

    person_key: str
    person_name: str
    character_key: str | None
    character_name: str | None
    status: CastStatus
    note: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class StorylineSummary:
    """A storyline's key and title, as listed under a character."""

    key: str
    title: str
    spoiler: bool


@dataclass(frozen=True, slots=True)
class Quote:
    """Words someone said, with who said them and where."""

    text: str
    speaker: str
    context: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class CharacterProfile:
    """What a season's sources say about one character."""

    key: str
    name: str
    about: str | None
    castings: tuple[Casting, ...]
    storylines: tuple[StorylineSummary, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class PersonProfile:
    """What the sources say about one actor, and every role they have in loaded seasons."""

    key: str
    name: str
    about: str | None
    castings: tuple[tuple[Season, Casting], ...]
    quotes: tuple[Quote, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Storyline:
    """A thread of a season's plot."""

    key: str
    title: str
    summary: str
    spoiler: bool
    characters: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Event:
    """A dated happening: the premiere, a trailer, a first look.

    `starts_at` is an aware UTC datetime when the source gives an exact moment; otherwise
    `date_text` says what it does give ("June 2023") and `starts_at` is None.
    """

    id: int
    key: str
    kind: EventKind
    title: str
    starts_at: datetime | None
    date_text: str | None
    platform: str | None
    url: str | None
    description: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class Note:
    """A fact about the show or season that is not a person, plot or event (records, renewals)."""

    key: str
    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class PackInfo:
    """A content pack as imported: for /about and the import log."""

    name: str
    title: str
    version: str
    content_hash: str
    imported_at: datetime
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete answer: what the user sees and the value the command receives."""

    name: str
    value: str
