"""Content pack files in a folder: which ones there are, and which ones a start serves.

Nothing here validates a pack: `bot.store.packs` does, with pydantic. A running bot's start
validates only the files whose bytes differ from what the database holds (`packs_to_serve`),
so a restart with unchanged packs never loads the validator, and the bot keeps that memory.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.store.db import StoreError

if TYPE_CHECKING:
    from bot.store.packs import Pack

MAX_PROBLEMS = 20


class PackError(StoreError):
    """A content pack cannot be used. `problems` lists each one, naming file, item and field."""

    def __init__(self, problems: Sequence[str], omitted: int = 0) -> None:
        self.problems = list(problems)
        self.omitted = omitted
        lines = list(self.problems)
        if omitted:
            lines.append(f"... and {omitted} more problem{'s' if omitted != 1 else ''}")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class PackClaim:
    """What a pack takes when it is loaded: its name, and its show's seasons by number."""

    path: Path | None  # the file, or None for a pack known only from the database
    name: str
    show_key: str
    seasons: tuple[int, ...]


def content_hash(raw: bytes) -> str:
    """A pack file's content hash, as the database stores it: SHA-256 of its bytes."""
    return hashlib.sha256(raw).hexdigest()


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


def cross_pack_problems(claims: Sequence[PackClaim]) -> list[str]:
    """Clashes between packs loaded together: the same pack name or the same season twice."""
    problems: list[str] = []
    names: dict[str, Path | None] = {}
    seasons: dict[tuple[str, int], Path | None] = {}
    for claim in claims:
        if claim.name in names:
            problems.append(
                f'{claim.path}: [pack] name "{claim.name}" is already used by {names[claim.name]}'
            )
        names.setdefault(claim.name, claim.path)
        for number in claim.seasons:
            ident = (claim.show_key, number)
            if ident in seasons:
                problems.append(
                    f'{claim.path}: season {number} of show "{claim.show_key}" is '
                    f"already defined in {seasons[ident]}"
                )
            seasons.setdefault(ident, claim.path)
    return problems


@dataclass
class ServedPacks:
    """What a start serves from a content folder.

    `names`: every pack served; `changed`: those of them the database does not hold yet,
    validated (to import, in that order); `refused`: each file that cannot be served, and why.
    """

    names: list[str] = field(default_factory=list)
    changed: list[Pack] = field(default_factory=list)
    refused: dict[Path, str] = field(default_factory=dict)

    def refuse(self, pack: Pack, problem: str) -> None:
        """Serve nothing from `pack`'s file after all (its import failed), and say why."""
        self.changed.remove(pack)
        self.names.remove(pack.name)
        self.refused[pack.path] = problem

    @property
    def unchanged(self) -> list[str]:
        """The packs whose file matches their last import byte for byte."""
        changed = {pack.name for pack in self.changed}
        return [name for name in self.names if name not in changed]


def packs_to_serve(folder: Path, stored: Mapping[str, PackClaim]) -> ServedPacks:
    """Every pack in `folder` that can be served; `stored` holds the imported packs by hash.

    What the running bot does at start: one bad file must not take every show down.
    - A file whose bytes match an imported pack was valid when it was imported: it is served
      without being validated again, and ahead of changed files.
    - A changed file is refused if it is bad, if its pack clashes with one served before it
      (same `[pack] name`, same show's season), or if it would take a season that another
      imported pack keeps (until `fanbot remove` takes that one out).
    `changed` lists the packs that replace an import of the same name first, so that a season
    one of them gives up is free when another takes it.
    """
    served = ServedPacks()
    unchanged: list[PackClaim] = []
    changed: list[Pack] = []
    for path in pack_files(folder):
        if (claim := _stored_claim(path, stored)) is None:
            from bot.store.packs import load_pack  # pydantic loads only when a file changed

            try:
                changed.append(load_pack(path))
            except PackError as exc:
                served.refused[path] = str(exc)
        elif clashes := cross_pack_problems([*unchanged, claim]):  # a copy of another file
            served.refused[path] = "\n".join(clashes)
        else:
            unchanged.append(claim)
    while rejected := _first_rejected(unchanged, changed, stored):
        pack, problems = rejected
        served.refused[pack.path] = "\n".join(problems)
        changed.remove(pack)
    stored_names = {claim.name for claim in stored.values()}
    served.names = [claim.name for claim in unchanged] + [pack.name for pack in changed]
    served.changed = sorted(changed, key=lambda pack: pack.name not in stored_names)
    return served


def _first_rejected(
    unchanged: Sequence[PackClaim], changed: Sequence[Pack], stored: Mapping[str, PackClaim]
) -> tuple[Pack, list[str]] | None:
    """The first changed pack that cannot be served beside the others, and why.

    An imported pack keeps its seasons unless a file of its name is served, so each refusal
    can leave more seasons kept: the caller asks again until nothing is rejected.
    """
    served = {claim.name for claim in unchanged} | {pack.name for pack in changed}
    kept = [claim for claim in stored.values() if claim.name not in served]
    accepted = list(unchanged)
    for pack in changed:
        claim = pack.claim
        if problems := cross_pack_problems([*accepted, claim]) + seasons_held(claim, kept):
            return pack, problems
        accepted.append(claim)
    return None


def seasons_held(claim: PackClaim, stored: Iterable[PackClaim]) -> list[str]:
    """The seasons `claim` would take from another imported pack, as `PackError` lines."""
    return [
        f'{claim.path}: season {number} of show "{claim.show_key}" is already loaded from '
        f'pack "{other.name}"'
        for other in stored
        if other.name != claim.name and other.show_key == claim.show_key
        for number in sorted(set(claim.seasons) & set(other.seasons))
    ]


def _stored_claim(path: Path, stored: Mapping[str, PackClaim]) -> PackClaim | None:
    """The imported pack whose content `path` holds byte for byte, if any."""
    try:
        claim = stored.get(content_hash(path.read_bytes()))
    except OSError:  # `load_pack` says what is wrong with the file
        return None
    return replace(claim, path=path) if claim is not None else None
