"""Settings from anywhere, and bad settings or Ctrl-C as one clear line, via the real CLI."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from bot.emulator import DemoWorld, Emulator
from tests.test_cli import PACK, cli_env


async def fanbot_in(
    cwd: Path, *args: str, drop: tuple[str, ...] = (), **extra: str
) -> tuple[int, str, str]:
    """`python -m bot ARGS` in `cwd`, with the test environment minus the names in `drop`."""
    env = cli_env(cwd, **extra)
    for name in drop:
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


PATHS = ("FANBOT_DB", "FANBOT_CONTENT_DIR")


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """conf/bot.env, naming its database and content folder relative to itself."""
    folder = tmp_path / "conf"
    (folder / "packs").mkdir(parents=True)
    shutil.copy(PACK, folder / "packs")
    (folder / "bot.env").write_text(
        "FANBOT_DB=state/bot.sqlite3\nFANBOT_CONTENT_DIR=packs\n", encoding="utf-8"
    )
    return folder


async def test_no_token_says_where_it_looked(tmp_path: Path) -> None:
    code, _, err = await fanbot_in(tmp_path, "run")
    assert code == 2
    line = one_line(err)
    assert (
        f"DISCORD_TOKEN is not set (looked in the environment and {tmp_path / '.env'}, "
        "which does not exist)"
    ) in line


@pytest.mark.parametrize("how", ["option", "option after the command", "variable"])
async def test_an_env_file_elsewhere_with_paths_relative_to_it(
    tmp_path: Path, conf: Path, how: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env_file = "../conf/bot.env"
    if how == "option":
        args, extra = ["--env-file", env_file, "import", "../conf/packs"], {}
    elif how == "option after the command":
        args, extra = ["import", "--env-file", env_file, "../conf/packs"], {}
    else:
        args, extra = ["import", "../conf/packs"], {"FANBOT_ENV_FILE": env_file}
    code, out, err = await fanbot_in(elsewhere, *args, drop=PATHS, **extra)
    assert (code, err) == (0, "")
    assert out.endswith(f"into {conf / 'state' / 'bot.sqlite3'}\n")
    assert files_in(elsewhere) == []

    # The token is looked for in that file too, and the message says so.
    code, _, err = await fanbot_in(elsewhere, "--env-file", env_file, "run", drop=PATHS)
    assert code == 2
    assert f"(looked in the environment and {conf / 'bot.env'})" in one_line(err)

    code, out, err = await fanbot_in(
        elsewhere, "backup", "copy.sqlite3", drop=PATHS, FANBOT_ENV_FILE=env_file
    )
    assert code == 0, err
    assert f"backed up {conf / 'state' / 'bot.sqlite3'}" in out


async def test_the_environment_wins_over_the_env_file(tmp_path: Path, conf: Path) -> None:
    code, _, err = await fanbot_in(
        tmp_path, "--env-file", str(conf / "bot.env"), "backup", "x.bak", drop=("FANBOT_DB",)
    )
    assert code == 2
    assert one_line(err) == (
        f"fanbot: there is no database at {conf / 'state' / 'bot.sqlite3'} "
        f"(FANBOT_DB from {conf / 'bot.env'}): nothing to back up"
    )
    code, _, err = await fanbot_in(tmp_path, "--env-file", str(conf / "bot.env"), "backup", "x.bak")
    assert one_line(err) == (
        f"fanbot: there is no database at {tmp_path / 'fanbot.sqlite3'} "
        "(FANBOT_DB from the environment): nothing to back up"
    )
    code, _, err = await fanbot_in(tmp_path, "backup", "x.bak", drop=("FANBOT_DB",))
    assert one_line(err) == (
        f"fanbot: there is no database at {tmp_path / 'data' / 'fanbot.sqlite3'} (the default: "
        f"FANBOT_DB is not set in the environment or {tmp_path / '.env'}, which does not "
        "exist): nothing to back up"
    )
    assert "x.bak" not in files_in(tmp_path)


@pytest.mark.parametrize("how", ["option", "variable"])
async def test_a_missing_env_file_is_one_line(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope.env"
    if how == "option":
        code, _, err = await fanbot_in(tmp_path, "--env-file", str(missing), "check", str(PACK))
        assert one_line(err) == (
            f"fanbot: --env-file {missing}: {missing} does not exist; name the env file "
            "(see .env.example)"
        )
    else:
        code, _, err = await fanbot_in(tmp_path, "check", str(PACK), FANBOT_ENV_FILE=str(tmp_path))
        assert one_line(err).startswith(
            f"fanbot: FANBOT_ENV_FILE={tmp_path}: {tmp_path} is a folder"
        )
    assert code == 2


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FANBOT_DB", ".", "is a folder; it must name the database file, e.g. "),
        ("DISCORD_API_BASE", "127.0.0.1:8080/api/v10", "is not a URL starting with http://"),
        ("DISCORD_API_BASE", "ftp://example.org/api", "is not a URL starting with http://"),
        ("DISCORD_API_BASE", "http://", "is not a URL starting with http://"),
        ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg", "is not a URL starting with ws://"),
        ("DISCORD_GATEWAY_URL", "ws://host:port/x", "is not a URL starting with ws://"),
    ],
)
@pytest.mark.parametrize("command", ["run", "import", "local"])
async def test_bad_settings_are_one_line_and_create_nothing(
    tmp_path: Path, name: str, value: str, expected: str, command: str
) -> None:
    args = [command, str(PACK)] if command == "import" else [command]
    code, out, err = await fanbot_in(tmp_path, *args, **{name: value, "DISCORD_TOKEN": "t.t.t"})
    assert code == 2
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"fanbot: {name}={value!r} ")
    assert expected in line
    assert files_in(tmp_path) == []


async def test_a_setting_from_the_env_file_says_so(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_GATEWAY_URL=gateway\n", encoding="utf-8")
    code, _, err = await fanbot_in(tmp_path, "check", str(PACK))
    assert code == 2
    assert one_line(err).endswith(f"(set in {tmp_path / '.env'})")


@pytest.mark.parametrize("command", ["run", "sync", "local"])
async def test_a_missing_content_folder_creates_no_database(tmp_path: Path, command: str) -> None:
    code, _, err = await fanbot_in(
        tmp_path, command, FANBOT_CONTENT_DIR="packs", DISCORD_TOKEN="t.t.t"
    )
    assert code == 2
    assert one_line(err) == (
        f"fanbot: the content folder {tmp_path / 'packs'} does not exist (FANBOT_CONTENT_DIR "
        "from the environment); point FANBOT_CONTENT_DIR at the folder of content packs"
    )
    assert files_in(tmp_path) == []


async def test_a_bad_pack_at_start_is_an_error_line_not_an_exit(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "bad.toml").write_text("[pack]\nname = 1\n", encoding="utf-8")
    code, _, err = await fanbot_in(
        tmp_path,
        "sync",
        FANBOT_CONTENT_DIR=str(packs),
        DISCORD_TOKEN=emulator.token,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
    )
    assert code == 0, err
    [error] = [line for line in err.splitlines() if " ERROR " in line]
    assert f"content pack file {packs / 'bad.toml'} refused: " in error
    assert error.endswith("serving nothing from this file")
    assert "Traceback" not in err


async def test_ctrl_c_while_importing_is_one_line_and_exit_130(tmp_path: Path) -> None:
    fifo = tmp_path / "slow.toml"  # a pack that is still being written: the import waits on it
    os.mkfifo(fifo)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        str(fifo),
        cwd=tmp_path,
        env=cli_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    writer = -1
    try:
        for _ in range(600):  # until fanbot has the pack open, reading
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody is reading it yet
                    raise
                await asyncio.sleep(0.05)
        assert writer >= 0, "fanbot never opened the pack"
        os.write(writer, PACK.read_bytes()[:100])
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if writer >= 0:
            os.close(writer)
        if process.returncode is None:
            process.kill()
    assert process.returncode == 130
    assert out == b""
    assert one_line(err.decode()) == (
        "fanbot: interrupted while reading the packs; nothing was imported"
    )
    assert files_in(tmp_path) == ["slow.toml"]
