"""Content packs: TOML files that describe a show, parsed and validated.

`load_pack` reads and checks a whole file before anything touches the database and reports
every problem it finds (file, item and field) in one `PackError`; `bot.store.importer`
writes the result. The format is described in docs/content-packs.md.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, get_args

from bot.store.db import StoreError
from bot.store.models import CastStatus, EventKind

MAX_PROBLEMS = 20
MAX_KEY = 64
MAX_NAME = 200
MAX_TEXT = 4000
MAX_URL = 2000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
CAST_STATUSES: dict[str, CastStatus] = {status: status for status in get_args(CastStatus)}
EVENT_KINDS: dict[str, EventKind] = {kind: kind for kind in get_args(EventKind)}


class PackError(StoreError):
    """A content pack cannot be used. `problems` lists each one, naming file, item and field."""

    def __init__(self, problems: Sequence[str], omitted: int = 0) -> None:
        self.problems = list(problems)
        self.omitted = omitted
        lines = list(self.problems)
        if omitted:
            lines.append(f"... and {omitted} more problem{'s' if omitted != 1 else ''}")
        super().__init__("\n".join(lines))


# --- the parsed pack ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A `[[sources]]` entry."""

    key: str
    title: str
    publisher: str | None
    url: str | None
    published: date | None


@dataclass(frozen=True, slots=True)
class ShowSpec:
    """The `[show]` table."""

    key: str
    title: str
    platform: str | None
    source: str


@dataclass(frozen=True, slots=True)
class SeasonSpec:
    """A `[[seasons]]` entry."""

    number: int
    title: str
    synopsis: str
    current: bool
    source: str


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A `[[people]]` entry (an actor, or anyone quoted)."""

    key: str
    name: str
    about: str | None
    source: str


@dataclass(frozen=True, slots=True)
class CharacterSpec:
    """A `[[characters]]` entry."""

    key: str
    name: str
    about: str | None
    source: str


@dataclass(frozen=True, slots=True)
class CastingSpec:
    """A `[[castings]]` entry: a person in a role (or an unnamed role) in a season."""

    person: str
    character: str | None
    season: int
    status: CastStatus
    note: str | None
    source: str


@dataclass(frozen=True, slots=True)
class StorylineSpec:
    """A `[[storylines]]` entry."""

    key: str
    season: int
    title: str
    summary: str
    spoiler: bool
    characters: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An `[[events]]` entry; `sort_key` orders events whose exact time is unknown."""

    key: str
    season: int
    kind: EventKind
    title: str
    starts_at: datetime | None
    date_text: str | None
    sort_key: str | None
    platform: str | None
    url: str | None
    description: str | None
    source: str


@dataclass(frozen=True, slots=True)
class QuoteSpec:
    """A `[[quotes]]` entry."""

    season: int
    people: tuple[str, ...]
    speaker: str
    text: str
    context: str | None
    source: str


@dataclass(frozen=True, slots=True)
class NoteSpec:
    """A `[[notes]]` entry; `season` None means it is about the whole show."""

    key: str
    season: int | None
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Pack:
    """A whole content pack, validated: safe to import."""

    path: Path
    name: str
    title: str
    version: str
    content_hash: str
    sources: tuple[SourceSpec, ...]
    show: ShowSpec
    seasons: tuple[SeasonSpec, ...]
    people: tuple[PersonSpec, ...]
    characters: tuple[CharacterSpec, ...]
    castings: tuple[CastingSpec, ...]
    storylines: tuple[StorylineSpec, ...]
    events: tuple[EventSpec, ...]
    quotes: tuple[QuoteSpec, ...]
    notes: tuple[NoteSpec, ...]


# --- validation -----------------------------------------------------------------------------

TOP_LEVEL = {
    "pack": "table",
    "sources": "array",
    "show": "table",
    "seasons": "array",
    "people": "array",
    "characters": "array",
    "castings": "array",
    "storylines": "array",
    "events": "array",
    "quotes": "array",
    "notes": "array",
}
FIELDS: dict[str, tuple[str, ...]] = {
    "pack": ("name", "title", "version"),
    "sources": ("key", "title", "publisher", "url", "published"),
    "show": ("key", "title", "platform", "source"),
    "seasons": ("number", "title", "synopsis", "current", "source"),
    "people": ("key", "name", "about", "source"),
    "characters": ("key", "name", "about", "source"),
    "castings": ("person", "character", "season", "status", "note", "source"),
    "storylines": ("key", "season", "title", "summary", "spoiler", "characters", "source"),
    "events": (
        "key", "season", "kind", "title", "starts_at", "date", "date_text",
        "platform", "url", "description", "source",
    ),
    "quotes": ("season", "people", "speaker", "text", "context", "source"),
    "notes": ("key", "season", "text", "source"),
}  # fmt: skip


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time"
    return type(value).__name__


def _has_control(text: str, *, multiline: bool) -> bool:
    allowed = "\n\t" if multiline else ""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


class _Item:
    """One table of the pack being checked, with helpers that record problems on failure.

    Required getters return a placeholder after recording a problem: a pack with any problem
    is never built, so placeholders cannot escape.
    """

    def __init__(
        self, checker: _Checker, section: str, index: int | None, data: dict[str, Any]
    ) -> None:
        self.checker = checker
        self.data = data
        label = section if index is None else f"{section}[{index}]"
        key = data.get("key")
        if isinstance(key, str) and key.strip():
            label += f' (key "{key.strip()}")'
        self.label = label
        allowed = FIELDS[section]
        for name in data:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                self.problem(f'unknown key "{name}"{hint}')

    def problem(self, message: str) -> None:
        self.checker.problem(f"{self.label}: {message}")

    def _wrong_type(self, name: str, expected: str, value: object) -> None:
        self.problem(f'"{name}" must be {expected}, not {_type_name(value)}')

    def text(self, name: str, *, limit: int = MAX_NAME, multiline: bool = False) -> str:
        """A required string."""
        value = self.optional_text(name, limit=limit, multiline=multiline)
        if value is None and name not in self.data:
            self.problem(f'missing required key "{name}"')
        return value or ""

    def optional_text(
        self, name: str, *, limit: int = MAX_NAME, multiline: bool = False
    ) -> str | None:
        """An optional string: stripped, non-empty, within `limit`, no control characters."""
        if name not in self.data:
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self._wrong_type(name, "a string", value)
            return None
        value = value.strip()
        if not value:
            self.problem(f'"{name}" must not be empty')
            return None
        if len(value) > limit:
            self.problem(f'"{name}" is {len(value)} characters long; the limit is {limit}')
            return None
        if _has_control(value, multiline=multiline):
            what = "control characters" if multiline else "line breaks or control characters"
            self.problem(f'"{name}" must not contain {what}')
            return None
        return value

    def key(self, name: str = "key") -> str:
        """A required key: a lowercase slug."""
        value = self.text(name, limit=MAX_KEY)
        if value and not KEY_RE.match(value):
            self.problem(
                f'"{name}" = "{value}" is not a valid key: use lowercase letters, digits and '
                'hyphens, starting with a letter or digit (e.g. "nick-nelson")'
            )
            return ""
        return value

    def optional_ref(self, name: str) -> str | None:
        """An optional reference to another item's key (existence is checked by the caller)."""
        if name not in self.data:
            return None
        return self.key(name) or None

    def number(self, name: str) -> int:
        """A required whole number >= 0."""
        if name not in self.data:
            self.problem(f'missing required key "{name}"')
            return -1
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type(name, "a whole number", value)
            return -1
        if not 0 <= value <= 10_000:
            self.problem(f'"{name}" = {value} is out of range (0 to 10000)')
            return -1
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """An optional true/false."""
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self._wrong_type(name, "true or false", value)
            return default
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        """A required string that must be one of `allowed`."""
        value = self.text(name)
        if value and value not in allowed:
            options = ", ".join(f'"{a}"' for a in allowed)
            self.problem(f'"{name}" = "{value}" must be one of {options}')
            return ""
        return value

    def url(self, name: str = "url") -> str | None:
        """An optional http(s) address."""
        value = self.optional_text(name, limit=MAX_URL)
        if value is not None and (
            not re.match(r"^https?://[^\s/]+", value) or any(ch.isspace() for ch in value)
        ):
            self.problem(f'"{name}" = "{value}" must be a web address starting with https://')
            return None
        return value

    def day(self, name: str) -> date | None:
        """An optional TOML date (2023-07-09)."""
        if name not in self.data:
            return None
        value = self.data[name]
        if isinstance(value, datetime) or not isinstance(value, date):
            self.problem(f'"{name}" must be a date such as 2023-07-09, not {_type_name(value)}')
            return None
        return value

    def moment(self, name: str) -> datetime | None:
        """An optional date-time with a UTC offset, returned in UTC to the second."""
        if name not in self.data:
            return None
        value = self.data[name]
        hint = "use a date-time with an offset, e.g. 2023-08-03T07:00:00Z"
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                self.problem(f'"{name}" = "{value}" is not a date-time; {hint}')
                return None
        if not isinstance(value, datetime):
            self.problem(f'"{name}" must be a date-time, not {_type_name(value)}; {hint}')
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            self.problem(f'"{name}" has no UTC offset; {hint}')
            return None
        return value.astimezone(UTC).replace(microsecond=0)

    def partial_date(self, name: str) -> tuple[str, str] | None:
        """An optional day, month or year: (sort key "2023-06", text "June 2023")."""
        if name not in self.data:
            return None
        value = self.data[name]
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat(), f"{value.day} {MONTHS[value.month - 1]} {value.year}"
        hint = 'use a date (2023-05-24), a month ("2023-06") or a year ("2023")'
        if not isinstance(value, str):
            self.problem(f'"{name}" must be a date, not {_type_name(value)}; {hint}')
            return None
        match = PARTIAL_DATE_RE.match(value.strip())
        try:
            if match is None:
                raise ValueError(value)
            year, month, day_ = match.groups()
            if day_ is not None:
                full = date(int(year), int(month), int(day_))
                return full.isoformat(), f"{full.day} {MONTHS[full.month - 1]} {full.year}"
            if month is not None:
                if not 1 <= int(month) <= 12:
                    raise ValueError(value)
                return f"{year}-{month}", f"{MONTHS[int(month) - 1]} {year}"
            return year, year
        except ValueError:
            self.problem(f'"{name}" = "{value}" is not a date; {hint}')
            return None

    def key_list(self, name: str) -> tuple[str, ...]:
        """An optional list of keys, without repeats."""
        if name not in self.data:
            return ()
        value = self.data[name]
        if not isinstance(value, list):
            self._wrong_type(name, "a list of keys", value)
            return ()
        keys: list[str] = []
        for position, entry in enumerate(value, start=1):
            if not isinstance(entry, str):
                self.problem(
                    f'"{name}" entry {position} must be a key string, not {_type_name(entry)}'
                )
            elif not KEY_RE.match(entry) or len(entry) > MAX_KEY:
                self.problem(f'"{name}" entry {position} ("{entry}") is not a valid key')
            elif entry in keys:
                self.problem(f'"{name}" lists "{entry}" twice')
            else:
                keys.append(entry)
        return tuple(keys)


class _Checker:
    """Collects the problems of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.total = 0

    def problem(self, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{self.path}: {message}")

    def error(self) -> PackError:
        return PackError(self.problems, self.total - len(self.problems))

    def items(self, doc: dict[str, Any], section: str) -> list[_Item]:
        value = doc.get(section, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(
                f"{section}: must be an array of tables, written [[{section}]], "
                f"not {_type_name(value)}"
            )
            return []
        return [_Item(self, section, i, entry) for i, entry in enumerate(value, start=1)]

    def table(self, doc: dict[str, Any], section: str) -> _Item | None:
        value = doc.get(section)
        if value is None:
            self.problem(f"[{section}]: missing; every pack needs a [{section}] table")
            return None
        if not isinstance(value, dict):
            self.problem(
                f"{section}: must be a table, written [{section}], not {_type_name(value)}"
            )
            return None
        return _Item(self, section, None, value)


def _read(path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise PackError([f"{path}: is a folder, not a pack file"]) from None
    except FileNotFoundError:
        raise PackError([f"{path}: no such file"]) from None
    except OSError as exc:
        raise PackError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackError(
            [f"{path}: is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8"]
        ) from None
    try:
        return raw, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError([f"{path}: TOML syntax error: {exc}"]) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise PackError([f"{path}: arrays or tables are nested too deeply"]) from None


def load_pack(path: Path | str) -> Pack:
    """Read and validate a pack file; raise `PackError` listing every problem found."""
    path = Path(path)
    raw, doc = _read(path)
    check = _Checker(path)
    for name in doc:
        if name not in TOP_LEVEL:
            close = difflib.get_close_matches(name, list(TOP_LEVEL), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            check.problem(f'unknown top-level key "{name}"{hint}')

    # [pack]
    pack_name = pack_title = version = ""
    head = check.table(doc, "pack")
    if head is not None:
        pack_name = head.key("name")
        pack_title = head.text("title")
        version = head.text("version", limit=50)

    # [[sources]]
    sources: list[SourceSpec] = []
    source_keys: set[str] = set()
    source_items = check.items(doc, "sources")
    if "sources" in doc and not source_items and isinstance(doc["sources"], list):
        check.problem("sources: list at least one [[sources]] entry")
    elif "sources" not in doc:
        check.problem("[[sources]]: missing; every fact needs a source, list at least one")
    for item in source_items:
        key = item.key()
        if key in source_keys:
            item.problem(f'duplicate source key "{key}"')
        source_keys.add(key)
        sources.append(
            SourceSpec(
                key=key,
                title=item.text("title", limit=MAX_NAME * 2),
                publisher=item.optional_text("publisher"),
                url=item.url(),
                published=item.day("published"),
            )
        )
    default_source = sources[0].key if sources else ""

    def source_of(item: _Item) -> str:
        ref = item.optional_ref("source")
        if ref is None:
            return default_source
        if source_keys and ref not in source_keys:
            item.problem(f'source "{ref}" is not defined in [[sources]]')
        return ref

    # [show]
    show = ShowSpec("", "", None, "")
    show_item = check.table(doc, "show")
    if show_item is not None:
        show = ShowSpec(
            key=show_item.key(),
            title=show_item.text("title"),
            platform=show_item.optional_text("platform"),
            source=source_of(show_item),
        )

    # [[seasons]]
    seasons: list[SeasonSpec] = []
    season_numbers: set[int] = set()
    season_items = check.items(doc, "seasons")
    if not season_items and isinstance(doc.get("seasons", []), list):
        check.problem("[[seasons]]: missing; list at least one season")
    current: list[int] = []
    for item in season_items:
        number = item.number("number")
        if number in season_numbers:
            item.problem(f"season {number} is listed twice")
        season_numbers.add(number)
        is_current = item.flag("current")
        if is_current:
            current.append(number)
        seasons.append(
            SeasonSpec(
                number=number,
                title=item.optional_text("title") or f"Season {number}",
                synopsis=item.text("synopsis", limit=MAX_TEXT, multiline=True),
                current=is_current,
                source=source_of(item),
            )
        )
    if len(current) > 1:
        listed = ", ".join(str(n) for n in current)
        check.problem(f"seasons: only one season may be current = true; seasons {listed} are")

    def season_of(item: _Item, *, required: bool = True) -> int | None:
        if not required and "season" not in item.data:
            return None
        number = item.number("season")
        if number >= 0 and season_numbers and number not in season_numbers:
            item.problem(f"season {number} is not defined in [[seasons]]")
        return number

    # [[people]] and [[characters]]
    def named(section: str) -> list[tuple[_Item, str, str, str | None, str]]:
        found: list[tuple[_Item, str, str, str | None, str]] = []
        seen: set[str] = set()
        for item in check.items(doc, section):
            key = item.key()
            if key and key in seen:
                item.problem(f'duplicate key "{key}" in [[{section}]]')
            seen.add(key)
            found.append(
                (
                    item,
                    key,
                    item.text("name"),
                    item.optional_text("about", limit=MAX_TEXT, multiline=True),
                    source_of(item),
                )
            )
        return found

    people_rows = named("people")
    character_rows = named("characters")
    person_keys = {row[1] for row in people_rows}
    character_keys = {row[1] for row in character_rows}
    used_people: set[str] = set()
    used_characters: set[str] = set()

    # [[castings]]
    castings: list[CastingSpec] = []
    cast_seen: set[tuple[str, str | None, int]] = set()
    for item in check.items(doc, "castings"):
        person = item.key("person")
        if person and person not in person_keys:
            item.problem(f'person "{person}" is not defined in [[people]]')
        character = item.optional_ref("character")
        if character is not None and character not in character_keys:
            item.problem(f'character "{character}" is not defined in [[characters]]')
        season = season_of(item)
        assert season is not None
        ident = (person, character, season)
        if person and ident in cast_seen:
            item.problem(f'"{person}" is cast in this role in season {season} twice')
        cast_seen.add(ident)
        used_people.add(person)
        if character is not None:
            used_characters.add(character)
        status = item.choice("status", tuple(CAST_STATUSES))
        castings.append(
            CastingSpec(
                person=person,
                character=character,
                season=season,
                status=CAST_STATUSES.get(status, "returning"),
                note=item.optional_text("note", limit=MAX_TEXT, multiline=True),
                source=source_of(item),
            )
        )

    # [[storylines]]
    storylines: list[StorylineSpec] = []
    storyline_keys: set[str] = set()
    for item in check.items(doc, "storylines"):
        key = item.key()
        if key and key in storyline_keys:
            item.problem(f'duplicate key "{key}" in [[storylines]]')
        storyline_keys.add(key)
        season = season_of(item)
        assert season is not None
        members = item.key_list("characters")
        for member in members:
            if member not in character_keys:
                item.problem(f'character "{member}" is not defined in [[characters]]')
        used_characters.update(members)
        storylines.append(
            StorylineSpec(
                key=key,
                season=season,
                title=item.text("title"),
                summary=item.text("summary", limit=MAX_TEXT, multiline=True),
                spoiler=item.flag("spoiler"),
                characters=members,
                source=source_of(item),
            )
        )

    # [[events]]
    events: list[EventSpec] = []
    event_keys: set[str] = set()
    for item in check.items(doc, "events"):
        key = item.key()
        if key and key in event_keys:
            item.problem(f'duplicate key "{key}" in [[events]]')
        event_keys.add(key)
        season = season_of(item)
        assert season is not None
        kind = item.choice("kind", tuple(EVENT_KINDS))
        starts_at = item.moment("starts_at")
        partial = item.partial_date("date")
        date_text = item.optional_text("date_text")
        if "starts_at" in item.data and "date" in item.data:
            item.problem('give either "starts_at" (an exact moment) or "date", not both')
        if not {"starts_at", "date", "date_text"} & item.data.keys():
            item.problem('needs "starts_at", "date" or "date_text" to say when it happens')
        sort_key = starts_at.isoformat() if starts_at else (partial[0] if partial else None)
        events.append(
            EventSpec(
                key=key,
                season=season,
                kind=EVENT_KINDS.get(kind, "premiere"),
                title=item.text("title"),
                starts_at=starts_at,
                date_text=date_text or (partial[1] if partial else None),
                sort_key=sort_key,
                platform=item.optional_text("platform"),
                url=item.url(),
                description=item.optional_text("description", limit=MAX_TEXT, multiline=True),
                source=source_of(item),
            )
        )

    # [[quotes]]
    quotes: list[QuoteSpec] = []
    person_names = {row[1]: row[2] for row in people_rows}
    for item in check.items(doc, "quotes"):
        season = season_of(item)
        assert season is not None
        speakers = item.key_list("people")
        for speaker_key in speakers:
            if speaker_key not in person_keys:
                item.problem(f'person "{speaker_key}" is not defined in [[people]]')
        used_people.update(speakers)
        speaker = item.optional_text("speaker")
        if speaker is None and "speaker" not in item.data:
            if speakers:
                speaker = " and ".join(person_names.get(k, k) for k in speakers)
            else:
                item.problem('needs "speaker" (who said it) or "people" (their keys)')
        quotes.append(
            QuoteSpec(
                season=season,
                people=speakers,
                speaker=speaker or "",
                text=item.text("text", limit=MAX_TEXT, multiline=True),
                context=item.optional_text("context", limit=MAX_TEXT, multiline=True),
                source=source_of(item),
            )
        )

    # [[notes]]
    notes: list[NoteSpec] = []
    note_keys: set[str] = set()
    for item in check.items(doc, "notes"):
        key = item.key()
        if key and key in note_keys:
            item.problem(f'duplicate key "{key}" in [[notes]]')
        note_keys.add(key)
        notes.append(
            NoteSpec(
                key=key,
                season=season_of(item, required=False),
                text=item.text("text", limit=MAX_TEXT, multiline=True),
                source=source_of(item),
            )
        )

    # Everyone defined must be reachable from some season.
    for item, key, *_ in people_rows:
        if key and key not in used_people:
            item.problem("appears in no [[castings]] and no [[quotes]]; add one or remove them")
    for item, key, *_ in character_rows:
        if key and key not in used_characters:
            item.problem("appears in no [[castings]] and no [[storylines]]; add one or remove them")

    if check.total:
        raise check.error()
    return Pack(
        path=path,
        name=pack_name,
        title=pack_title,
        version=version,
        content_hash=hashlib.sha256(raw).hexdigest(),
        sources=tuple(sources),
        show=show,
        seasons=tuple(seasons),
        people=tuple(PersonSpec(k, n, a, s) for _, k, n, a, s in people_rows),
        characters=tuple(CharacterSpec(k, n, a, s) for _, k, n, a, s in character_rows),
        castings=tuple(castings),
        storylines=tuple(storylines),
        events=tuple(events),
        quotes=tuple(quotes),
        notes=tuple(notes),
    )


def pack_files(folder: Path) -> list[Path]:
    """The pack files in `folder`, sorted by name: `*.toml`, hidden files skipped."""
    return [p for p in sorted(folder.glob("*.toml")) if not p.name.startswith(".")]


def no_packs_warning(folder: Path) -> str:
    """What to say of a content folder that holds no pack file."""
    return f"{folder} holds no content packs (no *.toml files): no show is loaded from it"


def declared_name(path: Path) -> str | None:
    """The `[pack] name` a file declares, without validating the rest (None if unreadable)."""
    try:
        with path.open("rb") as file:
            head = tomllib.load(file).get("pack")
    except (OSError, ValueError, RecursionError):  # ValueError: bad TOML or not UTF-8
        return None
    name = head.get("name") if isinstance(head, dict) else None
    return name if isinstance(name, str) else None


def load_dir(folder: Path | str) -> list[Pack]:
    """Load every `*.toml` in `folder` (sorted by name, hidden files skipped).

    Reports the problems of all files at once, and clashes between them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PackError([f"{folder}: is not a folder of content packs"])
    packs: list[Pack] = []
    problems: list[str] = []
    omitted = 0
    for path in pack_files(folder):
        try:
            packs.append(load_pack(path))
        except PackError as exc:
            problems.extend(exc.problems)
            omitted += exc.omitted
    problems.extend(cross_pack_problems(packs))
    if problems:
        raise PackError(problems[:MAX_PROBLEMS], omitted + max(0, len(problems) - MAX_PROBLEMS))
    return packs


def load_usable(folder: Path) -> tuple[list[Pack], dict[Path, str]]:
    """Every pack in `folder` that can be served, and why each other file cannot.

    What the running bot does at start: one bad file must not take every show down. A file
    whose pack clashes with one before it (same `[pack] name`, same show's season) is
    refused; the earlier one is kept. `load_dir`, for `fanbot import`, refuses them all.
    """
    packs: list[Pack] = []
    refused: dict[Path, str] = {}
    for path in pack_files(folder):
        try:
            pack = load_pack(path)
        except PackError as exc:
            refused[path] = str(exc)
            continue
        if clashes := cross_pack_problems([*packs, pack]):
            refused[path] = "\n".join(clashes)
        else:
            packs.append(pack)
    return packs, refused


def cross_pack_problems(packs: Sequence[Pack]) -> list[str]:
    """Clashes between packs loaded together: the same pack name or the same season twice."""
    problems: list[str] = []
    names: dict[str, Path] = {}
    seasons: dict[tuple[str, int], Path] = {}
    for pack in packs:
        if pack.name in names:
            problems.append(
                f'{pack.path}: [pack] name "{pack.name}" is already used by {names[pack.name]}'
            )
        names.setdefault(pack.name, pack.path)
        for season in pack.seasons:
            ident = (pack.show.key, season.number)
            if ident in seasons:
                problems.append(
                    f'{pack.path}: season {season.number} of show "{pack.show.key}" is '
                    f"already defined in {seasons[ident]}"
                )
            seasons.setdefault(ident, pack.path)
    return problems
