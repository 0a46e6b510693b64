"""The emulator produces Discord's bad days, and the real bot rides them out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest

from bot.client import FanBot
from bot.emulator import DemoWorld, Emulator
from bot.emulator.rest.limits import bucket_of
from tests.cogs.helpers import visible_text


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def posted(emulator: Emulator, world: DemoWorld) -> list[str]:
    return [m.content for m in emulator.channel_messages(world.general) if m.interaction_id is None]


async def send(bot: FanBot, world: DemoWorld, text: str, **extra: object) -> discord.Message:
    channel = bot.get_partial_messageable(world.general.id, guild_id=world.guild.id)
    return await channel.send(text, **extra)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- rate limits


def test_buckets_group_routes_by_top_level_resource() -> None:
    messages = "/channels/{channel_id}/messages"
    one, channel_one = bucket_of("POST", messages, {"channel_id": "1"})
    two, channel_two = bucket_of("POST", messages, {"channel_id": "2"})
    edit, _ = bucket_of(
        "PATCH", f"{messages}/{{message_id}}", {"channel_id": "1", "message_id": "9"}
    )
    assert one == two != edit
    assert (channel_one, channel_two) == ("1", "2")
    webhook = {"webhook_id": "7", "webhook_token": "tok", "message_id": "5"}
    assert bucket_of("PATCH", "/webhooks/{webhook_id}/{webhook_token}", webhook)[1] == "7/tok"


async def test_per_route_buckets_count_down_then_429(
    emulator: Emulator, world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    emulator.limits.set_route_limit("POST", r"/channels/\d+/messages", 2, 5.0)
    headers = {"Authorization": f"Bot {emulator.token}", "Content-Type": "application/json"}
    url = f"{emulator.api_base}/channels/{world.general.id}/messages"
    seen = []
    for _ in range(3):
        async with http.post(url, json={"content": "hi"}, headers=headers) as r:
            seen.append((r.status, dict(r.headers), await r.json()))
    (s1, h1, _), (s2, h2, _), (s3, h3, b3) = seen
    assert (s1, s2, s3) == (200, 200, 429)
    assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"]) == ("2", "1")
    assert h2["X-RateLimit-Remaining"] == "0"
    assert 0 < float(h2["X-RateLimit-Reset-After"]) <= 5.0
    assert float(h2["X-RateLimit-Reset"]) > time.time()
    assert h1["X-RateLimit-Bucket"] == h3["X-RateLimit-Bucket"]
    assert h3["Via"] and h3["X-RateLimit-Scope"] == "user"
    assert b3["global"] is False and b3["retry_after"] > 0
    # Another channel is another bucket.
    other = f"{emulator.api_base}/channels/{world.announcements.id}/messages"
    async with http.post(other, json={"content": "hi"}, headers=headers) as r:
        assert r.status == 200


async def test_discord_py_waits_out_a_bucket_instead_of_failing(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    emulator.limits.set_route_limit("POST", r"/channels/\d+/messages", 2, 0.5)
    started = time.monotonic()
    for i in range(6):
        await send(bot, world, f"post {i}")
    assert posted(emulator, world) == [f"post {i}" for i in range(6)]
    assert time.monotonic() - started >= 0.9  # three windows of 0.5 s


async def test_injected_route_and_global_429s_are_waited_out(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    emulator.faults.inject_rate_limit("POST", r"/channels/\d+/messages", retry_after=0.2, times=2)
    emulator.faults.inject_rate_limit(
        "POST", r"/channels/\d+/messages", retry_after=0.2, is_global=True, times=1
    )
    message = await send(bot, world, "after the storm")
    assert posted(emulator, world) == ["after the storm"]
    assert message.content == "after the storm"
    assert emulator.faults_injected == {"429 route": 2, "429 global": 1}


async def test_500_and_502_are_retried_503_surfaces(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    emulator.faults.inject_fault("POST", r"/channels/\d+/messages", 500)
    emulator.faults.inject_fault("POST", r"/channels/\d+/messages", 502)
    await send(bot, world, "made it")
    emulator.faults.inject_fault("POST", r"/channels/\d+/messages", 503)
    with pytest.raises(discord.DiscordServerError):
        await send(bot, world, "lost")
    assert posted(emulator, world) == ["made it"]
    assert emulator.faults_injected == {"500": 1, "502": 1, "503": 1}


async def test_an_answer_lost_after_the_post_is_not_a_second_post(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    # Discord stores the message, then the answer is a 502: discord.py sends it again, and
    # the nonce (enforce_nonce) makes Discord return the stored message instead.
    emulator.faults.inject_fault("POST", r"/channels/\d+/messages", 502, after=True)
    message = await send(bot, world, "once", nonce="reminder-1")
    sends = [r for r in emulator.recorder.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(sends) == 2
    assert all(body["nonce"] == "reminder-1" and body["enforce_nonce"] for _, _, body in sends)
    assert posted(emulator, world) == ["once"]
    assert message.id == emulator.channel_messages(world.general)[-1].id


async def test_slow_responses_are_just_slow(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    emulator.faults.inject_delay("POST", r"/channels/\d+/messages", 0.6)
    started = time.monotonic()
    await send(bot, world, "slowly")
    assert time.monotonic() - started >= 0.6
    assert posted(emulator, world) == ["slowly"]
    reply = await emulator.slash("premiere")  # an interaction after it is unaffected
    assert "Netflix" in visible_text(reply)


# ---------------------------------------------------------------------- gateway


async def wait_for_log(emulator: Emulator, entry: str, count: int = 1, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while emulator.gateway.log.count(entry) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {entry!r} in the gateway log: {emulator.gateway.log}")
        await asyncio.sleep(0.02)
    await emulator.wait_until_connected()


@pytest.mark.parametrize("how", ["op 7", "op 9 resumable", "close 4000", "close 1006"])
async def test_resumable_drops_resume_and_answer(
    emulator: Emulator, world: DemoWorld, bot: FanBot, how: str
) -> None:
    if how == "op 7":
        await emulator.gateway_reconnect()
    elif how == "op 9 resumable":
        await emulator.invalidate_session(resumable=True)
    else:
        await emulator.drop_gateway(int(how.split()[1]))
    await wait_for_log(emulator, "resume")
    assert emulator.gateway.log.count("identify") == 1
    reply = await emulator.slash("character", name="Nick")
    assert "Kit Connor" in visible_text(reply)


async def test_an_interaction_sent_during_an_outage_is_replayed_and_answered(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    async with emulator.gateway_outage(code=4000):
        await asyncio.sleep(0.05)
        asked = asyncio.create_task(emulator.slash("character", name="Nick"))
        await asyncio.sleep(0.3)
        assert not asked.done()  # nobody there to answer
    reply = await asked
    assert "Kit Connor" in visible_text(reply)
    assert emulator.gateway.log == ("identify", "resume")


@pytest.mark.parametrize("how", ["op 9 not resumable", "close 4009"])
async def test_lost_sessions_identify_again_within_the_identify_limit(
    world: DemoWorld, bot: FanBot, emulator: Emulator, how: str
) -> None:
    emulator.gateway.identify_interval = 5.0  # max_concurrency 1: one IDENTIFY per 5 s
    if how == "close 4009":
        await emulator.drop_gateway(4009)
    else:
        await emulator.invalidate_session(resumable=False)
    await wait_for_log(emulator, "identify", count=2)
    assert "refused identify" not in emulator.gateway.log
    reply = await emulator.slash("character", name="Nick")
    assert "Kit Connor" in visible_text(reply)
