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


def packs_to_serve(folder: Path, stored: Mapping[str, PackClaim]) -> ServedPacks:
    """Every pack in `folder` that can be served; `stored` holds the imported packs by hash.

    What the running bot does at start: one bad file must not take every show down.
    - A file whose bytes match an imported pack was valid when it was imported: it is served
      without being validated again, and wins any clash with a changed file.
    - A changed file is refused if it is bad, if it would take a season another imported
      pack keeps (until `fanbot remove` takes that one out), or if its pack clashes with one
      served before it (same `[pack] name`, same show's season).
    `changed` is in the order to import them (`import_order`).
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
    held: dict[Path, list[str]] = {}  # only grows: a pack kept holds its seasons
    while True:
        accepted, clashing = _without_clashes(unchanged, [p for p in changed if p.path not in held])
        names = {claim.name for claim in unchanged} | {pack.name for pack in accepted}
        kept = [claim for claim in stored.values() if claim.name not in names]
        taking = {
            pack.path: problems for pack in accepted if (problems := seasons_held(pack.claim, kept))
        }
        if not taking:
            break
        held |= taking
    served.refused |= {path: "\n".join(problems) for path, problems in (held | clashing).items()}
    served.names = [claim.name for claim in unchanged] + [pack.name for pack in accepted]
    served.changed = import_order(accepted, stored.values())
    return served


def _without_clashes(
    unchanged: Sequence[PackClaim], changed: Sequence[Pack]
) -> tuple[list[Pack], dict[Path, list[str]]]:
    """The changed packs that clash with no pack before them, and the others' clashes."""
    claims = list(unchanged)
    accepted: list[Pack] = []
    clashing: dict[Path, list[str]] = {}
    for pack in changed:
        if clashes := cross_pack_problems([*claims, pack.claim]):
            clashing[pack.path] = clashes
        else:
            claims.append(pack.claim)
            accepted.append(pack)
    return accepted, clashing


def import_order(packs: Sequence[Pack], stored: Iterable[PackClaim]) -> list[Pack]:
    """`packs` in the order to import them: the one giving up a season before the one taking it.

    A pack's old import holds its seasons until the pack is imported again. Packs that swap
    seasons cannot go one after the other: they keep their order, and the second is refused.
    """
    holders = {(claim.show_key, number): claim.name for claim in stored for number in claim.seasons}
    pending, order = list(packs), []
    while pending:
        waiting = {pack.name for pack in pending}
        free = [
            pack
            for pack in pending
            if not any(
                holders.get((pack.claim.show_key, number)) in waiting - {pack.name}
                for number in pack.claim.seasons
            )
        ]
        step = free[0] if free else pending[0]
        order.append(step)
        pending.remove(step)
    return order


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
