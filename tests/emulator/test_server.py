"""The emulator speaks Discord's protocol and enforces its rules."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.emulator import DemoWorld, Emulator, EmulatorError
from bot.emulator.rules import pinged
from bot.endpoints import point_discord_at


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def auth(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bot {emulator.token}"}


async def test_rest_refuses_a_wrong_token(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{emulator.api_base}/users/@me", headers={"Authorization": "Bot no"}) as r:
        assert r.status == 401
    async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 200
        assert (await r.json())["bot"] is True


async def test_unknown_routes_and_methods_answer_as_discord(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emulator.api_base}/nowhere/1", headers=auth(emulator)) as r:
        assert r.status == 404
        assert await r.json() == {"message": "404: Not Found", "code": 0}
    async with http.delete(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 405
        assert await r.json() == {"message": "405: Method Not Allowed", "code": 0}
        assert "GET" in r.headers["Allow"]
    emulator.breaches.clear()  # with the contract check on, both are breaches too


async def test_interaction_endpoints_need_no_token_and_skip_the_global_limit(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.limits.global_rate_limit = 1
    async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 200
    async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 429
    callback = f"{emulator.api_base}/interactions/1/token/callback"
    async with http.post(callback, json={"type": 4, "data": {"content": "hi"}}) as r:
        assert r.status == 404
        assert (await r.json())["code"] == 10062  # Unknown interaction: authorised, not limited
    async with http.get(f"{emulator.api_base}/users/@me") as r:
        assert r.status == 401
        assert await r.json() == {"message": "401: Unauthorized", "code": 0}


async def test_gateway_hello_identify_ready_guild_create_compressed(
    emulator: Emulator, world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    inflate = zlib.decompressobj()
    url = f"{emulator.gateway_url}?v=10&encoding=json&compress=zlib-stream"
    async with http.ws_connect(url) as ws:

        async def receive() -> dict[str, object]:
            frame = await ws.receive_bytes(timeout=5)
            assert frame.endswith(b"\x00\x00\xff\xff")
            return json.loads(inflate.decompress(frame))  # type: ignore[no-any-return]

        hello = await receive()
        assert hello["op"] == 10
        await ws.send_json(
            {
                "op": 2,
                "d": {"token": emulator.token, "intents": 1, "properties": {}, "shard": [0, 1]},
            }
        )
        ready = await receive()
        assert ready["t"] == "READY"
        guild_create = await receive()
        assert guild_create["t"] == "GUILD_CREATE"
        await ws.send_json({"op": 1, "d": 2})
        assert (await receive())["op"] == 11


async def test_gateway_closes_on_a_bad_token(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{emulator.gateway_url}?v=10&encoding=json") as ws:
        await ws.receive_json(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
        closing = await ws.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4004


async def test_global_rate_limit_answers_like_discord(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.limits.global_rate_limit = 3
    statuses = []
    for _ in range(5):
        async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
            statuses.append(r.status)
            if r.status == 429:
                body = await r.json()
                assert body["global"] is True and body["retry_after"] > 0
                assert r.headers["Via"] and r.headers["X-RateLimit-Global"] == "true"
    assert statuses == [200, 200, 200, 429, 429]


async def test_injected_fault(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.faults.inject_fault("GET", "^/users/@me$", 503, times=1)
    async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 503
    async with http.get(f"{emulator.api_base}/users/@me", headers=auth(emulator)) as r:
        assert r.status == 200


def test_pinged_follows_allowed_mentions() -> None:
    text = "hi <@1> <@&2> @everyone"
    assert pinged(text, None) == {"user:1", "role:2", "everyone"}
    assert pinged(text, {"parse": []}) == set()
    assert pinged(text, {"parse": [], "roles": ["2"]}) == {"role:2"}
    assert pinged(text, {"parse": [], "roles": [2]}) == {"role:2"}


class _Misbehaving(commands.Bot):
    """A bare discord.py bot that breaks Discord's rules on purpose."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )

        @self.tree.command()
        async def twice(interaction: discord.Interaction) -> None:
            """Acknowledge twice."""
            await interaction.response.send_message("one")
            await interaction.client.http.request(  # a raw second callback
                discord.http.Route(
                    "POST",
                    "/interactions/{i}/{t}/callback",
                    i=interaction.id,
                    t=interaction.token,
                ),
                json={"type": 4, "data": {"content": "two"}},
            )

        @self.tree.command()
        async def slow(interaction: discord.Interaction) -> None:
            """Answer too late."""
            await asyncio.sleep(0.3)
            await interaction.response.send_message("late")

        @self.tree.command()
        @app_commands.describe(n="a number")
        async def pick(interaction: discord.Interaction, n: app_commands.Range[int, 1, 5]) -> None:
            """Echo a number."""
            await interaction.response.send_message(str(n))

    async def setup_hook(self) -> None:
        await self.tree.sync()


@pytest.fixture
async def misbehaving(emulator: Emulator, world: DemoWorld) -> AsyncIterator[_Misbehaving]:
    point_discord_at(emulator.api_base, emulator.gateway_url)
    client = _Misbehaving()
    task = asyncio.create_task(client.start(emulator.token))
    await emulator.wait_until_connected()
    await client.wait_until_ready()
    yield client
    await client.close()
    await task
    emulator.breaches.clear()  # the breaches were the point of these tests


async def test_double_acknowledgement_is_a_named_breach(
    emulator: Emulator, misbehaving: _Misbehaving
) -> None:
    await emulator.slash("twice")
    for _ in range(50):
        if emulator.breaches:
            break
        await asyncio.sleep(0.02)
    assert any("acknowledged twice" in b for b in emulator.breaches)


async def test_late_acknowledgement_is_a_named_breach(
    emulator: Emulator, misbehaving: _Misbehaving
) -> None:
    emulator.ack_deadline = 0.1
    with pytest.raises(EmulatorError):
        await emulator.slash("slow", timeout=1)
    assert any("3 s" in b for b in emulator.breaches)


async def test_options_are_checked_like_a_discord_client(
    emulator: Emulator, misbehaving: _Misbehaving
) -> None:
    assert (await emulator.slash("pick", n=3)).content == "3"
    with pytest.raises(EmulatorError, match="between 1 and 5"):
        await emulator.slash("pick", n=9)
    with pytest.raises(EmulatorError, match="required"):
        await emulator.slash("pick")
    with pytest.raises(EmulatorError, match="no option"):
        await emulator.slash("pick", n=1, m=2)
    with pytest.raises(EmulatorError, match="no command"):
        await emulator.slash("nope")
