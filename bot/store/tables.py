"""One declaration per content table: the columns that hold a facts class's fields as they are.

A content table stores the fields of its facts class (`bot.content.records`) in columns of the
same names, beside its own links (pack, season, source ids), search columns and, for packs,
the content hash and import time. The importer writes those columns with `Table.values` and
the queries read them back with `Table.select` and `Table.read`, so a field added to a facts
class needs only its column (a migration); a show's facts are read into `Season`, which names
them itself (show_key, show_title, platform), so a show's new field needs a `Season` field too.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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

FROM_DB: dict[type, Callable[[Any], object]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    bool: bool,
    int: int,
    str: str,
}


def _stored_type(hint: Any) -> type:
    """The Python type a facts field holds: `Moment | None` -> datetime."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        [hint] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is typing.Literal:
        return str
    if not isinstance(hint, type):  # pragma: no cover - a facts class with a new kind of field
        raise TypeError(f"no column type for {hint!r}")
    return hint


TO_DB: dict[type, Callable[[Any], object]] = {
    datetime: datetime.isoformat,
    date: date.isoformat,
    bool: int,
}


@dataclass(frozen=True, slots=True)
class Table:
    """A content table and the facts class whose fields it stores column by column."""

    name: str
    facts: type
    columns: tuple[str, ...] = field(init=False)  # the facts' fields, in order
    readers: tuple[Callable[[Any], object], ...] = field(init=False)  # SQLite value -> field
    getter: Callable[[Any], tuple[Any, ...]] = field(init=False)  # an item -> its fields
    writers: tuple[tuple[int, Callable[[Any], object]], ...] = field(init=False)  # field -> SQLite

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(self.facts, include_extras=True)
        types_ = [_stored_type(hints[f.name]) for f in dataclasses.fields(self.facts)]
        columns = tuple(f.name for f in dataclasses.fields(self.facts))
        if len(columns) < 2:  # pragma: no cover - attrgetter of one name returns no tuple
            raise TypeError(f"{self.facts.__name__} needs two fields or more")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "readers", tuple(FROM_DB[kind] for kind in types_))
        object.__setattr__(self, "getter", operator.attrgetter(*columns))
        writers = tuple((i, TO_DB[kind]) for i, kind in enumerate(types_) if kind in TO_DB)
        object.__setattr__(self, "writers", writers)

    def insert_sql(self, links: Sequence[str]) -> str:
        """`INSERT INTO table (links..., columns...) VALUES (?, ...)`."""
        names = [*links, *self.columns]
        return (
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        )

    def values(self, item: object) -> tuple[object, ...]:
        """The column values of `item` (a pack entry extending the facts class)."""
        values = self.getter(item)
        if not self.writers:
            return values
        stored = list(values)
        for index, write in self.writers:  # dates as ISO text, flags as 0 or 1
            if stored[index] is not None:
                stored[index] = write(stored[index])
        return tuple(stored)

    def select(self, alias: str, prefix: str = "") -> str:
        """The select list of the columns: `e.key AS key, e.kind AS kind, ...`."""
        return ", ".join(f"{alias}.{column} AS {prefix}{column}" for column in self.columns)

    def read(self, row: Any, prefix: str = "") -> dict[str, Any]:
        """The fields read back from a row selected with `select(alias, prefix)`."""
        found: dict[str, Any] = {}
        for column, read in zip(self.columns, self.readers, strict=True):
            value = row[prefix + column]
            found[column] = None if value is None else read(value)
        return found


PACKS = Table("packs", PackFacts)
SOURCES = Table("sources", Source)
SHOWS = Table("shows", ShowFacts)
SEASONS = Table("seasons", SeasonFacts)
PEOPLE = Table("people", NamedFacts)
CHARACTERS = Table("characters", NamedFacts)
CASTINGS = Table("castings", CastingFacts)
STORYLINES = Table("storylines", StorylineFacts)
EVENTS = Table("events", EventFacts)
QUOTES = Table("quotes", QuoteFacts)
NOTES = Table("notes", NoteFacts)
