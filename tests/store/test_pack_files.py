"""bot/store/pack_files.py: which pack files a start serves, validating only what changed."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from bot.store import Store, load_pack
from bot.store.pack_files import content_hash, packs_to_serve
from tests.store.conftest import MINIMAL, TWO_SEASONS

WritePack = Callable[..., Path]
SEASON_3_OF_MINI = '\n[[seasons]]\nnumber = 3\nsynopsis = "Another season."\n'


async def serve(store: Store, folder: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """(changed pack names, unchanged pack names, refused file names and why) at a start."""
    served = packs_to_serve(folder, await store.content.pack_claims())
    refused = {path.name: why for path, why in served.refused.items()}
    changed = [pack.name for pack in served.changed]
    return changed, [name for name in served.names if name not in changed], refused


async def test_the_database_knows_what_each_imported_pack_claims(
    store: Store, write_pack: WritePack
) -> None:
    packs = [load_pack(write_pack(MINIMAL, "a.toml")), load_pack(write_pack(TWO_SEASONS, "b.toml"))]
    await store.import_dir(packs[0].path.parent)
    assert await store.content.pack_claims() == {
        pack.content_hash: dataclasses.replace(pack.claim, path=None) for pack in packs
    }
    assert [pack.claim.seasons for pack in packs] == [(1,), (1, 2)]


async def test_a_start_validates_only_the_files_that_changed(
    store: Store, write_pack: WritePack
) -> None:
    write_pack(MINIMAL, "a.toml")
    two = write_pack(TWO_SEASONS, "b.toml")
    served = packs_to_serve(two.parent, await store.content.pack_claims())
    assert [pack.name for pack in served.changed] == ["mini", "two"]
    for pack in served.changed:
        await store.import_pack(pack)

    assert await serve(store, two.parent) == ([], ["mini", "two"], {})

    two.write_text(TWO_SEASONS.replace('version = "2.0"', 'version = "2.1"'), encoding="utf-8")
    assert await serve(store, two.parent) == (["two"], ["mini"], {})


async def test_an_unchanged_pack_still_clashes_with_a_file_after_it(
    store: Store, write_pack: WritePack
) -> None:
    first = write_pack(MINIMAL, "a.toml")
    await store.import_pack(load_pack(first))
    write_pack(MINIMAL, "b.toml")  # the same bytes again
    write_pack(MINIMAL.replace('version = "1"', 'version = "2"'), "c.toml")  # same name

    changed, unchanged, refused = await serve(store, first.parent)

    assert (changed, unchanged) == ([], ["mini"])
    assert sorted(refused) == ["b.toml", "c.toml"]
    for why in refused.values():
        assert f'[pack] name "mini" is already used by {first}' in why
        assert f'season 1 of show "mini-show" is already defined in {first}' in why


async def test_a_new_file_cannot_take_a_season_another_imported_pack_holds(
    store: Store, write_pack: WritePack
) -> None:
    held = write_pack(MINIMAL, "b.toml")
    await store.import_pack(load_pack(held))
    # Sorted before the holder's file, and named differently: it would take its season.
    write_pack(MINIMAL.replace('name = "mini"', 'name = "usurper"'), "a.toml")

    changed, unchanged, refused = await serve(store, held.parent)

    assert (changed, unchanged) == ([], ["mini"])
    assert refused["a.toml"].endswith(f'season 1 of show "mini-show" is already defined in {held}')


async def test_a_season_another_pack_gives_up_in_the_same_start_can_be_taken(
    store: Store, write_pack: WritePack
) -> None:
    moved = write_pack(MINIMAL, "b.toml")
    await store.import_pack(load_pack(moved))
    moved.write_text(MINIMAL.replace('key = "mini-show"', 'key = "moved-show"'), "utf-8")
    write_pack(MINIMAL.replace('name = "mini"', 'name = "heir"'), "a.toml")

    served = packs_to_serve(moved.parent, await store.content.pack_claims())

    assert (served.names, served.refused) == (["heir", "mini"], {})
    assert [pack.name for pack in served.changed] == ["mini", "heir"]  # the one giving it up first
    # `Store.import_dir` gives the importer them in file order: it orders them too.
    assert await store.import_dir(moved.parent) == [("heir", True), ("mini", True)]


async def test_a_refused_file_keeps_its_old_seasons_from_being_taken(
    store: Store, write_pack: WritePack
) -> None:
    moved = write_pack(MINIMAL, "b.toml")
    await store.import_pack(load_pack(moved))
    moved.write_text(MINIMAL.replace('key = "mini-show"', "key = 1"), "utf-8")  # now bad
    write_pack(MINIMAL.replace('name = "mini"', 'name = "heir"'), "a.toml")

    changed, unchanged, refused = await serve(store, moved.parent)

    assert (changed, unchanged, sorted(refused)) == ([], [], ["a.toml", "b.toml"])
    assert 'already loaded from pack "mini"' in refused["a.toml"]


async def test_a_refusal_never_names_a_file_that_is_not_served(
    store: Store, write_pack: WritePack
) -> None:
    # "x" holds season 1; now x.toml moves it to season 3, p.toml takes seasons 1 and 3, and
    # q.toml season 3. p cannot have season 1 while x keeps it; x's file clashes with q.
    x = write_pack(MINIMAL, "x.toml")
    await store.import_pack(load_pack(x))
    with_season_3 = MINIMAL.replace("number = 1", "number = 3").replace("season = 1", "season = 3")
    x.write_text(with_season_3, "utf-8")
    both = MINIMAL.replace('name = "mini"', 'name = "p"') + SEASON_3_OF_MINI
    write_pack(both, "p.toml")
    write_pack(with_season_3.replace('name = "mini"', 'name = "q"'), "q.toml")

    changed, unchanged, refused = await serve(store, x.parent)

    assert (changed, unchanged, sorted(refused)) == (["q"], [], ["p.toml", "x.toml"])
    assert refused["p.toml"].endswith(
        'season 1 of show "mini-show" is already loaded from pack "mini"'
    )
    assert refused["x.toml"].endswith(f"already defined in {x.parent / 'q.toml'}")


async def test_a_bad_or_unreadable_file_is_refused_and_the_others_served(
    store: Store, write_pack: WritePack
) -> None:
    good = write_pack(MINIMAL, "a.toml")
    await store.import_pack(load_pack(good))
    write_pack("[pack\nname = 'broken'", "b.toml")
    (good.parent / "c.toml").mkdir()

    changed, unchanged, refused = await serve(store, good.parent)

    assert (changed, unchanged) == ([], ["mini"])
    assert "TOML syntax error" in refused["b.toml"]
    assert "is a folder, not a pack file" in refused["c.toml"]


def test_the_hash_is_the_one_a_validated_pack_carries(write_pack: WritePack) -> None:
    path = write_pack(MINIMAL)
    assert content_hash(path.read_bytes()) == load_pack(path).content_hash


async def test_a_restart_with_unchanged_packs_never_loads_the_validator(
    store: Store, write_pack: WritePack
) -> None:
    folder = write_pack(MINIMAL).parent
    await store.import_dir(folder)
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from bot.store import Store
        from bot.store.pack_files import packs_to_serve

        async def main():
            async with await Store.open({store.path!r}) as store:
                served = packs_to_serve(Path({str(folder)!r}), await store.content.pack_claims())
            print(served.names, served.changed, "pydantic" in sys.modules)

        asyncio.run(main())
        """
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0
    assert out.decode().splitlines()[0] == "['mini'] [] False"
