"""The content pack format, declared once: one pydantic model per TOML table.

`PackFile` is a whole pack file. Its sections are validated in the order they are declared,
with a `Refs` as the validation context: an item's key registers itself there as it is
checked, and a reference (a season number, a person's key, a source) is checked against what
was registered before it, so every cross-reference is checked by the validator of the field
that holds it. Entries extend the facts classes of `bot.content.records`, so a field added to
a facts class is accepted in packs and carried to the records. The format is described in
docs/content-packs.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as entry
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from bot.content.fields import (
    FIELD,
    ITEM,
    Flag,
    Name,
    Title,
    When,
    checked_key,
    checked_number,
    field_problem,
    item_problem,
    listed_key,
)
from bot.content.records import (
    CastingFacts,
    EventFacts,
    NamedFacts,
    NoteFacts,
    PackFacts,
    QuoteFacts,
    SeasonFacts,
    ShowFacts,
    Source,
    StorylineFacts,
)

ENTRY = ConfigDict(extra="forbid")
T = TypeVar("T")


@dataclass
class Refs:
    """What the items checked so far define and use: the context of one pack's validation."""

    sources: list[str] = field(default_factory=list)
    seasons: set[int] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # people's names by key
    used: dict[str, set[str]] = field(default_factory=dict)  # people, characters
    castings: set[tuple[str, str | None, int]] = field(default_factory=set)

    def defined(self, section: str) -> set[str]:
        """The keys defined in `section` so far."""
        return self.keys.setdefault(section, set())

    def use(self, section: str, key: str) -> None:
        """Note that something refers to the item `key` of `section`."""
        self.used.setdefault(section, set()).add(key)


def refs_of(info: ValidationInfo) -> Refs:
    """The `Refs` a validation runs with."""
    if not isinstance(info.context, Refs):  # pragma: no cover - bot.store.packs always gives it
        raise TypeError("a pack is validated with a Refs as its context")
    return info.context


def _new_key(section: str) -> PlainValidator:
    """A key that defines an item of `section`: unique in it."""

    def check(value: Any, info: ValidationInfo) -> str:
        key = checked_key(value)
        keys = refs_of(info).defined(section)
        if key in keys:
            raise item_problem(f'duplicate key "{key}" in [[{section}]]')
        keys.add(key)
        return key

    return PlainValidator(check)


def _source_key(value: Any, info: ValidationInfo) -> str:
    key = checked_key(value)
    refs = refs_of(info)
    if key in refs.sources:
        raise item_problem(f'duplicate source key "{key}"')
    refs.sources.append(key)
    return key


def _source_ref(value: Any, info: ValidationInfo) -> str:
    """The source an item names, or the pack's first source."""
    refs = refs_of(info)
    if value is None:
        return refs.sources[0] if refs.sources else ""
    key = checked_key(value)
    if refs.sources and key not in refs.sources:
        raise item_problem(f'source "{key}" is not defined in [[sources]]')
    return key


def _season_number(value: Any, info: ValidationInfo) -> int:
    number = checked_number(value)
    seasons = refs_of(info).seasons
    if number in seasons:
        raise item_problem(f"season {number} is listed twice")
    seasons.add(number)
    return number


def _season_ref(value: Any, info: ValidationInfo) -> int:
    number = checked_number(value)
    seasons = refs_of(info).seasons
    if seasons and number not in seasons:
        raise item_problem(f"season {number} is not defined in [[seasons]]")
    return number


def _ref(section: str, singular: str, *, listed: bool = False) -> PlainValidator:
    """A reference to an item of `section`, which must be defined before it."""
    syntax = listed_key if listed else checked_key

    def check(value: Any, info: ValidationInfo) -> str:
        key = syntax(value)
        refs = refs_of(info)
        refs.use(section, key)
        if key not in refs.defined(section):
            raise item_problem(f'{singular} "{key}" is not defined in [[{section}]]')
        return key

    return PlainValidator(check)


def _validate_with(data: Any, handler: Callable[[Any], T], problems: Sequence[str]) -> T:
    """Validate an item with `handler`, and report `problems` with the whole item.

    They are reported with the problems of its fields, not only once the fields are right.
    """
    extra = [InitErrorDetails(type=item_problem(p), loc=(), input=data) for p in problems]
    try:
        item = handler(data)
    except ValidationError as exc:
        if not extra:
            raise
        again = [_init_details(error) for error in exc.errors()]
        raise ValidationError.from_exception_data(exc.title, [*again, *extra]) from None
    if extra:
        raise ValidationError.from_exception_data(type(item).__name__, extra)
    return item


def _init_details(error: ErrorDetails) -> InitErrorDetails:
    """A reported error as it is raised again."""
    kind: str | PydanticCustomError = error["type"]
    if kind in (FIELD, ITEM):
        kind = PydanticCustomError(error["type"], "{message}", error.get("ctx"))
    return InitErrorDetails(
        type=kind, loc=error["loc"], input=error["input"], ctx=error.get("ctx", {})
    )


def _no_repeats(keys: tuple[str, ...]) -> tuple[str, ...]:
    for position, key in enumerate(keys):
        if key in keys[:position]:
            raise field_problem(f'lists "{key}" twice')
    return keys


SourceRef = Annotated[str, PlainValidator(_source_ref)]
SeasonRef = Annotated[int, PlainValidator(_season_ref)]
PersonRef = Annotated[str, _ref("people", "person")]
CharacterRef = Annotated[str, _ref("characters", "character")]
PersonList = Annotated[
    tuple[Annotated[str, _ref("people", "person", listed=True)], ...], AfterValidator(_no_repeats)
]
CharacterList = Annotated[
    tuple[Annotated[str, _ref("characters", "character", listed=True)], ...],
    AfterValidator(_no_repeats),
]


def _from_sources() -> Any:
    """The default of a `source` field: the pack's first source (validated, so it is filled)."""
    return Field(default=None, validate_default=True)


@entry(frozen=True, kw_only=True, config=ENTRY)
class PackHead(PackFacts):
    """The `[pack]` table."""


@entry(frozen=True, kw_only=True, config=ENTRY)
class SourceEntry(Source):
    """A `[[sources]]` entry."""

    key: Annotated[str, PlainValidator(_source_key)]
    title: Title


@entry(frozen=True, kw_only=True, config=ENTRY)
class ShowEntry(ShowFacts):
    """The `[show]` table."""

    source: SourceRef = _from_sources()


@entry(frozen=True, kw_only=True, config=ENTRY)
class SeasonEntry(SeasonFacts):
    """A `[[seasons]]` entry."""

    number: Annotated[int, PlainValidator(_season_number)]
    title: Name = Field(default="")
    current: Flag = False
    source: SourceRef = _from_sources()

    @model_validator(mode="after")
    def _titled(self) -> SeasonEntry:
        if not self.title:
            object.__setattr__(self, "title", f"Season {self.number}")  # frozen: set while built
        return self


@entry(frozen=True, kw_only=True, config=ENTRY)
class PersonEntry(NamedFacts):
    """A `[[people]]` entry (an actor, or anyone quoted)."""

    key: Annotated[str, _new_key("people")]
    source: SourceRef = _from_sources()

    @model_validator(mode="after")
    def _known_name(self, info: ValidationInfo) -> PersonEntry:
        refs_of(info).names[self.key] = self.name
        return self


@entry(frozen=True, kw_only=True, config=ENTRY)
class CharacterEntry(NamedFacts):
    """A `[[characters]]` entry."""

    key: Annotated[str, _new_key("characters")]
    source: SourceRef = _from_sources()


@entry(frozen=True, kw_only=True, config=ENTRY)
class CastingEntry(CastingFacts):
    """A `[[castings]]` entry: a person in a role (or an unnamed role) in a season."""

    person: PersonRef
    character: CharacterRef | None = None
    season: SeasonRef
    source: SourceRef = _from_sources()

    @model_validator(mode="after")
    def _once(self, info: ValidationInfo) -> CastingEntry:
        seen = refs_of(info).castings
        ident = (self.person, self.character, self.season)
        if ident in seen:
            raise item_problem(
                f'"{self.person}" is cast in this role in season {self.season} twice'
            )
        seen.add(ident)
        return self


@entry(frozen=True, kw_only=True, config=ENTRY)
class StorylineEntry(StorylineFacts):
    """A `[[storylines]]` entry; `characters` holds character keys."""

    key: Annotated[str, _new_key("storylines")]
    season: SeasonRef
    characters: CharacterList = ()
    source: SourceRef = _from_sources()


@entry(frozen=True, kw_only=True, config=ENTRY)
class EventEntry(EventFacts):
    """An `[[events]]` entry: at an exact moment (`starts_at`), or on a day, month or year."""

    key: Annotated[str, _new_key("events")]
    season: SeasonRef
    date: When | None = None
    source: SourceRef = _from_sources()

    @model_validator(mode="wrap")
    @classmethod
    def _when(cls, data: Any, handler: ModelWrapValidatorHandler[EventEntry]) -> EventEntry:
        given = data.keys() if isinstance(data, dict) else set()
        problems = []
        if {"starts_at", "date"} <= given:
            problems.append('give either "starts_at" (an exact moment) or "date", not both')
        if not {"starts_at", "date", "date_text"} & given:
            problems.append('needs "starts_at", "date" or "date_text" to say when it happens')
        event = _validate_with(data, handler, problems)
        if event.date_text is None and event.date is not None:
            object.__setattr__(event, "date_text", event.date.text)  # frozen: set while built
        return event

    @property
    def sort_key(self) -> str | None:
        """What orders events: the moment, else the known part of the date; None sorts last."""
        if self.starts_at is not None:
            return self.starts_at.isoformat()
        return self.date.sort_key if self.date is not None else None


@entry(frozen=True, kw_only=True, config=ENTRY)
class QuoteEntry(QuoteFacts):
    """A `[[quotes]]` entry; without a `speaker`, the names of its `people` say who spoke."""

    speaker: Name = Field(default="")
    season: SeasonRef
    people: PersonList = ()
    source: SourceRef = _from_sources()

    @model_validator(mode="wrap")
    @classmethod
    def _someone(cls, data: Any, handler: ModelWrapValidatorHandler[QuoteEntry]) -> QuoteEntry:
        given = data if isinstance(data, dict) else {}
        problems = []
        if "speaker" not in given and not given.get("people"):
            problems.append('needs "speaker" (who said it) or "people" (their keys)')
        return _validate_with(data, handler, problems)

    @model_validator(mode="after")
    def _speaker(self, info: ValidationInfo) -> QuoteEntry:
        if not self.speaker:
            names = refs_of(info).names
            speaker = " and ".join(names.get(key, key) for key in self.people)
            object.__setattr__(self, "speaker", speaker)  # frozen: set while built
        return self


@entry(frozen=True, kw_only=True, config=ENTRY)
class NoteEntry(NoteFacts):
    """A `[[notes]]` entry; without a `season`, it is about the whole show."""

    key: Annotated[str, _new_key("notes")]
    season: SeasonRef | None = None
    source: SourceRef = _from_sources()


SECTIONS: dict[str, type] = {
    "pack": PackHead,
    "sources": SourceEntry,
    "show": ShowEntry,
    "seasons": SeasonEntry,
    "people": PersonEntry,
    "characters": CharacterEntry,
    "castings": CastingEntry,
    "storylines": StorylineEntry,
    "events": EventEntry,
    "quotes": QuoteEntry,
    "notes": NoteEntry,
}


class PackFile(BaseModel):
    """A whole pack file. Sections are validated in this order: references point back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: PackHead
    sources: tuple[SourceEntry, ...]
    show: ShowEntry
    seasons: tuple[SeasonEntry, ...] = Field(default=(), validate_default=True)
    people: tuple[PersonEntry, ...] = ()
    characters: tuple[CharacterEntry, ...] = ()
    castings: tuple[CastingEntry, ...] = ()
    storylines: tuple[StorylineEntry, ...] = ()
    events: tuple[EventEntry, ...] = ()
    quotes: tuple[QuoteEntry, ...] = ()
    notes: tuple[NoteEntry, ...] = ()

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, sources: tuple[SourceEntry, ...]) -> tuple[SourceEntry, ...]:
        if not sources:
            raise item_problem("sources: list at least one [[sources]] entry")
        return sources

    @field_validator("seasons", mode="after")
    @classmethod
    def _one_current(cls, seasons: tuple[SeasonEntry, ...]) -> tuple[SeasonEntry, ...]:
        if not seasons:
            raise item_problem("[[seasons]]: missing; list at least one season")
        current = [season.number for season in seasons if season.current]
        if len(current) > 1:
            listed = ", ".join(str(number) for number in current)
            raise item_problem(
                f"seasons: only one season may be current = true; seasons {listed} are"
            )
        return seasons
