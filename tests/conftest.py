"""Shared fixtures: the emulator with a demo server, and the real bot connected to it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import FanBot
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator, populate_demo_world
from bot.local import running_bot
from tests.contract import SPEC_ENV, SpecMissingError, contract_from_env

REPO = Path(__file__).resolve().parents[1]
BUNDLED_CONTENT = REPO / "data" / "content"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a bot with its own database and the bundled content packs."""
    return dataclasses.replace(
        Settings(), db_path=tmp_path / "fanbot.sqlite3", content_dir=BUNDLED_CONTENT
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        contract_from_env()
    except SpecMissingError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header() -> str:
    contract = contract_from_env()
    if contract is None:
        return f"contract: {SPEC_ENV}=off: REST bodies are NOT checked"
    return f"contract: every REST body is checked against {contract.source}"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A started emulator; the test fails if the bot broke any of Discord's rules.

    Every REST body must also match Discord's API description (tests/discord-api-spec/,
    or DISCORD_OPENAPI_SPEC; `off` skips that check).
    """
    emu = Emulator()
    contract = contract_from_env()
    if contract is not None:
        contract.enforce_on(emu)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    emu.assert_no_breaches()


@pytest.fixture
def world(emulator: Emulator) -> DemoWorld:
    """The demo fan server inside the emulator."""
    return populate_demo_world(emulator)


@pytest.fixture
async def bot(emulator: Emulator, world: DemoWorld, settings: Settings) -> AsyncIterator[FanBot]:
    """The real bot, connected to the emulator and ready."""
    async with running_bot(emulator, settings) as running:
        yield running


@pytest.fixture(autouse=True)
def _quiet_discord_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="discord")
