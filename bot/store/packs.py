"""Content packs: TOML files that describe a show, read and validated.

`load_pack` reads a whole file and validates it with `bot.content.schema.PackFile` before
anything touches the database, and reports every problem it finds (file, item and field) in
one `PackError`; `bot.store.importer` writes the result. The format is described in
docs/content-packs.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.content.fields import FIELD, ITEM, type_name
from bot.content.records import PackFacts
from bot.content.schema import (
    SECTIONS,
    CastingEntry,
    CharacterEntry,
    EventEntry,
    NoteEntry,
    PackFile,
    PersonEntry,
    QuoteEntry,
    Refs,
    SeasonEntry,
    ShowEntry,
    SourceEntry,
    StorylineEntry,
)
from bot.store.pack_files import (
    MAX_PROBLEMS,
    PackClaim,
    PackError,
    content_hash,
    cross_pack_problems,
    pack_files,
)

MISSING = {
    "pack": "[pack]: missing; every pack needs a [pack] table",
    "show": "[show]: missing; every pack needs a [show] table",
    "sources": "[[sources]]: missing; every fact needs a source, list at least one",
}
UNUSED = {
    "people": "appears in no [[castings]] and no [[quotes]]; add one or remove them",
    "characters": "appears in no [[castings]] and no [[storylines]]; add one or remove them",
}
NOT_A_TABLE = ("dataclass_type", "dataclass_args_type", "model_type")


@dataclass(frozen=True, slots=True)
class Pack(PackFacts):
    """A whole content pack, validated: safe to import."""

    path: Path
    content_hash: str
    sources: tuple[SourceEntry, ...]
    show: ShowEntry
    seasons: tuple[SeasonEntry, ...]
    people: tuple[PersonEntry, ...]
    characters: tuple[CharacterEntry, ...]
    castings: tuple[CastingEntry, ...]
    storylines: tuple[StorylineEntry, ...]
    events: tuple[EventEntry, ...]
    quotes: tuple[QuoteEntry, ...]
    notes: tuple[NoteEntry, ...]

    @property
    def claim(self) -> PackClaim:
        """What the pack takes when loaded: its name and its show's seasons."""
        numbers = tuple(season.number for season in self.seasons)
        return PackClaim(self.path, self.name, self.show.key, numbers)


def load_pack(path: Path | str) -> Pack:
    """Read and validate a pack file; raise `PackError` listing every problem found."""
    path = Path(path)
    raw, doc = _read(path)
    refs = Refs()
    problems: list[str] = []
    try:
        contents = PackFile.model_validate(doc, context=refs)
    except ValidationError as exc:
        problems = [_describe(error, doc) for error in exc.errors()]
    problems.extend(_unused(doc, refs))
    if problems:
        shown = [f"{path}: {problem}" for problem in problems[:MAX_PROBLEMS]]
        raise PackError(shown, len(problems) - len(shown))
    return Pack(
        path=path,
        name=contents.pack.name,
        title=contents.pack.title,
        version=contents.pack.version,
        content_hash=content_hash(raw),
        sources=contents.sources,
        show=contents.show,
        seasons=contents.seasons,
        people=contents.people,
        characters=contents.characters,
        castings=contents.castings,
        storylines=contents.storylines,
        events=contents.events,
        quotes=contents.quotes,
        notes=contents.notes,
    )


def _label(doc: dict[str, Any], section: str, index: int | None) -> str:
    """How a problem names its item: `events[3] (key "x")`, `show`."""
    item = doc.get(section)
    label = section
    if index is not None:
        label = f"{section}[{index + 1}]"
        item = item[index] if isinstance(item, list) and index < len(item) else None
    key = item.get("key") if isinstance(item, dict) else None
    if isinstance(key, str) and key.strip():
        label += f' (key "{key.strip()}")'
    return label


def _did_you_mean(name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _describe(error: ErrorDetails, doc: dict[str, Any]) -> str:
    """One validation error as a line of a `PackError` (without the file)."""
    kind, loc = error["type"], error["loc"]
    section = str(loc[0])
    message = str(error.get("ctx", {}).get("message", error["msg"]))
    if len(loc) == 1:
        return _describe_section(kind, section, message, error["input"])
    index = loc[1] if isinstance(loc[1], int) else None
    rest = loc[2:] if index is not None else loc[1:]
    label = _label(doc, section, index)
    if kind == ITEM:
        return f"{label}: {message}"
    if not rest:
        return f"{label}: must be a table, not {type_name(error['input'])}"
    field = str(rest[0])
    if kind == "missing":
        return f'{label}: missing required key "{field}"'
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        allowed = [f.name for f in dataclasses.fields(SECTIONS[section])]
        return f'{label}: unknown key "{field}"{_did_you_mean(field, allowed)}'
    if kind == "tuple_type":
        message = f"must be a list of keys, not {type_name(error['input'])}"
    if len(rest) > 1 and kind == FIELD:
        return f'{label}: "{field}" entry {int(rest[1]) + 1} {message}'
    return f'{label}: "{field}" {message}'


def _describe_section(kind: str, section: str, message: str, value: object) -> str:
    """A problem with a whole section (`[show]`, `[[events]]`) or the top level."""
    if kind == "missing":
        return MISSING[section]
    if kind == "extra_forbidden":
        return f'unknown top-level key "{section}"{_did_you_mean(section, list(SECTIONS))}'
    if kind in NOT_A_TABLE:
        return f"{section}: must be a table, written [{section}], not {type_name(value)}"
    if kind == "tuple_type":
        return (
            f"{section}: must be an array of tables, written [[{section}]], not {type_name(value)}"
        )
    return message


def _unused(doc: dict[str, Any], refs: Refs) -> list[str]:
    """People and characters that nothing refers to: no season would ever show them."""
    problems: list[str] = []
    for section, message in UNUSED.items():
        items = doc.get(section)
        if not isinstance(items, list):
            continue
        unused = refs.defined(section) - refs.used.get(section, set())
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and key.strip() in unused:
                problems.append(f"{_label(doc, section, index)}: {message}")
    return problems


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
    problems.extend(cross_pack_problems([pack.claim for pack in packs]))
    if problems:
        raise PackError(problems[:MAX_PROBLEMS], omitted + max(0, len(problems) - MAX_PROBLEMS))
    return packs
