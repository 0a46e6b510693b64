"""bot/store/__init__.py: the package's names are imported when first used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bot.store


def loaded_after(statement: str) -> str:
    script = (
        f"{statement}; import sys; print(sorted({{'aiosqlite', 'pydantic'}} & {{*sys.modules}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_a_records_module_of_the_store_loads_without_sqlite() -> None:
    assert loaded_after("import bot.store.countdown_models") == "[]"
    assert loaded_after("from bot.store import Store") == "['aiosqlite']"
    assert loaded_after("from bot.store import load_pack") == "['aiosqlite', 'pydantic']"


def test_the_running_bot_loads_the_pack_validator_only_to_validate() -> None:
    # pydantic and the compiled pack schema are about 9 MiB a bot would keep for nothing.
    modules = "bot.__main__, bot.client, bot.playground, cogs.cast, cogs.countdown, cogs.meta"
    assert loaded_after(f"import {modules}, cogs.plot") == "['aiosqlite']"
    assert loaded_after("import bot.render, bot.content.records") == "[]"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = bot.store.Nope  # type: ignore[attr-defined]
