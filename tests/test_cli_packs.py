"""`fanbot check` and `fanbot import` on folders, and clashes between files, via the CLI."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.test_cli import PACK, cli_env, fanbot

TEXT = PACK.read_text(encoding="utf-8")


def renamed(name: str) -> str:
    """The bundled pack under another [pack] name (same show, same season)."""
    return TEXT.replace('name = "heartstopper-s2"', f'name = "{name}"', 1)


def folder_of(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "packs"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def exists(path: Path) -> bool:
    return path.exists()


async def test_check_a_folder_checks_each_pack_in_it(tmp_path: Path) -> None:
    code, out, err = await fanbot(tmp_path, "check", str(PACK.parent))
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: {PACK} (Heartstopper season 2 v1.0.0: ")
    assert len(out.splitlines()) == len(list(PACK.parent.glob("*.toml")))


async def test_one_pack_name_in_two_files_names_both(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, a=TEXT, b=TEXT.replace("the two", "both", 1))
    code, out, err = await fanbot(tmp_path, "check", str(folder))
    assert code == 2
    assert f'{folder / "b.toml"}: [pack] name "heartstopper-s2" is already used by ' in err
    assert f"already used by {folder / 'a.toml'}" in err
    assert "Traceback" not in err
    assert out.count("ok: ") == 2  # each file alone is fine


async def test_one_season_in_two_packs_names_both(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, a=TEXT, b=renamed("heartstopper-s2-again"))
    code, _, err = await fanbot(tmp_path, "check", str(folder))
    assert code == 2
    assert err.strip().splitlines() == [
        f'{folder / "b.toml"}: season 2 of show "heartstopper" is already defined in '
        f"{folder / 'a.toml'}"
    ]


async def test_files_checked_together_are_checked_as_one_folder(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(renamed("heartstopper-s2-again"), encoding="utf-8")
    code, _, err = await fanbot(tmp_path, "check", str(PACK), str(other))
    assert code == 2
    assert f"already defined in {PACK}" in err
    # The same file named twice (itself, and inside its folder) is one file, no clash.
    code, out, err = await fanbot(tmp_path, "check", str(PACK), str(PACK.parent))
    assert (code, err) == (0, "")
    assert out.count("ok: ") == 1


async def test_an_empty_folder_is_a_warning_naming_it(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, **{})
    (folder / "notes.txt").write_text("not a pack", encoding="utf-8")
    code, out, err = await fanbot(tmp_path, "check", str(folder))
    assert (code, out) == (0, "")
    assert err == (
        f"fanbot: warning: {folder} holds no content packs (no *.toml files): "
        "no show is loaded from it\n"
    )


async def test_import_refuses_two_files_with_one_pack_name(tmp_path: Path) -> None:
    other = tmp_path / "copy.toml"
    other.write_text(TEXT, encoding="utf-8")
    code, out, err = await fanbot(tmp_path, "import", str(PACK), str(other))
    assert code == 2
    assert out == ""
    assert f'{other}: [pack] name "heartstopper-s2" is already used by {PACK}' in err
    assert "nothing was imported" in err
    assert "Traceback" not in err
    assert not exists(tmp_path / "fanbot.sqlite3")


async def test_import_a_folder(tmp_path: Path) -> None:
    code, out, err = await fanbot(tmp_path, "import", str(PACK.parent))
    assert (code, err) == (0, "")
    assert out == f"imported: {PACK} into {tmp_path / 'fanbot.sqlite3'}\n"


async def test_the_bot_warns_at_start_of_a_content_folder_without_packs(tmp_path: Path) -> None:
    empty = folder_of(tmp_path, **{})
    env = cli_env(tmp_path, FANBOT_CONTENT_DIR=str(empty))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "local",
        "--script",
        "-",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(b"/about\n"), timeout=60)
    err = stderr.decode()
    assert process.returncode == 0, err
    assert f"{empty} holds no content packs (no *.toml files): no show is loaded from it" in err
    assert "Traceback" not in err


async def test_import_moves_a_season_from_one_pack_to_another(tmp_path: Path) -> None:
    code, _, err = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0, err
    # The bundled pack gives its season up (its show is renamed) and "heir", sorted first,
    # takes it: the pack giving it up is imported first.
    folder = folder_of(
        tmp_path,
        **{
            "a-heir": renamed("heir"),
            "heartstopper-s2": TEXT.replace('key = "heartstopper"', 'key = "heartstopper-old"', 1),
        },
    )
    code, out, err = await fanbot(tmp_path, "import", str(folder))
    assert (code, err) == (0, "")
    db = tmp_path / "fanbot.sqlite3"
    assert out.splitlines() == [
        f"imported: {folder / 'heartstopper-s2.toml'} into {db}",
        f"imported: {folder / 'a-heir.toml'} into {db}",
    ]
