"""Every REST body the bot sends matches Discord's OpenAPI description."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import aiohttp
import discord
import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import Emulator, RuleBreach, populate_demo_world
from bot.local import running_bot
from tests.cogs.countdown_helpers import PREMIERE
from tests.conftest import REPO
from tests.contract import (
    SPEC_ENV,
    VENDORED_SPEC,
    Contract,
    SpecMissingError,
    contract_from_env,
    spec_path,
)

SNOWFLAKE = {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}
TINY_SPEC = {
    "openapi": "3.1.0",
    "paths": {
        "/channels/{channel_id}/messages": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/MessageCreate"}
                        }
                    }
                }
            }
        },
        "/webhooks/{id}/{token}/messages/@original": {"patch": {}},
        "/webhooks/{id}/{token}/messages/{message_id}": {"delete": {}},
    },
    "components": {
        "schemas": {
            "Snowflake": SNOWFLAKE,
            "MessageCreate": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "maxLength": 2000},
                    "allowed_mentions": {
                        "type": "object",
                        "properties": {
                            "roles": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Snowflake"},
                            }
                        },
                    },
                },
            },
        }
    },
}


def real_contract() -> Contract:
    contract = contract_from_env()
    if contract is None:
        pytest.skip(f"{SPEC_ENV}=off: the contract check is skipped")
    return contract


def test_by_default_the_vendored_description_is_the_contract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SPEC_ENV, raising=False)
    assert spec_path() == VENDORED_SPEC
    assert VENDORED_SPEC.is_file()
    assert (VENDORED_SPEC.parent / "LICENSE").is_file()
    monkeypatch.setenv(SPEC_ENV, "off")
    assert spec_path() is None
    monkeypatch.setenv(SPEC_ENV, str(VENDORED_SPEC.parent / "nowhere.json"))
    with pytest.raises(SpecMissingError, match="names no file"):
        spec_path()


def test_the_shipped_package_imports_no_test_dependency() -> None:
    code = (
        "import sys, bot.__main__, bot.client, bot.local, bot.emulator, bot.emulator.server, "
        "bot.playground, cogs.cast, cogs.countdown, cogs.meta, cogs.plot\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'jsonschema', 'referencing', 'pytest', 'hypothesis', 'tests'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_body_that_breaks_the_schema_names_route_and_place() -> None:
    contract = Contract(TINY_SPEC)
    problems = contract.check("POST", "/channels/123/messages", {"content": 7})
    assert problems == [
        "POST /channels/{channel_id}/messages: at content: 7 is not of type 'string'"
    ]
    too_long = contract.check("POST", "/channels/1/messages", {"content": "x" * 2001})
    assert "maxLength=2000" in too_long[0]


def test_mention_ids_may_be_integers_as_discord_py_sends_them() -> None:
    contract = Contract(TINY_SPEC)
    assert (
        contract.check("POST", "/channels/1/messages", {"allowed_mentions": {"roles": [42]}}) == []
    )
    bad = contract.check("POST", "/channels/1/messages", {"allowed_mentions": {"roles": ["x"]}})
    assert bad and "allowed_mentions/roles/0" in bad[0]


def test_routes_match_literal_segments_first_and_unknown_routes_are_named() -> None:
    contract = Contract(TINY_SPEC)
    assert contract.route("PATCH", "/webhooks/1/t/messages/@original") == (
        "/webhooks/{id}/{token}/messages/@original"
    )
    assert contract.route("DELETE", "/webhooks/1/t/messages/55") == (
        "/webhooks/{id}/{token}/messages/{message_id}"
    )
    assert contract.check("GET", "/nowhere", None) == [
        "GET /nowhere: no such route in Discord's API description"
    ]


async def test_a_breach_of_the_real_contract_fails_the_test_that_caused_it() -> None:
    contract = real_contract()
    async with Emulator() as emu:
        contract.enforce_on(emu)
        world = populate_demo_world(emu)
        url = f"{emu.api_base}/channels/{world.general.id}/messages"
        headers = {"Authorization": f"Bot {emu.token}"}
        async with aiohttp.ClientSession() as http:
            body = {"content": "hi", "embeds": [{"title": 5}]}
            async with http.post(url, json=body, headers=headers) as r:
                assert r.status in (200, 400)
        with pytest.raises(RuleBreach) as caught:
            emu.assert_no_breaches()
    assert "POST /channels/{channel_id}/messages: at embeds/0/title" in str(caught.value)


async def test_a_tour_of_every_command_keeps_the_contract(settings: Settings) -> None:
    contract = real_contract()
    async with Emulator() as emu:
        contract.enforce_on(emu)
        world = populate_demo_world(emu)
        clock = Clock(PREMIERE - timedelta(days=10))
        async with running_bot(emu, settings, clock=clock) as bot:
            for command, options in [
                ("cast", {}),
                ("cast", {"filter": "new"}),
                ("character", {"name": "Nick"}),
                ("actor", {"name": "Kit Connor"}),
                ("plot", {}),
                ("plot", {"storyline": "Paris"}),
                ("premiere", {}),
                ("trailer", {}),
                ("about", {}),
                ("countdown setup", {"channel": world.announcements, "role": world.premiere_pings}),
                ("countdown daily", {"time": "18:00", "timezone": "Europe/London"}),
                ("countdown status", {}),
                ("countdown preview", {}),
                ("countdown stop", {}),
                ("character", {"name": "nobody at all"}),
            ]:
                await emu.interact(command, options)
            await emu.autocomplete("character", "name", "ch")
            await emu.autocomplete("countdown setup", "event", "", channel=world.announcements)
            channel = bot.get_partial_messageable(world.general.id, guild_id=world.guild.id)
            await channel.send(
                f"<@&{world.premiere_pings.id}>",
                allowed_mentions=discord.AllowedMentions(roles=[world.premiere_pings]),  # type: ignore[list-item]
            )
        checked = [r for r in emu.recorder.requests if r[2] is not None]
        emu.assert_no_breaches()
    assert len(checked) >= 20
    assert {r[1].split("/")[1] for r in checked} >= {"applications", "interactions", "channels"}
